//! The embedded GeoDB backend: one SQLite file in WAL mode shared by every process on the
//! machine. Opening creates the file, migrates its schema and fills a small connection pool;
//! multi-statement writes run in `BEGIN IMMEDIATE` transactions so processes never deadlock
//! upgrading a read lock.

mod backends;
mod errors;
mod groups;
mod misc;
mod moves;
mod pool;
mod rows;
mod schema;
mod sites;
mod store;
mod tags;
mod users;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

pub use schema::SCHEMA_VERSION;

use self::pool::Pool;
use crate::SqliteOptions;
use crate::error::{GeoDbError, Result};

/// GeoDB in a SQLite file.
pub struct SqliteGeoDb {
    path: PathBuf,
    pool: Pool,
}

impl fmt::Debug for SqliteGeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteGeoDb").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteGeoDb {
    /// Opens (creating if needed) and migrates the database file. `Unavailable` when the file
    /// cannot be opened or stays locked beyond the busy timeout.
    pub async fn open(options: SqliteOptions) -> Result<Self> {
        let SqliteOptions { path, busy_timeout, pool_size } = options;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| GeoDbError::Unavailable(format!("cannot create directory {}: {e}", parent.display())))?;
        }
        let open_path = path.clone();
        let (conn, applied) = tokio::task::spawn_blocking(move || {
            let mut conn = pool::connect(&open_path, busy_timeout)?;
            enable_wal(&conn, busy_timeout)?;
            let applied = schema::migrate(&mut conn)?;
            Ok::<_, GeoDbError>((conn, applied))
        })
        .await
        .map_err(|e| GeoDbError::Internal(format!("sqlite open task failed: {e}")))??;
        if applied.is_empty() {
            tracing::debug!(path = %path.display(), version = SCHEMA_VERSION, "geodb sqlite opened");
        } else {
            tracing::info!(path = %path.display(), applied = ?applied, version = SCHEMA_VERSION, "geodb sqlite schema migrated");
        }
        let pool = Pool::new(path.clone(), busy_timeout, pool_size, conn);
        Ok(Self { path, pool })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Switches the file to WAL, which persists in the file. The switch needs a moment of
/// exclusive access, and SQLite does not always consult the busy handler for it, so another
/// process opening the same fresh file is waited for here, up to the busy timeout.
fn enable_wal(conn: &Connection, busy_timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + busy_timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                // Some file systems cannot do WAL; SQLite then keeps a rollback journal, which is
                // slower but correct.
                tracing::warn!(journal_mode = %mode, "geodb sqlite could not switch to wal");
                return Ok(());
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
