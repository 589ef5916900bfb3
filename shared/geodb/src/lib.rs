//! GeoDB: the database shared by every site, through one async trait with two backends:
//! embedded SQLite (the default) and Cassandra/ScyllaDB (production). Logic that is the same
//! for both (site init, user assignment, setting specificity) is written once in [`ops`].
//! Storage methods never decide policy; conditional writes are the only guarded changes.

pub mod cql;
pub mod cursor;
pub mod error;
pub mod ops;
pub mod sqlite;
mod store;

pub use error::{ConflictKind, GeoDbError, Result};
pub use store::{
    BackendUpdate, GeoDb, GroupFilter, GroupFlags, MoveOutcome, MoveRefusal, Page, PageRequest, SiteUpdate, UserFilter,
    UserMoveOutcome, UserMoveRefusal,
};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to reach GeoDB.
#[derive(Debug, Clone)]
pub enum ConnectOptions {
    Sqlite(SqliteOptions),
    Cql(CqlOptions),
}

/// The embedded backend: one file shared by every process on the machine.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub path: PathBuf,
    /// How long a statement waits for another process's write lock before giving up.
    pub busy_timeout: Duration,
    /// Connections kept open; WAL lets readers run beside the one writer.
    pub pool_size: usize,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), busy_timeout: Duration::from_secs(5), pool_size: 4 }
    }
}

/// Consistency levels the CQL backend may be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CqlConsistency {
    One,
    Quorum,
    LocalQuorum,
    EachQuorum,
    All,
    LocalOne,
}

/// The production backend.
#[derive(Clone)]
pub struct CqlOptions {
    /// Contact points, `host:port`.
    pub nodes: Vec<String>,
    pub keyspace: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Prefer coordinators in this data centre.
    pub local_dc: Option<String>,
    /// Replication per data centre used when the keyspace is created.
    pub replication: Vec<(String, u32)>,
    pub consistency: CqlConsistency,
    /// Serial consistency of lightweight transactions (LOCAL_SERIAL when a local DC is set).
    pub serial_local: bool,
    /// Create the keyspace and tables at start-up (`INIT_GEODB_SCHEMA`).
    pub init_schema: bool,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for CqlOptions {
    // The password never reaches a log line through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CqlOptions")
            .field("nodes", &self.nodes)
            .field("keyspace", &self.keyspace)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("local_dc", &self.local_dc)
            .field("replication", &self.replication)
            .field("consistency", &self.consistency)
            .field("serial_local", &self.serial_local)
            .field("init_schema", &self.init_schema)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Opens GeoDB (running schema migrations or initialisation as configured).
pub async fn connect(options: &ConnectOptions) -> Result<Arc<dyn GeoDb>> {
    match options {
        ConnectOptions::Sqlite(o) => Ok(Arc::new(sqlite::SqliteGeoDb::open(o.clone()).await?)),
        ConnectOptions::Cql(o) => Ok(Arc::new(cql::CqlGeoDb::connect(o.clone()).await?)),
    }
}
