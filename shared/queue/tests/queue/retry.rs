//! Retries with backoff, the dead-letter stream, abort, and redrive.

use std::time::Duration;

use queue::{Completion, JobState, Outcome, Priority, QueueError};

use super::common::{DEADLINE, env, fetch_one, job};

#[tokio::test]
async fn retries_with_backoff_then_dead_then_redrive_runs_it_again() {
    let env = env("retry").await;
    let q = &env.queue;
    let id = q.enqueue(job("reachability", Priority::Low)).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::Low, "w");

    for attempt in 1..=3u32 {
        let d = testkit::wait_until_async("the next attempt", DEADLINE, || async {
            consumer.promote_due(10).await.unwrap();
            consumer.fetch(1, Duration::ZERO).await.unwrap().pop()
        })
        .await;
        assert_eq!((d.job_id.as_str(), d.attempt), (id.as_str(), attempt));
        let before = chrono::Utc::now();
        let done = consumer.complete(&d, Outcome::Retry(format!("timeout {attempt}"))).await.unwrap();
        let after = chrono::Utc::now();
        if attempt < 3 {
            let Completion::RetryScheduled { at } = done else { panic!("attempt {attempt}: {done:?}") };
            // backoff(attempt) with base 10 ms, max 40 ms: between half and all of 10·2^(n-1) ms.
            let ceiling = chrono::Duration::milliseconds((10 << (attempt - 1)).min(40));
            let ms = chrono::Duration::milliseconds(1); // Redis stamps whole milliseconds
            assert!(at >= before + ceiling / 2 - ms && at <= after + ceiling, "attempt {attempt}: due at {at}");
            let record = q.get(&id).await.unwrap().unwrap();
            assert_eq!((record.state, record.next_attempt_at), (JobState::Failed, Some(at)));
            assert_eq!(record.error.as_deref(), Some(format!("timeout {attempt}").as_str()));
            assert_eq!(q.depths().await.unwrap().delayed, 1);
        } else {
            assert_eq!(done, Completion::Dead);
        }
    }

    let dead = q.get(&id).await.unwrap().unwrap();
    assert_eq!((dead.state, dead.attempts, dead.error.as_deref()), (JobState::Dead, 3, Some("timeout 3")));
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.dead, depths.delayed, depths.low.waiting), (1, 0, 0));
    let (listed, _) = q.list(Some(JobState::Dead), None, None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    let mut raw = env.raw().await;
    let ttl: i64 = redis::cmd("PTTL").arg(env.key(&format!("job:{id}"))).query_async(&mut raw).await.unwrap();
    assert!(ttl > 0, "dead records expire after the dead retention");

    let redriven = q.redrive(&id).await.unwrap();
    assert_eq!((redriven.state, redriven.attempts), (JobState::Queued, 0));
    assert!(redriven.error.is_none() && redriven.finished_at.is_none());
    assert_eq!(q.depths().await.unwrap().dead, 0);
    let ttl: i64 = redis::cmd("PTTL").arg(env.key(&format!("job:{id}"))).query_async(&mut raw).await.unwrap();
    assert_eq!(ttl, -1, "a redriven record no longer expires");
    let d = fetch_one(&consumer).await;
    assert_eq!(d.attempt, 1);
    assert_eq!(
        consumer.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap(),
        Completion::Succeeded
    );
}

#[tokio::test]
async fn abort_goes_dead_at_once() {
    let env = env("abort").await;
    let q = &env.queue;
    let id = q.enqueue(job("move", Priority::High)).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    assert_eq!(consumer.complete(&d, Outcome::Abort("group is sticky".into())).await.unwrap(), Completion::Dead);
    let record = q.get(&id).await.unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (JobState::Dead, 1));
    assert_eq!(record.error.as_deref(), Some("group is sticky"));
    assert_eq!(q.depths().await.unwrap().dead, 1);
}

#[tokio::test]
async fn max_attempts_of_one_means_the_first_retry_is_dead() {
    let env = env("once").await;
    let q = &env.queue;
    let mut new = job("x", Priority::High);
    new.max_attempts = Some(1);
    q.enqueue(new).await.unwrap();
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    assert_eq!(d.max_attempts, 1);
    assert_eq!(consumer.complete(&d, Outcome::Retry("no".into())).await.unwrap(), Completion::Dead);
}

#[tokio::test]
async fn redrive_refuses_jobs_that_are_not_dead_or_missing() {
    let env = env("redrive-guard").await;
    let q = &env.queue;
    let id = q.enqueue(job("x", Priority::High)).await.unwrap().id().to_owned();
    let before = env.snapshot().await;
    assert!(matches!(q.redrive(&id).await, Err(QueueError::Conflict(_))));
    assert_eq!(env.snapshot().await, before, "a refused redrive writes nothing");
    assert!(matches!(q.redrive("no-such-job").await, Err(QueueError::NotFound(_))));
}

#[tokio::test]
async fn redrive_refuses_when_its_dedup_key_is_held_by_another_job() {
    let env = env("redrive-dedup").await;
    let q = &env.queue;
    let mut first = job("move", Priority::High);
    first.dedup_key = Some("group-9".into());
    let dead_id = q.enqueue(first.clone()).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    consumer.complete(&d, Outcome::Abort("bad".into())).await.unwrap();
    let holder = q.enqueue(first).await.unwrap().id().to_owned();
    assert_ne!(holder, dead_id);
    let before = env.snapshot().await;
    let err = q.redrive(&dead_id).await.unwrap_err();
    assert!(matches!(&err, QueueError::Conflict(msg) if msg.contains(&holder)), "{err:?}");
    assert_eq!(env.snapshot().await, before);
}
