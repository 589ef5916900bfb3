//! Builds the application: the one function `main` and the tests both use.

use std::net::TcpListener;
use std::time::Instant;

use actix_http::{HttpService, error::DispatchError};
use actix_server::Server;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpResponse, ResponseError, web};
use api_types::API_PREFIX;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorCode};
use crate::http_layer::Guarded;
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{metrics, routes};

/// The whole API as an actix `App`.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(crate::extract::MAX_BODY_BYTES))
        .configure(routes::health::configure)
        // Before the API scope, which would otherwise claim these paths.
        .service(
            SwaggerUi::new(format!("{API_PREFIX}/docs/{{_:.*}}"))
                .url(format!("{API_PREFIX}/openapi.json"), ApiDoc::openapi()),
        )
        .service(web::scope(API_PREFIX).configure(routes::api_v1))
        .default_service(web::to(route_not_found))
        .wrap(from_fn(crate::auth::resolve))
        .wrap(ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed))
        .wrap_fn(|req, srv| {
            let started = Instant::now();
            let method = req.method().clone();
            let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
            let call = srv.call(req);
            async move {
                let res = call.await?;
                metrics::record_request(&method, &route, res.status(), started.elapsed());
                Ok(res)
            }
        })
}

async fn route_not_found() -> HttpResponse {
    ApiError::new(ErrorCode::RouteNotFound, "no route matches this path").error_response()
}

fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (req, _) = res.into_parts();
    let mut answer =
        ApiError::new(ErrorCode::MethodNotAllowed, "this route does not accept the method").error_response();
    let allow = req.match_pattern().and_then(|p| crate::openapi::allowed_methods(&p));
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, answer).map_into_right_body()))
}

/// Serves the API on an already bound listener until the returned server is stopped. Built on
/// actix-server and actix-http directly rather than `HttpServer` so that every connection goes
/// through [`Guarded`], which turns the HTTP layer's own refusals into problem+json.
pub fn serve(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let local = listener.local_addr()?;
    Ok(Server::build()
        .workers(workers.max(1))
        .disable_signals()
        .shutdown_timeout(10)
        .listen("controller-api", listener, move || {
            let service = app(state.clone()).into_factory().map_err(|err: actix_web::Error| err.error_response());
            fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                // Answers are written whole; Nagle would only delay them.
                let _ = io.set_nodelay(true);
                Ok::<_, DispatchError>((Guarded::new(io), peer))
            })
            .and_then(HttpService::build().local_addr(local).h1(map_config(service, |()| AppConfig::default())))
        })?
        .run())
}
