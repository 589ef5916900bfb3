//! Moves the controller must refuse: to a backend its reachability probe cannot reach (the
//! scheduler's periodic `reachability` job saw the sim's fault), and to a standby backend. The
//! job ends dead at once with an error naming the reason, and the group is left untouched. An
//! evacuation with no destination left is refused the same way, before the backend is drained.

use std::time::Duration;

use domain::{BackendStatus, LoadFactor};
use geodb::BackendUpdate;
use queue::{JobState, Priority};
use serde_json::json;
use testkit::wait_until_async;

use crate::moves_harness::Cluster;

#[tokio::test]
async fn moves_to_an_unreachable_or_standby_backend_are_refused_with_the_reason() {
    let cluster = Cluster::start("refused", &["--backends", "3", "--groups", "30", "--users", "100"], &[]).await;
    let _worker = cluster.worker(Priority::High);
    let _scheduler = cluster.reachability_scheduler(300);
    let (b1, b2, b3) =
        (cluster.backend("b1.e2e.sim").await, cluster.backend("b2.e2e.sim").await, cluster.backend("b3.e2e.sim").await);

    // The sim closes b2's doveadm listener; the next probes mark it unreachable.
    cluster.set_faults("b2.e2e.sim", json!({ "unreachable": true })).await;
    wait_until_async("the reachability job to mark b2 unreachable", Duration::from_secs(30), || async {
        let records = state::State::new(&cluster.site.queue).backend_reachability().await.ok()?;
        let b2 = records.iter().find(|r| r.backend_id == b2.id.0)?;
        (!b2.reachable).then_some(())
    })
    .await;
    let records = state::State::new(&cluster.site.queue).backend_reachability().await.unwrap();
    assert!(records.iter().filter(|r| r.backend_id != b2.id.0).all(|r| r.reachable), "{records:?}");

    let group = cluster.groups(Some(b1.id)).await.remove(0);
    let payload = |to: domain::BackendId| json!({ "site_id": cluster.site_id, "group": group.name, "destination_backend_id": to, "expected_backend_id": b1.id });
    let unreachable = cluster.enqueue("move_group", payload(b2.id), None).await;
    let dead = cluster.wait_for_state(&unreachable, JobState::Dead, Duration::from_secs(30)).await;
    let error = dead.error.unwrap_or_default();
    assert!(error.contains("b2.e2e.sim is unreachable"), "{error}");
    assert_eq!(dead.attempts, 1, "a refusal is not retried");

    cluster
        .db
        .update_backend(b3.id, &BackendUpdate { status: Some(BackendStatus::Standby), load_factor: None })
        .await
        .unwrap();
    let standby = cluster.enqueue("move_group", payload(b3.id), None).await;
    let dead = cluster.wait_for_state(&standby, JobState::Dead, Duration::from_secs(30)).await;
    let error = dead.error.unwrap_or_default();
    assert!(error.contains("b3.e2e.sim is standby"), "{error}");

    let drained = BackendUpdate { status: Some(BackendStatus::Online), load_factor: Some(LoadFactor::DRAIN) };
    cluster.db.update_backend(b3.id, &drained).await.unwrap();
    let zero = cluster.enqueue("move_group", payload(b3.id), None).await;
    let error = cluster.wait_for_state(&zero, JobState::Dead, Duration::from_secs(30)).await.error.unwrap_or_default();
    assert!(error.contains("load factor 0"), "{error}");

    let untouched = cluster.db.get_group(cluster.site_id, &group.name).await.unwrap().unwrap();
    assert_eq!(untouched, group, "the group is left as it was");

    // With b2 unreachable and b3 drained, b1's groups have nowhere to go: the evacuation is
    // refused before b1 is touched, and an operator is alerted.
    let evacuation = cluster.enqueue("evacuate_backend", json!({ "backend_id": b1.id }), None).await;
    let dead = cluster.wait_for_state(&evacuation, JobState::Dead, Duration::from_secs(30)).await;
    assert!(dead.error.unwrap_or_default().contains("no other backend of its site"), "{:?}", dead.result);
    assert_eq!(cluster.backend("b1.e2e.sim").await, b1, "b1 is not set standby");
    let alerts = state::State::new(&cluster.site.queue).alerts(state::AlertFilter::all(10)).await.unwrap();
    assert!(alerts.iter().any(|a| a.kind == "evacuation_no_destination"), "{alerts:?}");
    let progress = cluster.evacuation(b1.id).await.unwrap();
    assert_eq!((progress.state, progress.moved), (state::EvacuationState::Failed, 0), "{progress:?}");
}
