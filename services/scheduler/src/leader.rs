//! Leadership: stand by until the lease can be taken, then lead — publish the schedule, emit
//! each due tick, renew the lease every third of its lifetime — until the lease is lost or
//! shutdown is requested. Every write carries the fence, so a leader that was paused past its
//! lease is refused by Redis, and it stops emitting as soon as it learns so.
//!
//! Cancellation: a shutdown request is honoured between Redis calls, never in the middle of
//! one; a leader then releases the lease so a standby takes over at once. Errors: a failed call
//! is logged and retried after a short pause; a leader that cannot renew within the lease's
//! lifetime steps down, because another instance may already lead.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use queue::{EnqueueOutcome, Fence, Lease, Queue, ScheduleEntry, TickOutcome};
use service::Clock;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::ticks;

pub struct Scheduler {
    queue: Queue,
    lease: Lease,
    entries: Vec<ScheduleEntry>,
    ttl: Duration,
    /// Tick times and every wait: the system clock, or a test's manual one.
    clock: Clock,
}

/// Why a leader stopped leading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepDown {
    Shutdown,
    /// Another instance holds the lease now, or may: stop emitting at once.
    Lost(&'static str),
}

impl Scheduler {
    pub fn new(queue: Queue, owner: String, entries: Vec<ScheduleEntry>, ttl: Duration, clock: Clock) -> Self {
        let lease = queue.lease(queue::SCHEDULER_LEASE, owner, ttl);
        Self { queue, lease, entries, ttl, clock }
    }

    /// How often a leader renews and a standby looks for a vacant lease.
    fn beat(&self) -> Duration {
        self.ttl / 3
    }

    /// The pause after a failed call: short against the lease, so an outage shorter than the
    /// lease costs no leadership.
    fn retry_pause(&self) -> Duration {
        (self.ttl / 10).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// Stands by and leads, alternately, until shutdown is requested.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut redis_ok = true;
        let mut seen_leader: Option<String> = None;
        loop {
            let asked_at = self.clock.instant();
            let attempt = self.lease.try_acquire().await;
            if attempt.is_ok() && !std::mem::replace(&mut redis_ok, true) {
                tracing::info!("lease reachable again");
            }
            let wait = match attempt {
                Ok(Some(fence)) => {
                    tracing::info!(epoch = fence.epoch, "leading: emitting the schedule");
                    match self.lead(&fence, asked_at, &mut shutdown).await {
                        StepDown::Shutdown => {
                            self.release(&fence).await;
                            return;
                        }
                        StepDown::Lost(reason) => {
                            tracing::warn!(epoch = fence.epoch, reason, "stepped down; standing by");
                            seen_leader = None;
                            Duration::ZERO
                        }
                    }
                }
                Ok(None) => self.standby_wait(&mut seen_leader).await,
                Err(error) => {
                    if std::mem::replace(&mut redis_ok, false) {
                        tracing::warn!(%error, "cannot reach the lease; retrying");
                    }
                    self.beat()
                }
            };
            tokio::select! {
                () = self.clock.sleep(wait) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// How long a standby waits before trying again: until the current lease would expire
    /// (so a dead leader is replaced as soon as its lease lapses), at most one beat.
    async fn standby_wait(&self, seen_leader: &mut Option<String>) -> Duration {
        match self.lease.status().await {
            Ok(Some(status)) => {
                if seen_leader.as_deref() != Some(status.owner.as_str()) {
                    tracing::info!(leader = %status.owner, epoch = status.epoch, "standing by");
                    *seen_leader = Some(status.owner);
                }
                Duration::from_millis(status.expires_in_ms + 5).min(self.beat())
            }
            // Vacant just now: try again at once (another standby may win the race), without
            // ever spinning.
            Ok(None) => Duration::from_millis(1),
            Err(_) => self.beat(),
        }
    }

    /// Leads with `fence` (acquired by a call sent at `acquired_at`) until it steps down.
    async fn lead(&self, fence: &Fence, acquired_at: Instant, shutdown: &mut watch::Receiver<bool>) -> StepDown {
        // The lease lasts `ttl` from the last call that confirmed it, counted from when that
        // call was sent: the conservative end of the window.
        let mut confirmed_at = acquired_at;
        let mut next_renewal = acquired_at + self.beat();
        let mut published = false;
        let mut last_emitted: HashMap<String, DateTime<Utc>> = HashMap::new();
        loop {
            if self.clock.instant() - confirmed_at >= self.ttl {
                return StepDown::Lost("the lease could not be renewed within its lifetime");
            }
            let mut failed = false;
            if self.clock.instant() >= next_renewal {
                let sent_at = self.clock.instant();
                match self.lease.renew(fence).await {
                    Ok(true) => {
                        confirmed_at = sent_at;
                        next_renewal = sent_at + self.beat();
                    }
                    Ok(false) => return StepDown::Lost("the lease was taken over"),
                    Err(error) => {
                        tracing::warn!(%error, epoch = fence.epoch, "cannot renew the lease; retrying");
                        next_renewal = self.clock.instant() + self.retry_pause();
                        failed = true;
                    }
                }
            }
            if !published {
                match self.queue.publish_schedule(fence, &self.entries).await {
                    Ok(true) => published = true,
                    Ok(false) => return StepDown::Lost("fenced while publishing the schedule"),
                    Err(error) => {
                        tracing::warn!(%error, "cannot publish the schedule; retrying");
                        failed = true;
                    }
                }
            }
            if published {
                match self.emit_due(fence, &mut last_emitted).await {
                    Emit::Done => {}
                    Emit::Failed => failed = true,
                    Emit::Fenced => return StepDown::Lost("fenced while emitting a tick"),
                }
            }
            tokio::select! {
                () = self.clock.sleep_until(self.next_wake(next_renewal, failed)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return StepDown::Shutdown,
            }
        }
    }

    /// Emits every due tick; stops at the first failure, which the caller retries shortly.
    async fn emit_due(&self, fence: &Fence, last_emitted: &mut HashMap<String, DateTime<Utc>>) -> Emit {
        for (entry, tick_at) in ticks::due_ticks(&self.entries, last_emitted, self.clock.now()) {
            let name = entry.name.as_str();
            // The job says which tick it serves, for itself, its record and whoever checks
            // that no tick ran twice.
            let job = ScheduleEntry { payload: jobs::with_tick_at(&entry.payload, tick_at), ..entry.clone() };
            match self.queue.emit_tick(fence, &job, tick_at).await {
                Ok(TickOutcome::Emitted(EnqueueOutcome::Enqueued(job_id))) => {
                    tracing::info!(entry = name, %tick_at, %job_id, "tick emitted");
                }
                Ok(TickOutcome::Emitted(EnqueueOutcome::Duplicate(job_id))) => {
                    tracing::info!(entry = name, %tick_at, %job_id, "tick skipped: the previous run is still queued or running");
                }
                Ok(TickOutcome::AlreadyEmitted) => {
                    tracing::debug!(entry = name, %tick_at, "tick already emitted by an earlier leader");
                }
                Ok(TickOutcome::Fenced) => return Emit::Fenced,
                Err(error) => {
                    tracing::warn!(%error, entry = name, %tick_at, "cannot emit a tick; retrying");
                    return Emit::Failed;
                }
            }
            last_emitted.insert(entry.name.clone(), tick_at);
        }
        Emit::Done
    }

    /// The next renewal or tick, whichever comes first; soon after a failure.
    fn next_wake(&self, next_renewal: Instant, failed: bool) -> Instant {
        let (now, wall) = (self.clock.instant(), self.clock.now());
        let next_tick =
            ticks::next_tick(&self.entries, wall).map(|tick| now + (tick - wall).to_std().unwrap_or_default());
        [Some(next_renewal), next_tick, failed.then(|| now + self.retry_pause())]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_renewal)
    }

    async fn release(&self, fence: &Fence) {
        match self.lease.release(fence).await {
            Ok(()) => tracing::info!(epoch = fence.epoch, "lease released; a standby takes over"),
            Err(error) => {
                tracing::warn!(%error, epoch = fence.epoch, "cannot release the lease; a standby takes over when it expires");
            }
        }
    }
}

/// What emitting the due ticks came to.
enum Emit {
    Done,
    /// A Redis error: try again shortly.
    Failed,
    /// The fence is stale: another instance leads.
    Fenced,
}
