//! Payload parsing shared by every kind: serde does the shape (unknown fields refused), each
//! kind's `check` the ranges, and errors are mapped to the field path without echoing values.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{ValidationError, ValidationKind};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reserved in every kind's payload: the scheduler writes here the tick (RFC 3339) a periodic
/// job was emitted for, so the job, its record and the logs say which period it serves. Kinds
/// never declare it; [`parse`] skips it; [`crate::validate`] refuses it from anyone else.
pub const TICK_AT: &str = "tick_at";

/// `payload` with [`TICK_AT`] set to `tick_at`.
pub fn with_tick_at(payload: &serde_json::Value, tick_at: DateTime<Utc>) -> serde_json::Value {
    let mut fields = payload.as_object().cloned().unwrap_or_default();
    fields.insert(TICK_AT.to_owned(), tick_at.to_rfc3339_opts(SecondsFormat::Millis, true).into());
    serde_json::Value::Object(fields)
}

/// The tick a scheduled job was emitted for; `None` for an ad-hoc job.
pub fn tick_at(payload: &serde_json::Value) -> Option<DateTime<Utc>> {
    payload.get(TICK_AT)?.as_str()?.parse().ok()
}

/// A kind's typed payload.
pub trait Payload: DeserializeOwned + Serialize {
    /// The payload's field names, for the error about an unknown one.
    const FIELDS: &'static [&'static str];

    /// What `field` must be, for the error of a value that does not parse.
    fn expected(field: &str) -> &'static str;

    /// Rules serde cannot express (ranges, character sets).
    fn check(&self) -> Result<(), ValidationError>;
}

/// Parses and checks a payload; for workers too, which trust nothing they read from Redis.
pub fn parse<T: Payload>(payload: &serde_json::Value) -> Result<T, ValidationError> {
    if !(payload.is_object() || payload.is_null()) {
        return Err(ValidationError::new("payload", ValidationKind::Malformed { expected: "a JSON object" }));
    }
    // An entry without a payload carries `null`: the same as `{}`. The reserved field is not
    // the kind's: copy the payload without it (only scheduled jobs pay for the copy).
    let owned;
    let payload = match payload.as_object() {
        None => {
            owned = serde_json::Value::Object(serde_json::Map::new());
            &owned
        }
        Some(fields) if fields.contains_key(TICK_AT) => {
            let mut fields = fields.clone();
            fields.remove(TICK_AT);
            owned = serde_json::Value::Object(fields);
            &owned
        }
        Some(_) => payload,
    };
    let typed: T = serde_path_to_error::deserialize(payload).map_err(|e| field_error::<T>(&e))?;
    typed.check()?;
    Ok(typed)
}

/// The payload as stored: parsed, checked and written back with every default.
pub(crate) fn normalise<T: Payload>(payload: &serde_json::Value) -> Result<serde_json::Value, ValidationError> {
    if payload.get(TICK_AT).is_some() {
        let reserved = ValidationKind::Malformed { expected: "absent: the scheduler sets it" };
        return Err(ValidationError::new(format!("payload.{TICK_AT}"), reserved));
    }
    let typed: T = parse(payload)?;
    serde_json::to_value(&typed)
        .map_err(|_| ValidationError::new("payload", ValidationKind::Malformed { expected: "serialisable" }))
}

fn field_error<T: Payload>(error: &serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    // The path ends with the offending key, also for an unknown field (serde_path_to_error
    // records the key before serde refuses it); the root is written `.`.
    let path = error.path().to_string();
    let field = if path == "." { "payload".to_owned() } else { format!("payload.{path}") };
    if error.inner().to_string().starts_with("unknown field") {
        return ValidationError::new(field, ValidationKind::UnknownValue { allowed: T::FIELDS });
    }
    ValidationError::new(field, ValidationKind::Malformed { expected: T::expected(&path) })
}
