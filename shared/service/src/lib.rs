//! Start-up and shutdown steps shared by every controller binary, so each `main.rs` only
//! narrates what is its own. Exit codes: 0 done, 1 failed while running, 2 bad configuration.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use controller_config::{Config, Service};

mod clock;
mod outage;
pub use clock::Clock;
pub use outage::Outage;

/// Flags every service takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Configuration file: TOML, or `NAME=value` lines (settings may also come from the environment).
    #[arg(long, env = controller_config::CONFIG_PATH_ENV)]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Exit code for a configuration the service refuses: restarting will not help.
pub const EXIT_CONFIG: u8 = 2;

/// Loads the configuration, listing every error on stderr (exit 2), or prints it and exits
/// when `--print-config` was given. `Ok` means: go on and run.
pub fn load_config(service: Service, args: &CommonArgs) -> Result<Config, ExitCode> {
    let name = service.binary();
    let config = controller_config::load_from_process(service, args.config.as_deref()).map_err(|errors| {
        eprintln!("{name}: invalid configuration:\n{errors}");
        ExitCode::from(EXIT_CONFIG)
    })?;
    if args.print_config {
        print!("{}", config.render_effective());
        return Err(ExitCode::SUCCESS);
    }
    Ok(config)
}

/// Runs the service's async body on a multi-threaded runtime; an error ends the process with
/// exit code 1 and one line on stderr.
pub fn run<Fut>(service: Service, body: Fut) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    let name = service.binary();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(body);
    // The body returns after its own graceful shutdown; whatever still runs (retry loops, jobs
    // abandoned after a grace period) must not hold the process open.
    runtime.shutdown_timeout(std::time::Duration::ZERO);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT. Installed when called, before it is awaited, so a
/// signal that arrives during start-up is not lost.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
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

/// Calls `connect` until it succeeds, backing off while it fails and logging the outage as
/// [`Outage`] does; `None` once `stop` resolves first. The one connect loop of every binary.
pub async fn connect_with_retry<T, E, F, Fut>(
    what: &'static str,
    mut connect: F,
    stop: impl Future<Output = ()>,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut outage = Outage::new(what);
    tokio::pin!(stop);
    loop {
        match connect().await {
            Ok(value) => {
                outage.succeeded();
                return Some(value);
            }
            Err(error) => {
                let delay = outage.failed(&error);
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut stop => return None,
                }
            }
        }
    }
}

/// `host:pid:random`: names this process in leases, consumer groups and logs.
pub fn instance_name() -> String {
    let host = hostname::get().map_or_else(|_| "unknown".to_owned(), |h| h.to_string_lossy().into_owned());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Paused time: the backoff sleeps advance the clock instantly, so the test waits for nothing.
    #[tokio::test(start_paused = true)]
    async fn connecting_retries_with_backoff_until_it_succeeds() {
        let started = tokio::time::Instant::now();
        let mut calls = 0;
        let connect = || {
            calls += 1;
            let attempt = calls;
            async move { if attempt < 4 { Err("refused") } else { Ok(attempt) } }
        };
        let got = connect_with_retry("test", connect, std::future::pending()).await;
        assert_eq!(got, Some(4));
        // Three failures: 100 + 200 + 400 ms of backoff.
        assert_eq!(started.elapsed(), std::time::Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn connecting_gives_up_when_asked_to_stop() {
        let stop = tokio::time::sleep(std::time::Duration::from_secs(60));
        let got: Option<()> = connect_with_retry("test", || async { Err::<(), _>("refused") }, stop).await;
        assert_eq!(got, None);
    }

    #[test]
    fn instance_names_are_unique_per_call_and_name_the_process() {
        let (a, b) = (instance_name(), instance_name());
        assert_ne!(a, b);
        assert!(a.contains(&format!(":{}:", std::process::id())), "{a}");
    }
}
