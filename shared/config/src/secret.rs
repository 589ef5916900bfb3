//! A value that must never be printed: tokens and passwords.

use std::fmt;

/// A secret string. `Debug` and `Display` print `<redacted>`; the value is reachable only through
/// [`Secret::expose`], which makes every use greppable. There is deliberately no `PartialEq`:
/// tokens are compared in constant time by their users, not with `==`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub const REDACTED: &'static str = "<redacted>";

    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call it only where the value is handed to a client or compared.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "secret_test.rs"]
mod tests;
