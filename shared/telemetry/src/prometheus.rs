//! The process-wide `metrics` recorder, rendered by each service on its own `/metrics` route.
//! There is no HTTP listener here: the API serves the handle's output through actix, the other
//! services through their small admin servers.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::TelemetryError;

/// Histogram buckets for every metric whose name ends in `_seconds`: 50 µs (a cached GeoDB read)
/// up to 10 s (a slow doveadm call or CQL timeout), roughly ×2–2.5 per step.
pub const DURATION_BUCKETS_SECONDS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Histogram samples are only folded into buckets on render or upkeep; without a scrape they
/// would accumulate, so a background thread folds them periodically.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
// Serialises the first installation; `OnceLock::get_or_try_init` is not stable yet.
static INSTALL: Mutex<()> = Mutex::new(());

/// Installs the global Prometheus recorder once per process and returns a handle to it. Later
/// calls return clones of the same handle (tests build many apps in one process), so every
/// handle renders everything the process has recorded.
pub fn install_metrics() -> Result<PrometheusHandle, TelemetryError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    // A panic while holding the guard cannot leave the `OnceLock` half-set, so poison is harmless.
    let _guard = INSTALL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), DURATION_BUCKETS_SECONDS)?
        .install_recorder()?;
    spawn_upkeep(handle.clone());
    Ok(HANDLE.get_or_init(|| handle).clone())
}

fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".to_owned()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            handle.run_upkeep();
        }
    });
    // Without the thread, rendering still drains histograms; only memory between scrapes grows.
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the metrics upkeep thread");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "prometheus_test.rs"]
mod tests;
