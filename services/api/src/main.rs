//! `controller-api`: start-up and shutdown, step by step.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use config::{Config, Service};
use controller_api::auth::hash_token;
use controller_api::{AppState, GeoDbHandle, QueueHandle, serve};
use queue::Queue;

#[derive(Debug, Parser)]
#[command(name = "controller-api", version, about = "The cluster controller's REST API")]
struct Args {
    /// TOML configuration file (settings may also come from the environment).
    #[arg(long, env = config::CONFIG_PATH_ENV)]
    config: Option<PathBuf>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    print_config: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match config::load_from_process(Service::Api, args.config.as_deref()) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("controller-api: invalid configuration:\n{errors}");
            return ExitCode::from(2);
        }
    };
    if args.print_config {
        print!("{}", config.render_effective());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("controller-api: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("controller-api: {e:#}");
            ExitCode::FAILURE
        }
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
    // The queue (Redis) serves the job routes only: the API runs without it and reconnects.
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
    };

    let listener =
        TcpListener::bind(config.api_listen).with_context(|| format!("cannot listen on {}", config.api_listen))?;
    let address = listener.local_addr()?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server = serve(listener, state, workers)?;
    let handle = server.handle();
    tracing::info!(%address, workers, "listening");

    // Shutdown: on SIGINT or SIGTERM stop accepting, let in-flight requests finish.
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; finishing in-flight requests");
        handle.stop(true).await;
    });
    server.await?;
    tracing::info!("controller-api stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
