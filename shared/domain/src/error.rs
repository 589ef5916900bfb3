//! Typed validation errors. Each names the field it concerns so the API can report it.

use std::fmt;

/// What was wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationKind {
    Empty,
    TooLong { max: usize },
    InvalidCharacter { character: char },
    IpLiteral,
    BadLabel { reason: &'static str },
    OutOfRange { min: i64, max: i64 },
    UnknownValue { allowed: &'static [&'static str] },
    Malformed { expected: &'static str },
}

/// A value that breaks a model rule, with the field it was given for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {kind}")]
pub struct ValidationError {
    pub field: String,
    pub kind: ValidationKind,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, kind: ValidationKind) -> Self {
        Self { field: field.into(), kind }
    }

    /// The same error reported for another field name (e.g. `host` in a request body).
    #[must_use]
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for ValidationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} characters"),
            Self::InvalidCharacter { character } => {
                write!(f, "must not contain {character:?}")
            }
            Self::IpLiteral => write!(f, "must be a host name, not an IP address"),
            Self::BadLabel { reason } => write!(f, "is not a valid host name: {reason}"),
            Self::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Self::UnknownValue { allowed } => write!(f, "must be one of {}", allowed.join(", ")),
            Self::Malformed { expected } => write!(f, "must be {expected}"),
        }
    }
}
