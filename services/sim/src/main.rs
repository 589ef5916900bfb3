//! `cluster-sim`: start-up and shutdown, step by step.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use cluster_sim::options::{self, Args, SimOptions};
use cluster_sim::ready::{self, Ready};
use cluster_sim::state::Sim;
use cluster_sim::{control, doveadm, observer, proxy, setup};
use controller_config::{Config, Service};
use tokio::sync::watch;

fn main() -> ExitCode {
    let args = Args::parse();
    // The controller's settings (GEODB_URL, CLUSTER_SITE, CLUSTER_SIM_LOG_LEVEL) load as for
    // every binary; then the sim's flags and file. Both report every bad value, exit code 2.
    let common = service::CommonArgs { config: args.controller_config.clone(), print_config: false };
    let config = match service::load_config(Service::Sim, &common) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let options = match options::resolve(&args, config.home_site.as_ref(), &config.doveadm) {
        Ok(options) => options,
        Err(errors) => {
            eprintln!("cluster-sim: invalid configuration:\n{errors}");
            return ExitCode::from(service::EXIT_CONFIG);
        }
    };
    if args.print_config {
        print!("{}\n{}", config.render_effective(), options.render_effective());
        return ExitCode::SUCCESS;
    }
    service::run(Service::Sim, run(config, options))
}

async fn run(config: Config, options: SimOptions) -> anyhow::Result<()> {
    telemetry::init_tracing(&config.log.level, config.log.format).context("logging")?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), site = %options.site, backends = options.backend_hosts.len(),
        users = options.users, rate = options.rate, seed = options.seed, "starting cluster-sim");

    // Signals first: a SIGTERM during set-up must stop us cleanly, not kill a half-started sim.
    let signal = service::shutdown_signal().context("signal handlers")?;
    if let Some(path) = &options.ready_file {
        ready::remove(path).with_context(|| format!("cannot remove the old ready file {}", path.display()))?;
    }

    // GeoDB: the controller's own database. Without it there is nothing to simulate.
    let db = geodb::connect(&config.geodb).await.context("geodb")?;
    tracing::info!(kind = db.kind(), "geodb connected");

    // The backends' ports come first: set-up publishes them as each backend's `doveadm_url`.
    let sockets = doveadm::bind(&options).context("cannot bind the backends' doveadm listeners")?;
    let ports = sockets.iter().map(|s| s.local_addr().map(|a| a.port())).collect::<Result<Vec<_>, _>>()?;
    let site = setup::run(db.as_ref(), &options, &ports).await.context("set-up")?;
    let sim = Arc::new(Sim::new(options, db, site.site_id, site.backends));
    if sim.options.preassign {
        setup::preassign(&sim).await.context("pre-assignment")?;
    }
    // One look at GeoDB before serving, so statuses and metrics mean something from the start.
    observer::observe(&sim, observer::INTERVAL, &observer::capacity(&sim)).await;

    // Backends' doveadm APIs and metrics, then the control API.
    let listeners = doveadm::Listeners::start(sim.clone(), sockets).context("doveadm listeners")?;
    let (control_address, control) = control::serve(sim.options.control_listen, sim.clone(), listeners.clone())
        .with_context(|| format!("cannot listen on {}", sim.options.control_listen))?;

    // Traffic: the proxies, and the observer that follows GeoDB and advances the load.
    let (stop, stopped) = watch::channel(false);
    let observer = tokio::spawn(observer::run(sim.clone(), stopped.clone()));
    let proxies = proxy::spawn_all(&sim, &stopped);

    // Announce: the ready file for tests and scripts, the same JSON on stdout.
    let ready = Ready {
        control_url: format!("http://{control_address}"),
        backends: sim.backends.iter().map(|b| (b.host.to_string(), b.doveadm_url.clone())).collect(),
        site: sim.options.site.to_string(),
        site_id: sim.site_id,
        proxies: sim.options.proxy_hosts.iter().map(ToString::to_string).collect(),
        pid: std::process::id(),
    };
    if let Some(path) = &sim.options.ready_file {
        ready::write(path, &ready).with_context(|| format!("cannot write the ready file {}", path.display()))?;
    }
    println!("{}", serde_json::to_string(&ready)?);
    tracing::info!(control_url = %ready.control_url, "cluster-sim ready");

    // Run until SIGTERM or SIGINT, or for the configured duration.
    match sim.options.duration {
        Some(duration) => tokio::select! {
            () = signal => tracing::info!("shutdown requested"),
            () = tokio::time::sleep(duration) => tracing::info!(secs = duration.as_secs(), "duration reached"),
        },
        None => {
            signal.await;
            tracing::info!("shutdown requested");
        }
    }

    // Shutdown: traffic stops, each proxy writes its last statistics, then the listeners close.
    tracing::info!("stopping traffic and flushing statistics");
    let _ = stop.send(true);
    for proxy in proxies {
        if let Err(error) = proxy.await {
            tracing::warn!(%error, "a proxy ended abnormally");
        }
    }
    let _ = observer.await;
    control.stop(true).await;
    listeners.stop_all().await;
    if let Some(path) = &sim.options.ready_file
        && let Err(error) = ready::remove(path)
    {
        tracing::warn!(%error, "cannot remove the ready file");
    }
    tracing::info!("cluster-sim stopped");
    Ok(())
}
