//! The sim's control API: everything observable (`GET /state`) and every fault switch, for
//! tests, scripts and demos. JSON in and out; errors are `application/problem+json` with a
//! stable `code` and the `field` at fault (422 for invalid values, 400 for broken JSON).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::doveadm::Listeners;
use crate::faults::{FaultsPatch, FieldError};
use crate::state::Sim;
use crate::view;

/// How long `POST /pause` waits for attempts under way (a batch is at most a second's worth).
const PAUSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug)]
struct Ctx {
    sim: Arc<Sim>,
    listeners: Arc<Listeners>,
}

/// Binds and serves; returns the bound address and a handle to stop the server.
pub fn serve(
    address: SocketAddr,
    sim: Arc<Sim>,
    listeners: Arc<Listeners>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let socket = TcpListener::bind(address)?;
    let bound = socket.local_addr()?;
    let ctx = web::Data::new(Ctx { sim, listeners });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(ctx.clone())
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ok"})) }))
            .route("/state", web::get().to(state))
            .route("/backends/{host}/faults", web::put().to(put_faults))
            .route("/site", web::put().to(put_site))
            .route("/pause", web::post().to(pause))
            .route("/resume", web::post().to(resume))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(socket)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((bound, handle))
}

/// Errors of the control API.
#[derive(Debug, thiserror::Error)]
enum ControlError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("no simulated backend {0}")]
    UnknownBackend(String),
    #[error("cannot change the listener: {0}")]
    Listener(String),
}

impl ResponseError for ControlError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownBackend(_) => StatusCode::NOT_FOUND,
            Self::Listener(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = match self {
            Self::Malformed(_) => "malformed_request",
            Self::Invalid(_) => "validation_failed",
            Self::UnknownBackend(_) => "backend_not_found",
            Self::Listener(_) => "listener_failed",
        };
        let mut body = json!({
            "type": format!("about:blank#{code}"),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": self.to_string(),
            "code": code,
        });
        if let Self::Invalid(errors) = self {
            body["field"] = json!(errors.first().map(|e| e.field.as_str()));
            body["detail"] =
                json!(errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "));
            body["errors"] = json!(errors);
        }
        HttpResponse::build(status).content_type("application/problem+json").body(body.to_string())
    }
}

/// Parses a JSON body; a type error or unknown field is a 422 naming the field.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return ControlError::Malformed(inner.to_string());
        }
        let path = e.path().to_string();
        let message = inner.to_string();
        // serde names an unknown field only in its message: `unknown field `x`, expected ...`.
        let field = if path == "." { message.split('`').nth(1).unwrap_or("body").to_owned() } else { path };
        ControlError::Invalid(vec![FieldError::new(field, message)])
    })
}

async fn state(ctx: web::Data<Ctx>) -> HttpResponse {
    HttpResponse::Ok().json(view::state(&ctx.sim))
}

async fn put_faults(
    ctx: web::Data<Ctx>,
    host: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ControlError> {
    let backend = ctx.sim.backend_by_host(&host).ok_or_else(|| ControlError::UnknownBackend(host.clone()))?;
    let patch: FaultsPatch = parse(&body)?;
    let errors = patch.validate();
    if !errors.is_empty() {
        return Err(ControlError::Invalid(errors));
    }
    let mut faults = backend.faults();
    patch.apply(&mut faults);
    let before = backend.set_faults(faults);
    if before.unreachable != faults.unreachable {
        ctx.listeners
            .set_reachable(backend.index, !faults.unreachable)
            .await
            .map_err(|e| ControlError::Listener(e.to_string()))?;
    }
    tracing::info!(backend = %backend.host, failure_ratio = faults.failure_ratio, unreachable = faults.unreachable,
        slow_ms = faults.slow_ms, load_multiplier = faults.load_multiplier, "faults changed");
    Ok(HttpResponse::Ok().json(view::backend(&ctx.sim, backend)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SitePatch {
    down: bool,
}

async fn put_site(ctx: web::Data<Ctx>, body: web::Bytes) -> Result<HttpResponse, ControlError> {
    let patch: SitePatch = parse(&body)?;
    ctx.sim.site_down.store(patch.down, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(site = %ctx.sim.options.site, down = patch.down, "site fault changed");
    Ok(HttpResponse::Ok().json(json!({ "site": ctx.sim.options.site.as_str(), "down": patch.down })))
}

async fn pause(ctx: web::Data<Ctx>) -> HttpResponse {
    // Returns once no attempt is under way, so the counters it leaves stand still.
    ctx.sim.pause(PAUSE_PATIENCE).await;
    tracing::info!("traffic paused");
    HttpResponse::Ok().json(json!({ "paused": true }))
}

async fn resume(ctx: web::Data<Ctx>) -> HttpResponse {
    ctx.sim.resume();
    tracing::info!("traffic resumed");
    HttpResponse::Ok().json(json!({ "paused": false }))
}
