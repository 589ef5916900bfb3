//! The small tables: proxy destination statistics, cluster settings, site reachability and
//! API tokens. Plain upserts and reads; nothing here is conditional.

use chrono::{DateTime, Utc};
use domain::{ProxyDestStat, Setting, SettingName, SettingScope, SiteId, SiteReachability, TokenRecord};
use rusqlite::{Connection, TransactionBehavior, params};
use uuid::Uuid;

use super::errors::insert_unique;
use super::rows::{self, REACHABILITY_COLUMNS, SETTING_COLUMNS, STAT_COLUMNS, TOKEN_COLUMNS};
use crate::error::Result;

pub(super) fn upsert_stats(c: &mut Connection, stats: &[ProxyDestStat]) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO proxy_dest_stats (site_id, proxy, backend_id, protocol, window_start, window_secs, successes,
                                           failures)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (site_id, proxy, backend_id, protocol, window_start) DO UPDATE
             SET window_secs = excluded.window_secs, successes = excluded.successes, failures = excluded.failures",
        )?;
        for s in stats {
            stmt.execute(params![
                s.site_id.to_string(),
                s.proxy.as_str(),
                s.backend_id.to_string(),
                s.protocol.as_str(),
                rows::millis(s.window_start),
                s.window_secs,
                rows::counter(s.successes),
                rows::counter(s.failures),
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn read_stats(
    c: &Connection,
    site: SiteId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ProxyDestStat>> {
    let mut stats = rows::all(
        c,
        &format!(
            "SELECT {STAT_COLUMNS} FROM proxy_dest_stats
             WHERE site_id = ?1 AND window_start >= ?2 AND window_start < ?3"
        ),
        params![site.to_string(), rows::millis(since), rows::millis(until)],
        rows::stat,
    )?;
    // Sorted by the model's own orders (Protocol's is not its text's), as the CQL backend does.
    stats.sort_by(|a, b| {
        (a.window_start, a.backend_id, a.protocol, &a.proxy).cmp(&(b.window_start, b.backend_id, b.protocol, &b.proxy))
    });
    Ok(stats)
}

pub(super) fn put_setting(c: &Connection, s: &Setting) -> Result<()> {
    let (kind, id) = rows::scope_key(s.scope);
    c.prepare_cached(
        "INSERT INTO cluster_settings (scope_kind, scope_id, name, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope_kind, scope_id, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![kind, id, s.name.as_str(), s.value])?;
    Ok(())
}

pub(super) fn get_setting(c: &Connection, scope: SettingScope, name: &SettingName) -> Result<Option<Setting>> {
    let (kind, id) = rows::scope_key(scope);
    rows::first(
        c,
        &format!(
            "SELECT {SETTING_COLUMNS} FROM cluster_settings WHERE scope_kind = ?1 AND scope_id = ?2 AND name = ?3"
        ),
        params![kind, id, name.as_str()],
        rows::setting,
    )
}

pub(super) fn delete_setting(c: &Connection, scope: SettingScope, name: &SettingName) -> Result<bool> {
    let (kind, id) = rows::scope_key(scope);
    let deleted = c
        .prepare_cached("DELETE FROM cluster_settings WHERE scope_kind = ?1 AND scope_id = ?2 AND name = ?3")?
        .execute(params![kind, id, name.as_str()])?;
    Ok(deleted > 0)
}

pub(super) fn list_settings(c: &Connection, scope: Option<SettingScope>) -> Result<Vec<Setting>> {
    match scope {
        Some(scope) => {
            let (kind, id) = rows::scope_key(scope);
            rows::all(
                c,
                &format!(
                    "SELECT {SETTING_COLUMNS} FROM cluster_settings WHERE scope_kind = ?1 AND scope_id = ?2
                     ORDER BY name"
                ),
                params![kind, id],
                rows::setting,
            )
        }
        // SettingScope's order: global, then sites, then backends; ids as hyphenated lower-case
        // text sort like the UUIDs' bytes.
        None => rows::all(
            c,
            &format!(
                "SELECT {SETTING_COLUMNS} FROM cluster_settings
                 ORDER BY CASE scope_kind WHEN 'global' THEN 0 WHEN 'site' THEN 1 ELSE 2 END, scope_id, name"
            ),
            [],
            rows::setting,
        ),
    }
}

pub(super) fn put_reachability(c: &Connection, r: &SiteReachability) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO site_reachability (src_site_id, dest_site_id, reachable, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (src_site_id, dest_site_id) DO UPDATE
         SET reachable = excluded.reachable, updated_at = excluded.updated_at",
    )?
    .execute(params![
        r.src_site_id.to_string(),
        r.dest_site_id.to_string(),
        r.reachable,
        rows::millis(r.updated_at)
    ])?;
    Ok(())
}

pub(super) fn list_reachability(
    c: &Connection,
    src: Option<SiteId>,
    dest: Option<SiteId>,
) -> Result<Vec<SiteReachability>> {
    rows::all(
        c,
        &format!(
            "SELECT {REACHABILITY_COLUMNS} FROM site_reachability
             WHERE (?1 IS NULL OR src_site_id = ?1) AND (?2 IS NULL OR dest_site_id = ?2)
             ORDER BY src_site_id, dest_site_id"
        ),
        params![src.map(|s| s.to_string()), dest.map(|s| s.to_string())],
        rows::reachability,
    )
}

pub(super) fn insert_token(c: &Connection, t: &TokenRecord) -> Result<()> {
    let id = t.id.to_string();
    let result = c
        .prepare_cached("INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut s| s.execute(params![id, t.name, t.role.as_str(), t.secret_hash, rows::millis(t.created_at)]));
    // The hash is a secret's digest: report the token's id, never the hash.
    insert_unique(result, "token", &[("api_tokens.id", &id), ("api_tokens.secret_hash", "with this secret hash")])
}

pub(super) fn find_token(c: &Connection, secret_hash: &str) -> Result<Option<TokenRecord>> {
    rows::first(
        c,
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = ?1"),
        [secret_hash],
        rows::token,
    )
}

pub(super) fn list_tokens(c: &Connection) -> Result<Vec<TokenRecord>> {
    rows::all(c, &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id"), [], rows::token)
}

pub(super) fn delete_token(c: &Connection, id: Uuid) -> Result<bool> {
    let deleted = c.prepare_cached("DELETE FROM api_tokens WHERE id = ?1")?.execute([id.to_string()])?;
    Ok(deleted > 0)
}
