//! Graceful shutdown: on SIGTERM a worker stops claiming, finishes its running job and exits 0
//! leaving nothing claimed; a job that outlasts the grace period is left to be reclaimed.

use std::time::Duration;

use queue::{JobState, Priority};
use serde_json::json;

use crate::queue_harness::{Site, probe};

#[tokio::test]
async fn sigterm_finishes_the_running_job_and_leaves_nothing_claimed() {
    let site = Site::start("shutdown").await;
    // With its HTTP side on: that must not hold the exit up either.
    let listen = format!("127.0.0.1:{}", testkit::free_port());
    let mut worker = site.worker(Priority::Low, 4, &[("WORKER_METRICS_LISTEN", &listen)]);
    let id = site.enqueue(probe("term", Priority::Low, json!({"duration_ms": 1500}))).await;
    site.wait_for_marker("term", 1, Duration::from_secs(20)).await;

    worker.sigterm();
    let queued_after = site.enqueue(probe("after", Priority::Low, json!({}))).await;
    let status = worker.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");

    let done = site.record(&id).await;
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 1), "{done:?}");
    // Nothing pending, and the consumer left its group: there is nothing to reclaim, ever.
    let depths = site.queue.depths().await.unwrap();
    assert_eq!(depths.low.running, 0, "{depths:?}");
    assert_eq!(site.consumers(Priority::Low).await, 0);
    // A job enqueued just after SIGTERM is either still queued, or was delivered to the fetch
    // that was already waiting when the signal came and then run to the end: never left claimed.
    let after = site.record(&queued_after).await;
    assert!(matches!(after.state, JobState::Queued | JobState::Succeeded), "{after:?}");
    assert_eq!(site.marker("term").await, 1);
}

#[tokio::test]
async fn a_job_that_outlasts_the_grace_period_is_reclaimed_by_another_worker() {
    let site = Site::start("grace").await;
    let mut worker = site.worker(Priority::Low, 4, &[("WORKER_SHUTDOWN_GRACE_SECS", "1")]);
    let id = site.enqueue(probe("grace", Priority::Low, json!({"duration_ms": 2500}))).await;
    site.wait_for_marker("grace", 1, Duration::from_secs(20)).await;

    worker.sigterm();
    worker.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(site.record(&id).await.state, JobState::Running, "still claimed by the stopped worker");

    let _other = site.worker(Priority::Low, 4, &[]);
    let done = site.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(30)).await;
    assert_eq!(done.attempts, 2, "{done:?}");
    assert_eq!(site.marker("grace").await, 2);
}
