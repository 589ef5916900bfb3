//! Every CQL statement the backend runs, prepared once at connect. Statements without an `IF`
//! are marked idempotent so the driver may retry them; lightweight transactions never are,
//! because a retried one can report "not applied" for its own first attempt.

use futures::{StreamExt, TryStreamExt};
use scylla::client::session::Session;
use scylla::statement::Consistency;
use scylla::statement::prepared::PreparedStatement;

use crate::error::{GeoDbError, Result};

/// Rows fetched per round trip when a listing filters rows in Rust and may stop early.
const FILTERED_PAGE_SIZE: i32 = 500;

const GROUP_COLUMNS: &str =
    "site_id, name, backend_id, alt_backend_id, moving, sticky_users, sticky_backend, last_moved_at";
const USER_COLUMNS: &str =
    "name, site_id, group_name, failover_group, moving_site_id, moving_group, moving_failover_group";

macro_rules! statements {
    ($($name:ident = $cql:expr;)*) => {
        pub(super) struct Statements {
            $(pub(super) $name: PreparedStatement,)*
        }

        impl Statements {
            fn texts() -> Vec<String> {
                vec![$($cql.to_string(),)*]
            }

            fn assemble(prepared: Vec<PreparedStatement>) -> Result<Self> {
                let mut prepared = prepared.into_iter();
                Ok(Self {
                    $($name: prepared.next().ok_or_else(|| {
                        GeoDbError::Internal(concat!("statement not prepared: ", stringify!($name)).into())
                    })?,)*
                })
            }
        }
    };
}

statements! {
    ping = "SELECT release_version FROM system.local";

    tag_insert = "INSERT INTO tags (id, name) VALUES (?, ?) IF NOT EXISTS";
    tag_name_claim = "INSERT INTO tags_by_name (name, id) VALUES (?, ?) IF NOT EXISTS";
    tag_name_release = "DELETE FROM tags_by_name WHERE name = ? IF id = ?";
    tag_get = "SELECT id, name FROM tags WHERE id = ?";
    tag_by_name = "SELECT id FROM tags_by_name WHERE name = ?";
    tag_all = "SELECT id, name FROM tags";
    tag_rename = "UPDATE tags SET name = ? WHERE id = ? IF name = ?";
    tag_delete = "DELETE FROM tags WHERE id = ? IF EXISTS";

    site_insert = "INSERT INTO sites (id, name, tag, load_balancer, status) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS";
    site_name_claim = "INSERT INTO sites_by_name (name, id) VALUES (?, ?) IF NOT EXISTS";
    site_name_release = "DELETE FROM sites_by_name WHERE name = ? IF id = ?";
    site_get = "SELECT id, name, tag, load_balancer, status FROM sites WHERE id = ?";
    site_by_name = "SELECT id FROM sites_by_name WHERE name = ?";
    site_all = "SELECT id, name, tag, load_balancer, status FROM sites";
    site_update = "UPDATE sites SET name = ?, tag = ?, load_balancer = ?, status = ? WHERE id = ? IF name = ?";
    site_delete = "DELETE FROM sites WHERE id = ? IF EXISTS";

    backend_insert =
        "INSERT INTO backends (id, site_id, host, status, load_factor) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS";
    backend_host_claim = "INSERT INTO backends_by_host (host, id) VALUES (?, ?) IF NOT EXISTS";
    backend_host_release = "DELETE FROM backends_by_host WHERE host = ? IF id = ?";
    backend_get = "SELECT id, site_id, host, status, load_factor FROM backends WHERE id = ?";
    backend_by_host = "SELECT id FROM backends_by_host WHERE host = ?";
    backend_all = "SELECT id, site_id, host, status, load_factor FROM backends";
    backend_update = "UPDATE backends SET status = ?, load_factor = ? WHERE id = ? IF EXISTS";
    backend_delete = "DELETE FROM backends WHERE id = ? IF EXISTS";
    backend_site_add = "INSERT INTO backends_by_site (site_id, host, id) VALUES (?, ?, ?)";
    backend_site_remove = "DELETE FROM backends_by_site WHERE site_id = ? AND host = ?";
    backend_site_list = "SELECT id FROM backends_by_site WHERE site_id = ?";

    group_insert = format!("INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS");
    group_get = format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE site_id = ? AND name = ?");
    group_get_serial = format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE site_id = ? AND name = ?");
    group_after = format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE site_id = ? AND name > ?");
    group_from = format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE site_id = ? AND name >= ?");
    group_flags = "UPDATE user_groups SET sticky_users = ?, sticky_backend = ? WHERE site_id = ? AND name = ? IF EXISTS";
    group_delete = "DELETE FROM user_groups WHERE site_id = ? AND name = ? IF moving = null";
    group_site_delete = "DELETE FROM user_groups WHERE site_id = ?";
    group_move_start = "UPDATE user_groups SET alt_backend_id = ?, moving = ? WHERE site_id = ? AND name = ? \
        IF moving = null AND backend_id = ?";
    group_move_finish = "UPDATE user_groups SET backend_id = ?, alt_backend_id = ?, moving = null, last_moved_at = ? \
        WHERE site_id = ? AND name = ? IF moving = ? AND backend_id = ? AND alt_backend_id = ?";
    group_move_abort = "UPDATE user_groups SET moving = null, alt_backend_id = null WHERE site_id = ? AND name = ? \
        IF moving = ?";

    user_insert = format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS");
    user_get = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?");
    user_get_serial = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?");
    user_delete = "DELETE FROM users WHERE name = ? IF site_id = ? AND group_name = ?";
    user_set_group = "UPDATE users SET group_name = ?, moving_site_id = null, moving_group = null, \
        moving_failover_group = null WHERE name = ? IF site_id = ? AND group_name = ?";
    user_move_start = "UPDATE users SET moving_site_id = ?, moving_group = ?, moving_failover_group = ? \
        WHERE name = ? IF moving_group = null AND moving_site_id = null AND group_name = ?";
    user_move_finish = "UPDATE users SET site_id = ?, group_name = ?, failover_group = ?, moving_site_id = null, \
        moving_group = null, moving_failover_group = null WHERE name = ? \
        IF site_id = ? AND group_name = ? AND moving_site_id = ? AND moving_group = ? AND moving_failover_group = ?";
    user_move_abort = "UPDATE users SET moving_site_id = null, moving_group = null, moving_failover_group = null \
        WHERE name = ? IF site_id = ? AND group_name = ? AND moving_site_id = ? AND moving_group = ?";
    user_index_put = format!("INSERT INTO users_by_group ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)");
    user_index_delete = "DELETE FROM users_by_group WHERE site_id = ? AND group_name = ? AND name = ?";
    user_index_page = format!(
        "SELECT {USER_COLUMNS} FROM users_by_group WHERE site_id = ? AND group_name = ? AND name > ? LIMIT ?"
    );
    user_partition_add = "INSERT INTO user_partitions (site_id, group_name) VALUES (?, ?)";
    user_partition_list = "SELECT group_name FROM user_partitions WHERE site_id = ?";
    user_partition_site_delete = "DELETE FROM user_partitions WHERE site_id = ?";

    stat_upsert = "INSERT INTO proxy_dest_stats (site_id, hour, window_start, backend_id, protocol, proxy, \
        window_secs, successes, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    stat_read = "SELECT site_id, window_start, backend_id, protocol, proxy, window_secs, successes, failures \
        FROM proxy_dest_stats WHERE site_id = ? AND hour = ? AND window_start >= ? AND window_start < ?";

    stat_hour_add = "INSERT INTO proxy_dest_stats_hours (site_id, hour) VALUES (?, ?)";
    stat_hours = "SELECT hour FROM proxy_dest_stats_hours WHERE site_id = ? AND hour >= ? AND hour < ?";
    stat_hours_all = "SELECT hour FROM proxy_dest_stats_hours WHERE site_id = ?";
    stat_hour_delete = "DELETE FROM proxy_dest_stats WHERE site_id = ? AND hour = ?";
    stat_hours_delete = "DELETE FROM proxy_dest_stats_hours WHERE site_id = ?";

    setting_put = "INSERT INTO cluster_settings (scope_kind, scope_id, name, value) VALUES (?, ?, ?, ?)";
    setting_get = "SELECT scope_kind, scope_id, name, value FROM cluster_settings \
        WHERE scope_kind = ? AND scope_id = ? AND name = ?";
    setting_delete = "DELETE FROM cluster_settings WHERE scope_kind = ? AND scope_id = ? AND name = ? IF EXISTS";
    setting_scope = "SELECT scope_kind, scope_id, name, value FROM cluster_settings WHERE scope_kind = ? AND scope_id = ?";
    setting_all = "SELECT scope_kind, scope_id, name, value FROM cluster_settings";
    setting_scope_delete = "DELETE FROM cluster_settings WHERE scope_kind = ? AND scope_id = ?";

    reach_put = "INSERT INTO site_reachability (src_site_id, dest_site_id, reachable, updated_at) VALUES (?, ?, ?, ?)";
    reach_src = "SELECT src_site_id, dest_site_id, reachable, updated_at FROM site_reachability WHERE src_site_id = ?";
    reach_all = "SELECT src_site_id, dest_site_id, reachable, updated_at FROM site_reachability";
    reach_src_delete = "DELETE FROM site_reachability WHERE src_site_id = ?";
    reach_delete = "DELETE FROM site_reachability WHERE src_site_id = ? AND dest_site_id = ?";

    token_insert = "INSERT INTO api_tokens (secret_hash, id, name, role, created_at) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS";
    token_id_claim = "INSERT INTO api_tokens_by_id (id, secret_hash) VALUES (?, ?) IF NOT EXISTS";
    token_id_release = "DELETE FROM api_tokens_by_id WHERE id = ? IF secret_hash = ?";
    token_find = "SELECT secret_hash, id, name, role, created_at FROM api_tokens WHERE secret_hash = ?";
    token_all = "SELECT secret_hash, id, name, role, created_at FROM api_tokens";
    token_by_id = "SELECT secret_hash FROM api_tokens_by_id WHERE id = ?";
    token_delete = "DELETE FROM api_tokens WHERE secret_hash = ? IF id = ?";
    token_id_delete = "DELETE FROM api_tokens_by_id WHERE id = ? IF EXISTS";
}

impl Statements {
    /// Prepares everything (a few at a time: each is a round trip) against the session's
    /// current keyspace. `consistency` is the configured level, `serial_read` the level of
    /// reads that must see the latest lightweight transaction.
    pub(super) async fn prepare(session: &Session, consistency: Consistency, serial_read: Consistency) -> Result<Self> {
        let prepared: Vec<PreparedStatement> = futures::stream::iter(Self::texts())
            .map(|text| async move {
                let mut statement = session.prepare(text.as_str()).await?;
                statement.set_is_idempotent(!text.contains(" IF "));
                // ScyllaDB accepts EACH_QUORUM for writes only. QUORUM reads still overlap
                // every EACH_QUORUM write, so reads keep seeing them.
                if consistency == Consistency::EachQuorum && text.starts_with("SELECT") {
                    statement.set_consistency(Consistency::Quorum);
                }
                Ok::<_, GeoDbError>(statement)
            })
            .buffered(8)
            .try_collect()
            .await?;
        let mut st = Self::assemble(prepared)?;
        st.group_get_serial.set_consistency(serial_read);
        st.user_get_serial.set_consistency(serial_read);
        st.group_after.set_page_size(FILTERED_PAGE_SIZE);
        st.group_from.set_page_size(FILTERED_PAGE_SIZE);
        Ok(st)
    }
}
