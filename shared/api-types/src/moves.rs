//! Moves, evacuations, kicks, backend reachability and alerts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::schema;

/// `POST /sites/{site}/groups/{group}/move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveGroup {
    /// Destination backend (host name or id), in the same site.
    #[schema(value_type = schema::BackendRef)]
    pub backend: String,
}

/// `POST /users/{user}/move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUser {
    #[schema(value_type = schema::GroupName)]
    pub group: String,
    /// Destination site (name or id); the user's own site when absent.
    #[serde(default)]
    #[schema(value_type = Option<schema::SiteRef>)]
    pub site: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<schema::GroupName>)]
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
    /// running | stalled | done | failed. `stalled` is a running evacuation whose worker
    /// stopped (the queue hands the job to another worker) or that moved no group for
    /// `EVACUATION_STALL_SECS`.
    pub state: String,
    pub total: u64,
    pub moved: u64,
    pub moving: u64,
    pub failed: u64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub message: Option<String>,
    /// When the last group left the backend (or the evacuation started).
    #[serde(default)]
    pub last_moved_at: Option<DateTime<Utc>>,
    /// While `stalled`: since when (the worker's last sign of life, or the last group moved).
    #[serde(default)]
    pub stalled_since: Option<DateTime<Utc>>,
    /// While `stalled`: why, for an operator.
    #[serde(default)]
    pub stalled_reason: Option<String>,
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
    /// Stable for the life of the alert's key (kind, site, object), reopenings included.
    pub id: String,
    /// warning | critical (of the latest raise)
    pub severity: String,
    pub kind: String,
    /// The latest raise's message.
    pub message: String,
    pub site: Option<String>,
    /// What the alert is about within its kind and site (a backend id, a group, a user…).
    pub object: Option<String>,
    /// open | resolved
    pub state: String,
    /// How often the condition was raised.
    pub count: u64,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last raised.
    pub last_seen: DateTime<Utc>,
    /// When the condition cleared; null while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The latest raise's details.
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
}

/// A stored automation decision (a dry run's plan, or one awaiting approval).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    /// pending | approved | executed | expired
    pub state: String,
    pub stored_at: DateTime<Utc>,
    /// The full decision: feature, site, moves, reasons, scores before and predicted after.
    #[schema(value_type = Object)]
    pub plan: serde_json::Value,
}

/// The answer to an approval: the plan and the job that executes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApprovedPlan {
    pub plan: PlanView,
    pub job_id: String,
}

/// The site's latest load reading, as the balancer computed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    pub site: String,
    /// 100 = perfectly balanced.
    pub balancedness: f64,
    /// Per-metric spread of the hosts' z-scores.
    pub spread: std::collections::BTreeMap<String, f64>,
    /// Host → metric → z-score.
    pub scores: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
    /// Host → combined signed score.
    pub combined: std::collections::BTreeMap<String, f64>,
    pub computed_at: DateTime<Utc>,
}

/// The site's group-size balancing plan: user moves between groups of each backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupPlanView {
    pub site: String,
    pub created_at: DateTime<Utc>,
    /// Moves executed (passes enqueue them in order).
    pub done: usize,
    pub total: usize,
    pub dry_run: bool,
    /// `[{user, from, to}]`
    #[schema(value_type = Object)]
    pub moves: serde_json::Value,
}

/// The site failover state: how much of the site's traffic is being moved away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailoverView {
    pub site: String,
    /// 0–100, changed gradually (never in one step).
    pub percent: u8,
    pub bad_streak: u32,
    pub good_streak: u32,
    /// At 100 %: silent windows so far towards the next probe (one step of users let back).
    pub quiet_streak: u32,
    /// Returns to 100 % since the last recovery step; each doubles the wait before a probe.
    pub failed_probes: u32,
    /// hold | step_down | step_up
    pub last_action: String,
    pub updated_at: DateTime<Utc>,
    /// What a dry run would have done, kept apart from the live state.
    pub dry_run_percent: Option<u8>,
}

/// The desired number of backends the autoscaling policy computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutoscaleView {
    pub site: String,
    pub desired: usize,
    pub current: usize,
    /// default | webhook
    pub policy: String,
    pub dry_run: bool,
    pub computed_at: DateTime<Utc>,
}
