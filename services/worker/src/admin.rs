//! The worker's small HTTP side: `/metrics` for Prometheus and `/healthz` for the orchestrator's
//! liveness probe. It answers while the worker drains, so a slow shutdown is still observable.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::PrometheusHandle;

/// Binds `address` and serves until the process ends; returns the bound address (the port may
/// have been chosen by the system) and a handle to stop the server.
pub fn serve(address: SocketAddr, metrics: PrometheusHandle) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(metrics.clone()))
            .route("/metrics", web::get().to(render_metrics))
            .route("/healthz", web::get().to(healthz))
    })
    // Scrapes and probes are rare and cheap: one thread is plenty, and the jobs keep the cores.
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((bound, handle))
}

async fn render_metrics(metrics: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics.render())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
