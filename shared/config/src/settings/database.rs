//! GeoDB: where it is, how it is reached, and whether the controller creates its schema.

use super::*;

pub static GEODB_URL: Setting<GeoDbUrl> = Setting::new(
    "GEODB_URL",
    "`sqlite://PATH` (relative paths allowed) or `cql://host:port[,host:port...]/keyspace` (port defaults to 9042).",
    url::geodb_url,
)
.default("sqlite://./data/geodb.sqlite")
.sensitivity(Sensitivity::UrlCredentials)
.services(GEODB_USERS);
pub static GEODB_SQLITE_BUSY_TIMEOUT_MS: Setting<u64> = Setting::new(
    "GEODB_SQLITE_BUSY_TIMEOUT_MS",
    "How long an SQLite statement waits for another process's write lock (0 to 600000).",
    |s| parse::integer(s, 0, 600_000),
)
.default("5000")
.kind(Kind::Integer)
.services(GEODB_USERS);
pub static GEODB_SQLITE_POOL_SIZE: Setting<usize> =
    Setting::new("GEODB_SQLITE_POOL_SIZE", "SQLite connections kept open (1 to 64).", |s| parse::integer(s, 1, 64))
        .default("4")
        .kind(Kind::Integer)
        .services(GEODB_USERS);
pub static GEODB_CQL_USERNAME: Setting<String> =
    Setting::new("GEODB_CQL_USERNAME", "CQL user name.", parse::text).services(GEODB_USERS);
pub static GEODB_CQL_PASSWORD: Setting<Secret> = Setting::new("GEODB_CQL_PASSWORD", "CQL password.", parse::secret)
    .sensitivity(Sensitivity::Secret)
    .services(GEODB_USERS);
pub static GEODB_CQL_LOCAL_DC: Setting<String> = Setting::new(
    "GEODB_CQL_LOCAL_DC",
    "Data centre whose coordinators are preferred; enables LOCAL_SERIAL for conditional writes.",
    parse::dc_name,
)
.services(GEODB_USERS);
pub static GEODB_CQL_REPLICATION: Setting<Vec<(String, u32)>> = Setting::new(
    "GEODB_CQL_REPLICATION",
    "Replication per data centre when the keyspace is created, e.g. `dc1:3,dc2:3`; unset: the backend's default.",
    parse::replication,
)
.services(GEODB_USERS);
pub static GEODB_CQL_CONSISTENCY: Setting<CqlConsistency> = Setting::new(
    "GEODB_CQL_CONSISTENCY",
    "one, quorum, local_quorum, each_quorum, all or local_one; unset: local_quorum when a local DC is set, else quorum.",
    parse::consistency,
)
.services(GEODB_USERS);
pub static GEODB_CQL_REQUEST_TIMEOUT_MS: Setting<u64> =
    Setting::new("GEODB_CQL_REQUEST_TIMEOUT_MS", "Timeout of one CQL request (1 to 600000).", |s| {
        parse::integer(s, 1, 600_000)
    })
    .default("5000")
    .kind(Kind::Integer)
    .services(GEODB_USERS);
pub static INIT_GEODB_SCHEMA: Setting<bool> =
    Setting::new("INIT_GEODB_SCHEMA", "Create the CQL keyspace and tables at start-up.", parse::boolean)
        .default("false")
        .kind(Kind::Bool)
        .services(GEODB_USERS);
