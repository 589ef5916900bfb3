//! Listing records (filters, pagination) and queue depths.

use std::collections::HashSet;
use std::time::Duration;

use queue::{JobState, Outcome, Priority, QueueError};

use super::common::{env, job};

#[tokio::test]
async fn list_pages_newest_first_and_filters_by_state_and_kind() {
    let env = env("list").await;
    let q = &env.queue;
    let mut ids = Vec::new();
    for i in 0..25 {
        let kind = if i % 2 == 0 { "health" } else { "balance" };
        ids.push(q.enqueue(job(kind, Priority::High)).await.unwrap().id().to_owned());
    }
    // Complete the three oldest.
    let consumer = q.consumer(Priority::High, "w");
    for d in consumer.fetch(3, Duration::ZERO).await.unwrap() {
        consumer.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap();
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = q.list(None, None, cursor.as_deref(), 10).await.unwrap();
        assert!(page.len() <= 10);
        seen.extend(page.into_iter().map(|r| r.id));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "every job once, newest first");

    let (succeeded, _) = q.list(Some(JobState::Succeeded), None, None, 100).await.unwrap();
    assert_eq!(succeeded.iter().map(|r| r.id.clone()).collect::<HashSet<_>>(), ids[..3].iter().cloned().collect());
    let (balance, next) = q.list(None, Some("balance"), None, 100).await.unwrap();
    assert_eq!(balance.len(), 12);
    assert!(next.is_none());
    assert!(balance.iter().all(|r| r.kind == "balance"));
    let (queued_health, _) = q.list(Some(JobState::Queued), Some("health"), None, 100).await.unwrap();
    assert_eq!(queued_health.len(), 11, "13 health jobs, the two oldest of them succeeded");

    // A filtered page of 2 continues where it stopped.
    let (p1, next) = q.list(Some(JobState::Queued), Some("balance"), None, 2).await.unwrap();
    let (p2, _) = q.list(Some(JobState::Queued), Some("balance"), next.as_deref(), 2).await.unwrap();
    assert_eq!(p1.len() + p2.len(), 4);
    assert!(p1.iter().all(|a| p2.iter().all(|b| a.id != b.id && a.created_at >= b.created_at)));
}

#[tokio::test]
async fn list_rejects_a_bad_cursor_and_skips_expired_records() {
    let env = env("list-cursor").await;
    let q = &env.queue;
    assert!(matches!(q.list(None, None, Some("garbage"), 10).await, Err(QueueError::InvalidCursor)));
    let a = q.enqueue(job("a", Priority::Low)).await.unwrap().id().to_owned();
    let b = q.enqueue(job("b", Priority::Low)).await.unwrap().id().to_owned();
    let mut raw = env.raw().await;
    let _: i64 = redis::cmd("DEL").arg(env.key(&format!("job:{a}"))).query_async(&mut raw).await.unwrap();
    let (page, next) = q.list(None, None, None, 10).await.unwrap();
    assert_eq!(page.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [b.as_str()]);
    assert!(next.is_none());
    let indexed: i64 = redis::cmd("ZCARD").arg(env.key("jobs")).query_async(&mut raw).await.unwrap();
    assert_eq!(indexed, 1, "the expired record's index entry is dropped");
}

#[tokio::test]
async fn pagination_is_exact_when_many_jobs_share_a_millisecond() {
    let env = env("list-ties").await;
    let q = &env.queue;
    let outcomes = q.enqueue_many((0..1200).map(|_| job("bulk", Priority::Low)).collect()).await.unwrap();
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = q.list(None, None, cursor.as_deref(), 700).await.unwrap();
        for r in page {
            assert!(seen.insert(r.id), "listed twice");
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), outcomes.len());
}

#[tokio::test]
async fn depths_count_waiting_running_delayed_and_dead() {
    let env = env("depths").await;
    let q = &env.queue;
    assert_eq!(q.depths().await.unwrap(), queue::QueueDepths::default());
    for _ in 0..5 {
        q.enqueue(job("h", Priority::High)).await.unwrap();
    }
    for _ in 0..2 {
        q.enqueue(job("l", Priority::Low)).await.unwrap();
    }
    let high = q.consumer(Priority::High, "w");
    let got = high.fetch(3, Duration::ZERO).await.unwrap();
    assert_eq!(got.len(), 3);
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running), (2, 3));
    assert_eq!((depths.low.waiting, depths.low.running), (2, 0));
    high.complete(&got[0], Outcome::Retry("later".into())).await.unwrap();
    high.complete(&got[1], Outcome::Abort("never".into())).await.unwrap();
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running, depths.delayed, depths.dead), (2, 1, 1, 1));
}
