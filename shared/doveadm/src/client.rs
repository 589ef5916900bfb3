//! One doveadm command per HTTP request: `POST {base}/doveadm/v1` with `[[command, params, tag]]`,
//! the answer checked against the tag and mapped to a value or a typed error. It never retries
//! and never sends more than one command per request (doveadm does not keep their order).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

use crate::{Auth, DoveadmError};

/// Client of the doveadm HTTP API. Cheap to clone; clones share one connection pool (Dovecot
/// 2.3 closes the connection after every answer, but `cluster-sim` keeps it alive).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    auth: Option<HeaderValue>,
    /// The auth kind only, for logs and `Debug`.
    auth_kind: &'static str,
    next_tag: Arc<AtomicU64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("auth", &self.auth_kind).finish_non_exhaustive()
    }
}

impl Client {
    /// `timeout` bounds each whole call: connecting, sending and reading the answer.
    pub fn new(auth: Auth, timeout: Duration) -> Result<Self, DoveadmError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| DoveadmError::Setup(e.to_string()))?;
        let auth_kind = match auth {
            Auth::ApiKey(_) => "api_key",
            Auth::Password(_) => "password",
            Auth::None => "none",
        };
        Ok(Self { http, auth: auth.header(), auth_kind, next_tag: Arc::new(AtomicU64::new(1)) })
    }

    /// Runs `command` with `params` (a JSON object) on the doveadm server at `base_url` and
    /// returns the command's result (`doveadmResponse`), or how it failed.
    pub async fn call(&self, base_url: &str, command: &str, params: Value) -> Result<Value, DoveadmError> {
        let url = format!("{}/doveadm/v1", base_url.trim_end_matches('/'));
        let tag = format!("t{}", self.next_tag.fetch_add(1, Ordering::Relaxed));
        let body = json!([[command, params, tag]]);
        tracing::debug!(url, command, tag, auth = self.auth_kind, "doveadm call");

        let mut request = self.http.post(&url).header(CONTENT_TYPE, "application/json").body(body.to_string());
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let outcome = async {
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        }
        .await;
        let (status, text) = match outcome {
            Ok(answer) => answer,
            Err(e) => {
                let error = DoveadmError::from_transport(e);
                tracing::debug!(url, command, tag, error = %error, "doveadm call failed");
                return Err(error);
            }
        };
        tracing::debug!(url, command, tag, status = status.as_u16(), "doveadm answered");
        check_status(status, &text, command)?;
        parse_answer(&text, command, &tag)
    }
}

/// Pre-execution failures: doveadm answers them with an HTTP status instead of a JSON error.
fn check_status(status: StatusCode, text: &str, command: &str) -> Result<(), DoveadmError> {
    match status.as_u16() {
        200..=299 => Ok(()),
        400 => Err(DoveadmError::BadRequest(text.trim().to_owned())),
        401 => Err(DoveadmError::Unauthorized),
        403 => Err(DoveadmError::Forbidden),
        404 => Err(DoveadmError::UnknownCommand(command.to_owned())),
        500 => Err(DoveadmError::Server(text.trim().to_owned())),
        other => Err(DoveadmError::Http { status: other }),
    }
}

/// `[["doveadmResponse", result, tag]]` or `[["error", {"type": .., "exitCode": ..}, tag]]`.
fn parse_answer(text: &str, command: &str, tag: &str) -> Result<Value, DoveadmError> {
    let protocol = |what: &str| DoveadmError::Protocol(format!("{command}: {what}"));
    let answer: Value = serde_json::from_str(text).map_err(|e| protocol(&format!("answer is not JSON ({e})")))?;
    let [entry] = answer.as_array().map(Vec::as_slice).unwrap_or_default() else {
        return Err(protocol("answer is not an array of exactly one entry"));
    };
    let [Value::String(kind), payload, Value::String(answer_tag)] =
        entry.as_array().map(Vec::as_slice).unwrap_or_default()
    else {
        return Err(protocol("entry is not [kind, payload, tag]"));
    };
    if answer_tag != tag {
        return Err(protocol(&format!("answer tag {answer_tag:?} is not the request's {tag:?}")));
    }
    match kind.as_str() {
        "doveadmResponse" => Ok(payload.clone()),
        "error" => Err(command_error(payload, command)),
        other => Err(protocol(&format!("unknown answer kind {other:?}"))),
    }
}

/// The error object's `type` says which stage failed: 2.3 answers an unknown command or an
/// unknown parameter with status 200 and `unknownMethod` / `invalidRequest`, not with 404/400.
fn command_error(payload: &Value, command: &str) -> DoveadmError {
    let exit_code = payload.get("exitCode").and_then(Value::as_i64);
    match (payload.get("type").and_then(Value::as_str), exit_code) {
        (Some("exitCode"), Some(exit_code)) => DoveadmError::Command { command: command.to_owned(), exit_code },
        (Some("unknownMethod"), _) => DoveadmError::UnknownCommand(command.to_owned()),
        (Some("invalidRequest"), _) => {
            DoveadmError::BadRequest(format!("{command}: invalid request (unknown or missing parameter)"))
        }
        _ => DoveadmError::Protocol(format!("{command}: unrecognised error object {payload}")),
    }
}
