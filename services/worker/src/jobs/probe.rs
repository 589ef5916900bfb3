//! The probe job: counts its run in Redis, sleeps, then ends as its payload asks. The sleep is
//! not cancellable on purpose: like a real job it is interrupted only by the process dying, which
//! is what the queue's reclaim and shutdown guarantees are tested with.

use std::time::Duration;

use chrono::Utc;
use deadpool_redis::redis;
use jobs::probe::{ProbePayload, ProbeVerdict};
use queue::Delivery;
use serde_json::json;

use super::{JobError, JobResult};

/// Each marker keeps its last runs, enough for any test or operator's look at the backoff.
const RUN_LOG_LEN: isize = 1000;

#[derive(Clone)]
pub struct Probe {
    redis: deadpool_redis::Pool,
    /// The queue's key prefix: markers live next to the queue they probe.
    prefix: String,
    /// Markers expire like the records of the jobs that wrote them.
    retention: Duration,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl Probe {
    pub fn new(redis: deadpool_redis::Pool, prefix: impl Into<String>, retention: Duration) -> Self {
        Self { redis, prefix: prefix.into(), retention }
    }

    /// `{prefix}:probe:{marker}`: the number of runs that started.
    pub fn counter_key(prefix: &str, marker: &str) -> String {
        format!("{prefix}:probe:{marker}")
    }

    /// `{prefix}:probe:{marker}:runs`: one JSON line per run, `{"job", "attempt", "at_ms"}`.
    pub fn run_log_key(prefix: &str, marker: &str) -> String {
        format!("{prefix}:probe:{marker}:runs")
    }

    pub async fn run(&self, delivery: &Delivery) -> JobResult {
        let payload: ProbePayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
        if let Some(marker) = &payload.marker {
            // A marker that cannot be counted makes the run invisible to whoever counts: retry.
            self.count_run(marker, delivery).await.map_err(|e| JobError::retry(format!("probe marker: {e}")))?;
        }
        if payload.duration_ms > 0 {
            tokio::time::sleep(Duration::from_millis(payload.duration_ms)).await;
        }
        match payload.verdict(delivery.attempt) {
            ProbeVerdict::Succeed => Ok(json!({ "slept_ms": payload.duration_ms, "attempt": delivery.attempt })),
            ProbeVerdict::Retry => {
                Err(JobError::Retry(format!("probe failed attempt {} on request", delivery.attempt)))
            }
            ProbeVerdict::Abort => Err(JobError::Abort("probe aborted on request".to_owned())),
        }
    }

    async fn count_run(&self, marker: &str, delivery: &Delivery) -> anyhow::Result<()> {
        let counter = Self::counter_key(&self.prefix, marker);
        let runs = Self::run_log_key(&self.prefix, marker);
        let line =
            json!({ "job": delivery.job_id, "attempt": delivery.attempt, "at_ms": Utc::now().timestamp_millis() });
        let ttl = i64::try_from(self.retention.as_secs()).unwrap_or(i64::MAX);
        let mut conn = self.redis.get().await?;
        let () = redis::pipe()
            .atomic()
            .incr(&counter, 1)
            .ignore()
            .rpush(&runs, line.to_string())
            .ignore()
            .ltrim(&runs, -RUN_LOG_LEN, -1)
            .ignore()
            .expire(&counter, ttl)
            .ignore()
            .expire(&runs, ttl)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}
