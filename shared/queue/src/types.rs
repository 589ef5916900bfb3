//! The queue's vocabulary: what callers enqueue, what workers receive, what records show.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use domain::Priority;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// In a priority stream, waiting for a worker.
    Queued,
    /// Claimed by a worker.
    Running,
    /// Done; the record is kept for the retention period.
    Succeeded,
    /// The last attempt failed; another attempt is scheduled after a backoff.
    Failed,
    /// Out of attempts or aborted: kept in the dead-letter stream until redriven.
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 5] = [Self::Queued, Self::Running, Self::Succeeded, Self::Failed, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| "must be queued, running, succeeded, failed or dead".into())
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub priority: Priority,
    /// While a job with this key is queued, running or waiting for a retry, another job with
    /// the same key is not enqueued.
    pub dedup_key: Option<String>,
    /// Overrides the queue's default maximum number of attempts.
    pub max_attempts: Option<u32>,
    /// The scheduler epoch that emitted the job; `None` for ad-hoc jobs.
    pub epoch: Option<u64>,
}

/// What `enqueue` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "id", rename_all = "lowercase")]
pub enum EnqueueOutcome {
    Enqueued(String),
    /// Not enqueued: the job holding the dedup key.
    Duplicate(String),
}

impl EnqueueOutcome {
    pub fn id(&self) -> &str {
        match self {
            Self::Enqueued(id) | Self::Duplicate(id) => id,
        }
    }
}

/// A job's record, readable through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub priority: Priority,
    pub dedup_key: Option<String>,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub epoch: Option<u64>,
    pub created_at: DateTime<Utc>,
    /// When it last entered a priority stream (first enqueue, retry, redrive).
    pub enqueued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The consumer that ran (or runs) the last attempt.
    pub worker: Option<String>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    /// When the next attempt becomes due (state `failed`).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A job handed to a worker for one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub job_id: String,
    /// The stream entry; heartbeats and acknowledgements refer to it.
    pub entry_id: String,
    pub priority: Priority,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub enqueued_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    /// Identifies this attempt: a worker whose claim was taken over cannot complete the job.
    pub run_token: String,
}

/// How an attempt ended, as the handler decided where its error happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded(serde_json::Value),
    /// Try again after a backoff, unless the attempts are used up (then dead).
    Retry(String),
    /// Do not try again: straight to the dead-letter stream.
    Abort(String),
}

/// What completing an attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Succeeded,
    RetryScheduled {
        at: DateTime<Utc>,
    },
    Dead,
    /// The attempt no longer owned the job (its claim was taken over); nothing was written.
    Stale,
}

/// Jobs waiting and in flight per priority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityDepth {
    /// In the stream, not yet delivered to a worker.
    pub waiting: u64,
    /// Delivered and not yet acknowledged.
    pub running: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDepths {
    pub high: PriorityDepth,
    pub low: PriorityDepth,
    /// Waiting for a retry backoff to pass.
    pub delayed: u64,
    pub dead: u64,
}

/// Queue behaviour; every duration is configurable so tests can run in seconds.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Prefix of every key, e.g. `controller:site1`: several controllers may share a Redis.
    pub prefix: String,
    /// A delivered job whose worker stopped heartbeating for this long is reclaimed.
    pub visibility_timeout: Duration,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long succeeded records are kept.
    pub retention: Duration,
    /// How long dead records are kept.
    pub dead_retention: Duration,
}

impl QueueConfig {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            visibility_timeout: Duration::from_secs(10),
            max_attempts: 5,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            retention: Duration::from_secs(24 * 3600),
            dead_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }

    /// How often a worker renews its claims: well inside the visibility timeout.
    pub fn heartbeat_interval(&self) -> Duration {
        self.visibility_timeout / 3
    }
}

/// The current holder of a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseStatus {
    pub owner: String,
    pub epoch: u64,
    pub expires_in_ms: u64,
}

/// A leader's proof of leadership: writes guarded by it are refused once the lease moved on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub token: String,
    pub epoch: u64,
}

/// What emitting a scheduler tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    Emitted(EnqueueOutcome),
    /// This entry already has a tick at or after this time: never emitted twice.
    AlreadyEmitted,
    /// The fence no longer holds the lease (an old leader): nothing written.
    Fenced,
}

/// One periodic entry of the scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    pub name: String,
    pub kind: String,
    pub interval_ms: u64,
    pub priority: Priority,
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// What the API shows of the scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerStatus {
    pub leader: Option<LeaseStatus>,
    pub entries: Vec<ScheduleEntry>,
    /// Last emitted tick per entry name.
    pub last_ticks: Vec<(String, DateTime<Utc>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis cannot be reached or timed out: retry later.
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("job {0} not found")]
    NotFound(String),
    /// A redrive of a job that is not dead, or whose dedup key is held by another job.
    #[error("{0}")]
    Conflict(String),
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A stored value that does not parse.
    #[error("stored job data is invalid: {0}")]
    Corrupt(String),
    #[error("redis error: {0}")]
    Internal(String),
}

pub type Result<T, E = QueueError> = std::result::Result<T, E>;
