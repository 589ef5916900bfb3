//! Jobs, the scheduler and queue depths.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::schema;

/// `POST /jobs`: an ad-hoc job of a known kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnqueueJob {
    #[schema(value_type = schema::JobKindName)]
    pub kind: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The kind's default when absent.
    #[serde(default)]
    #[schema(value_type = Option<schema::PriorityName>)]
    pub priority: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<schema::DedupKey>)]
    pub dedup_key: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)] // MAX_ATTEMPTS of the jobs route
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnqueuedJob {
    pub id: String,
    /// `enqueued`, or `duplicate` when a pending job holds the dedup key (its id is returned).
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub priority: String,
    pub dedup_key: Option<String>,
    /// queued | running | succeeded | failed | dead
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub epoch: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub enqueued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub worker: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriorityDepthView {
    /// In the stream, not yet delivered.
    pub waiting: u64,
    /// Delivered to a worker, not yet acknowledged.
    pub running: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueDepthsView {
    pub high: PriorityDepthView,
    pub low: PriorityDepthView,
    /// Waiting for a retry backoff.
    pub delayed: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LeaderView {
    /// `host:pid:…` of the active scheduler.
    pub owner: String,
    /// Fencing epoch: grows on every change of leader.
    pub epoch: u64,
    pub expires_in_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduleEntryView {
    pub name: String,
    pub kind: String,
    pub interval_ms: u64,
    pub priority: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub last_tick: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SchedulerView {
    /// `null` while no scheduler holds the lease.
    pub leader: Option<LeaderView>,
    pub entries: Vec<ScheduleEntryView>,
    pub queues: QueueDepthsView,
}
