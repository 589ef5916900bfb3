//! The scheduler's writes, fenced by the "scheduler" lease: a tick is enqueued only while its
//! emitter still holds the lease, and at most once per entry and tick time, so a deposed or
//! duplicate leader can never emit a periodic job twice.

use chrono::{DateTime, Utc};

use crate::conn::{Retry, pipe};
use crate::error::corrupt;
use crate::keys::SCHEDULER_LEASE;
use crate::lease::lease_status;
use crate::queue::{Enqueued, Tick, parse_enqueued};
use crate::record::{hash, int, items, text, time_ms};
use crate::scripts::{Call, PUBLISH_SCHEDULE, eval};
use crate::{Fence, NewJob, Queue, QueueError, Result, ScheduleEntry, SchedulerStatus, TickOutcome};

impl Queue {
    /// Enqueues the entry's job for `tick_at` only if `fence` still holds the "scheduler" lease
    /// and the entry has no tick at or after `tick_at`. The job carries the dedup key
    /// `schedule:{name}` (a tick while the previous one is still queued or running is recorded
    /// but enqueues nothing: `Emitted(Duplicate)`) and the fence's epoch.
    pub async fn emit_tick(&self, fence: &Fence, entry: &ScheduleEntry, tick_at: DateTime<Utc>) -> Result<TickOutcome> {
        let job = NewJob {
            kind: entry.kind.clone(),
            payload: entry.payload.clone(),
            priority: entry.priority,
            dedup_key: Some(format!("schedule:{}", entry.name)),
            max_attempts: None,
            epoch: Some(fence.epoch),
        };
        let tick = Tick { fence, entry: &entry.name, tick_ms: tick_at.timestamp_millis() };
        let call = self.enqueue_call(std::slice::from_ref(&job), Some(&tick))?;
        // A repeat after a lost reply would answer AlreadyEmitted for a tick that was emitted:
        // not retried, the scheduler's next pass sees the truth.
        let reply = items(eval(self.redis(), call, Retry::Never).await?).and_then(|r| r.into_iter().next());
        let outcome = match parse_enqueued(reply.ok_or_else(|| corrupt("empty tick reply"))?)? {
            Enqueued::Outcome(outcome) => TickOutcome::Emitted(outcome),
            Enqueued::Fenced => TickOutcome::Fenced,
            Enqueued::AlreadyEmitted => TickOutcome::AlreadyEmitted,
        };
        tracing::debug!(entry = %entry.name, epoch = fence.epoch, outcome = ?outcome, "scheduler tick");
        Ok(outcome)
    }

    /// Stores the leader's entries for the API (fenced: false when the fence no longer holds).
    pub async fn publish_schedule(&self, fence: &Fence, entries: &[ScheduleEntry]) -> Result<bool> {
        let json = serde_json::to_string(entries).map_err(|e| QueueError::Internal(e.to_string()))?;
        let keys = self.keys();
        let call = Call::new(&PUBLISH_SCHEDULE)
            .key(keys.lease(SCHEDULER_LEASE))
            .key(keys.schedule_entries())
            .arg(&fence.token)
            .arg(fence.epoch)
            .arg(json);
        Ok(int(&eval(self.redis(), call, Retry::Once).await?) == Some(1))
    }

    pub async fn scheduler_status(&self) -> Result<SchedulerStatus> {
        let leader = lease_status(self, SCHEDULER_LEASE).await?;
        let keys = self.keys();
        let mut pipe = pipe();
        pipe.cmd("GET").arg(keys.schedule_entries());
        pipe.cmd("HGETALL").arg(keys.ticks());
        let mut replies = self.redis().pipeline(&pipe, Retry::Once).await?.into_iter();
        let (Some(entries), Some(ticks)) = (replies.next(), replies.next()) else {
            return Err(corrupt("scheduler status reply"));
        };
        let entries = match text(&entries) {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(format!("schedule entries: {e}")))?,
            None => Vec::new(),
        };
        let mut last_ticks = hash(ticks)?
            .into_iter()
            .map(|(name, ms)| {
                let ms = ms.parse().map_err(|_| corrupt(format!("tick of {name}: {ms:?}")))?;
                Ok((name, time_ms(ms)?))
            })
            .collect::<Result<Vec<_>>>()?;
        last_ticks.sort();
        Ok(SchedulerStatus { leader, entries, last_ticks })
    }
}
