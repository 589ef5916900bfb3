//! Acknowledging finished jobs in batches: one `complete_many` round trip for everything that
//! finished since the last one, which is what lets a worker run thousands of short jobs a
//! second. Acknowledging runs alongside the next claims; the hand-off channel is bounded, so when
//! results cannot be stored the handlers keep their slots and the pool stops claiming.
//!
//! Cancellation: runs until every job task is gone (the channel closes). Errors: while Redis is
//! unavailable the batch is retried with backoff (the heartbeat keeps the claims meanwhile);
//! any other error drops the batch, whose jobs are then reclaimed after the visibility timeout,
//! so at-least-once holds either way.

use queue::{Completion, Consumer, Delivery, Outcome, QueueError};
use tokio::sync::mpsc;

use crate::heartbeat::InFlight;
use crate::metrics;
use service::Outage;

/// Large enough to amortise a round trip, small enough to keep one script call short.
const MAX_BATCH: usize = 256;

/// A job whose handler returned, waiting to be acknowledged.
#[derive(Debug)]
pub struct Finished {
    pub delivery: Delivery,
    pub outcome: Outcome,
}

pub async fn run(consumer: Consumer, in_flight: InFlight, mut finished: mpsc::Receiver<Finished>) {
    let mut outage = Outage::new("complete");
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while finished.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let items: Vec<(Delivery, Outcome)> = batch.drain(..).map(|f| (f.delivery, f.outcome)).collect();
        let completions = loop {
            match consumer.complete_many(&items).await {
                Ok(completions) => {
                    outage.succeeded();
                    break Some(completions);
                }
                Err(error @ QueueError::Unavailable(_)) => tokio::time::sleep(outage.failed(&error)).await,
                Err(error) => {
                    let jobs = items.len();
                    tracing::error!(%error, jobs, "cannot store job results; the jobs will be reclaimed and run again");
                    break None;
                }
            }
        };
        for (index, (delivery, outcome)) in items.iter().enumerate() {
            match completions.as_ref().and_then(|c| c.get(index)) {
                Some(completion) => record(delivery, outcome, completion),
                None => metrics::job_completed(&delivery.kind, "unacknowledged"),
            }
        }
        in_flight.remove(items.iter().map(|(delivery, _)| delivery.job_id.as_str()));
    }
}

fn record(delivery: &Delivery, outcome: &Outcome, completion: &Completion) {
    let (job_id, kind, attempt) = (&delivery.job_id, &delivery.kind, delivery.attempt);
    let label = match completion {
        Completion::Succeeded => "succeeded",
        Completion::RetryScheduled { at } => {
            let error = error_of(outcome);
            tracing::info!(%job_id, %kind, attempt, %error, next_attempt_at = %at, "job failed; retry scheduled");
            "retry"
        }
        Completion::Dead => {
            let error = error_of(outcome);
            tracing::warn!(%job_id, %kind, attempt, %error, "job dead; it waits in the dead letters for a redrive");
            "dead"
        }
        Completion::Stale => {
            tracing::warn!(%job_id, %kind, attempt, "result discarded: another worker owns the job now");
            "stale"
        }
    };
    metrics::job_completed(kind, label);
}

fn error_of(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Retry(message) | Outcome::Abort(message) => message,
        Outcome::Succeeded(_) => "",
    }
}
