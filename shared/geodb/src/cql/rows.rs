//! CQL rows and their mapping to the model. A stored value that does not parse, or a null in a
//! column the model requires, is `Corrupt`: never skipped, never defaulted. Public so the
//! mapping can be tested without a cluster.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use domain::{
    Backend, BackendId, GroupName, LoadFactor, ProxyDestStat, Setting, SettingScope, Site, SiteId, SiteReachability,
    Tag, TagId, TokenRecord, User, UserGroup,
};
use scylla::DeserializeRow;
use scylla::value::CqlTimestamp;
use uuid::Uuid;

use crate::error::{GeoDbError, Result};

/// A required column's value, or `Corrupt` naming the column.
pub fn required<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| GeoDbError::corrupt(format!("{column} is null")))
}

/// Parses stored text with the model's own parser.
pub fn parse<T>(value: &str, column: &str) -> Result<T>
where
    T: FromStr,
    T::Err: Display,
{
    value.parse().map_err(|e| GeoDbError::corrupt(format!("{column} {value:?}: {e}")))
}

/// A group name column where '' (or null) means "no group".
pub fn optional_group(value: Option<&str>, column: &str) -> Result<Option<GroupName>> {
    match value {
        None | Some("") => Ok(None),
        Some(name) => parse(name, column).map(Some),
    }
}

/// CQL timestamps hold milliseconds; finer precision is dropped on write.
pub fn to_timestamp(at: DateTime<Utc>) -> CqlTimestamp {
    CqlTimestamp(at.timestamp_millis())
}

pub fn from_timestamp(ts: CqlTimestamp, column: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ts.0)
        .ok_or_else(|| GeoDbError::corrupt(format!("{column} {} is out of range", ts.0)))
}

pub fn load_factor(value: i32, column: &str) -> Result<LoadFactor> {
    LoadFactor::new(i64::from(value)).map_err(|e| GeoDbError::corrupt(format!("{column} {value}: {e}")))
}

/// A setting scope as its partition key: `('global', '')`, `('site', uuid)`, `('backend', uuid)`.
pub fn scope_key(scope: SettingScope) -> (&'static str, String) {
    let id = match scope {
        SettingScope::Global => String::new(),
        SettingScope::Site(id) => id.to_string(),
        SettingScope::Backend(id) => id.to_string(),
    };
    (scope.kind(), id)
}

pub fn scope_from_key(kind: &str, id: &str) -> Result<SettingScope> {
    match kind {
        "global" if id.is_empty() => Ok(SettingScope::Global),
        "site" => Ok(SettingScope::Site(SiteId(parse(id, "cluster_settings.scope_id")?))),
        "backend" => Ok(SettingScope::Backend(domain::BackendId(parse(id, "cluster_settings.scope_id")?))),
        _ => Err(GeoDbError::corrupt(format!("cluster_settings scope ({kind:?}, {id:?})"))),
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct TagRow {
    pub id: Uuid,
    pub name: Option<String>,
}

impl TagRow {
    pub fn into_model(self) -> Result<Tag> {
        Ok(Tag { id: TagId(self.id), name: parse(&required(self.name, "tags.name")?, "tags.name")? })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub tag: Option<Uuid>,
    pub load_balancer: Option<String>,
    pub status: Option<String>,
}

impl SiteRow {
    pub fn into_model(self) -> Result<Site> {
        Ok(Site {
            id: SiteId(self.id),
            name: parse(&required(self.name, "sites.name")?, "sites.name")?,
            tag: self.tag.map(TagId),
            load_balancer: match self.load_balancer.as_deref() {
                None | Some("") => None,
                Some(host) => Some(parse(host, "sites.load_balancer")?),
            },
            status: parse(&required(self.status, "sites.status")?, "sites.status")?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct BackendRow {
    pub id: Uuid,
    pub site_id: Option<Uuid>,
    pub host: Option<String>,
    pub status: Option<String>,
    pub load_factor: Option<i32>,
}

impl BackendRow {
    pub fn into_model(self) -> Result<Backend> {
        Ok(Backend {
            id: BackendId(self.id),
            site_id: SiteId(required(self.site_id, "backends.site_id")?),
            host: parse(&required(self.host, "backends.host")?, "backends.host")?,
            status: parse(&required(self.status, "backends.status")?, "backends.status")?,
            load_factor: load_factor(required(self.load_factor, "backends.load_factor")?, "backends.load_factor")?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct GroupRow {
    pub site_id: Uuid,
    pub name: String,
    pub backend_id: Option<Uuid>,
    pub alt_backend_id: Option<Uuid>,
    pub moving: Option<String>,
    pub sticky_users: Option<bool>,
    pub sticky_backend: Option<bool>,
    pub last_moved_at: Option<CqlTimestamp>,
}

impl GroupRow {
    /// Flags never written read as unset (false): rows Dovecot creates may lack them.
    pub fn into_model(self) -> Result<UserGroup> {
        Ok(UserGroup {
            site_id: SiteId(self.site_id),
            name: parse(&self.name, "user_groups.name")?,
            backend_id: BackendId(required(self.backend_id, "user_groups.backend_id")?),
            alt_backend_id: self.alt_backend_id.map(BackendId),
            moving: self.moving.filter(|m| !m.is_empty()),
            sticky_users: self.sticky_users.unwrap_or(false),
            sticky_backend: self.sticky_backend.unwrap_or(false),
            last_moved_at: self.last_moved_at.map(|ts| from_timestamp(ts, "user_groups.last_moved_at")).transpose()?,
        })
    }
}

/// A row of `users` or of `users_by_group` (same columns).
#[derive(Debug, Clone, DeserializeRow)]
pub struct UserRow {
    pub name: String,
    pub site_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub failover_group: Option<String>,
    pub moving_site_id: Option<Uuid>,
    pub moving_group: Option<String>,
    pub moving_failover_group: Option<String>,
}

impl UserRow {
    pub fn to_model(&self) -> Result<User> {
        Ok(User {
            name: parse(&self.name, "users.name")?,
            site_id: SiteId(required(self.site_id, "users.site_id")?),
            group: optional_group(self.group_name.as_deref(), "users.group_name")?,
            failover_group: optional_group(self.failover_group.as_deref(), "users.failover_group")?,
            moving_site_id: self.moving_site_id.map(SiteId),
            moving_group: optional_group(self.moving_group.as_deref(), "users.moving_group")?,
            moving_failover_group: optional_group(
                self.moving_failover_group.as_deref(),
                "users.moving_failover_group",
            )?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct StatRow {
    pub site_id: Uuid,
    pub window_start: CqlTimestamp,
    pub backend_id: Uuid,
    pub protocol: String,
    pub proxy: String,
    pub window_secs: Option<i32>,
    pub successes: Option<i64>,
    pub failures: Option<i64>,
}

impl StatRow {
    pub fn into_model(self) -> Result<ProxyDestStat> {
        let count = |v: Option<i64>, column: &str| {
            u64::try_from(required(v, column)?).map_err(|e| GeoDbError::corrupt(format!("{column}: {e}")))
        };
        let window_secs = required(self.window_secs, "proxy_dest_stats.window_secs")?;
        Ok(ProxyDestStat {
            site_id: SiteId(self.site_id),
            proxy: parse(&self.proxy, "proxy_dest_stats.proxy")?,
            backend_id: BackendId(self.backend_id),
            protocol: parse(&self.protocol, "proxy_dest_stats.protocol")?,
            window_start: from_timestamp(self.window_start, "proxy_dest_stats.window_start")?,
            window_secs: u32::try_from(window_secs)
                .map_err(|e| GeoDbError::corrupt(format!("proxy_dest_stats.window_secs: {e}")))?,
            successes: count(self.successes, "proxy_dest_stats.successes")?,
            failures: count(self.failures, "proxy_dest_stats.failures")?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct SettingRow {
    pub scope_kind: String,
    pub scope_id: String,
    pub name: String,
    pub value: Option<String>,
}

impl SettingRow {
    pub fn into_model(self) -> Result<Setting> {
        Ok(Setting {
            scope: scope_from_key(&self.scope_kind, &self.scope_id)?,
            name: parse(&self.name, "cluster_settings.name")?,
            value: required(self.value, "cluster_settings.value")?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct ReachabilityRow {
    pub src_site_id: Uuid,
    pub dest_site_id: Uuid,
    pub reachable: Option<bool>,
    pub updated_at: Option<CqlTimestamp>,
}

impl ReachabilityRow {
    pub fn into_model(self) -> Result<SiteReachability> {
        Ok(SiteReachability {
            src_site_id: SiteId(self.src_site_id),
            dest_site_id: SiteId(self.dest_site_id),
            reachable: required(self.reachable, "site_reachability.reachable")?,
            updated_at: from_timestamp(
                required(self.updated_at, "site_reachability.updated_at")?,
                "site_reachability.updated_at",
            )?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub struct TokenRow {
    pub secret_hash: String,
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub created_at: Option<CqlTimestamp>,
}

impl TokenRow {
    pub fn into_model(self) -> Result<TokenRecord> {
        Ok(TokenRecord {
            id: required(self.id, "api_tokens.id")?,
            name: required(self.name, "api_tokens.name")?,
            role: parse(&required(self.role, "api_tokens.role")?, "api_tokens.role")?,
            secret_hash: self.secret_hash,
            created_at: from_timestamp(required(self.created_at, "api_tokens.created_at")?, "api_tokens.created_at")?,
        })
    }
}
