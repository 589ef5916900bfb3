//! Deduplication: while a job with a dedup key is queued or running, enqueues with the same key
//! return that job instead of adding one; once it finished, the key is free again. Also checks
//! the worker's `/metrics` and `/healthz`.

use std::time::Duration;

use queue::{EnqueueOutcome, JobState, Priority};
use serde_json::json;
use testkit::free_port;

use crate::queue_harness::{Site, probe};

#[tokio::test]
async fn enqueues_with_the_key_of_a_running_job_run_nothing_more() {
    let site = Site::start("dedup").await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _worker = site.worker(Priority::Low, 8, &[("WORKER_METRICS_LISTEN", &listen)]);
    let keyed = || {
        let mut job = probe("dedup", Priority::Low, json!({"duration_ms": 1500}));
        job.dedup_key = Some("k".into());
        job
    };
    let first = site.enqueue(keyed()).await;
    site.wait_for_marker("dedup", 1, Duration::from_secs(20)).await;

    let outcomes = futures::future::join_all((0..100).map(|_| site.queue.enqueue(keyed()))).await;
    for outcome in outcomes {
        assert_eq!(outcome.unwrap(), EnqueueOutcome::Duplicate(first.clone()));
    }
    let done = site.wait_for_state(&first, JobState::Succeeded, Duration::from_secs(20)).await;
    assert_eq!(done.attempts, 1);
    assert_eq!(site.marker("dedup").await, 1, "one execution for 101 enqueues");

    // Finished: the key is free, the next enqueue is a new job.
    let next = site.queue.enqueue(keyed()).await.unwrap();
    assert!(matches!(&next, EnqueueOutcome::Enqueued(id) if *id != first), "{next:?}");
    site.wait_for_state(next.id(), JobState::Succeeded, Duration::from_secs(20)).await;
    assert_eq!(site.marker("dedup").await, 2);

    let http = reqwest::Client::new();
    let health = http.get(format!("http://{listen}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = http.get(format!("http://{listen}/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "controller_jobs_total{kind=\"probe\",outcome=\"succeeded\"} 2",
        "controller_job_run_seconds_count{kind=\"probe\"} 2",
        "controller_job_wait_seconds_count{kind=\"probe\"} 2",
        "controller_queue_depth{priority=\"low\"}",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in:\n{metrics}");
    }
}
