use std::io;
use std::sync::{Arc, Mutex};

use super::*;

/// A writer that keeps what the subscriber wrote, so the format can be checked.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn capture(level: &str, format: LogFormat) -> String {
    let out = Capture::default();
    let writer = out.clone();
    let dispatch = build_dispatch(level, format, move || writer.clone(), false).unwrap();
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info!(backend = "b1", "backend probed");
        tracing::debug!("filtered out at info");
        tracing::error!(target: "actix_http::h1::dispatcher", "stream error: parse error");
    });
    out.text()
}

#[test]
fn json_format_writes_one_object_per_line() {
    let out = capture("info", LogFormat::Json);
    let line = out.lines().next().unwrap();
    assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    assert!(line.contains(r#""message":"backend probed""#), "{line}");
    assert!(line.contains(r#""backend":"b1""#), "{line}");
    assert_eq!(out.lines().count(), 1, "debug must be filtered: {out}");
}

#[test]
fn text_format_honours_a_full_directive() {
    let out = capture("warn,telemetry=debug", LogFormat::Text);
    assert!(out.contains("backend probed") && out.contains("filtered out at info"), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour codes when ansi is off: {out:?}");
}

#[test]
fn the_http_layers_client_errors_are_quiet_unless_asked_for() {
    assert!(!capture("info", LogFormat::Text).contains("stream error"));
    assert!(capture("info,actix_http=error", LogFormat::Text).contains("stream error"));
}

#[test]
fn invalid_filter_is_an_error() {
    let err = build_dispatch("info,geodb=loud", LogFormat::Text, io::sink, false).unwrap_err();
    assert!(matches!(err, TelemetryError::InvalidFilter { .. }), "{err}");
}

#[test]
fn second_init_is_an_error_not_a_panic() {
    // The only test that touches the global subscriber.
    let first = init_tracing("info", LogFormat::Json);
    assert!(first.is_ok(), "{first:?}");
    let second = init_tracing("info", LogFormat::Text).unwrap_err();
    assert!(matches!(second, TelemetryError::TracingAlreadySet(_)), "{second}");
}

#[test]
fn log_format_parses_case_insensitively() {
    assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
    assert_eq!(" text ".parse::<LogFormat>(), Ok(LogFormat::Text));
    assert_eq!("yaml".parse::<LogFormat>(), Err(UnknownLogFormat));
    assert_eq!(LogFormat::default().to_string(), "text");
}
