//! Maps SQLite failures onto the backend-neutral `GeoDbError`: lock timeouts and I/O trouble
//! become `Unavailable` (callers retry), unreadable stored values `Corrupt`, the rest
//! `Internal`. Unique-key violations are mapped by the caller, which knows the entity.

use rusqlite::ErrorCode;
use rusqlite::ffi;

use crate::error::GeoDbError;

impl From<rusqlite::Error> for GeoDbError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::ReadOnly
                | ErrorCode::DiskFull
                | ErrorCode::PermissionDenied
                | ErrorCode::FileLockingProtocolFailed => GeoDbError::Unavailable(e.to_string()),
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => GeoDbError::Corrupt(e.to_string()),
                _ => GeoDbError::Internal(e.to_string()),
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..)
            | rusqlite::Error::InvalidColumnType(..) => GeoDbError::Corrupt(e.to_string()),
            _ => GeoDbError::Internal(e.to_string()),
        }
    }
}

/// Whether `e` is a UNIQUE or PRIMARY KEY violation; `column` narrows it to one column
/// (`"sites.name"`), as SQLite names it in the message.
pub(super) fn is_unique_violation(e: &rusqlite::Error, column: Option<&str>) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let unique = failure.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
            unique
                && column.is_none_or(|c| {
                    message
                        .as_deref()
                        .is_some_and(|m| m.rsplit(": ").next().is_some_and(|cols| cols.split(", ").any(|x| x == c)))
                })
        }
        _ => false,
    }
}

/// Runs an insert and turns a unique violation into `AlreadyExists`: `keys` pairs a column
/// as SQLite names it with the key to report; the first pair is the fallback.
pub(super) fn insert_unique(
    result: rusqlite::Result<usize>,
    entity: &'static str,
    keys: &[(&str, &str)],
) -> Result<(), GeoDbError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, None) => {
            let key = keys
                .iter()
                .find(|(column, _)| is_unique_violation(&e, Some(column)))
                .or(keys.first())
                .map_or("", |(_, key)| *key);
            Err(GeoDbError::already_exists(entity, key))
        }
        Err(e) => Err(e.into()),
    }
}
