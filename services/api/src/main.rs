//! `controller-api`: start-up and shutdown, step by step.

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use controller_api::auth::hash_token;
use controller_api::token_cache::TokenCache;
use controller_api::{AppState, GeoDbHandle, QueueHandle, serve};
use controller_config::{Config, Service};
use queue::Queue;

#[derive(Debug, Parser)]
#[command(name = "controller-api", version, about = "The cluster controller's REST API")]
struct Args {
    #[command(flatten)]
    common: service::CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match service::load_config(Service::Api, &args.common) {
        Ok(config) => service::run(Service::Api, run(config)),
        Err(exit) => exit,
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_tracing(&config.log.level, config.log.format).context("logging")?;
    let metrics = telemetry::install_metrics().context("metrics")?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting controller-api");

    // GeoDB: connect now if we can; otherwise keep serving health checks (and 503s) and keep
    // trying in the background, as an orchestrator expects of a starting replica.
    let geodb = match geodb::connect(&config.geodb).await {
        Ok(db) => {
            tracing::info!(kind = db.kind(), "geodb connected");
            GeoDbHandle::geodb(db)
        }
        Err(err) => {
            tracing::warn!(error = %err, "geodb not reachable at start-up; retrying in the background");
            GeoDbHandle::connect_in_background(config.geodb.clone())
        }
    };
    // Redis holds the queue and the controller state (jobs, moves, alerts, plans, automation
    // views); GeoDB routes do not need it: the API runs without it, answers 503 where it is
    // needed, and reconnects.
    let queue_config = config.queue_config();
    let queue = match Queue::connect(config.redis_url.expose(), queue_config.clone()).await {
        Ok(queue) => QueueHandle::queue(queue),
        Err(err) => {
            tracing::warn!(error = %err, "redis not reachable at start-up; retrying in the background");
            QueueHandle::connect_in_background(config.redis_url.expose().to_owned(), queue_config)
        }
    };
    if config.admin_token.is_none() {
        tracing::warn!("API_ADMIN_TOKEN is not set: only tokens already stored in GeoDB can log in");
    }
    let state = AppState {
        geodb,
        queue,
        admin_token_hash: config.admin_token.as_ref().map(|t| hash_token(t.expose())),
        metrics,
        tokens: TokenCache::new(service::Clock::system()),
        evacuation_stall: config.moves.evacuation_stall,
    };

    let listener =
        TcpListener::bind(config.api_listen).with_context(|| format!("cannot listen on {}", config.api_listen))?;
    let address = listener.local_addr()?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server = serve(listener, state, workers)?;
    let handle = server.handle();
    tracing::info!(%address, workers, "listening");

    // Shutdown: on SIGINT or SIGTERM stop accepting, let in-flight requests finish.
    let signal = service::shutdown_signal().context("signal handlers")?;
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutdown requested; finishing in-flight requests");
        handle.stop(true).await;
    });
    server.await?;
    tracing::info!("controller-api stopped");
    Ok(())
}
