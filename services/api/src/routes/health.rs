//! Liveness, readiness (GeoDB answers) and the service's own Prometheus metrics. No token:
//! orchestrators and Prometheus call these.

use actix_web::{HttpResponse, web};
use api_types::Health;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz))
        .service(web::resource("/readyz").get(readyz))
        .service(web::resource("/metrics").get(metrics));
}

#[utoipa::path(get, operation_id = "healthz_get", path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into(), geodb: "not checked".into(), queue: "not checked".into() })
}

#[utoipa::path(get, operation_id = "readyz_get", path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let geodb = match state.geodb.get() {
        Ok(db) => match db.ping().await {
            Ok(()) => Ok(db.kind()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.detail),
    };
    // Readiness follows GeoDB only: Redis serves the job, state and automation routes, and CRUD
    // must not go down with Redis. Its state is reported for operators.
    let queue = match state.queue.get() {
        Ok(q) => match q.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        },
        Err(e) => e.detail,
    };
    match geodb {
        Ok(kind) => HttpResponse::Ok().json(Health { status: "ready".into(), geodb: format!("{kind}: ok"), queue }),
        Err(reason) => {
            HttpResponse::ServiceUnavailable().json(Health { status: "unavailable".into(), geodb: reason, queue })
        }
    }
}

#[utoipa::path(get, operation_id = "metrics_get", path = "/metrics", tag = "health", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}
