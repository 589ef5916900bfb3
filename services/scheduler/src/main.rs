//! `controller-scheduler`: start-up and shutdown, step by step.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use config::{Config, Service};
use controller_scheduler::Scheduler;
use queue::Queue;
use tokio::sync::watch;

#[derive(Debug, Parser)]
#[command(name = "controller-scheduler", version, about = "Emits the site's periodic jobs (one leader per site)")]
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
    let config = match config::load_from_process(Service::Scheduler, args.config.as_deref()) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("controller-scheduler: invalid configuration:\n{errors}");
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
            eprintln!("controller-scheduler: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("controller-scheduler: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_tracing(&config.log.level, config.log.format).context("logging")?;
    let owner = owner_token();
    let ttl = config.scheduler.lease_ttl;
    let entries = config.scheduler.entries.clone();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), %owner, lease_ttl_ms = ttl.as_millis() as u64, entries = ?names, "starting controller-scheduler");

    // Shutdown: the first SIGTERM or SIGINT ends leadership (the lease is released) or standby.
    let (stop, shutdown) = watch::channel(false);
    let signals = signals().context("signal handlers")?;
    tokio::spawn(async move {
        signals.await;
        tracing::info!("shutdown requested");
        let _ = stop.send(true);
    });

    // Redis: wait for it as long as it takes; until then no instance can lead anyway.
    let Some(queue) = connect(config.redis_url.expose(), config.queue_config(), shutdown.clone()).await else {
        tracing::info!("controller-scheduler stopped before redis was reachable");
        return Ok(());
    };
    tracing::info!(prefix = %queue.config().prefix, "queue connected");

    // Stand by and lead until shutdown; a leader releases its lease on the way out.
    Scheduler::new(queue, owner, entries, ttl).run(shutdown).await;
    tracing::info!("controller-scheduler stopped");
    Ok(())
}

/// Connects, retrying with backoff (logged once); `None` if shutdown was requested first.
async fn connect(url: &str, config: queue::QueueConfig, mut shutdown: watch::Receiver<bool>) -> Option<Queue> {
    let mut delay = Duration::from_millis(100);
    let mut logged = false;
    loop {
        match Queue::connect(url, config.clone()).await {
            Ok(queue) => return Some(queue),
            Err(error) => {
                if !std::mem::replace(&mut logged, true) {
                    tracing::warn!(%error, "redis not reachable; retrying");
                }
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return None,
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT; installed before it is awaited, so a signal that
/// arrives during start-up is not lost.
fn signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// `host:pid:random`: who leads, readable in the API's scheduler status and in the logs.
fn owner_token() -> String {
    let host = hostname::get().map_or_else(|_| "unknown".to_owned(), |h| h.to_string_lossy().into_owned());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}
