//! Each script's guards, exercised directly where the public API cannot reach them: repeats
//! after a lost reply (idempotence per job id and run token), due-time and state guards.

use std::time::Duration;

use queue::{Completion, JobState, Outcome, Priority};

use super::common::{DEADLINE, env, fetch_one, job};

fn script(source: &str) -> redis::Script {
    redis::Script::new(source)
}

#[tokio::test]
async fn enqueue_repeated_with_one_job_id_enqueues_once() {
    let env = env("s-enqueue").await;
    let mut raw = env.raw().await;
    let enqueue = script(include_str!("../../scripts/enqueue.lua"));
    let mut replies = Vec::new();
    for _ in 0..2 {
        let reply: Vec<Vec<String>> = enqueue
            .key(env.key("jobs"))
            .key(env.key("lease:scheduler"))
            .key(env.key("scheduler:ticks"))
            .key(env.key("stream:high"))
            .key(env.key("job:fixed-id"))
            .key(env.key("dedup:k"))
            .arg(0)
            .arg(env.key("job:"))
            .arg("")
            .arg("")
            .arg("")
            .arg(0)
            .arg("fixed-id")
            .arg("health")
            .arg("{}")
            .arg("high")
            .arg("k")
            .arg(3)
            .arg("")
            .invoke_async(&mut raw)
            .await
            .unwrap();
        replies.push(reply);
    }
    assert_eq!(replies[0], [["enqueued", "fixed-id"]]);
    assert_eq!(replies[1], replies[0], "a repeat answers like the first call");
    assert_eq!(env.queue.depths().await.unwrap().high.waiting, 1);
    let record = env.queue.get("fixed-id").await.unwrap().unwrap();
    assert_eq!((record.state, record.dedup_key.as_deref()), (JobState::Queued, Some("k")));
}

#[tokio::test]
async fn start_repeated_with_one_run_token_counts_one_attempt() {
    let env = env("s-start").await;
    let q = &env.queue;
    let id = q.enqueue(job("x", Priority::High)).await.unwrap().id().to_owned();
    let mut raw = env.raw().await;
    let stream = env.key("stream:high");
    let _: () =
        redis::cmd("XGROUP").arg("CREATE").arg(&stream).arg("workers").arg("0").query_async(&mut raw).await.unwrap();
    let read: redis::streams::StreamReadReply = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg("c")
        .arg("STREAMS")
        .arg(&stream)
        .arg(">")
        .query_async(&mut raw)
        .await
        .unwrap();
    let entry_id = read.keys[0].ids[0].id.clone();
    let start = script(include_str!("../../scripts/start.lua"));
    let run = |token: &'static str| {
        let mut invocation = start.key(&stream);
        invocation.key(env.key("dead")).key(env.key(&format!("job:{id}")));
        invocation.arg("workers").arg("c").arg(env.key("dedup:")).arg(60_000).arg(&entry_id).arg(token);
        let mut raw = raw.clone();
        async move { invocation.invoke_async::<Vec<Vec<String>>>(&mut raw).await.unwrap().remove(0) }
    };
    let first = run("t1").await;
    assert_eq!((first[0].as_str(), first[1].as_str()), ("run", "1"));
    assert_eq!(run("t1").await, first, "a repeat returns the same attempt");
    assert_eq!(q.get(&id).await.unwrap().unwrap().attempts, 1);
    // A new token (a reclaim) is a new attempt.
    assert_eq!(run("t2").await[1], "2");

    // A reclaim that raced with the completion of its entry finds the job finished: the start
    // script acknowledges the entry and hands out nothing.
    let d = queue::Delivery {
        job_id: id.clone(),
        entry_id: entry_id.clone(),
        priority: Priority::High,
        kind: "x".into(),
        payload: serde_json::Value::Null,
        attempt: 2,
        max_attempts: 3,
        enqueued_at: chrono::Utc::now(),
        started_at: chrono::Utc::now(),
        run_token: "t2".into(),
    };
    let done = q.consumer(Priority::High, "c").complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap();
    assert_eq!(done, Completion::Succeeded);
    let reply = run("t3").await;
    assert!(reply.is_empty(), "a finished job was started again: {reply:?}");
    let record = q.get(&id).await.unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (JobState::Succeeded, 2));
}

#[tokio::test]
async fn completions_repeated_with_their_run_token_are_idempotent() {
    let env = env("s-complete").await;
    let q = &env.queue;
    for _ in 0..3 {
        q.enqueue(job("x", Priority::High)).await.unwrap();
    }
    let consumer = q.consumer(Priority::High, "w");
    let got = consumer.fetch(3, Duration::ZERO).await.unwrap();
    let outcomes = [Outcome::Succeeded(serde_json::json!(1)), Outcome::Retry("r".into()), Outcome::Abort("a".into())];
    for (d, outcome) in got.iter().zip(outcomes) {
        let first = consumer.complete(d, outcome.clone()).await.unwrap();
        let before = env.snapshot().await;
        assert_eq!(consumer.complete(d, outcome).await.unwrap(), first, "{d:?}");
        assert_eq!(env.snapshot().await, before, "a repeated completion wrote something");
    }
}

#[tokio::test]
async fn completion_for_another_entry_of_the_job_is_stale() {
    let env = env("s-entry").await;
    let q = &env.queue;
    q.enqueue(job("x", Priority::High)).await.unwrap();
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    let forged = queue::Delivery { entry_id: "1-1".into(), ..d.clone() };
    let before = env.snapshot().await;
    assert_eq!(
        consumer.complete(&forged, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap(),
        Completion::Stale
    );
    let other_token = queue::Delivery { run_token: "not-the-token".into(), ..d.clone() };
    assert_eq!(consumer.complete(&other_token, Outcome::Abort("x".into())).await.unwrap(), Completion::Stale);
    assert_eq!(env.snapshot().await, before);
    assert_eq!(
        consumer.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap(),
        Completion::Succeeded
    );
}

#[tokio::test]
async fn promote_due_moves_only_due_retries() {
    let env = env("s-promote").await;
    let soon =
        env.queue_with(|c| (c.retry_base, c.retry_max) = (Duration::from_millis(1), Duration::from_millis(1))).await;
    let later =
        env.queue_with(|c| (c.retry_base, c.retry_max) = (Duration::from_secs(3600), Duration::from_secs(3600))).await;
    let due_id = soon.enqueue(job("due", Priority::Low)).await.unwrap().id().to_owned();
    let wait_id = soon.enqueue(job("wait", Priority::High)).await.unwrap().id().to_owned();
    let d_due = fetch_one(&soon.consumer(Priority::Low, "a")).await;
    let d_wait = fetch_one(&later.consumer(Priority::High, "b")).await;
    soon.consumer(Priority::Low, "a").complete(&d_due, Outcome::Retry("x".into())).await.unwrap();
    later.consumer(Priority::High, "b").complete(&d_wait, Outcome::Retry("x".into())).await.unwrap();
    // A member whose record is not waiting for a retry is dropped, not enqueued.
    let mut raw = env.raw().await;
    let _: i64 = redis::cmd("ZADD").arg(env.key("delayed")).arg(0).arg("ghost").query_async(&mut raw).await.unwrap();

    let consumer = soon.consumer(Priority::Low, "a");
    testkit::wait_until_async("the due retry to move", DEADLINE, || async {
        (consumer.promote_due(10).await.unwrap() == 1).then_some(())
    })
    .await;
    assert_eq!(consumer.promote_due(10).await.unwrap(), 0);
    assert_eq!(soon.get(&due_id).await.unwrap().unwrap().state, JobState::Queued);
    assert!(soon.get(&due_id).await.unwrap().unwrap().next_attempt_at.is_none());
    assert_eq!(soon.get(&wait_id).await.unwrap().unwrap().state, JobState::Failed);
    let delayed: Vec<String> =
        redis::cmd("ZRANGE").arg(env.key("delayed")).arg(0).arg(-1).query_async(&mut raw).await.unwrap();
    assert_eq!(delayed, [wait_id]);
    let depths = soon.depths().await.unwrap();
    assert_eq!((depths.low.waiting, depths.high.waiting, depths.delayed), (1, 0, 1));
    assert_eq!(fetch_one(&consumer).await.attempt, 2);
}
