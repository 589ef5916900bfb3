//! Controller state kept beside the queue in Redis, written by jobs and read by the API:
//! backend reachability, evacuation progress and alerts. Types here; storage in `state_store`.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::EVACUATION_HEARTBEAT;

pub use domain::BackendReachability;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvacuationState {
    Running,
    /// Never stored: how a reader sees a `running` evacuation whose worker stopped or that moves
    /// nothing (see [`EvacuationProgress::assess`]).
    Stalled,
    Done,
    Failed,
}

impl EvacuationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stalled => "stalled",
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
    /// When `moved` last grew (or the evacuation started); absent in records of older workers.
    #[serde(default)]
    pub last_moved_at: Option<DateTime<Utc>>,
}

/// An evacuation as a reader should see it now: `state` is `stalled` (with since when and why)
/// when the stored `running` no longer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvacuationAssessment {
    pub state: EvacuationState,
    pub stalled_since: Option<DateTime<Utc>>,
    pub why: Option<String>,
}

/// Beats a running evacuation may miss before its worker counts as stopped.
const MISSED_BEATS: u32 = 3;

impl EvacuationProgress {
    /// Judges a stored evacuation at `now`, given its latest heartbeat (of this job) and the
    /// longest time without a group moving off the backend (`EVACUATION_STALL_SECS`). Only
    /// `running` can turn `stalled`: when neither the heartbeat nor the progress record was
    /// written for three beats (the worker stopped), or when no group moved for `stall_after`.
    pub fn assess(
        &self,
        now: DateTime<Utc>,
        heartbeat: Option<DateTime<Utc>>,
        stall_after: Duration,
    ) -> EvacuationAssessment {
        let stalled = |since: DateTime<Utc>, why: String| EvacuationAssessment {
            state: EvacuationState::Stalled,
            stalled_since: Some(since),
            why: Some(why),
        };
        if self.state != EvacuationState::Running {
            return EvacuationAssessment { state: self.state, stalled_since: None, why: None };
        }
        // The worker writes the progress too: a fresh record is a sign of life as good as a beat
        // (and covers the moment before the first beat lands).
        let alive_at = heartbeat.map_or(self.updated_at, |beat| beat.max(self.updated_at));
        let silent = now - alive_at;
        if silent > delta(EVACUATION_HEARTBEAT * MISSED_BEATS) {
            let why = format!(
                "no heartbeat for {} s: the worker holding it stopped; the queue hands the job to another worker within the visibility timeout",
                silent.num_seconds()
            );
            return stalled(alive_at, why);
        }
        let moved_at = self.last_moved_at.unwrap_or(self.started_at);
        let still = now - moved_at;
        if still > delta(stall_after) {
            let why = format!(
                "no group left the backend for {} s (EVACUATION_STALL_SECS is {})",
                still.num_seconds(),
                stall_after.as_secs()
            );
            return stalled(moved_at, why);
        }
        EvacuationAssessment { state: EvacuationState::Running, stalled_since: None, why: None }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
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

/// How long a resolved alert is still listed ("recently resolved"); it may be purged after.
pub const RESOLVED_ALERT_RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Something an operator must look at (a stuck move, a refused evacuation…). An alert is a
/// condition, not an event: it is keyed by (kind, site, object), raising it again counts and
/// updates the one alert of that key, and it stays until it is resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The first raise's id, kept for the life of the key (also across a reopening).
    pub id: String,
    pub severity: AlertSeverity,
    /// Stable machine-readable kind, e.g. `stuck_move`.
    pub kind: String,
    pub message: String,
    pub site_id: Option<Uuid>,
    /// What the alert is about within its kind and site (a backend id, a group name…); `None`
    /// for a condition of the whole site.
    #[serde(default)]
    pub object: Option<String>,
    /// How often it was raised (reopenings included).
    #[serde(default)]
    pub count: u64,
    /// When it was first raised (first seen); the name predates alerts being conditions.
    pub created_at: DateTime<Utc>,
    /// When it was last raised. For an alert about to be raised: the time of this raise.
    #[serde(default)]
    pub last_seen: DateTime<Utc>,
    /// When the condition cleared; `None` while it is open.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub context: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Open,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

impl Alert {
    pub fn state(&self) -> AlertState {
        if self.resolved_at.is_some() { AlertState::Resolved } else { AlertState::Open }
    }
}

/// Which alerts [`crate::State::alerts`] lists: newest `last_seen` first, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertFilter {
    /// `None`: open and recently resolved ones alike.
    pub state: Option<AlertState>,
    pub site_id: Option<Uuid>,
    pub limit: usize,
}

impl AlertFilter {
    /// Open and recently resolved alerts of every site.
    pub fn all(limit: usize) -> Self {
        Self { state: None, site_id: None, limit }
    }

    pub fn open(limit: usize) -> Self {
        Self { state: Some(AlertState::Open), ..Self::all(limit) }
    }

    pub fn resolved(limit: usize) -> Self {
        Self { state: Some(AlertState::Resolved), ..Self::all(limit) }
    }

    pub fn with_site(mut self, site_id: Uuid) -> Self {
        self.site_id = Some(site_id);
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "state_test.rs"]
mod tests;
