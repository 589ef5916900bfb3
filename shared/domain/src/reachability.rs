//! Whether the controller can reach a backend's doveadm API: written by the `reachability` job,
//! read by every move.

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

impl BackendReachability {
    /// Why the backend is unreachable, if the last probe says it is.
    pub fn unreachable_because(&self) -> Option<&str> {
        (!self.reachable).then(|| self.last_error.as_deref().unwrap_or("its doveadm API does not answer"))
    }
}
