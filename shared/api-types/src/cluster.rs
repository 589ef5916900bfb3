//! Sites, tags and backends.

use domain::{BackendStatus, SiteStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{patch, schema};

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
    #[schema(value_type = schema::SiteName)]
    pub name: String,
    /// Tag name or id.
    #[serde(default)]
    #[schema(value_type = Option<schema::TagRef>)]
    pub tag: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<schema::HostName>)]
    pub load_balancer: Option<String>,
    /// Only when re-adding a known site.
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// Absent fields are left as they are; `null` clears `tag` or `load_balancer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    #[serde(default)]
    #[schema(value_type = Option<SiteStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::HostName>)]
    pub load_balancer: Option<Option<String>>,
    /// Tag name or id.
    #[serde(default, deserialize_with = "patch::nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::TagRef>)]
    pub tag: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<schema::SiteName>)]
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
    #[schema(value_type = schema::TagName)]
    pub name: String,
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    #[schema(value_type = schema::TagName)]
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
    #[schema(value_type = schema::HostName)]
    pub host: String,
    /// Site name or id.
    #[schema(value_type = schema::SiteRef)]
    pub site: String,
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBackend {
    #[serde(default)]
    #[schema(value_type = Option<BackendStatus>)]
    pub status: Option<String>,
    /// 0–100; 0 drains the backend.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub load_factor: Option<i64>,
}
