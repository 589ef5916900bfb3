//! The heartbeat of a running evacuation: one small record per backend (job id, time), renewed
//! every [`EVACUATION_HEARTBEAT`] by the worker running the job, so a reader can tell a worker
//! that stopped from an evacuation that is only slow. It lives in its own key with a TTL, apart
//! from the progress record, so the two writers never overwrite each other's fields; it must
//! never be read as progress.

use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::Value;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::{QueueError, Result, State};
use queue::io::Retry;
use queue::io::corrupt;
use queue::io::millis;
use queue::io::text;

/// How often a running evacuation renews its heartbeat.
pub const EVACUATION_HEARTBEAT: Duration = Duration::from_secs(2);
/// Missed beats after which the record expires: it outlives the stall threshold (three beats,
/// see `EvacuationProgress::assess`), so a reader still sees when the worker last beat.
const TTL_BEATS: u32 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Beat {
    job_id: String,
    at: DateTime<Utc>,
}

fn heartbeat_key(q: &State, backend: Uuid) -> String {
    format!("{}:evacuation_heartbeat:{backend}", q.keys().state_prefix())
}

/// Renews an evacuation's heartbeat until dropped (see [`State::keep_evacuation_beating`]).
///
/// Cancellation: aborted on drop, i.e. when the job's `run` returns, whatever the outcome.
/// Errors: logged and retried at the next beat; a heartbeat that cannot be written only makes
/// the evacuation read `stalled`, which is then true as far as any reader can tell.
#[derive(Debug)]
pub struct EvacuationHeartbeat(JoinHandle<()>);

impl Drop for EvacuationHeartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl State {
    /// Records that `job_id` is evacuating `backend_id` now; expires after a few missed beats.
    pub async fn beat_evacuation(&self, backend_id: Uuid, job_id: &str) -> Result<()> {
        let beat = Beat { job_id: job_id.to_owned(), at: Utc::now() };
        let json = serde_json::to_string(&beat).map_err(|e| QueueError::Internal(format!("serialise: {e}")))?;
        let cmd = redis::cmd("SET")
            .arg(heartbeat_key(self, backend_id))
            .arg(json)
            .arg("PX")
            .arg(millis(EVACUATION_HEARTBEAT * TTL_BEATS))
            .to_owned();
        // A repeated beat is the same beat.
        let _: Value = self.redis().query(&cmd, Retry::Once).await?;
        Ok(())
    }

    /// The latest heartbeat of an evacuation of `backend_id` (job id, time), unless it expired.
    pub async fn evacuation_heartbeat(&self, backend_id: Uuid) -> Result<Option<(String, DateTime<Utc>)>> {
        let cmd = redis::cmd("GET").arg(heartbeat_key(self, backend_id)).to_owned();
        let reply: Value = self.redis().query(&cmd, Retry::Once).await?;
        match text(&reply) {
            Some(json) => serde_json::from_str::<Beat>(&json)
                .map(|b| Some((b.job_id, b.at)))
                .map_err(|e| corrupt(format!("evacuation heartbeat of {backend_id}: {e}"))),
            None => Ok(None),
        }
    }

    /// Beats for `job_id` on `backend_id` now and every [`EVACUATION_HEARTBEAT`] until the
    /// returned guard is dropped.
    pub fn keep_evacuation_beating(&self, backend_id: Uuid, job_id: &str) -> EvacuationHeartbeat {
        let (queue, job_id) = (self.clone(), job_id.to_owned());
        EvacuationHeartbeat(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVACUATION_HEARTBEAT);
            // After a pause (a slow Redis), one beat is enough: a burst would say nothing more.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = queue.beat_evacuation(backend_id, &job_id).await {
                    tracing::warn!(error = %e, %backend_id, %job_id, "cannot renew the evacuation heartbeat");
                }
            }
        }))
    }
}
