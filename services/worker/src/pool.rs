//! The run loop: claim jobs only for free slots, run each in its own task, hand results to the
//! acknowledger. Claiming exactly as many jobs as there are free slots (no prefetch buffer)
//! means a job is either running (or being acknowledged) here or not ours: on SIGTERM nothing
//! is left claimed but unstarted, and a high-priority job never waits behind jobs this worker
//! reserved.
//!
//! Cancellation: [`Pool::run`] returns when shutdown is requested, between two claims, never in
//! the middle of one (a claim cut short could leave jobs delivered to nobody). Job tasks are
//! never cancelled; [`Pool::drain`] waits for them. Errors: a failed claim is logged once per
//! outage and retried with backoff, forever.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use queue::{Consumer, Delivery, Outcome};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::complete::{self, Finished};
use crate::heartbeat::{self, InFlight};
use crate::jobs::Registry;
use crate::metrics;
use crate::signals::Signals;
use service::{Clock, Outage};
use tokio::time::Instant;

/// How long one fetch waits for a job when the stream is empty; it bounds how long a shutdown
/// request waits for the loop to notice it.
const FETCH_BLOCK: Duration = Duration::from_millis(500);

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Every job finished and its result is stored.
    Finished,
    /// The grace period ran out (or a second signal came) with this many jobs still running;
    /// their claims expire and other workers run them again.
    Abandoned(usize),
}

pub struct Pool {
    consumer: Consumer,
    registry: Arc<Registry>,
    slots: Arc<Semaphore>,
    concurrency: usize,
    in_flight: InFlight,
    finished: mpsc::Sender<Finished>,
    /// How often jobs abandoned by dead workers are looked for.
    reclaim_every: Duration,
    /// The reclaim cadence, job durations and the drain's grace period.
    clock: Clock,
}

impl Pool {
    /// Starts the heartbeat and the acknowledger; jobs are claimed only once [`Pool::run`] runs.
    pub fn start(
        consumer: Consumer,
        registry: Registry,
        concurrency: usize,
        heartbeat_interval: Duration,
        clock: Clock,
    ) -> Self {
        let concurrency = concurrency.clamp(1, Semaphore::MAX_PERMITS);
        let in_flight = InFlight::default();
        let (finished, finished_rx) = mpsc::channel(concurrency);
        tokio::spawn(heartbeat::run(consumer.clone(), in_flight.clone(), heartbeat_interval));
        tokio::spawn(complete::run(consumer.clone(), in_flight.clone(), finished_rx));
        Self {
            consumer,
            registry: Arc::new(registry),
            slots: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            in_flight,
            finished,
            reclaim_every: heartbeat_interval,
            clock,
        }
    }

    pub fn consumer(&self) -> &Consumer {
        &self.consumer
    }

    pub fn running(&self) -> usize {
        self.in_flight.len()
    }

    /// Claims and starts jobs until shutdown is requested.
    pub async fn run(&self, signals: &mut Signals) {
        let mut outage = Outage::new("fetch");
        let mut next_reclaim = self.clock.instant();
        loop {
            let Some(slots) = self.free_slots(signals).await else { return };
            match self.claim(slots.len(), &mut next_reclaim).await {
                Ok(deliveries) => {
                    outage.succeeded();
                    let mut slots = slots.into_iter();
                    for delivery in deliveries {
                        match slots.next() {
                            Some(slot) => self.spawn_job(delivery, slot),
                            // The queue returned more than asked: leave the extra job to the
                            // visibility timeout rather than overrun the pool.
                            None => tracing::error!(job_id = %delivery.job_id, "more jobs delivered than requested"),
                        }
                    }
                }
                Err(error) => {
                    let delay = outage.failed(&error);
                    drop(slots);
                    tokio::select! {
                        () = self.clock.sleep(delay) => {}
                        () = signals.stop() => return,
                    }
                }
            }
            if signals.stop_requested() {
                return;
            }
        }
    }

    /// Waits for at least one free slot and takes every other free one too (one fetch fills
    /// them all); `None` once shutdown is requested.
    async fn free_slots(&self, signals: &mut Signals) -> Option<Vec<OwnedSemaphorePermit>> {
        let first = tokio::select! {
            biased;
            () = signals.stop() => return None,
            slot = self.slots.clone().acquire_owned() => slot.ok()?,
        };
        let mut slots = vec![first];
        while let Ok(slot) = self.slots.clone().try_acquire_owned() {
            slots.push(slot);
        }
        Some(slots)
    }

    /// Up to `max` jobs: first those whose worker died (they have waited longest), else new ones.
    async fn claim(&self, max: usize, next_reclaim: &mut Instant) -> queue::Result<Vec<Delivery>> {
        let now = self.clock.instant();
        if now >= *next_reclaim {
            let reclaimed = self.consumer.reclaim(max).await?;
            // A full batch may mean more are waiting: look again on the next round.
            *next_reclaim = if reclaimed.len() == max { now } else { self.clock.instant() + self.reclaim_every };
            if !reclaimed.is_empty() {
                let ids: Vec<&str> = reclaimed.iter().map(|d| d.job_id.as_str()).collect();
                tracing::info!(count = ids.len(), job_ids = ?ids, "reclaimed jobs whose worker stopped heartbeating");
                return Ok(reclaimed);
            }
        }
        self.consumer.fetch(max, FETCH_BLOCK).await
    }

    fn spawn_job(&self, delivery: Delivery, slot: OwnedSemaphorePermit) {
        let waited = (delivery.started_at - delivery.enqueued_at).to_std().unwrap_or_default();
        metrics::job_started(&delivery.kind, waited);
        tracing::debug!(job_id = %delivery.job_id, kind = %delivery.kind, attempt = delivery.attempt, "job started");
        self.in_flight.insert(&delivery);
        let in_flight = self.in_flight.clone();
        let registry = self.registry.clone();
        let finished = self.finished.clone();
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let started = clock.instant();
            // A panicking handler must still release its slot and its claim; a retry is the
            // safe reading of "it broke half-way".
            let outcome = AssertUnwindSafe(registry.run(&delivery))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Outcome::Retry("the job's handler panicked".to_owned()));
            metrics::job_ran(&delivery.kind, clock.instant() - started);
            in_flight.finished(&delivery.job_id);
            // Fails only when the acknowledger is gone, i.e. the process is exiting: the claim
            // then expires and the job is reclaimed. The slot is held until the hand-off, so a
            // stalled acknowledger stops the claiming.
            let _ = finished.send(Finished { delivery, outcome }).await;
            drop(slot);
        });
    }

    /// Waits until every running job finished and its result is stored, for at most `grace`
    /// or until a second signal.
    pub async fn drain(&self, grace: Duration, signals: &mut Signals) -> Drain {
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        let settled = async {
            // Every handler returned (no slot taken, none can be: the claiming stopped), then
            // every result is stored.
            let _all_free = self.slots.acquire_many(all).await;
            self.in_flight.settled().await;
        };
        tokio::select! {
            () = settled => Drain::Finished,
            () = self.clock.sleep(grace) => Drain::Abandoned(self.running()),
            () = signals.hurry() => Drain::Abandoned(self.running()),
        }
    }
}
