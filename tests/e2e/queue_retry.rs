//! Retries: a job that keeps failing is retried with growing backoff, ends in the dead letters
//! after its maximum attempts, is listed there, and runs again once redriven.

use std::time::Duration;

use queue::{JobState, Priority};
use serde_json::json;

use crate::queue_harness::{RETRY_BASE, Site, probe};

#[tokio::test]
async fn a_failing_job_backs_off_goes_dead_after_its_attempts_and_can_be_redriven() {
    let site = Site::start("retry").await;
    let _worker = site.worker(Priority::Low, 4, &[]);
    let mut job = probe("retry", Priority::Low, json!({"outcome": "fail"}));
    job.max_attempts = Some(4);
    let id = site.enqueue(job).await;

    let dead = site.wait_for_state(&id, JobState::Dead, Duration::from_secs(30)).await;
    assert_eq!((dead.attempts, dead.max_attempts), (4, 4), "{dead:?}");
    assert!(dead.error.as_deref().is_some_and(|e| e.contains("probe failed attempt 4")), "{dead:?}");
    assert_eq!(site.marker("retry").await, 4);

    // Backoff: base·2^(n-1) with jitter in [½, 1], so each gap is at least the previous one's
    // lower bound doubled; the run log has the start of every attempt.
    let runs = site.runs("retry").await;
    assert_eq!(runs.iter().map(|r| r.attempt).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let gaps: Vec<i64> = runs.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect();
    eprintln!("retry gaps between attempt starts: {gaps:?} ms (base {} ms)", RETRY_BASE.as_millis());
    let base = RETRY_BASE.as_millis() as i64;
    for (i, gap) in gaps.iter().enumerate() {
        let floor = (base << i) / 2;
        assert!(*gap >= floor, "gap {} is {gap} ms, below the backoff floor {floor} ms: {gaps:?}", i + 1);
    }
    assert!(gaps[2] > gaps[0], "the backoff grows: {gaps:?}");

    let (dead_letters, _) = site.queue.list(Some(JobState::Dead), Some("probe"), None, 100).await.unwrap();
    assert_eq!(dead_letters.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    assert_eq!(site.queue.depths().await.unwrap().dead, 1);

    let redriven = site.queue.redrive(&id).await.unwrap();
    // The worker may have picked it up already by the time the record is read back.
    assert!(redriven.state != JobState::Dead && redriven.attempts <= 1, "{redriven:?}");
    // Its attempts start over: four more runs, then dead again.
    site.wait_for_marker("retry", 8, Duration::from_secs(30)).await;
    let again = site.wait_for_state(&id, JobState::Dead, Duration::from_secs(10)).await;
    assert_eq!(again.attempts, 4, "{again:?}");
    assert_eq!(site.marker("retry").await, 8);
}
