//! Versioned schema migrations. Each version is a `.sql` file applied once, recorded in
//! `schema_migrations`; all pending versions run in one `BEGIN IMMEDIATE` transaction so two
//! processes opening a fresh file cannot both migrate (the second waits, then sees them applied).

use chrono::Utc;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::{GeoDbError, Result};

/// Migrations in order; a version is never edited once released, only followed by another.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("migrations/0001_initial.sql"))];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 1;

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    applied_at INTEGER NOT NULL
)";

/// Applies the pending migrations; returns the versions this call applied.
pub(super) fn migrate(conn: &mut Connection) -> Result<Vec<i64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(CREATE_MIGRATIONS_TABLE)?;
    let current: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        // An older binary must not write into a schema it does not know.
        return Err(GeoDbError::Internal(format!(
            "database schema version {current} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, Utc::now().timestamp_millis()),
        )?;
        applied.push(*version);
    }
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|(v, _)| *v), Some(SCHEMA_VERSION));
    }
}
