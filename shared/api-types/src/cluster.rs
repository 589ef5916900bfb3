//! Sites, tags and backends.

use domain::{BackendStatus, SiteStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::patch;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SiteView {
    pub id: Uuid,
    pub name: String,
    pub tag: Option<String>,
    pub load_balancer: Option<String>,
    pub status: SiteStatus,
}

/// `doveadm cluster site add`: the site starts online.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    pub name: String,
    /// Tag name or id.
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub load_balancer: Option<String>,
    /// Only when re-adding a known site.
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// Absent fields are left as they are; `null` clears `tag` or `load_balancer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    /// online | offline | standby | evacuate
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub load_balancer: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub tag: Option<Option<String>>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `doveadm cluster site init [--update]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitSite {
    /// Delete and recreate the site's groups and unassign its users. Not for production.
    #[serde(default)]
    pub update: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InitReport {
    pub created: u32,
    pub deleted: u32,
    pub users_unassigned: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TagView {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    pub name: String,
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackendView {
    pub id: Uuid,
    pub site: String,
    pub host: String,
    pub status: BackendStatus,
    pub load_factor: u8,
}

/// `doveadm cluster backend add`: the backend starts in standby with load factor 100.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBackend {
    pub host: String,
    pub site: String,
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBackend {
    /// online | offline | standby
    #[serde(default)]
    pub status: Option<String>,
    /// 0–100; 0 drains the backend.
    #[serde(default)]
    pub load_factor: Option<i64>,
}
