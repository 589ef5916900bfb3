//! At-least-once: a worker SIGKILLed in the middle of a job loses its claim after the
//! visibility timeout, and another worker runs the job again to success.

use std::time::Duration;

use queue::{JobState, Priority};
use serde_json::json;

use crate::queue_harness::{Site, VISIBILITY_TIMEOUT, probe};

#[tokio::test]
async fn a_job_of_a_killed_worker_is_reclaimed_by_another_and_succeeds() {
    let site = Site::start("reclaim").await;
    let mut first = site.worker(Priority::Low, 4, &[]);
    let id = site.enqueue(probe("reclaim", Priority::Low, json!({"duration_ms": 2000}))).await;

    // The first worker is in the middle of the job: it counted its run and is sleeping.
    site.wait_for_marker("reclaim", 1, Duration::from_secs(20)).await;
    first.sigkill();
    let running = site.record(&id).await;
    assert_eq!((running.state, running.attempts), (JobState::Running, 1), "{running:?}");

    let second = site.worker(Priority::Low, 4, &[]);
    let done = site.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(30)).await;
    assert_eq!(done.attempts, 2, "{done:?}");
    assert_eq!(site.marker("reclaim").await, 2, "exactly one more run");
    let worker = done.worker.unwrap_or_default();
    assert!(worker.contains(&format!(":{}:", second.pid())), "the second worker ran it: {worker}");

    // Not before the visibility timeout: the dead worker's claim had to expire first (it last
    // renewed it at most a heartbeat before it died).
    let runs = site.runs("reclaim").await;
    assert_eq!(
        runs.iter().map(|r| (r.job.as_str(), r.attempt)).collect::<Vec<_>>(),
        [(id.as_str(), 1), (id.as_str(), 2)]
    );
    let gap = runs[1].at_ms - runs[0].at_ms;
    let heartbeat = VISIBILITY_TIMEOUT.as_millis() as i64 / 3;
    assert!(gap >= VISIBILITY_TIMEOUT.as_millis() as i64 - heartbeat, "reclaimed after {gap} ms");
}
