//! Priorities: with thousands of low-priority jobs queued and the low pool busy, a high-priority
//! job is started at once by the high pool.

use std::time::Duration;

use chrono::Utc;
use queue::{JobState, Priority};
use serde_json::json;
use testkit::wait_until_async;

use crate::queue_harness::{Site, millis_between, probe};

const LOW_JOBS: usize = 5000;

#[tokio::test]
async fn a_high_job_starts_within_milliseconds_behind_a_low_backlog() {
    let site = Site::start("priority").await;
    let low_jobs: Vec<_> = (0..LOW_JOBS).map(|_| probe("low", Priority::Low, json!({"duration_ms": 5}))).collect();
    site.queue.enqueue_many(low_jobs).await.unwrap();
    let _high = site.worker(Priority::High, 4, &[]);
    let _low = site.worker(Priority::Low, 8, &[]);

    // The low pool is well into the backlog.
    wait_until_async("500 low jobs to be done", Duration::from_secs(60), || async {
        let depths = site.queue.depths().await.ok()?;
        (depths.low.waiting + depths.low.running <= (LOW_JOBS - 500) as u64).then_some(())
    })
    .await;

    let enqueued_at = Utc::now();
    let id = site.enqueue(probe("high", Priority::High, json!({}))).await;
    let done = site.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(10)).await;
    let started_at = done.started_at.unwrap();
    let latency_ms = millis_between(enqueued_at, started_at);
    let still_waiting = site.queue.depths().await.unwrap().low.waiting;
    eprintln!("high-priority job started {latency_ms} ms after its enqueue, with {still_waiting} low jobs waiting");
    assert!(still_waiting > 0, "the low backlog must still be there for the measurement to mean anything");
    assert!(latency_ms < 1000, "high job started after {latency_ms} ms");
    assert_eq!(site.marker("high").await, 1);
}
