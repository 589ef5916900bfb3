//! The capacity guard routes: a viewer reads the guard and the reserved evacuation sources; only
//! an operator releases it, the release records who and when and resolves the guard's alert.

use std::time::Duration;

use api_types::GuardView;
use chrono::Utc;
use policy::guard::GuardState;
use queue::{Queue, QueueConfig};
use reqwest::Method;
use state::{Alert, AlertFilter, AlertSeverity};
use testkit::redis::{RedisServer, unique_prefix};

use crate::common::{ADMIN_TOKEN, TestApi};

#[tokio::test]
async fn a_tripped_guard_is_shown_and_released_only_by_an_operator() {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("api-guard"))).await.unwrap();
    let api = TestApi::start_with_queue(queue.clone()).await;
    api.site_with_backends("s1", 2).await;
    let site = api.db().get_site_by_name(&domain::SiteName::parse("s1").unwrap()).await.unwrap().unwrap();
    let b1 = api.db().list_backends(Some(site.id)).await.unwrap()[0].clone();

    let viewer = api.admin.create_token("watcher", "viewer").await.unwrap();
    let (status, _, body) = api.raw(Method::GET, "/api/v1/sites/s1/guard", Some(&viewer.token), None).await;
    assert_eq!(status, 200, "{body}");
    let view: GuardView = serde_json::from_str(&body).unwrap();
    assert!(!view.tripped && view.evacuating.is_empty(), "{view:?}");

    let tripped = GuardState {
        tripped: true,
        tripped_at: Some(Utc::now()),
        reason: Some("4 of 5 backends".into()),
        out_of_service: vec![b1.id],
        share: Some(0.8),
        ..Default::default()
    };
    state::State::new(&queue).put_guard_state(site.id.0, &tripped).await.unwrap();
    state::State::new(&queue)
        .reserve_sources(site.id.0, &[b1.id.0], "evacuate:x", Duration::from_secs(60))
        .await
        .unwrap();
    state::State::new(&queue)
        .raise_alert(&Alert::new(AlertSeverity::Critical, "capacity_guard", "tripped").with_site(site.id.0))
        .await
        .unwrap();
    let (_, _, body) = api.raw(Method::GET, "/api/v1/sites/s1/guard", Some(&viewer.token), None).await;
    let view: GuardView = serde_json::from_str(&body).unwrap();
    assert!(view.tripped, "{view:?}");
    assert_eq!(view.out_of_service, vec![b1.host.to_string()]);
    assert_eq!(view.evacuating, vec![b1.host.to_string()]);

    // A viewer may not release; an unknown site is 404.
    let (status, ctype, _) = api.raw(Method::POST, "/api/v1/sites/s1/guard/release", Some(&viewer.token), None).await;
    assert_eq!((status, ctype.as_str()), (403, "application/problem+json"));
    assert!(state::State::new(&queue).guard_state(site.id.0).await.unwrap().tripped);
    let (status, _, _) = api.raw(Method::POST, "/api/v1/sites/nope/guard/release", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 404);

    let operator = api.admin.create_token("alice", "operator").await.unwrap();
    let (status, _, body) = api.raw(Method::POST, "/api/v1/sites/s1/guard/release", Some(&operator.token), None).await;
    assert_eq!(status, 200, "{body}");
    let view: GuardView = serde_json::from_str(&body).unwrap();
    assert!(!view.tripped);
    assert_eq!(view.released_by.as_deref(), Some("alice"));
    let stored = state::State::new(&queue).guard_state(site.id.0).await.unwrap();
    assert!(!stored.tripped && stored.released_at.is_some());
    let open = state::State::new(&queue).alerts(AlertFilter::open(10)).await.unwrap();
    assert!(open.iter().all(|a| a.kind != "capacity_guard"), "{open:?}");
    // Releasing again changes nothing.
    let (status, _, _) = api.raw(Method::POST, "/api/v1/sites/s1/guard/release", Some(&operator.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(state::State::new(&queue).guard_state(site.id.0).await.unwrap(), stored);
}
