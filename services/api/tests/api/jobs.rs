use std::time::Duration;

use api_types::{EnqueueJob, EnqueuedJob, JobPage, JobView, QueueDepthsView, SchedulerView};
use queue::{Outcome, Priority, Queue, QueueConfig};
use testkit::redis::{RedisServer, unique_prefix};

use crate::common::{TestApi, problem};

async fn api_with_queue() -> (TestApi, Queue, RedisServer) {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("api-jobs"))).await.unwrap();
    (TestApi::start_with_queue(queue.clone()).await, queue, redis)
}

fn probe(payload: serde_json::Value) -> EnqueueJob {
    EnqueueJob { kind: "probe".into(), payload, ..Default::default() }
}

#[tokio::test]
async fn an_enqueued_probe_is_recorded_and_listed() {
    let (api, _queue, _redis) = api_with_queue().await;
    let job: EnqueuedJob = api.admin.post("/jobs", &probe(serde_json::json!({"duration_ms": 5}))).await.unwrap();
    assert_eq!(job.outcome, "enqueued");
    let record: JobView = api.admin.get(&format!("/jobs/{}", job.id)).await.unwrap();
    assert_eq!(
        (record.kind.as_str(), record.state.as_str(), record.priority.as_str(), record.attempts),
        ("probe", "queued", "low", 0)
    );
    assert_eq!(record.payload["duration_ms"], 5);

    let high: EnqueuedJob = api
        .admin
        .post("/jobs", &EnqueueJob { priority: Some("high".into()), ..probe(serde_json::json!({})) })
        .await
        .unwrap();
    let depths: QueueDepthsView = api.admin.get("/queues").await.unwrap();
    assert_eq!((depths.high.waiting, depths.low.waiting), (1, 1));

    let queued: JobPage = api.admin.get("/jobs?state=queued&kind=probe").await.unwrap();
    let ids: Vec<_> = queued.items.iter().map(|j| j.id.clone()).collect();
    assert_eq!(ids, [high.id.clone(), job.id.clone()], "newest first");
    let none: JobPage = api.admin.get("/jobs?state=dead").await.unwrap();
    assert!(none.items.is_empty());
    let page: JobPage = api.admin.get("/jobs?limit=1").await.unwrap();
    assert_eq!(page.items.len(), 1);
    let rest: JobPage = api.admin.get(&format!("/jobs?limit=1&cursor={}", page.next_cursor.unwrap())).await.unwrap();
    assert_eq!(rest.items[0].id, job.id);
}

#[tokio::test]
async fn a_dedup_key_keeps_a_second_job_out_while_the_first_is_pending() {
    let (api, _queue, _redis) = api_with_queue().await;
    let with_key = |k: &str| EnqueueJob { dedup_key: Some(k.into()), ..probe(serde_json::json!({})) };
    let first: EnqueuedJob = api.admin.post("/jobs", &with_key("evacuate:b1")).await.unwrap();
    let second: EnqueuedJob = api.admin.post("/jobs", &with_key("evacuate:b1")).await.unwrap();
    assert_eq!((second.outcome.as_str(), second.id.as_str()), ("duplicate", first.id.as_str()));
    let other: EnqueuedJob = api.admin.post("/jobs", &with_key("evacuate:b2")).await.unwrap();
    assert_eq!(other.outcome, "enqueued");
}

#[tokio::test]
async fn unknown_kinds_and_bad_payloads_are_refused_naming_the_field() {
    let (api, queue, _redis) = api_with_queue().await;
    let p = problem(
        api.admin.post::<_, EnqueuedJob>("/jobs", &EnqueueJob { kind: "reboot".into(), ..Default::default() }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("kind")));
    let p =
        problem(api.admin.post::<_, EnqueuedJob>("/jobs", &probe(serde_json::json!({"duration_ms": "long"}))).await);
    assert_eq!(p.status, 422);
    assert!(p.field.as_deref().is_some_and(|f| f.starts_with("payload")), "{p:?}");
    let bad = EnqueueJob { priority: Some("urgent".into()), max_attempts: Some(0), ..probe(serde_json::json!({})) };
    let p = problem(api.admin.post::<_, EnqueuedJob>("/jobs", &bad).await);
    let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["priority", "max_attempts"]);
    assert_eq!(queue.depths().await.unwrap().low.waiting, 0, "nothing was enqueued");
    let p = problem(api.admin.get::<JobView>("/jobs/no-such-job").await);
    assert_eq!((p.status, p.code.as_str()), (404, "job_not_found"));
    let p = problem(api.admin.get::<JobPage>("/jobs?state=sleeping").await);
    assert_eq!((p.status, p.field.as_deref()), (422, Some("state")));
}

#[tokio::test]
async fn only_dead_jobs_can_be_retried() {
    let (api, queue, _redis) = api_with_queue().await;
    let job: EnqueuedJob = api.admin.post("/jobs", &probe(serde_json::json!({}))).await.unwrap();
    let p = problem(api.admin.post::<_, JobView>(&format!("/jobs/{}/retry", job.id), &serde_json::json!({})).await);
    assert_eq!((p.status, p.code.as_str()), (409, "job_conflict"));

    // A worker gives up on it.
    let consumer = queue.consumer(Priority::Low, "api-test-worker");
    let delivery = consumer.fetch(1, Duration::from_millis(100)).await.unwrap().pop().unwrap();
    consumer.complete(&delivery, Outcome::Abort("operator test".into())).await.unwrap();
    let dead: JobView = api.admin.get(&format!("/jobs/{}", job.id)).await.unwrap();
    assert_eq!(dead.state, "dead");
    assert_eq!(dead.error.as_deref(), Some("operator test"));

    let retried: JobView = api.admin.post(&format!("/jobs/{}/retry", job.id), &serde_json::json!({})).await.unwrap();
    assert_eq!((retried.state.as_str(), retried.attempts), ("queued", 0));
    assert_eq!(queue.depths().await.unwrap().low.waiting, 1);
}

#[tokio::test]
async fn the_scheduler_view_shows_no_leader_until_one_holds_the_lease() {
    let (api, queue, _redis) = api_with_queue().await;
    let view: SchedulerView = api.admin.get("/scheduler").await.unwrap();
    assert_eq!(view.leader, None);
    let lease = queue.lease("scheduler", "test-host:1:abc", Duration::from_secs(5));
    let fence = lease.try_acquire().await.unwrap().unwrap();
    let view: SchedulerView = api.admin.get("/scheduler").await.unwrap();
    let leader = view.leader.unwrap();
    assert_eq!((leader.owner.as_str(), leader.epoch), ("test-host:1:abc", fence.epoch));
}

#[tokio::test]
async fn job_routes_answer_503_while_redis_is_down_and_crud_goes_on() {
    let (api, _queue, mut redis) = api_with_queue().await;
    redis.stop().await;
    let p = problem(api.admin.get::<QueueDepthsView>("/queues").await);
    assert_eq!((p.status, p.code.as_str()), (503, "queue_unavailable"));
    assert_eq!(api.raw(reqwest::Method::GET, "/readyz", None, None).await.0, 200, "readiness follows GeoDB only");
    api.admin.list_sites().await.unwrap();
}
