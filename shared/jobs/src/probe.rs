//! The probe: a synthetic job that sleeps, then succeeds, fails or aborts as asked. It proves the
//! pipeline end to end (the scheduler's canary) and lets tests and operators count executions
//! through its marker. Only its payload lives here; the worker runs it.

use domain::{ValidationError, ValidationKind};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// The longest a probe may sleep: an hour, far beyond any visibility timeout worth testing.
pub const MAX_DURATION_MS: u64 = 3_600_000;
pub const MAX_MARKER_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbePayload {
    /// How long each run sleeps.
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub outcome: ProbeOutcome,
    /// Fail the first N attempts, then succeed (unless `outcome` is `abort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_attempts: Option<u32>,
    /// Names a Redis counter the probe increments at the start of every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeOutcome {
    #[default]
    Succeed,
    /// Fail with a retryable error.
    Fail,
    /// Fail with an error that must not be retried.
    Abort,
}

/// What one run of a probe should end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeVerdict {
    Succeed,
    Retry,
    Abort,
}

impl ProbePayload {
    /// The verdict for the given attempt (1 for the first): `abort` always aborts; with
    /// `fail_attempts` the first N attempts fail and the later ones succeed; otherwise `fail`
    /// fails every attempt.
    pub fn verdict(&self, attempt: u32) -> ProbeVerdict {
        match (self.outcome, self.fail_attempts) {
            (ProbeOutcome::Abort, _) => ProbeVerdict::Abort,
            (_, Some(n)) if attempt <= n => ProbeVerdict::Retry,
            (_, Some(_)) | (ProbeOutcome::Succeed, None) => ProbeVerdict::Succeed,
            (ProbeOutcome::Fail, None) => ProbeVerdict::Retry,
        }
    }
}

impl Payload for ProbePayload {
    const FIELDS: &'static [&'static str] = &["duration_ms", "outcome", "fail_attempts", "marker"];

    fn expected(field: &str) -> &'static str {
        match field {
            "duration_ms" => "an integer from 0 to 3600000",
            "outcome" => "succeed, fail or abort",
            "fail_attempts" => "a non-negative integer",
            "marker" => "a string of up to 64 characters from A-Z, a-z, 0-9, '_' and '-'",
            _ => "a JSON object",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        if self.duration_ms > MAX_DURATION_MS {
            let range = ValidationKind::OutOfRange { min: 0, max: MAX_DURATION_MS as i64 };
            return Err(ValidationError::new("payload.duration_ms", range));
        }
        if let Some(marker) = &self.marker {
            let field = "payload.marker";
            if marker.is_empty() {
                return Err(ValidationError::new(field, ValidationKind::Empty));
            }
            if marker.chars().count() > MAX_MARKER_LEN {
                return Err(ValidationError::new(field, ValidationKind::TooLong { max: MAX_MARKER_LEN }));
            }
            if let Some(character) = marker.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))) {
                return Err(ValidationError::new(field, ValidationKind::InvalidCharacter { character }));
            }
        }
        Ok(())
    }
}
