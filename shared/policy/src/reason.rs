//! Why a decision was taken: short machine-readable codes with a human sentence, so the API, the
//! logs and a stored dry-run plan all explain a decision the same way.

use serde::{Deserialize, Serialize};

/// How much an operator should care about a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    /// Someone must act: the controller refused to act on its own.
    Critical,
}

/// One reason behind a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub severity: Severity,
    /// Stable snake_case code for alerting and tests, e.g. `capacity_guard`.
    pub code: String,
    pub message: String,
}

impl Reason {
    pub fn info(code: &str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Info, code: code.to_owned(), message: message.into() }
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code: code.to_owned(), message: message.into() }
    }

    pub fn critical(code: &str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Critical, code: code.to_owned(), message: message.into() }
    }
}

/// Whether any reason in `reasons` carries `code`.
pub fn has_code(reasons: &[Reason], code: &str) -> bool {
    reasons.iter().any(|r| r.code == code)
}
