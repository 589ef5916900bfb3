//! Periodic queue upkeep done by every worker: moving retries whose backoff has passed back
//! into their stream, and refreshing the queue gauges. Both are idempotent, so several workers
//! doing it at once only costs a few cheap calls.
//!
//! Cancellation: stops when shutdown is requested (a draining worker claims nothing new, and
//! promoted retries are for the workers that stay). Errors: logged once per outage, retried at
//! the next tick.

use std::time::Duration;

use queue::{Consumer, Queue};

use crate::metrics;
use crate::signals::Signals;
use service::Outage;

/// Retries promoted per call; a longer backlog is promoted in further calls of the same tick.
const PROMOTE_BATCH: usize = 500;
const DEPTH_INTERVAL: Duration = Duration::from_secs(5);

/// How often due retries are promoted: a fraction of the base backoff, so the first retry is
/// not late by much more than its own delay; never busier than every 20 ms.
pub fn promote_interval(retry_base: Duration) -> Duration {
    (retry_base / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
}

pub async fn run(queue: Queue, consumer: Consumer, mut signals: Signals) {
    let mut promote = tokio::time::interval(promote_interval(queue.config().retry_base));
    let mut depths = tokio::time::interval(DEPTH_INTERVAL);
    for timer in [&mut promote, &mut depths] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    let mut promote_outage = Outage::new("promote retries");
    let mut depth_outage = Outage::new("queue depths");
    loop {
        tokio::select! {
            () = signals.stop() => return,
            _ = promote.tick() => match promote_due(&consumer).await {
                Ok(promoted) => {
                    promote_outage.succeeded();
                    if promoted > 0 {
                        tracing::debug!(promoted, "due retries moved back to the queue");
                    }
                }
                Err(error) => {
                    promote_outage.failed(&error);
                }
            },
            _ = depths.tick() => match queue.depths().await {
                Ok(d) => {
                    depth_outage.succeeded();
                    metrics::queue_depths(&d);
                }
                Err(error) => {
                    depth_outage.failed(&error);
                }
            },
        }
    }
}

async fn promote_due(consumer: &Consumer) -> queue::Result<usize> {
    let mut total = 0;
    loop {
        let promoted = consumer.promote_due(PROMOTE_BATCH).await?;
        total += promoted;
        if promoted < PROMOTE_BATCH {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_promoted_often_enough_for_their_backoff() {
        assert_eq!(promote_interval(Duration::from_secs(1)), Duration::from_millis(250));
        assert_eq!(promote_interval(Duration::from_millis(100)), Duration::from_millis(25));
        assert_eq!(promote_interval(Duration::from_millis(1)), Duration::from_millis(20));
        assert_eq!(promote_interval(Duration::from_secs(60)), Duration::from_secs(1));
    }
}
