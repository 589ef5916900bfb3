//! Redis outages: with jobs queued and one running, Redis is SIGKILLed and restarted from its
//! append-only file. The worker rides it out, reconnects by itself, and every job succeeds
//! exactly once more than zero times: none is lost, none runs twice.

use std::time::Duration;

use queue::{JobState, Priority};
use serde_json::json;

use crate::queue_harness::{Site, probe};

const QUEUED: usize = 20;

#[tokio::test]
async fn no_job_is_lost_when_redis_restarts_and_the_worker_reconnects() {
    // A long visibility timeout: the restart must not look like a dead worker.
    let mut site = Site::start_with("restart", |c| c.visibility_timeout = Duration::from_secs(30)).await;
    let mut worker = site.worker(Priority::Low, 1, &[]);
    let long = site.enqueue(probe("long", Priority::Low, json!({"duration_ms": 1500}))).await;
    let mut short = Vec::new();
    for _ in 0..QUEUED {
        short.push(site.enqueue(probe("short", Priority::Low, json!({"duration_ms": 20}))).await);
    }
    site.wait_for_marker("long", 1, Duration::from_secs(20)).await;
    assert_eq!(site.marker("short").await, 0, "the short jobs wait behind the running one");

    site.redis.kill_and_restart().await;

    for id in std::iter::once(&long).chain(&short) {
        let done = site.wait_for_state(id, JobState::Succeeded, Duration::from_secs(60)).await;
        assert_eq!(done.attempts, 1, "{done:?}");
    }
    assert_eq!(site.marker("long").await, 1);
    assert_eq!(site.marker("short").await, QUEUED as u64);
    assert!(worker.is_running(), "the worker rode out the outage");
}
