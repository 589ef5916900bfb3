//! The jobs this process is running, and the task that keeps their claims alive. A claim that
//! is not renewed within the visibility timeout is handed to another worker, so the heartbeat
//! runs every third of it for as long as any job runs, including during the shutdown drain.
//!
//! Cancellation: never stopped on a shutdown request; it ends with the process. Errors: logged
//! (once per outage) and retried at the next beat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use queue::{Consumer, Delivery};
use tokio::sync::watch;

use service::Outage;

/// Claimed jobs by job id, from their start until their result is stored.
#[derive(Debug, Clone)]
pub struct InFlight {
    jobs: Arc<Mutex<HashMap<String, Claim>>>,
    /// The number of claims, for [`InFlight::settled`].
    count: Arc<watch::Sender<usize>>,
}

impl Default for InFlight {
    fn default() -> Self {
        Self { jobs: Arc::default(), count: Arc::new(watch::Sender::new(0)) }
    }
}

#[derive(Debug)]
struct Claim {
    delivery: Delivery,
    /// The handler returned; the result is on its way to Redis.
    finished: bool,
}

impl InFlight {
    pub fn insert(&self, delivery: &Delivery) {
        let mut jobs = self.lock();
        jobs.insert(delivery.job_id.clone(), Claim { delivery: delivery.clone(), finished: false });
        self.count.send_replace(jobs.len());
    }

    /// The handler returned. The claim is still renewed until the result is stored (an outage
    /// may delay that), but a lost claim is then no surprise: the result may have landed.
    pub fn finished(&self, job_id: &str) {
        if let Some(claim) = self.lock().get_mut(job_id) {
            claim.finished = true;
        }
    }

    pub fn remove<'a>(&self, job_ids: impl IntoIterator<Item = &'a str>) {
        let mut jobs = self.lock();
        for id in job_ids {
            jobs.remove(id);
        }
        self.count.send_replace(jobs.len());
    }

    /// Resolves once no claim is left: every result is stored (or given up on).
    pub async fn settled(&self) {
        let mut count = self.count.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = count.wait_for(|n| *n == 0).await;
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn snapshot(&self) -> Vec<Delivery> {
        self.lock().values().map(|claim| claim.delivery.clone()).collect()
    }

    /// Whether the job's handler is still running (not finished, not acknowledged).
    pub fn is_running(&self, job_id: &str) -> bool {
        self.lock().get(job_id).is_some_and(|claim| !claim.finished)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Claim>> {
        // Every critical section is a single map operation: a panic cannot leave it half-done.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Renews the claims of the running jobs every `interval` until the process ends.
pub async fn run(consumer: Consumer, in_flight: InFlight, interval: Duration) {
    let mut outage = Outage::new("heartbeat");
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let running = in_flight.snapshot();
        if running.is_empty() {
            continue;
        }
        match consumer.heartbeat(&running).await {
            Ok(lost) => {
                outage.succeeded();
                // A job acknowledged while the beat was on its way also shows as lost: only a
                // handler still running has really lost its claim.
                for job_id in lost.iter().filter(|id| in_flight.is_running(id)) {
                    // The job keeps running (it cannot be interrupted safely), but another worker
                    // may run it too; its completion will be refused as stale.
                    tracing::warn!(%job_id, "claim lost to another worker; this attempt's result will be discarded");
                }
            }
            Err(error) => {
                // The next beat is the retry: beating faster would not renew anything sooner.
                outage.failed(&error);
            }
        }
    }
}
