//! Settings, features, reachability, statistics, tokens and health.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::{FeatureState, Protocol, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::schema;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettingView {
    /// global | site | backend
    pub scope: String,
    pub site: Option<String>,
    pub backend: Option<String>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSetting {
    #[schema(value_type = schema::SettingValue)]
    pub value: String,
}

/// The value that applies to a site (and optionally one of its backends), with the scope it
/// came from; `scope` is `default` when no row sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EffectiveSettingView {
    pub name: String,
    pub value: Option<String>,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeaturesView {
    pub site: String,
    pub features: BTreeMap<String, FeatureState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutFeature {
    #[schema(value_type = FeatureState)]
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReachabilityView {
    pub src: String,
    pub dest: String,
    pub reachable: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutReachability {
    pub reachable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatRowView {
    pub proxy: String,
    pub backend: String,
    pub protocol: Protocol,
    pub window_start: DateTime<Utc>,
    pub window_secs: u32,
    pub successes: u64,
    pub failures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatTotalsView {
    pub backend: String,
    pub protocol: Protocol,
    pub successes: u64,
    pub failures: u64,
    /// `null` when there were no attempts.
    pub failure_ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatsView {
    pub site: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub rows: Vec<StatRowView>,
    pub totals: Vec<StatTotalsView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(value_type = schema::TokenName)]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
}

/// The only answer that ever contains the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub geodb: String,
    /// The job queue's state; informational, readiness does not depend on it.
    pub queue: String,
}
