//! At-least-once: silent workers' jobs are reclaimed, heartbeats keep claims, late completions
//! of a taken-over attempt change nothing, and a job whose workers keep dying ends dead.

use std::time::{Duration, Instant};

use queue::{Completion, JobState, Outcome, Priority};

use super::common::{DEADLINE, env, fetch_one, job, reclaim_some};

#[tokio::test]
async fn a_silent_workers_job_is_reclaimed_and_its_late_completion_is_stale() {
    let env = env("reclaim").await;
    // Long enough that "not yet idle" below holds on a busy machine.
    let q = &env.queue_with(|c| c.visibility_timeout = Duration::from_secs(1)).await;
    let id = q.enqueue(job("evacuate", Priority::High)).await.unwrap().id().to_owned();
    let first = q.consumer(Priority::High, "w1");
    let second = q.consumer(Priority::High, "w2");
    let d1 = fetch_one(&first).await;
    // Not yet idle for the visibility timeout: nothing to take over.
    assert!(second.reclaim(10).await.unwrap().is_empty());

    let reclaimed = reclaim_some(&second).await;
    assert_eq!(reclaimed.len(), 1);
    let d2 = &reclaimed[0];
    assert_eq!((d2.job_id.as_str(), d2.attempt), (id.as_str(), 2));
    assert_ne!(d2.run_token, d1.run_token);
    assert_eq!(q.get(&id).await.unwrap().unwrap().worker.as_deref(), Some("w2"));

    // The first worker wakes up: its heartbeat reports the loss, its completion is stale.
    assert_eq!(first.heartbeat(std::slice::from_ref(&d1)).await.unwrap(), vec![id.clone()]);
    let before = env.snapshot().await;
    assert_eq!(first.complete(&d1, Outcome::Succeeded(serde_json::json!("late"))).await.unwrap(), Completion::Stale);
    assert_eq!(first.complete(&d1, Outcome::Retry("late".into())).await.unwrap(), Completion::Stale);
    assert_eq!(first.complete(&d1, Outcome::Abort("late".into())).await.unwrap(), Completion::Stale);
    assert_eq!(env.snapshot().await, before, "a stale completion writes nothing");

    // The heartbeat did not take the claim back: the second worker still holds it.
    assert!(second.heartbeat(std::slice::from_ref(d2)).await.unwrap().is_empty());
    assert_eq!(second.complete(d2, Outcome::Succeeded(serde_json::json!("ok"))).await.unwrap(), Completion::Succeeded);
    let record = q.get(&id).await.unwrap().unwrap();
    assert_eq!((record.state, record.attempts, record.result), (JobState::Succeeded, 2, Some(serde_json::json!("ok"))));
}

#[tokio::test]
async fn heartbeats_keep_a_claim_past_the_visibility_timeout() {
    let env = env("heartbeat").await;
    // Heartbeats every 200 ms: a stall of a busy machine must not look like a dead worker.
    let q = &env.queue_with(|c| c.visibility_timeout = Duration::from_millis(600)).await;
    q.enqueue(job("long", Priority::Low)).await.unwrap();
    let worker = q.consumer(Priority::Low, "w1");
    let thief = q.consumer(Priority::Low, "w2");
    let d = fetch_one(&worker).await;
    let visibility = q.config().visibility_timeout;
    let until = Instant::now() + visibility * 4;
    while Instant::now() < until {
        assert!(worker.heartbeat(std::slice::from_ref(&d)).await.unwrap().is_empty());
        assert!(thief.reclaim(10).await.unwrap().is_empty(), "claim taken despite heartbeats");
        // The heartbeat cadence, as a worker paces it: a third of the visibility timeout.
        tokio::time::sleep(q.config().heartbeat_interval()).await;
    }
    assert_eq!(worker.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap(), Completion::Succeeded);
    // Without heartbeats the same claim would have gone.
    q.enqueue(job("long", Priority::Low)).await.unwrap();
    fetch_one(&worker).await;
    assert_eq!(reclaim_some(&thief).await.len(), 1);
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_ends_dead() {
    let env = env("poison").await;
    let q = &env.queue;
    let mut new = job("poison", Priority::High);
    new.dedup_key = Some("poison".into());
    let id = q.enqueue(new).await.unwrap().id().to_owned();
    let consumer = q.consumer(Priority::High, "w");
    // Attempt 1 is fetched, attempts 2 and 3 are reclaims; every worker "dies" (never completes).
    assert_eq!(fetch_one(&consumer).await.attempt, 1);
    for attempt in 2..=3 {
        let got = reclaim_some(&consumer).await;
        assert_eq!(got[0].attempt, attempt);
    }
    // The next reclaim finds the attempts used up: dead instead of a fourth run.
    testkit::wait_until_async("the poison job to go dead", DEADLINE, || async {
        assert!(consumer.reclaim(10).await.unwrap().is_empty(), "poison job delivered again");
        let record = q.get(&id).await.unwrap().unwrap();
        (record.state == JobState::Dead).then_some(record)
    })
    .await;
    let depths = q.depths().await.unwrap();
    assert_eq!((depths.high.waiting, depths.high.running, depths.dead), (0, 0, 1));
    // Its dedup key was freed.
    let mut again = job("poison", Priority::High);
    again.dedup_key = Some("poison".into());
    assert!(matches!(q.enqueue(again).await.unwrap(), queue::EnqueueOutcome::Enqueued(_)));
}
