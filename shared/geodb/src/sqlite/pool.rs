//! A small pool of blocking rusqlite connections driven from async code: a semaphore bounds
//! the connections in use, idle ones wait in a list, and every statement runs on the blocking
//! thread pool. Connections are opened lazily, so one lost to a panic is simply replaced.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::error::{GeoDbError, Result};

/// Enough for every statement of the backend, so hot statements are never re-prepared.
const STATEMENT_CACHE: usize = 64;

pub(super) struct Pool {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    pub(super) fn new(path: PathBuf, busy_timeout: Duration, size: usize, first: Connection) -> Self {
        Self { path, busy_timeout, idle: Mutex::new(vec![first]), permits: Semaphore::new(size.max(1)) }
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit =
            self.permits.acquire().await.map_err(|_| GeoDbError::Unavailable("sqlite pool is closed".into()))?;
        let idle = self.take_idle();
        let (path, busy_timeout) = (self.path.clone(), self.busy_timeout);
        let task = tokio::task::spawn_blocking(move || {
            let mut conn = match idle {
                Some(conn) => conn,
                None => connect(&path, busy_timeout)?,
            };
            let result = f(&mut conn);
            Ok::<_, GeoDbError>((conn, result))
        });
        let (conn, result) = task.await.map_err(|e| GeoDbError::Internal(format!("sqlite task failed: {e}")))??;
        // A connection left inside a transaction would leak its locks into the next caller.
        if conn.is_autocommit() {
            self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(conn);
        }
        result
    }

    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop()
    }
}

/// Opens and configures one connection. `journal_mode` is a property of the file and set once
/// by `open`; the settings here are per connection.
pub(super) fn connect(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    // WAL with synchronous=NORMAL stays consistent after a crash; only the last commits before a
    // power loss may be lost, which every writer here tolerates (they are idempotent).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
