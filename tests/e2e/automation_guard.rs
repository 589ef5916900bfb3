//! The bad days of error mitigation over the real binaries and cluster-sim: a site-wide failure
//! and its recovery (the guard stays tripped until released, then only still-failing backends
//! move), failures starting on different backends in different runs (the whole site counts),
//! degraded backends with healthy ones available (groups go only to healthy ones, once), and two
//! evacuations at once (neither sends groups to the other).

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use domain::{BackendStatus, FeatureState};
use queue::Priority;
use serde_json::json;
use state::AlertFilter;
use testkit::wait_until_async;

use crate::automation_mitigation::{
    assert_no_move_jobs, changed, has_moves, has_reason, mitigate, mitigate_until, placement, set_feature, start,
    statuses, wait_for_traffic,
};
use crate::moves_harness::{Cluster, LONG};

/// Every group that changed backend since `before` moved exactly once, straight from where it
/// was (a finished move keeps the previous backend in `alt_backend_id`), and never onto `never`.
async fn assert_moved_once(cluster: &Cluster, before: &BTreeMap<String, String>, never: &[&str]) -> usize {
    let hosts: BTreeMap<_, _> = cluster.backends().await.into_iter().map(|b| (b.id, b.host.to_string())).collect();
    let moved = changed(before, &placement(cluster).await);
    let groups = cluster.groups(None).await;
    for (name, from, to) in &moved {
        assert!(!never.contains(&to.as_str()), "group {name} moved onto {to}: {moved:?}");
        let g = groups.iter().find(|g| g.name.as_str() == name).unwrap();
        let previous = g.alt_backend_id.map(|id| hosts[&id].clone());
        assert_eq!(previous.as_deref(), Some(from.as_str()), "group {name} moved more than once: {moved:?}");
    }
    moved.len()
}

async fn release_guard(cluster: &Cluster) {
    let state = state::State::new(&cluster.site.queue).guard_state(cluster.site_id.0).await.unwrap();
    assert!(state.tripped, "{state:?}");
    // What `POST /api/v1/sites/{site}/guard/release` stores (its own test is in the API suite).
    let released = policy::guard::release(&state, "e2e-operator", chrono::Utc::now());
    state::State::new(&cluster.site.queue).put_guard_state(cluster.site_id.0, &released).await.unwrap();
}

#[tokio::test]
async fn after_a_site_wide_failure_the_guard_holds_until_released_then_only_still_failing_backends_move() {
    let faults = [("b1.e2e.sim", 0.99), ("b2.e2e.sim", 0.99), ("b3.e2e.sim", 0.99), ("b4.e2e.sim", 0.99)];
    let cluster = start("guard-recovery", &faults, &[]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let statuses_before = statuses(&cluster).await;
    mitigate_until(&cluster, "the guard trips", |r| has_reason(r, "capacity_guard")).await;
    let mut refusals = 1;

    // Three recover; their stale failures are still in the minute's rows.
    for host in ["b2.e2e.sim", "b3.e2e.sim", "b4.e2e.sim"] {
        cluster.set_faults(host, json!({ "failure_ratio": 0.0 })).await;
    }
    // Until released, every run refuses, whatever the evidence now says.
    for _ in 0..9 {
        let result = mitigate(&cluster).await;
        assert_eq!(result["moves"], json!([]), "{result}");
        assert!(has_reason(&result, "capacity_guard"), "{result}");
        refusals += 1;
    }
    assert_no_move_jobs(&cluster).await;
    assert_eq!(placement(&cluster).await, before);
    assert_eq!(statuses(&cluster).await, statuses_before);
    // One condition, counted, not ten events.
    let alerts = state::State::new(&cluster.site.queue).alerts(AlertFilter::open(100)).await.unwrap();
    let guard: Vec<_> = alerts.iter().filter(|a| a.kind == "capacity_guard").collect();
    assert_eq!(guard.len(), 1, "{alerts:?}");
    assert_eq!(guard[0].count, refusals, "{:?}", guard[0]);

    // The operator releases once the site shows the recovery (releasing earlier trips it again).
    let mut recovered = Vec::new();
    for host in ["b2.e2e.sim", "b3.e2e.sim", "b4.e2e.sim"] {
        recovered.push(cluster.backend(host).await.id);
    }
    let refusals = std::sync::atomic::AtomicU64::new(refusals);
    wait_until_async("the evidence shows the recovery", Duration::from_secs(60), || async {
        let result = mitigate(&cluster).await;
        assert!(has_reason(&result, "capacity_guard"), "{result}");
        refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let evidence = state::State::new(&cluster.site.queue).evidence(cluster.site_id.0).await.unwrap();
        recovered
            .iter()
            .all(|id| matches!(evidence.backends[id].current, Some(policy::health::BackendHealth::Healthy { .. })))
            .then_some(())
    })
    .await;
    let alerts = state::State::new(&cluster.site.queue).alerts(AlertFilter::open(100)).await.unwrap();
    let guard: Vec<_> = alerts.iter().filter(|a| a.kind == "capacity_guard").collect();
    assert_eq!(guard[0].count, refusals.into_inner(), "{:?}", guard[0]);
    release_guard(&cluster).await;
    let result = mitigate_until(&cluster, "the still-failing backend is evacuated", has_moves).await;
    let b1 = cluster.backend("b1.e2e.sim").await;
    assert_eq!(result["moves"], json!([{ "kind": "evacuate", "backend": b1.id }]), "{result}");
    cluster.wait_for_evacuation(b1.id, LONG).await;
    let moved = assert_moved_once(&cluster, &before, &["b1.e2e.sim"]).await;
    assert_eq!(moved, 20);
    assert!(changed(&before, &placement(&cluster).await).iter().all(|(_, from, _)| from == "b1.e2e.sim"));
    let resolved = state::State::new(&cluster.site.queue).alerts(AlertFilter::all(100)).await.unwrap();
    assert!(resolved.iter().any(|a| a.kind == "capacity_guard" && a.resolved_at.is_some()), "{resolved:?}");
}

#[tokio::test]
async fn failures_starting_on_different_backends_in_different_runs_count_over_the_whole_site() {
    let cluster = start("guard-sequence", &[("b1.e2e.sim", 0.99)], &[("CAPACITY_GUARD_RATIO", "0.5")]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    for host in ["b1.e2e.sim", "b2.e2e.sim"] {
        cluster.set_faults(host, json!({ "failure_ratio": 0.99 })).await;
        let backend = cluster.backend(host).await;
        let evacuate = json!({ "kind": "evacuate", "backend": backend.id });
        let result =
            mitigate_until(&cluster, "an evacuation", |r| r["moves"].as_array().is_some_and(|m| m.contains(&evacuate)))
                .await;
        assert!(
            result["moves"].as_array().unwrap().iter().all(|m| m["kind"] != "evacuate" || *m == evacuate),
            "{result}"
        );
        cluster.wait_for_evacuation(backend.id, LONG).await;
    }
    // b1 and b2 are out (standby or offline): b3 failing too makes 3 of 5, above 50 %.
    let before = placement(&cluster).await;
    cluster.set_faults("b3.e2e.sim", json!({ "failure_ratio": 0.99 })).await;
    let result = mitigate_until(&cluster, "the guard trips", |r| has_reason(r, "capacity_guard")).await;
    assert_eq!(result["moves"], json!([]), "{result}");
    // b3 read as degraded while its failure began may have shed one group (to a healthy
    // backend); nothing was evacuated.
    let moved = changed(&before, &placement(&cluster).await);
    assert!(moved.len() <= 1, "only a shed, no evacuation: {moved:?}");
    assert!(
        moved.iter().all(|(_, from, to)| from == "b3.e2e.sim" && (to == "b4.e2e.sim" || to == "b5.e2e.sim")),
        "{moved:?}"
    );
    let guard = state::State::new(&cluster.site.queue).guard_state(cluster.site_id.0).await.unwrap();
    assert_eq!(guard.out_of_service.len(), 3, "{guard:?}");
    assert_eq!(statuses(&cluster).await["b3.e2e.sim"], BackendStatus::Online);
}

#[tokio::test]
async fn degraded_backends_shed_only_to_healthy_ones_and_no_group_moves_twice() {
    let faults = [("b1.e2e.sim", 0.5), ("b2.e2e.sim", 0.5)];
    let env = [("HOST_FAILURE_RATIO", "0.3"), ("ERROR_MITIGATION_WATCH_SECS", "3600")];
    let cluster = start("guard-degraded", &faults, &env).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let shed_from = std::sync::Mutex::new(HashSet::new());
    wait_until_async("both degraded backends shed a group", Duration::from_secs(90), || async {
        let result = mitigate(&cluster).await;
        let mut from = shed_from.lock().unwrap();
        for mv in result["moves"].as_array().into_iter().flatten() {
            from.insert(mv["from"].to_string());
        }
        (from.len() == 2).then_some(())
    })
    .await;
    // Watch periods: more runs move nothing more.
    for _ in 0..5 {
        let result = mitigate(&cluster).await;
        assert_eq!(result["moves"], json!([]), "{result}");
    }
    wait_until_async("the sheds finish", LONG, || async {
        let groups = cluster.groups(None).await;
        (!groups.iter().any(domain::UserGroup::is_moving)).then_some(())
    })
    .await;
    assert_eq!(assert_moved_once(&cluster, &before, &["b1.e2e.sim", "b2.e2e.sim"]).await, 2);
}

#[tokio::test]
async fn two_evacuations_at_once_never_send_groups_to_each_other() {
    let faults = [("b1.e2e.sim", 0.99), ("b2.e2e.sim", 0.99)];
    let cluster = start("guard-two-evacuations", &faults, &[]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    let _high2 = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let (b1, b2) = (cluster.backend("b1.e2e.sim").await, cluster.backend("b2.e2e.sim").await);
    // Each is evacuated once its own failure is confirmed, in the same run or in two: either way
    // the other, failing now, is never a destination.
    let wanted = [json!({ "kind": "evacuate", "backend": b1.id }), json!({ "kind": "evacuate", "backend": b2.id })];
    let seen = std::sync::Mutex::new(Vec::new());
    wait_until_async("both evacuations", Duration::from_secs(90), || async {
        let result = mitigate(&cluster).await;
        let mut seen = seen.lock().unwrap();
        for mv in result["moves"].as_array().into_iter().flatten().filter(|m| m["kind"] == "evacuate") {
            assert!(wanted.contains(mv), "{result}");
            if !seen.contains(mv) {
                seen.push(mv.clone());
            }
        }
        (seen.len() == 2).then_some(())
    })
    .await;
    cluster.wait_for_evacuation(b1.id, LONG).await;
    cluster.wait_for_evacuation(b2.id, LONG).await;
    assert_eq!(assert_moved_once(&cluster, &before, &["b1.e2e.sim", "b2.e2e.sim"]).await, 40);
    // Done: their reservations are released, so balancing may run again.
    assert!(state::State::new(&cluster.site.queue).reservations(cluster.site_id.0).await.unwrap().is_empty());
}
