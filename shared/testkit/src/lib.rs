//! Helpers for tests that use the real parts: a fresh SQLite GeoDB per test, waiting on a
//! condition with a deadline (never a bare sleep), and the real binaries of the workspace.
//! Nothing here is a fake of something we can run.

pub mod binaries;
pub mod dovecot;
pub mod prometheus;
pub mod redis;
pub mod wait;

pub use binaries::{ChildGuard, binary_path};
pub use redis::{RedisServer, unique_prefix};
pub use wait::{wait_until, wait_until_async};

use std::path::PathBuf;
use std::sync::Arc;

use geodb::{ConnectOptions, GeoDb, SqliteOptions};

/// A GeoDB in its own temporary directory, removed when dropped.
#[derive(Debug)]
pub struct TempGeoDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub db: Arc<dyn GeoDb>,
}

impl TempGeoDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("geodb.sqlite");
        let db = geodb::connect(&ConnectOptions::Sqlite(SqliteOptions::new(&path))).await.expect("open sqlite geodb");
        Self { dir, path, db }
    }

    /// `GEODB_URL` for a process that should open the same database.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    /// Another independent handle on the same file, as a second process would have.
    pub async fn open_again(&self, options: impl FnOnce(&mut SqliteOptions)) -> Arc<dyn GeoDb> {
        let mut o = SqliteOptions::new(&self.path);
        options(&mut o);
        geodb::connect(&ConnectOptions::Sqlite(o)).await.expect("reopen sqlite geodb")
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("bind loopback").port()
}

/// Holds the SQLite write lock, as a stuck writer in another process would: other
/// connections' writes fail with "database is locked" once their busy timeout runs out, while
/// readers carry on (WAL). Released on drop.
pub struct SqliteWriteLock(rusqlite::Connection);

impl std::fmt::Debug for SqliteWriteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteWriteLock")
    }
}

impl TempGeoDb {
    pub fn lock_writes(&self) -> SqliteWriteLock {
        let conn = rusqlite::Connection::open(&self.path).expect("open sqlite for locking");
        conn.execute_batch("PRAGMA busy_timeout=5000; BEGIN IMMEDIATE;").expect("take the write lock");
        SqliteWriteLock(conn)
    }
}

impl Drop for SqliteWriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK;");
    }
}
