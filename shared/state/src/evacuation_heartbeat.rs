//! The heartbeat of a running evacuation: one small record per backend (job id, time), renewed
//! every [`EVACUATION_HEARTBEAT`] by the worker running the job, so a reader can tell a worker
//! that stopped from an evacuation that is only slow. It lives in its own key with a TTL, apart
//! from the progress record, so the two writers never overwrite each other's fields; it must
//! never be read as progress.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::{Result, State};

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
        // A repeated beat is the same beat.
        self.put_json_for(&heartbeat_key(self, backend_id), &beat, EVACUATION_HEARTBEAT * TTL_BEATS).await
    }

    /// The latest heartbeat of an evacuation of `backend_id` (job id, time), unless it expired.
    pub async fn evacuation_heartbeat(&self, backend_id: Uuid) -> Result<Option<(String, DateTime<Utc>)>> {
        let what = format!("evacuation heartbeat of {backend_id}");
        let beat: Option<Beat> = self.get_json(&what, &heartbeat_key(self, backend_id)).await?;
        Ok(beat.map(|b| (b.job_id, b.at)))
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
