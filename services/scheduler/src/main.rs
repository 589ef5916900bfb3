//! `controller-scheduler`: start-up and shutdown, step by step.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use controller_config::{Config, Service};
use controller_scheduler::Scheduler;
use queue::Queue;
use tokio::sync::watch;

#[derive(Debug, Parser)]
#[command(name = "controller-scheduler", version, about = "Emits the site's periodic jobs (one leader per site)")]
struct Args {
    #[command(flatten)]
    common: service::CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match service::load_config(Service::Scheduler, &args.common) {
        Ok(config) => service::run(Service::Scheduler, run(config)),
        Err(exit) => exit,
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_tracing(&config.log.level, config.log.format).context("logging")?;
    let owner = service::instance_name();
    let ttl = config.scheduler.lease_ttl;
    let entries = config.scheduler.entries.clone();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), %owner, lease_ttl_ms = ttl.as_millis() as u64, entries = ?names, "starting controller-scheduler");

    // Shutdown: the first SIGTERM or SIGINT ends leadership (the lease is released) or standby.
    let (stop, shutdown) = watch::channel(false);
    let signals = service::shutdown_signal().context("signal handlers")?;
    tokio::spawn(async move {
        signals.await;
        tracing::info!("shutdown requested");
        let _ = stop.send(true);
    });

    // Redis: wait for it as long as it takes; until then no instance can lead anyway.
    let (redis_url, queue_config) = (config.redis_url.expose(), config.queue_config());
    let mut stopping = shutdown.clone();
    let stopped = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let connect = || Queue::connect(redis_url, queue_config.clone());
    let Some(queue) = service::connect_with_retry("connect", connect, stopped).await else {
        tracing::info!("controller-scheduler stopped before redis was reachable");
        return Ok(());
    };
    tracing::info!(prefix = %queue.config().prefix, "queue connected");

    // Stand by and lead until shutdown; a leader releases its lease on the way out.
    Scheduler::new(queue, owner, entries, ttl, service::Clock::system()).run(shutdown).await;
    tracing::info!("controller-scheduler stopped");
    Ok(())
}
