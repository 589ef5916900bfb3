//! `controller-worker --priority high|low`: start-up and shutdown, step by step.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use controller_config::{Config, Service};
use controller_worker::jobs::context::Context as JobContext;
use controller_worker::jobs::{Registry, probe::Probe};
use controller_worker::pool::{Drain, Pool};
use controller_worker::signals::Signals;
use controller_worker::{admin, metrics, upkeep};
use queue::{Priority, Queue};

#[derive(Debug, Parser)]
#[command(name = "controller-worker", version, about = "Runs the jobs of one priority's queue")]
struct Args {
    /// The queue this worker serves.
    #[arg(long, required_unless_present = "print_config")]
    priority: Option<Priority>,
    /// Jobs run at once (overrides WORKER_CONCURRENCY).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: Option<u16>,
    #[command(flatten)]
    common: service::CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = match service::load_config(Service::Worker, &args.common) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    if let Some(concurrency) = args.concurrency {
        config.worker.concurrency = usize::from(concurrency);
    }
    let Some(priority) = args.priority else {
        eprintln!("controller-worker: --priority high|low is required");
        return ExitCode::from(service::EXIT_CONFIG);
    };
    service::run(Service::Worker, run(config, priority))
}

async fn run(config: Config, priority: Priority) -> anyhow::Result<()> {
    telemetry::init_tracing(&config.log.level, config.log.format).context("logging")?;
    let prometheus = telemetry::install_metrics().context("metrics")?;
    metrics::describe();
    let consumer_name = service::instance_name();
    let concurrency = config.worker.concurrency;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), %priority, concurrency, consumer = %consumer_name, "starting controller-worker");

    // Signals first: a SIGTERM during start-up must stop us, not kill a half-started worker.
    let mut signals = Signals::listen().context("signal handlers")?;

    // Metrics and liveness, served before Redis is reachable so an outage is visible.
    let admin = match config.worker.metrics_listen {
        Some(address) => {
            let (bound, handle) =
                admin::serve(address, prometheus).with_context(|| format!("cannot listen on {address}"))?;
            tracing::info!(address = %bound, "serving /metrics and /healthz");
            Some(handle)
        }
        None => None,
    };

    // Redis: wait for it as long as it takes; a worker that exits would only be restarted into
    // the same outage.
    let queue_config = config.queue_config();
    let redis_url = config.redis_url.expose();
    let connect = || Queue::connect(redis_url, queue_config.clone());
    let Some(queue) = service::connect_with_retry("connect", connect, signals.stop()).await else {
        tracing::info!("shutdown requested before redis was reachable; controller-worker stopped");
        return Ok(());
    };
    tracing::info!(prefix = %queue_config.prefix, "queue connected");

    // GeoDB, which the move jobs read and write conditionally: waited for like Redis.
    let connect = || geodb::connect(&config.geodb);
    let Some(db) = service::connect_with_retry("geodb connect", connect, signals.stop()).await else {
        tracing::info!("shutdown requested before geodb was reachable; controller-worker stopped");
        return Ok(());
    };
    tracing::info!(kind = db.kind(), "geodb connected");

    // The doveadm client the move jobs ask backends with; without credentials it still works
    // against backends that need none (the simulator), so it only warns.
    let auth = doveadm_auth(&config.doveadm);
    if auth == doveadm::Auth::None {
        tracing::warn!("neither DOVEADM_API_KEY nor DOVEADM_PASSWORD is set; doveadm calls carry no credentials");
    }
    let doveadm = doveadm::Client::new(auth, config.doveadm.timeout).context("doveadm client")?;

    // The job handlers. The probe counts its runs in Redis next to the queue's keys.
    let redis = deadpool_redis::Config::from_url(config.redis_url.expose())
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .context("redis pool for the job handlers")?;
    let clock = service::Clock::system();
    let context = JobContext::new(&config, db, queue.clone(), doveadm, clock.clone()).map_err(anyhow::Error::msg)?;
    let registry = Registry::new(Probe::new(redis, queue_config.prefix.clone(), queue_config.retention), context);

    // The pool: heartbeats and acknowledgements start now; retries are promoted and gauges
    // refreshed in the background; jobs are claimed until the first SIGTERM or SIGINT.
    let consumer = queue.consumer(priority, consumer_name);
    let pool = Pool::start(consumer.clone(), registry, concurrency, queue_config.heartbeat_interval(), clock);
    tokio::spawn(upkeep::run(queue.clone(), consumer, signals.clone()));
    tracing::info!("claiming jobs");
    pool.run(&mut signals).await;

    // Shutdown: nothing new is claimed; running jobs get the grace period to finish.
    let grace = config.worker.shutdown_grace;
    tracing::info!(
        running = pool.running(),
        grace_secs = grace.as_secs(),
        "shutdown requested; finishing running jobs"
    );
    match pool.drain(grace, &mut signals).await {
        Drain::Finished => {
            // Nothing is pending under our name: leave the consumer group tidy.
            if let Err(error) = pool.consumer().leave().await {
                tracing::warn!(%error, "cannot leave the consumer group; it will be cleaned up later");
            }
            tracing::info!("all jobs finished");
        }
        Drain::Abandoned(running) => {
            tracing::warn!(
                running,
                "stopping with jobs still running; other workers reclaim them after the visibility timeout"
            );
        }
    }
    if let Some(admin) = admin {
        admin.stop(false).await;
    }
    tracing::info!("controller-worker stopped");
    Ok(())
}

/// The API key wins: it is what `doveadm_api_key` deployments expect, and a password set beside
/// it is most likely a leftover.
fn doveadm_auth(config: &controller_config::DoveadmConfig) -> doveadm::Auth {
    match (&config.api_key, &config.password) {
        (Some(key), _) => doveadm::Auth::ApiKey(key.expose().to_owned()),
        (None, Some(password)) => doveadm::Auth::Password(password.expose().to_owned()),
        (None, None) => doveadm::Auth::None,
    }
}
