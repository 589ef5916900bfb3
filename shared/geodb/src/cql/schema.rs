//! The keyspace and tables, created only when `init_schema` is on. The DDL builders are pure so
//! tests can check them without a cluster; the keyspace name is validated before it is ever
//! interpolated into CQL.

use scylla::client::session::Session;

use crate::CqlOptions;
use crate::error::{GeoDbError, Result};

/// Stats rows expire on their own: the controller reads minutes to hours of history, and old
/// rows would otherwise need the manual clean-up Palomar documents.
pub const STATS_TTL_SECS: u32 = 7 * 24 * 3600;

const MAX_KEYSPACE_LEN: usize = 48;

/// `[a-z_][a-z0-9_]{0,47}`: unquoted CQL identifiers fold case, so only lower case is taken.
pub fn validate_keyspace(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= MAX_KEYSPACE_LEN {
        Ok(())
    } else {
        Err(GeoDbError::Internal(format!("invalid cql keyspace name {name:?}: expected [a-z_][a-z0-9_]{{0,47}}")))
    }
}

/// `CREATE KEYSPACE IF NOT EXISTS` with one replication factor per data centre, or a single
/// replica (SimpleStrategy) when none is configured, as for a development node.
pub fn keyspace_ddl(options: &CqlOptions) -> Result<String> {
    validate_keyspace(&options.keyspace)?;
    let replication = if options.replication.is_empty() {
        "{'class': 'SimpleStrategy', 'replication_factor': 1}".to_owned()
    } else {
        let mut parts = vec!["'class': 'NetworkTopologyStrategy'".to_owned()];
        for (dc, factor) in &options.replication {
            if dc.is_empty() || dc.chars().any(char::is_control) {
                return Err(GeoDbError::Internal(format!("invalid data centre name {dc:?} in cql replication")));
            }
            parts.push(format!("'{}': {factor}", dc.replace('\'', "''")));
        }
        format!("{{{}}}", parts.join(", "))
    };
    Ok(format!("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {replication}", options.keyspace))
}

const TABLES: &[&str] = &[
    "sites (id uuid PRIMARY KEY, name text, tag uuid, load_balancer text, status text)",
    "sites_by_name (name text PRIMARY KEY, id uuid)",
    "tags (id uuid PRIMARY KEY, name text)",
    "tags_by_name (name text PRIMARY KEY, id uuid)",
    "backends (id uuid PRIMARY KEY, site_id uuid, host text, status text, load_factor int)",
    "backends_by_host (host text PRIMARY KEY, id uuid)",
    "backends_by_site (site_id uuid, host text, id uuid, PRIMARY KEY ((site_id), host))",
    "user_groups (site_id uuid, name text, backend_id uuid, alt_backend_id uuid, moving text, \
        sticky_users boolean, sticky_backend boolean, last_moved_at timestamp, PRIMARY KEY ((site_id), name))",
    "users (name text PRIMARY KEY, site_id uuid, group_name text, failover_group text, moving_site_id uuid, \
        moving_group text, moving_failover_group text)",
    // One partition per (site, group) keeps partitions bounded by the group size; unassigned
    // users live under group_name ''.
    "users_by_group (site_id uuid, group_name text, name text, failover_group text, moving_site_id uuid, \
        moving_group text, moving_failover_group text, PRIMARY KEY ((site_id, group_name), name))",
    // Every users_by_group partition a site may have, so listings need no table scan and still
    // find users whose group row is missing.
    "user_partitions (site_id uuid, group_name text, PRIMARY KEY ((site_id), group_name))",
    "proxy_dest_stats (site_id uuid, hour timestamp, window_start timestamp, backend_id uuid, protocol text, \
        proxy text, window_secs int, successes bigint, failures bigint, \
        PRIMARY KEY ((site_id, hour), window_start, backend_id, protocol, proxy)) \
        WITH default_time_to_live = {stats_ttl} AND compaction = {'class': 'TimeWindowCompactionStrategy', \
        'compaction_window_unit': 'HOURS', 'compaction_window_size': 6}",
    // The hours a site has stats in, so reads and site deletion never scan the stats table.
    // Rewritten with every upsert, it expires no earlier than the rows it points to.
    "proxy_dest_stats_hours (site_id uuid, hour timestamp, PRIMARY KEY ((site_id), hour)) \
        WITH default_time_to_live = {stats_ttl}",
    "cluster_settings (scope_kind text, scope_id text, name text, value text, \
        PRIMARY KEY ((scope_kind, scope_id), name))",
    "site_reachability (src_site_id uuid, dest_site_id uuid, reachable boolean, updated_at timestamp, \
        PRIMARY KEY ((src_site_id), dest_site_id))",
    "api_tokens (secret_hash text PRIMARY KEY, id uuid, name text, role text, created_at timestamp)",
    "api_tokens_by_id (id uuid PRIMARY KEY, secret_hash text)",
];

/// `CREATE TABLE IF NOT EXISTS` for every table, qualified with the keyspace.
pub fn table_ddl(keyspace: &str) -> Result<Vec<String>> {
    validate_keyspace(keyspace)?;
    Ok(TABLES
        .iter()
        .map(|table| {
            format!("CREATE TABLE IF NOT EXISTS {keyspace}.{table}").replace("{stats_ttl}", &STATS_TTL_SECS.to_string())
        })
        .collect())
}

/// Creates what is missing, one statement at a time: concurrent DDL on one table can leave
/// nodes disagreeing about its id.
pub(super) async fn create(session: &Session, options: &CqlOptions) -> Result<()> {
    session.query_unpaged(keyspace_ddl(options)?, ()).await?;
    for ddl in table_ddl(&options.keyspace)? {
        session.query_unpaged(ddl, ()).await?;
    }
    session.await_schema_agreement().await?;
    tracing::info!(keyspace = %options.keyspace, "geodb cql schema ready");
    Ok(())
}
