//! The controller state beside the queue: reachability and evacuation records replace each
//! other per backend, alerts are newest first and capped, and a stored value that does not parse
//! is reported as corrupt rather than skipped.

use chrono::{Duration as TimeDelta, Utc};
use queue::{Alert, AlertSeverity, BackendReachability, EvacuationProgress, EvacuationState, MAX_ALERTS, QueueError};
use redis::AsyncCommands;
use serde_json::json;
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
    }
}

#[tokio::test]
async fn reachability_is_one_record_per_backend_sorted_by_site_and_host() {
    let env = env("state-reach").await;
    assert!(env.queue.backend_reachability().await.unwrap().is_empty());
    let site = Uuid::new_v4();
    let b = reachability(site, "b", true);
    let a = reachability(site, "a", false);
    env.queue.put_backend_reachability(&b).await.unwrap();
    env.queue.put_backend_reachability(&a).await.unwrap();
    let mut a2 = a.clone();
    a2.reachable = true;
    a2.last_error = None;
    a2.checked_at += TimeDelta::seconds(10);
    env.queue.put_backend_reachability(&a2).await.unwrap();
    assert_eq!(env.queue.backend_reachability().await.unwrap(), vec![a2.clone(), b.clone()]);

    assert!(env.queue.forget_backend_reachability(b.backend_id).await.unwrap());
    assert!(!env.queue.forget_backend_reachability(b.backend_id).await.unwrap());
    assert_eq!(env.queue.backend_reachability().await.unwrap(), vec![a2]);
}

#[tokio::test]
async fn evacuation_progress_replaces_the_previous_one_of_its_backend() {
    let env = env("state-evac").await;
    let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(env.queue.evacuation(one).await.unwrap(), None);
    env.queue.put_evacuation(&progress(one, 10, EvacuationState::Running)).await.unwrap();
    let done = progress(one, 100, EvacuationState::Done);
    env.queue.put_evacuation(&done).await.unwrap();
    let other = progress(two, 0, EvacuationState::Failed);
    env.queue.put_evacuation(&other).await.unwrap();
    assert_eq!(env.queue.evacuation(one).await.unwrap(), Some(done.clone()));
    assert_eq!(env.queue.evacuations().await.unwrap().len(), 2);
}

#[tokio::test]
async fn alerts_are_newest_first_and_capped() {
    let env = env("state-alerts").await;
    assert!(env.queue.alerts(10).await.unwrap().is_empty());
    let first = Alert::new(AlertSeverity::Critical, "stuck_move", "group g1 did not finish moving")
        .with_site(Uuid::new_v4())
        .with_context(json!({"group": "g1"}));
    env.queue.raise_alert(&first).await.unwrap();
    let second = Alert::new(AlertSeverity::Warning, "no_destination", "nowhere to go");
    env.queue.raise_alert(&second).await.unwrap();
    assert_eq!(env.queue.alerts(10).await.unwrap(), vec![second.clone(), first.clone()]);
    assert_eq!(env.queue.alerts(1).await.unwrap(), vec![second]);
    assert!(env.queue.alerts(0).await.unwrap().is_empty());

    for i in 0..MAX_ALERTS + 5 {
        env.queue.raise_alert(&Alert::new(AlertSeverity::Warning, "flood", format!("alert {i}"))).await.unwrap();
    }
    let all = env.queue.alerts(usize::MAX).await.unwrap();
    assert_eq!(all.len(), MAX_ALERTS);
    assert_eq!(all[0].message, format!("alert {}", MAX_ALERTS + 4), "the newest is kept first");
    assert!(all.iter().all(|a| a.kind == "flood"), "the oldest were dropped");
}

#[tokio::test]
async fn a_value_that_does_not_parse_is_corrupt() {
    let env = env("state-corrupt").await;
    let mut raw = env.raw().await;
    let backend = Uuid::new_v4();
    let _: () = raw.hset(env.key("state:evacuations"), backend.to_string(), "{not json").await.unwrap();
    let _: () = raw.lpush(env.key("state:alerts"), "[]").await.unwrap();
    let _: () = raw.hset(env.key("state:reachability"), backend.to_string(), "7").await.unwrap();
    assert!(matches!(env.queue.evacuation(backend).await, Err(QueueError::Corrupt(_))));
    assert!(matches!(env.queue.alerts(5).await, Err(QueueError::Corrupt(_))));
    assert!(matches!(env.queue.backend_reachability().await, Err(QueueError::Corrupt(_))));
}

#[tokio::test]
async fn smoothed_load_figures_are_kept_per_site() {
    let env = env("smoothing").await;
    let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(env.queue.balance_smoothing(site).await.unwrap(), policy::smooth::Smoothed::default());
    let smoothed = policy::smooth::Smoothed {
        figures: [("b1".to_owned(), [("cpu".to_owned(), 0.25)].into())].into(),
        at: Some(Utc::now()),
    };
    env.queue.put_balance_smoothing(site, &smoothed).await.unwrap();
    assert_eq!(env.queue.balance_smoothing(site).await.unwrap(), smoothed);
    assert!(env.queue.balance_smoothing(other).await.unwrap().figures.is_empty(), "another site starts afresh");
}
