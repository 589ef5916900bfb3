//! Row mapping between SQLite columns and the domain model. Every stored value is parsed back
//! through the model's own validation; one that does not parse is reported as `Corrupt`,
//! never skipped or replaced by a default.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use domain::{
    Backend, BackendId, LoadFactor, ProxyDestStat, Setting, SettingScope, Site, SiteId, SiteReachability, Tag, TagId,
    TokenRecord, User, UserGroup,
};
use rusqlite::{Connection, Params, Row};
use uuid::Uuid;

use crate::error::{GeoDbError, Result};

pub(super) const TAG_COLUMNS: &str = "id, name";
pub(super) const SITE_COLUMNS: &str = "id, name, tag_id, load_balancer, status";
pub(super) const BACKEND_COLUMNS: &str = "id, site_id, host, status, load_factor";
pub(super) const GROUP_COLUMNS: &str =
    "site_id, name, backend_id, alt_backend_id, moving, sticky_users, sticky_backend, last_moved_at";
pub(super) const USER_COLUMNS: &str =
    "name, site_id, group_name, failover_group, moving_site_id, moving_group, moving_failover_group";
pub(super) const STAT_COLUMNS: &str =
    "site_id, proxy, backend_id, protocol, window_start, window_secs, successes, failures";
pub(super) const SETTING_COLUMNS: &str = "scope_kind, scope_id, name, value";
pub(super) const REACHABILITY_COLUMNS: &str = "src_site_id, dest_site_id, reachable, updated_at";
pub(super) const TOKEN_COLUMNS: &str = "id, name, role, secret_hash, created_at";

/// All rows of a query, each mapped by `map`.
pub(super) fn all<T>(conn: &Connection, sql: &str, params: impl Params, map: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first row of a query, if any.
pub(super) fn first<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(map).transpose()
}

pub(super) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Counters are u64 in the model and INTEGER (i64) here; beyond i64::MAX they saturate, which
/// no real counter reaches.
pub(super) fn counter(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn parse<T: FromStr>(row: &Row, idx: usize) -> Result<T>
where
    T::Err: Display,
{
    let value: String = row.get(idx)?;
    value.parse().map_err(|e| corrupt(row, idx, &value, e))
}

fn parse_opt<T: FromStr>(row: &Row, idx: usize) -> Result<Option<T>>
where
    T::Err: Display,
{
    let value: Option<String> = row.get(idx)?;
    value.map(|v| v.parse().map_err(|e| corrupt(row, idx, &v, e))).transpose()
}

fn time(row: &Row, idx: usize) -> Result<DateTime<Utc>> {
    let ms: i64 = row.get(idx)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(row, idx, &ms, "timestamp out of range"))
}

fn time_opt(row: &Row, idx: usize) -> Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = row.get(idx)?;
    ms.map(|ms| DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(row, idx, &ms, "timestamp out of range")))
        .transpose()
}

fn unsigned<T: TryFrom<i64>>(row: &Row, idx: usize) -> Result<T> {
    let n: i64 = row.get(idx)?;
    T::try_from(n).map_err(|_| corrupt(row, idx, &n, "out of range"))
}

fn corrupt(row: &Row, idx: usize, value: &dyn std::fmt::Debug, e: impl Display) -> GeoDbError {
    let column = row.as_ref().column_name(idx).unwrap_or("?");
    GeoDbError::corrupt(format!("{column} {value:?}: {e}"))
}

pub(super) fn tag(row: &Row) -> Result<Tag> {
    Ok(Tag { id: TagId(parse::<Uuid>(row, 0)?), name: parse(row, 1)? })
}

pub(super) fn site(row: &Row) -> Result<Site> {
    Ok(Site {
        id: SiteId(parse(row, 0)?),
        name: parse(row, 1)?,
        tag: parse_opt::<Uuid>(row, 2)?.map(TagId),
        load_balancer: parse_opt(row, 3)?,
        status: parse(row, 4)?,
    })
}

pub(super) fn backend(row: &Row) -> Result<Backend> {
    let load: i64 = row.get(4)?;
    Ok(Backend {
        id: BackendId(parse(row, 0)?),
        site_id: SiteId(parse(row, 1)?),
        host: parse(row, 2)?,
        status: parse(row, 3)?,
        load_factor: LoadFactor::new(load).map_err(|e| corrupt(row, 4, &load, e))?,
    })
}

pub(super) fn group(row: &Row) -> Result<UserGroup> {
    Ok(UserGroup {
        site_id: SiteId(parse(row, 0)?),
        name: parse(row, 1)?,
        backend_id: BackendId(parse(row, 2)?),
        alt_backend_id: parse_opt::<Uuid>(row, 3)?.map(BackendId),
        moving: row.get(4)?,
        sticky_users: row.get(5)?,
        sticky_backend: row.get(6)?,
        last_moved_at: time_opt(row, 7)?,
    })
}

pub(super) fn user(row: &Row) -> Result<User> {
    let group: String = row.get(2)?;
    Ok(User {
        name: parse(row, 0)?,
        site_id: SiteId(parse(row, 1)?),
        group: if group.is_empty() { None } else { Some(group.parse().map_err(|e| corrupt(row, 2, &group, e))?) },
        failover_group: parse_opt(row, 3)?,
        moving_site_id: parse_opt::<Uuid>(row, 4)?.map(SiteId),
        moving_group: parse_opt(row, 5)?,
        moving_failover_group: parse_opt(row, 6)?,
    })
}

pub(super) fn stat(row: &Row) -> Result<ProxyDestStat> {
    Ok(ProxyDestStat {
        site_id: SiteId(parse(row, 0)?),
        proxy: parse(row, 1)?,
        backend_id: BackendId(parse(row, 2)?),
        protocol: parse(row, 3)?,
        window_start: time(row, 4)?,
        window_secs: unsigned(row, 5)?,
        successes: unsigned(row, 6)?,
        failures: unsigned(row, 7)?,
    })
}

/// The (scope_kind, scope_id) columns of a scope; the global scope has id ''.
pub(super) fn scope_key(scope: SettingScope) -> (&'static str, String) {
    let id = match scope {
        SettingScope::Global => String::new(),
        SettingScope::Site(id) => id.0.to_string(),
        SettingScope::Backend(id) => id.0.to_string(),
    };
    (scope.kind(), id)
}

pub(super) fn setting(row: &Row) -> Result<Setting> {
    let kind: String = row.get(0)?;
    let scope = match kind.as_str() {
        "global" => SettingScope::Global,
        "site" => SettingScope::Site(SiteId(parse(row, 1)?)),
        "backend" => SettingScope::Backend(BackendId(parse(row, 1)?)),
        _ => return Err(corrupt(row, 0, &kind, "unknown scope")),
    };
    Ok(Setting { scope, name: parse(row, 2)?, value: row.get(3)? })
}

pub(super) fn reachability(row: &Row) -> Result<SiteReachability> {
    Ok(SiteReachability {
        src_site_id: SiteId(parse(row, 0)?),
        dest_site_id: SiteId(parse(row, 1)?),
        reachable: row.get(2)?,
        updated_at: time(row, 3)?,
    })
}

pub(super) fn token(row: &Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: parse(row, 0)?,
        name: row.get(1)?,
        role: parse(row, 2)?,
        secret_hash: row.get(3)?,
        created_at: time(row, 4)?,
    })
}
