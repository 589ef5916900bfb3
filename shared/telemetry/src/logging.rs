//! The process-wide `tracing` subscriber: an `EnvFilter` built from the configured level and a
//! text or JSON formatter writing to stderr (stdout is reserved for data, e.g. `--print-config`).

use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;

use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::TelemetryError;

/// How log lines are written. Defined here, and re-used by `config`, so that the graph stays
/// one-way (`config` → `telemetry`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable lines, coloured only when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// Every accepted spelling, for error messages.
    pub const ALLOWED: &'static [&'static str] = &["text", "json"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A log format name that is neither `text` nor `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be text or json")]
pub struct UnknownLogFormat;

impl FromStr for LogFormat {
    type Err = UnknownLogFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(UnknownLogFormat),
        }
    }
}

/// actix-http logs every request it cannot parse, and every client that hangs up mid-request, as
/// an ERROR: the client's fault, which controller-api logs itself at `info` (its `http_layer`).
/// Its only other messages are about streamed answers, which the API never sends. An explicit
/// `actix_http` directive in the level wins.
const QUIET_HTTP_LAYER: &str = "actix_http::h1::dispatcher=off";

/// Installs the global subscriber. `level` is a level (`info`) or a full `EnvFilter` directive
/// (`info,geodb=debug`). A second call returns [`TelemetryError::TracingAlreadySet`] rather than
/// panicking, so tests and embedded uses may call it freely.
pub fn init_tracing(level: &str, format: LogFormat) -> Result<(), TelemetryError> {
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // `try_init` (rather than `set_global_default`) also routes the `log` crate's records,
    // which actix-web and redis still emit, through the same subscriber.
    build_dispatch(level, format, std::io::stderr, ansi)?.try_init().map_err(TelemetryError::TracingAlreadySet)
}

/// Builds the subscriber without installing it; the writer is a parameter so tests can capture
/// the output.
pub(crate) fn build_dispatch<W>(
    level: &str,
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Result<Dispatch, TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let mut filter = EnvFilter::try_new(level)
        .map_err(|source| TelemetryError::InvalidFilter { directive: level.to_owned(), source })?;
    if !level.contains("actix_http") {
        filter = filter.add_directive(
            QUIET_HTTP_LAYER
                .parse()
                .map_err(|source| TelemetryError::InvalidFilter { directive: QUIET_HTTP_LAYER.to_owned(), source })?,
        );
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    Ok(match format {
        LogFormat::Text => Dispatch::new(builder.with_ansi(ansi).finish()),
        // Span context in JSON lets a shipper group a job's lines without parsing messages.
        LogFormat::Json => {
            Dispatch::new(builder.json().with_current_span(true).with_span_list(false).with_ansi(false).finish())
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "logging_test.rs"]
mod tests;
