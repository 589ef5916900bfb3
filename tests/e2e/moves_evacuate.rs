//! Evacuating a backend that holds 100 groups, while the sim's proxies keep logging users in
//! and delivering mail: every group ends on another online backend, spread by load factor, and
//! no user is misrouted or refused on the way. Then the same with the worker SIGKILLed half-way:
//! the progress reads `stalled` until another worker takes the evacuation over and finishes it,
//! leaving nothing moving.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::BTreeMap;
use std::time::Duration;

use domain::{BackendId, BackendStatus};
use queue::{JobState, Priority};
use serde_json::json;
use state::{EvacuationProgress, EvacuationState};
use testkit::wait_until_async;

use crate::moves_harness::{Cluster, LONG};

/// 4 backends and 400 groups: `site init` puts 100 groups on each.
const SIM: &[&str] =
    &["--backends", "4", "--groups", "400", "--users", "2000", "--rate", "100", "--move-finish-delay-ms", "50"];

async fn start(tag: &str, interval_ms: &str) -> (Cluster, BackendId) {
    let cluster = Cluster::start(tag, SIM, &[("EVACUATION_BATCH_INTERVAL_MS", interval_ms)]).await;
    assert_eq!(cluster.ready.backends.len(), 4, "{:?}", cluster.ready.backends);
    let source = cluster.backend("b1.e2e.sim").await;
    assert_eq!(cluster.groups(Some(source.id)).await.len(), 100, "the sim spreads 400 groups over 4 backends");
    (cluster, source.id)
}

/// Everything the evacuation promises, checked in GeoDB, Redis and the sim.
async fn assert_evacuated(cluster: &Cluster, source: BackendId, progress: &EvacuationProgress) {
    assert_eq!(
        (progress.state, progress.total, progress.moved, progress.moving, progress.failed),
        (EvacuationState::Done, 100, 100, 0, 0),
        "{progress:?}"
    );
    let backends = cluster.backends().await;
    let evacuated = backends.iter().find(|b| b.id == source).unwrap();
    assert_eq!((evacuated.status, evacuated.load_factor.get()), (BackendStatus::Standby, 0));
    assert!(cluster.groups(Some(source)).await.is_empty(), "the evacuated backend holds no group");

    let groups = cluster.groups(None).await;
    assert_eq!(groups.len(), 400);
    let mut per_backend: BTreeMap<String, usize> = BTreeMap::new();
    for group in &groups {
        assert!(!group.is_moving(), "group {} is still moving: {group:?}", group.name);
        let backend = backends.iter().find(|b| b.id == group.backend_id).unwrap();
        assert_eq!(backend.status, BackendStatus::Online, "group {} is on {}", group.name, backend.host);
        *per_backend.entry(backend.host.to_string()).or_default() += 1;
    }
    // Spread by load factor (all 100): 133 or 134 each, never piled on one backend.
    let counts: Vec<usize> = per_backend.values().copied().collect();
    assert_eq!(counts.len(), 3, "{per_backend:?}");
    assert!(counts.iter().all(|n| (133..=134).contains(n)), "{per_backend:?}");

    let state = cluster.sim_state().await;
    assert_eq!(state["totals"]["misroutes"], 0, "no user was sent to the wrong backend: {}", state["totals"]);
    assert!(state["totals"]["groups_moved"].as_u64().unwrap_or(0) >= 100, "{}", state["totals"]);
    // The proxies' statistics: traffic reached the backends that took the groups, and none of
    // it failed there. (The proxies flush every second; the last second may still be unwritten.)
    let stats = cluster.proxy_stats().await;
    eprintln!("proxy_dest_stats (successes, failures) per backend: {stats:?}");
    for (host, (successes, failures)) in &stats {
        if host != evacuated.host.as_str() {
            assert_eq!(*failures, 0, "proxy_dest_stats show failures on {host}: {stats:?}");
            assert!(*successes > 0, "no traffic reached {host}: {stats:?}");
        }
    }
}

/// The evacuation's state as the API reads it now (`stalled` included), with the default
/// `EVACUATION_STALL_SECS`.
async fn seen(cluster: &Cluster, source: BackendId) -> EvacuationState {
    let progress = cluster.evacuation(source).await.expect("an evacuation record");
    let beat = state::State::new(&cluster.site.queue).evacuation_heartbeat(source.0).await.unwrap();
    let beat = beat.filter(|(job, _)| *job == progress.job_id).map(|(_, at)| at);
    progress.assess(chrono::Utc::now(), beat, Duration::from_secs(120)).state
}

#[tokio::test]
async fn a_backend_with_100_groups_is_evacuated_in_batches_without_losing_a_user() {
    let (cluster, source) = start("evacuate", "200").await;
    let _high = cluster.worker(Priority::High);
    let _low = cluster.worker(Priority::Low);
    let id = cluster.enqueue("evacuate_backend", json!({ "backend_id": source }), None).await;

    let progress = cluster.wait_for_evacuation(source, LONG).await;
    assert_evacuated(&cluster, source, &progress).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(10)).await;
    let result = record.result.unwrap();
    assert_eq!((result["moved"].as_u64(), result["total"].as_u64()), (Some(100), Some(100)), "{result}");
    // Ten batches of ten, at most one per 200 ms: the rate limit held.
    assert!(result["elapsed_ms"].as_u64().unwrap() >= 9 * 200, "{result}");
}

#[tokio::test]
async fn an_evacuation_whose_worker_is_killed_half_way_is_finished_by_another() {
    let (cluster, source) = start("evacuate-kill", "400").await;
    let mut first = cluster.worker(Priority::High);
    let id = cluster.enqueue("evacuate_backend", json!({ "backend_id": source }), None).await;

    wait_until_async("30 groups to be moved", LONG, || async {
        cluster.evacuation(source).await.filter(|p| p.moved >= 30)
    })
    .await;
    first.sigkill();
    let half = cluster.evacuation(source).await.unwrap();
    assert!(half.moved < 100 && half.state == EvacuationState::Running, "killed too late to prove anything: {half:?}");
    // No other worker yet: the record still says running, but its heartbeats stopped with the
    // worker, so a reader sees it stalled after three missed beats.
    wait_until_async("the evacuation to read stalled", Duration::from_secs(20), || async {
        (seen(&cluster, source).await == EvacuationState::Stalled).then_some(())
    })
    .await;

    let _second = cluster.worker(Priority::High);
    wait_until_async("the reclaimed evacuation to read running", LONG, || async {
        matches!(seen(&cluster, source).await, EvacuationState::Running | EvacuationState::Done).then_some(())
    })
    .await;
    let progress = cluster.wait_for_evacuation(source, LONG).await;
    assert_evacuated(&cluster, source, &progress).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(10)).await;
    assert!(record.attempts >= 2, "reclaimed after the kill: {record:?}");
    assert_eq!(progress.job_id, id, "the same evacuation, resumed");
}
