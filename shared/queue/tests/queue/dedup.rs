//! Dedup keys: one live job per key, across concurrent producers, freed when the job ends.

use std::time::Duration;

use futures::future::join_all;
use queue::{Completion, EnqueueOutcome, JobState, Outcome, Priority};

use super::common::{DEADLINE, deduped, env, fetch_one};

#[tokio::test]
async fn hundred_concurrent_enqueues_of_one_key_enqueue_once() {
    let env = env("dedup").await;
    let q = &env.queue;
    let outcomes = join_all((0..100).map(|_| q.enqueue(deduped("evacuate", "backend-7")))).await;
    let outcomes: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
    let enqueued: Vec<_> = outcomes.iter().filter(|o| matches!(o, EnqueueOutcome::Enqueued(_))).collect();
    assert_eq!(enqueued.len(), 1);
    let id = enqueued[0].id().to_owned();
    assert!(outcomes.iter().all(|o| o.id() == id), "every duplicate names the holder");
    assert_eq!(outcomes.iter().filter(|o| matches!(o, EnqueueOutcome::Duplicate(_))).count(), 99);
    assert_eq!(q.depths().await.unwrap().high.waiting, 1);

    // Still held while running; free again after success.
    let consumer = q.consumer(Priority::High, "w");
    let d = fetch_one(&consumer).await;
    assert_eq!(q.enqueue(deduped("evacuate", "backend-7")).await.unwrap(), EnqueueOutcome::Duplicate(id.clone()));
    consumer.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap();
    let again = q.enqueue(deduped("evacuate", "backend-7")).await.unwrap();
    assert!(matches!(&again, EnqueueOutcome::Enqueued(new) if *new != id), "{again:?}");
}

#[tokio::test]
async fn key_stays_held_through_retries_and_is_freed_when_dead() {
    let env = env("dedup-retry").await;
    let q = &env.queue;
    let mut new = deduped("move", "group-1");
    new.max_attempts = Some(2);
    let id = q.enqueue(new).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::High, "w");

    let d = fetch_one(&consumer).await;
    let retry = consumer.complete(&d, Outcome::Retry("backend busy".into())).await.unwrap();
    assert!(matches!(retry, Completion::RetryScheduled { .. }));
    assert_eq!(q.get(&id).await.unwrap().unwrap().state, JobState::Failed);
    assert_eq!(q.enqueue(deduped("move", "group-1")).await.unwrap(), EnqueueOutcome::Duplicate(id.clone()));

    testkit::wait_until_async("the retry to be promoted", DEADLINE, || async {
        (consumer.promote_due(10).await.unwrap() == 1).then_some(())
    })
    .await;
    let d = fetch_one(&consumer).await;
    assert_eq!(d.attempt, 2);
    assert_eq!(consumer.complete(&d, Outcome::Retry("still busy".into())).await.unwrap(), Completion::Dead);
    assert!(matches!(q.enqueue(deduped("move", "group-1")).await.unwrap(), EnqueueOutcome::Enqueued(_)));
}

#[tokio::test]
async fn a_key_whose_holder_record_vanished_is_free() {
    let env = env("dedup-orphan").await;
    let q = &env.queue;
    let id = q.enqueue(deduped("x", "k")).await.unwrap().id().to_owned();
    let mut raw = env.raw().await;
    let _: i64 = redis::cmd("DEL").arg(env.key(&format!("job:{id}"))).query_async(&mut raw).await.unwrap();
    assert!(matches!(q.enqueue(deduped("x", "k")).await.unwrap(), EnqueueOutcome::Enqueued(_)));
    // The orphaned stream entry is acknowledged and dropped, never delivered.
    let consumer = q.consumer(Priority::High, "w");
    let got = consumer.fetch(10, Duration::ZERO).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_ne!(got[0].job_id, id);
    assert_eq!(q.depths().await.unwrap().high.waiting, 0);
}

#[tokio::test]
async fn one_batch_with_a_key_twice_enqueues_the_first() {
    let env = env("dedup-batch").await;
    let outcomes =
        env.queue.enqueue_many(vec![deduped("a", "k"), deduped("b", "k"), deduped("c", "other")]).await.unwrap();
    let first = outcomes[0].id().to_owned();
    assert!(matches!(&outcomes[0], EnqueueOutcome::Enqueued(_)));
    assert_eq!(outcomes[1], EnqueueOutcome::Duplicate(first));
    assert!(matches!(&outcomes[2], EnqueueOutcome::Enqueued(_)));
    assert_eq!(env.queue.depths().await.unwrap().high.waiting, 2);
}
