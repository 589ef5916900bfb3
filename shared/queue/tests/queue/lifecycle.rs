//! The happy path: enqueue, fetch, complete, and what the record shows at each step.

use std::time::Duration;

use queue::{Completion, EnqueueOutcome, JobState, Outcome, Priority};

use super::common::{env, fetch_one, job};

#[tokio::test]
async fn enqueue_fetch_complete_records_every_field() {
    let env = env("lifecycle").await;
    let q = &env.queue;
    let mut new = job("health", Priority::High);
    new.epoch = Some(7);
    let id = q.enqueue(new).await.unwrap();
    let EnqueueOutcome::Enqueued(id) = id else { panic!("not enqueued: {id:?}") };

    let queued = q.get(&id).await.unwrap().unwrap();
    assert_eq!(queued.state, JobState::Queued);
    assert_eq!((queued.attempts, queued.max_attempts, queued.epoch), (0, 3, Some(7)));
    assert_eq!(queued.payload, serde_json::json!({ "kind": "health" }));
    assert!(queued.started_at.is_none() && queued.worker.is_none());

    let consumer = q.consumer(Priority::High, "w1");
    let d = fetch_one(&consumer).await;
    assert_eq!((d.job_id.as_str(), d.kind.as_str(), d.attempt, d.max_attempts), (id.as_str(), "health", 1, 3));
    assert_eq!(d.priority, Priority::High);
    assert_eq!(d.payload, queued.payload);
    assert_eq!(d.enqueued_at, queued.enqueued_at);
    let running = q.get(&id).await.unwrap().unwrap();
    assert_eq!(running.state, JobState::Running);
    assert_eq!((running.attempts, running.worker.as_deref()), (1, Some("w1")));
    assert_eq!(running.started_at, Some(d.started_at));

    let done = consumer.complete(&d, Outcome::Succeeded(serde_json::json!({ "moved": 2 }))).await.unwrap();
    assert_eq!(done, Completion::Succeeded);
    let record = q.get(&id).await.unwrap().unwrap();
    assert_eq!(record.state, JobState::Succeeded);
    assert_eq!(record.result, Some(serde_json::json!({ "moved": 2 })));
    assert!(record.error.is_none());
    assert!(record.finished_at.unwrap() >= record.started_at.unwrap());
    assert!(record.started_at.unwrap() >= record.enqueued_at && record.enqueued_at >= record.created_at);

    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running, depths.dead), (0, 0, 0));
    // Succeeded records expire after the retention period.
    let mut raw = env.raw().await;
    let ttl: i64 = redis::cmd("PTTL").arg(env.key(&format!("job:{id}"))).query_async(&mut raw).await.unwrap();
    assert!(ttl > 0, "succeeded record has no retention expiry");
}

#[tokio::test]
async fn priorities_are_separate_streams() {
    let env = env("priorities").await;
    let q = &env.queue;
    q.enqueue(job("balance", Priority::Low)).await.unwrap();
    let high = q.consumer(Priority::High, "h");
    assert!(high.fetch(10, Duration::ZERO).await.unwrap().is_empty());
    let low = q.consumer(Priority::Low, "l");
    let d = fetch_one(&low).await;
    assert_eq!((d.kind.as_str(), d.priority), ("balance", Priority::Low));
}

#[tokio::test]
async fn blocking_fetch_wakes_when_a_job_arrives() {
    let env = env("blocking").await;
    let consumer = env.queue.consumer(Priority::High, "w");
    // The group exists before the job (a fetch has run), then a fetch blocks for it.
    assert!(consumer.fetch(1, Duration::ZERO).await.unwrap().is_empty());
    let waiting = tokio::spawn({
        let consumer = consumer.clone();
        async move { consumer.fetch(5, Duration::from_secs(8)).await.unwrap() }
    });
    env.queue.enqueue(job("probe", Priority::High)).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn empty_blocking_fetch_returns_after_its_block_time() {
    let env = env("empty").await;
    let consumer = env.queue.consumer(Priority::Low, "w");
    let started = std::time::Instant::now();
    assert!(consumer.fetch(5, Duration::from_millis(100)).await.unwrap().is_empty());
    assert!(started.elapsed() >= Duration::from_millis(90));
}

#[tokio::test]
async fn enqueue_many_keeps_order_and_batches_fetch_up_to_max() {
    let env = env("many").await;
    let q = &env.queue;
    let jobs: Vec<_> = (0..250).map(|i| job(&format!("k{i}"), Priority::High)).collect();
    let outcomes = q.enqueue_many(jobs).await.unwrap();
    assert_eq!(outcomes.len(), 250);
    assert!(outcomes.iter().all(|o| matches!(o, EnqueueOutcome::Enqueued(_))));

    let consumer = q.consumer(Priority::High, "w");
    let first = consumer.fetch(100, Duration::ZERO).await.unwrap();
    assert_eq!(first.len(), 100);
    let kinds: Vec<_> = first.iter().take(3).map(|d| d.kind.clone()).collect();
    assert_eq!(kinds, ["k0", "k1", "k2"]);
    let items: Vec<_> = first.into_iter().map(|d| (d, Outcome::Succeeded(serde_json::Value::Null))).collect();
    let done = consumer.complete_many(&items).await.unwrap();
    assert!(done.iter().all(|c| *c == Completion::Succeeded));
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running), (150, 0));
}

#[tokio::test]
async fn graceful_leave_keeps_a_consumer_with_pending_jobs() {
    let env = env("leave").await;
    let q = &env.queue;
    q.enqueue(job("a", Priority::High)).await.unwrap();
    let busy = q.consumer(Priority::High, "busy");
    let d = fetch_one(&busy).await;
    let idle = q.consumer(Priority::High, "idle");
    assert!(idle.fetch(1, Duration::ZERO).await.unwrap().is_empty());
    busy.leave().await.unwrap();
    idle.leave().await.unwrap();
    let mut raw = env.raw().await;
    let consumers: Vec<redis::Value> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(env.key("stream:high"))
        .arg("workers")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(consumers.len(), 1, "only the consumer with a pending job stays");
    // Its job is still pending, to be completed or reclaimed.
    assert_eq!(busy.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap(), Completion::Succeeded);
}
