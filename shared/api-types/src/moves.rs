//! Moves, evacuations, kicks, backend reachability and alerts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /sites/{site}/groups/{group}/move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveGroup {
    /// Destination backend (host name), in the same site.
    pub backend: String,
}

/// `POST /users/{user}/move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUser {
    pub group: String,
    /// Destination site (name); the user's own site when absent.
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub failover_group: Option<String>,
}

/// The answer to a request that runs as a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobAccepted {
    pub job_id: String,
    /// `enqueued`, or `duplicate` when the same work is already pending (its job is returned).
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EvacuationView {
    pub backend: String,
    pub job_id: String,
    /// running | done | failed
    pub state: String,
    pub total: u64,
    pub moved: u64,
    pub moving: u64,
    pub failed: u64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackendReachabilityView {
    pub backend: String,
    pub site: String,
    pub reachable: bool,
    pub checked_at: DateTime<Utc>,
    pub since: DateTime<Utc>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    /// warning | critical
    pub severity: String,
    pub kind: String,
    pub message: String,
    pub site: Option<String>,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
}
