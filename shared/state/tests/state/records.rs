//! The controller state beside the queue: reachability and evacuation records replace each
//! other per backend (alerts have their own module), and a stored value that does not parse is
//! reported as corrupt rather than skipped.

use chrono::{Duration as TimeDelta, Utc};
use queue::QueueError;
use redis::AsyncCommands;
use state::{AlertFilter, BackendReachability, EvacuationProgress, EvacuationState};
use uuid::Uuid;

use super::common::env;

fn reachability(site: Uuid, host: &str, reachable: bool) -> BackendReachability {
    let now = Utc::now();
    BackendReachability {
        backend_id: Uuid::new_v4(),
        site_id: site,
        host: host.into(),
        reachable,
        checked_at: now,
        since: now,
        last_error: (!reachable).then(|| "connection refused".into()),
        name_failure_since: None,
    }
}

fn progress(backend: Uuid, moved: u64, state: EvacuationState) -> EvacuationProgress {
    let now = Utc::now();
    EvacuationProgress {
        backend_id: backend,
        host: "be1".into(),
        job_id: "job-1".into(),
        state,
        total: 100,
        moved,
        moving: 10,
        failed: 0,
        started_at: now,
        updated_at: now,
        message: None,
        last_moved_at: Some(now),
    }
}

#[tokio::test]
async fn reachability_is_one_record_per_backend_sorted_by_site_and_host() {
    let env = env("state-reach").await;
    assert!(env.state.backend_reachability().await.unwrap().is_empty());
    let site = Uuid::new_v4();
    let b = reachability(site, "b", true);
    let a = reachability(site, "a", false);
    env.state.put_backend_reachability(&b).await.unwrap();
    env.state.put_backend_reachability(&a).await.unwrap();
    let mut a2 = a.clone();
    a2.reachable = true;
    a2.last_error = None;
    a2.checked_at += TimeDelta::seconds(10);
    env.state.put_backend_reachability(&a2).await.unwrap();
    assert_eq!(env.state.backend_reachability().await.unwrap(), vec![a2.clone(), b.clone()]);

    assert!(env.state.forget_backend_reachability(b.backend_id).await.unwrap());
    assert!(!env.state.forget_backend_reachability(b.backend_id).await.unwrap());
    assert_eq!(env.state.backend_reachability().await.unwrap(), vec![a2]);
}

#[tokio::test]
async fn evacuation_progress_replaces_the_previous_one_of_its_backend() {
    let env = env("state-evac").await;
    let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(env.state.evacuation(one).await.unwrap(), None);
    env.state.put_evacuation(&progress(one, 10, EvacuationState::Running)).await.unwrap();
    let done = progress(one, 100, EvacuationState::Done);
    env.state.put_evacuation(&done).await.unwrap();
    let other = progress(two, 0, EvacuationState::Failed);
    env.state.put_evacuation(&other).await.unwrap();
    assert_eq!(env.state.evacuation(one).await.unwrap(), Some(done.clone()));
    assert_eq!(env.state.evacuations().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_evacuation_heartbeat_is_kept_apart_from_the_progress_and_expires() {
    let env = env("state-evac-beat").await;
    let backend = Uuid::new_v4();
    assert_eq!(env.state.evacuation_heartbeat(backend).await.unwrap(), None);
    let stored = progress(backend, 10, EvacuationState::Running);
    env.state.put_evacuation(&stored).await.unwrap();
    let before = Utc::now();
    env.state.beat_evacuation(backend, "job-1").await.unwrap();
    let (job, at) = env.state.evacuation_heartbeat(backend).await.unwrap().unwrap();
    assert_eq!(job, "job-1");
    assert!(at >= before - TimeDelta::seconds(1) && at <= Utc::now(), "{at}");
    assert_eq!(env.state.evacuation(backend).await.unwrap(), Some(stored), "the progress is untouched");

    let key = env.key(&format!("state:evacuation_heartbeat:{backend}"));
    let mut raw = env.raw().await;
    let ttl_ms: i64 = raw.pttl(&key).await.unwrap();
    let beat_ms = state::EVACUATION_HEARTBEAT.as_millis() as i64;
    assert!(ttl_ms > 3 * beat_ms && ttl_ms <= 5 * beat_ms, "expires after a few beats: {ttl_ms} ms");
    let _: () = raw.set(&key, "{not json").await.unwrap();
    assert!(matches!(env.state.evacuation_heartbeat(backend).await, Err(QueueError::Corrupt(_))));

    // The ticker's first beat is at once, not a period later.
    let other = Uuid::new_v4();
    let _ticker = env.state.keep_evacuation_beating(other, "job-2");
    let (job, _) = testkit::wait_until_async("the first beat", std::time::Duration::from_secs(1), || async {
        env.state.evacuation_heartbeat(other).await.unwrap()
    })
    .await;
    assert_eq!(job, "job-2");
}

#[tokio::test]
async fn a_value_that_does_not_parse_is_corrupt() {
    let env = env("state-corrupt").await;
    let mut raw = env.raw().await;
    let backend = Uuid::new_v4();
    let _: () = raw.hset(env.key("state:evacuations"), backend.to_string(), "{not json").await.unwrap();
    let _: () = raw.hset(env.key("state:alert:meta"), "[null,\"k\",null]", "[]").await.unwrap();
    let _: () = raw.zadd(env.key("state:alert:seen"), "[null,\"k\",null]", 1).await.unwrap();
    let _: () = raw.hset(env.key("state:reachability"), backend.to_string(), "7").await.unwrap();
    assert!(matches!(env.state.evacuation(backend).await, Err(QueueError::Corrupt(_))));
    assert!(matches!(env.state.alerts(AlertFilter::all(5)).await, Err(QueueError::Corrupt(_))));
    assert!(matches!(env.state.backend_reachability().await, Err(QueueError::Corrupt(_))));
}

#[tokio::test]
async fn smoothed_load_figures_are_kept_per_site() {
    let env = env("smoothing").await;
    let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(env.state.balance_smoothing(site).await.unwrap(), policy::smooth::Smoothed::default());
    let smoothed = policy::smooth::Smoothed {
        figures: [("b1".to_owned(), [("cpu".to_owned(), 0.25)].into())].into(),
        at: Some(Utc::now()),
    };
    env.state.put_balance_smoothing(site, &smoothed).await.unwrap();
    assert_eq!(env.state.balance_smoothing(site).await.unwrap(), smoothed);
    assert!(env.state.balance_smoothing(other).await.unwrap().figures.is_empty(), "another site starts afresh");
}
