//! The simulated backends' HTTP side: one listener per backend on its own loopback port,
//! serving the doveadm HTTP API (`/doveadm/v1`) and `/metrics`. An unreachable backend's
//! listener is closed, so connections are refused as from a dead host; it is opened again on
//! the same port when the fault is lifted.

pub mod auth;
pub mod commands;
pub mod protocol;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use tokio::sync::Mutex;

use self::auth::Authorized;
use self::protocol::RequestError;
use crate::metrics;
use crate::options::SimOptions;
use crate::state::Sim;

/// What a backend's handlers know: the sim, and which backend they are.
#[derive(Debug)]
pub struct BackendCtx {
    pub sim: Arc<Sim>,
    pub index: usize,
}

/// Binds every backend's port before set-up, which publishes the URLs in GeoDB.
pub fn bind(options: &SimOptions) -> std::io::Result<Vec<TcpListener>> {
    (0..options.backend_hosts.len())
        .map(|i| {
            let port = if options.backend_base_port == 0 { 0 } else { options.backend_base_port + i as u16 };
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        })
        .collect()
}

/// The running listeners, one slot per backend (`None` while unreachable).
#[derive(Debug)]
pub struct Listeners {
    sim: Arc<Sim>,
    servers: Vec<Mutex<Option<ServerHandle>>>,
}

impl Listeners {
    /// Serves on the bound sockets, except for backends that start unreachable.
    pub fn start(sim: Arc<Sim>, sockets: Vec<TcpListener>) -> std::io::Result<Arc<Self>> {
        let mut servers = Vec::with_capacity(sockets.len());
        for (index, socket) in sockets.into_iter().enumerate() {
            let handle =
                if sim.backends[index].faults().unreachable { None } else { Some(serve(&sim, index, socket)?) };
            servers.push(Mutex::new(handle));
        }
        Ok(Arc::new(Self { sim, servers }))
    }

    /// Closes or reopens a backend's listener.
    pub async fn set_reachable(&self, index: usize, reachable: bool) -> std::io::Result<()> {
        let mut slot = self.servers[index].lock().await;
        match (reachable, slot.take()) {
            (false, Some(handle)) => {
                handle.stop(false).await;
                tracing::info!(backend = %self.sim.backends[index].host, "doveadm listener closed (unreachable)");
            }
            (true, None) => {
                let socket = rebind(self.sim.backends[index].port).await?;
                *slot = Some(serve(&self.sim, index, socket)?);
                tracing::info!(backend = %self.sim.backends[index].host, "doveadm listener reopened");
            }
            (_, kept) => *slot = kept,
        }
        Ok(())
    }

    pub async fn stop_all(&self) {
        for slot in &self.servers {
            if let Some(handle) = slot.lock().await.take() {
                handle.stop(true).await;
            }
        }
    }
}

/// The port was ours a moment ago; the closed server may take a moment to let go of it.
async fn rebind(port: u16) -> std::io::Result<TcpListener> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut attempt = 0;
    loop {
        match TcpListener::bind(address) {
            Ok(socket) => return Ok(socket),
            Err(e) if attempt < 50 && e.kind() == std::io::ErrorKind::AddrInUse => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn serve(sim: &Arc<Sim>, index: usize, socket: TcpListener) -> std::io::Result<ServerHandle> {
    let ctx = web::Data::new(BackendCtx { sim: sim.clone(), index });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(ctx.clone())
            .route("/doveadm/v1", web::post().to(run_commands))
            .route("/doveadm/v1", web::get().to(list_commands))
            .route("/", web::get().to(list_commands))
            .route("/metrics", web::get().to(render_metrics))
    })
    // A backend answers a controller and a scraper: one worker each is plenty, and there may be
    // many backends in one process.
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(socket)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

async fn delay(ctx: &BackendCtx) {
    let slow_ms = ctx.sim.backends[ctx.index].faults().slow_ms;
    if slow_ms > 0 {
        tokio::time::sleep(Duration::from_millis(slow_ms)).await;
    }
}

async fn run_commands(ctx: web::Data<BackendCtx>, _auth: Authorized, body: web::Bytes) -> HttpResponse {
    delay(&ctx).await;
    let requests = match protocol::parse(&body) {
        Ok(requests) => requests,
        Err(e @ RequestError::Malformed(_)) => return plain(HttpResponse::BadRequest(), &e),
        Err(e @ RequestError::UnknownCommand(_)) => return plain(HttpResponse::NotFound(), &e),
    };
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        let answer = match commands::execute(&ctx.sim, ctx.index, &request.command).await {
            Ok(result) => protocol::success(result, &request.tag),
            Err(code) => protocol::failure(code, &request.tag),
        };
        answers.push(answer);
    }
    HttpResponse::Ok().json(answers)
}

async fn list_commands(ctx: web::Data<BackendCtx>, _auth: Authorized) -> HttpResponse {
    delay(&ctx).await;
    HttpResponse::Ok().json(protocol::command_list())
}

async fn render_metrics(ctx: web::Data<BackendCtx>) -> HttpResponse {
    let backend = &ctx.sim.backends[ctx.index];
    let page = metrics::render(
        ctx.sim.options.site.as_str(),
        backend.host.as_str(),
        &backend.load(),
        &backend.counters.view(),
        &backend.faults(),
    );
    HttpResponse::Ok().content_type(metrics::CONTENT_TYPE).body(page)
}

fn plain(mut builder: actix_web::HttpResponseBuilder, error: &RequestError) -> HttpResponse {
    builder.content_type("text/plain; charset=utf-8").body(format!("{error}\n"))
}
