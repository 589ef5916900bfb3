//! The typed way in: a payload that knows its job (`jobs::Job`) is enqueued with its kind, its
//! kind's default priority and its dedup key. Only the API's generic job route and the scheduler
//! (whose entries are configuration) enqueue by kind name.

use jobs::Job;

use crate::{EnqueueOutcome, NewJob, Queue, QueueError, Result};

impl Queue {
    /// Enqueues `job` (see [`Queue::enqueue`]); a payload that breaks its own kind's rules is
    /// refused before it reaches Redis.
    pub async fn submit<J: Job>(&self, job: &J) -> Result<EnqueueOutcome> {
        job.check().map_err(|e| QueueError::Internal(format!("{} payload: {e}", J::KIND)))?;
        let payload = serde_json::to_value(job).map_err(|e| QueueError::Internal(format!("serialise: {e}")))?;
        self.enqueue(NewJob {
            kind: J::KIND.as_str().to_owned(),
            payload,
            priority: job.priority(),
            dedup_key: job.dedup_key(),
            max_attempts: None,
            epoch: None,
        })
        .await
    }
}
