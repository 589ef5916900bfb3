//! Redis SIGKILLed and restarted (append-only, fsync always): no job is lost, a running job
//! completes after the restart, and the queue reconnects without the caller noticing.

use std::time::{Duration, Instant};

use queue::{Completion, JobState, Outcome, Priority};

use super::common::{DEADLINE, env, fetch_one, job};

#[tokio::test]
async fn jobs_survive_a_redis_kill_and_the_running_one_completes_after_restart() {
    let mut env = env("restart").await;
    let q = env.queue.clone();
    let ids: Vec<String> = q
        .enqueue_many((0..20).map(|i| job(&format!("k{i}"), Priority::High)).collect())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id().to_owned())
        .collect();
    let consumer = q.consumer(Priority::High, "w");
    let running = consumer.fetch(1, Duration::ZERO).await.unwrap().pop().unwrap();
    let delayed = consumer.fetch(1, Duration::ZERO).await.unwrap().pop().unwrap();
    assert!(matches!(
        consumer.complete(&delayed, Outcome::Retry("x".into())).await.unwrap(),
        Completion::RetryScheduled { .. }
    ));

    env.server.kill_and_restart().await;

    // The first calls after the restart go through: the broken connection is replaced.
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running, depths.delayed), (18, 1, 1));
    let done = consumer.complete(&running, Outcome::Succeeded(serde_json::json!("after restart"))).await.unwrap();
    assert_eq!(done, Completion::Succeeded);

    let mut finished = 1;
    let deadline = Instant::now() + DEADLINE;
    while finished < ids.len() {
        assert!(Instant::now() < deadline, "only {finished} of {} jobs finished", ids.len());
        consumer.promote_due(100).await.unwrap();
        let batch = consumer.fetch(50, Duration::from_millis(20)).await.unwrap();
        let items: Vec<_> = batch.into_iter().map(|d| (d, Outcome::Succeeded(serde_json::Value::Null))).collect();
        finished += consumer.complete_many(&items).await.unwrap().len();
    }
    for id in &ids {
        assert_eq!(q.get(id).await.unwrap().unwrap().state, JobState::Succeeded, "job {id}");
    }
    let depths = q.depths().await.unwrap();
    assert_eq!(depths, queue::QueueDepths::default());
}

#[tokio::test]
async fn a_blocking_fetch_reconnects_after_a_restart() {
    let mut env = env("restart-fetch").await;
    let consumer = env.queue.consumer(Priority::Low, "w");
    // Warm the pool's connection, then break it.
    assert!(consumer.fetch(1, Duration::from_millis(10)).await.unwrap().is_empty());
    env.server.kill_and_restart().await;
    env.queue.enqueue(job("after", Priority::Low)).await.unwrap();
    let d = fetch_one(&consumer).await;
    assert_eq!(d.kind, "after");
}

#[tokio::test]
async fn calls_while_redis_is_down_are_unavailable_then_recover() {
    let mut env = env("restart-down").await;
    let q = env.queue.clone();
    q.ping().await.unwrap();
    env.server.stop().await;
    assert!(matches!(q.ping().await, Err(queue::QueueError::Unavailable(_))));
    assert!(matches!(q.enqueue(job("x", Priority::High)).await, Err(queue::QueueError::Unavailable(_))));
    let consumer = q.consumer(Priority::High, "w");
    assert!(matches!(consumer.fetch(1, Duration::from_millis(10)).await, Err(queue::QueueError::Unavailable(_))));
    env.server.kill_and_restart().await;
    q.ping().await.unwrap();
    q.enqueue(job("x", Priority::High)).await.unwrap();
    assert_eq!(fetch_one(&consumer).await.kind, "x");
}

#[tokio::test]
async fn unrepeatable_calls_right_after_a_restart_go_through() {
    let mut env = env("restart-once").await;
    let q = env.queue.clone();
    let id = q.enqueue(job("x", Priority::High)).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    consumer.complete(&d, Outcome::Abort("bad".into())).await.unwrap();
    let lease = q.lease("scheduler", "s", Duration::from_secs(30));
    let fence = lease.try_acquire().await.unwrap().unwrap();

    env.server.kill_and_restart().await;

    // Neither call may be repeated blindly; both must still survive the dead connection.
    assert_eq!(q.redrive(&id).await.unwrap().state, JobState::Queued);
    let entry = queue::ScheduleEntry {
        name: "health".into(),
        kind: "health".into(),
        interval_ms: 1000,
        priority: Priority::High,
        payload: serde_json::Value::Null,
    };
    let tick = q.emit_tick(&fence, &entry, chrono::Utc::now()).await.unwrap();
    assert!(matches!(tick, queue::TickOutcome::Emitted(_)), "{tick:?}");
}
