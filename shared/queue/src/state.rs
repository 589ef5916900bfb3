//! Controller state kept beside the queue in Redis, written by jobs and read by the API:
//! backend reachability, evacuation progress and alerts. Types here; storage in `state_store`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The last doveadm probe of a backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendReachability {
    pub backend_id: Uuid,
    pub site_id: Uuid,
    pub host: String,
    /// False once a probe failed (name-resolution failures only after their grace period).
    pub reachable: bool,
    pub checked_at: DateTime<Utc>,
    /// Since when `reachable` has had its current value.
    pub since: DateTime<Utc>,
    pub last_error: Option<String>,
    /// When name resolution started failing, while it still does (the grace period runs from it).
    pub name_failure_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvacuationState {
    Running,
    Done,
    Failed,
}

impl EvacuationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// How far the evacuation of one backend got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationProgress {
    pub backend_id: Uuid,
    pub host: String,
    pub job_id: String,
    pub state: EvacuationState,
    /// Groups on the backend when the evacuation started.
    pub total: u64,
    pub moved: u64,
    /// Moves started and not yet finished.
    pub moving: u64,
    pub failed: u64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// Something an operator must look at (a stuck move, a refused evacuation…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub severity: AlertSeverity,
    /// Stable machine-readable kind, e.g. `stuck_move`.
    pub kind: String,
    pub message: String,
    pub site_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub context: serde_json::Value,
}
