//! Tracing and Prometheus set-up shared by every service binary, so that log lines and metric
//! exposition look the same everywhere. Nothing here reads configuration by itself: callers pass
//! the already validated level and format (see the `config` crate), and errors are returned,
//! never panicked on, because tests build many apps in one process.

mod logging;
mod prometheus;

pub use logging::{LogFormat, UnknownLogFormat, init_tracing};
pub use prometheus::{DURATION_BUCKETS_SECONDS, install_metrics};

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter {directive:?}: {source}")]
    InvalidFilter {
        directive: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// Another subscriber (ours from an earlier call, or a test harness's) owns the process.
    #[error("a global tracing subscriber is already set")]
    TracingAlreadySet(#[source] tracing_subscriber::util::TryInitError),
    /// Another crate installed a `metrics` recorder that is not ours, so there is no handle
    /// that could render what the process records.
    #[error("cannot install the Prometheus recorder: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
}
