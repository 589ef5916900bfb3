//! Error mitigation over the real binaries: `cluster-sim` injects per-backend failure ratios, its
//! proxies record them in `proxy_dest_stats`, and `error_mitigation` (enqueued directly, so each
//! test decides when a run happens) judges the backends. On: a failing backend is evacuated then
//! set offline, a degraded one sheds exactly one group, a correlated failure moves nothing and
//! raises a critical `capacity_guard` alert. Dry run: a plan is stored and nothing changes until
//! it is approved and `execute_plan` runs it. Off: nothing moves whatever the faults.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::BTreeMap;
use std::time::Duration;

use domain::{BackendStatus, Feature, FeatureState};
use queue::{JobState, Priority, QueueError};
use serde_json::{Value, json};
use state::{AlertSeverity, PlanState};
use testkit::wait_until_async;

use crate::moves_harness::{Cluster, LONG};

/// 5 backends, 100 groups (20 each), traffic on every backend.
const SIM: &[&str] =
    &["--backends", "5", "--groups", "100", "--users", "1000", "--rate", "400", "--move-finish-delay-ms", "50"];
/// Enough attempts per backend that a ratio is judged on both protocols (min samples: 20).
const ENOUGH: u64 = 120;

pub(crate) async fn start(tag: &str, faults: &[(&str, f64)], env: &[(&str, &str)]) -> Cluster {
    let mut args: Vec<String> = SIM.iter().map(|s| (*s).to_owned()).collect();
    for (host, ratio) in faults {
        args.push("--fault".to_owned());
        args.push(format!("{host}:failure_ratio={ratio}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Evidence is confirmed after 2 s of consecutive failing runs: the tests run error mitigation
    // back to back until it acts (see `mitigate_until`).
    let mut all_env = vec![("ERROR_MITIGATION_CONFIRM_SECS", "2")];
    all_env.extend_from_slice(env);
    let cluster = Cluster::start(tag, &args, &all_env).await;
    assert_eq!(cluster.ready.backends.len(), 5, "{:?}", cluster.ready.backends);
    cluster
}

pub(crate) async fn set_feature(cluster: &Cluster, state: FeatureState) {
    geodb::ops::set_feature_state(&*cluster.db, cluster.site_id, Feature::ErrorMitigation, state).await.unwrap();
}

/// Waits until the proxies recorded at least [`ENOUGH`] attempts on every backend.
pub(crate) async fn wait_for_traffic(cluster: &Cluster) {
    wait_until_async("traffic on every backend", Duration::from_secs(60), || async {
        let stats = cluster.proxy_stats().await;
        (stats.len() == 5 && stats.values().all(|(s, f)| s + f >= ENOUGH)).then_some(())
    })
    .await;
}

/// Group → backend host, for comparing before and after.
pub(crate) async fn placement(cluster: &Cluster) -> BTreeMap<String, String> {
    let hosts: BTreeMap<_, _> = cluster.backends().await.into_iter().map(|b| (b.id, b.host.to_string())).collect();
    cluster.groups(None).await.into_iter().map(|g| (g.name.to_string(), hosts[&g.backend_id].clone())).collect()
}

pub(crate) async fn statuses(cluster: &Cluster) -> BTreeMap<String, BackendStatus> {
    cluster.backends().await.into_iter().map(|b| (b.host.to_string(), b.status)).collect()
}

/// Runs one `error_mitigation` and returns its result.
/// Every job that could move a group or change a backend: an automation that decided "nothing"
/// must have enqueued none. Checking the queue is immediate and catches the decision itself,
/// where waiting to see whether GeoDB changes would only catch a move that already ran.
pub(crate) async fn assert_no_move_jobs(cluster: &Cluster) {
    for kind in ["move_group", "evacuate_backend", "execute_plan"] {
        let (jobs, _) = cluster.site.queue.list(None, Some(kind), None, 100).await.unwrap();
        assert!(jobs.is_empty(), "unexpected {kind} jobs: {jobs:?}");
    }
}

pub(crate) async fn mitigate(cluster: &Cluster) -> Value {
    let id = cluster.enqueue("error_mitigation", json!({}), Some(1)).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(60)).await;
    record.result.unwrap_or(Value::Null)
}

/// Runs `error_mitigation` until its result satisfies `done` (it needs a first reading to compare
/// with, then the confirmation period), and returns that result.
pub async fn mitigate_until(cluster: &Cluster, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    wait_until_async(what, Duration::from_secs(90), || async {
        let result = mitigate(cluster).await;
        // Shown with a failure: what the runs decided while the condition was not met.
        eprintln!("error_mitigation while waiting for {what}: {result}");
        done(&result).then_some(result)
    })
    .await
}

pub fn has_moves(result: &Value) -> bool {
    result["moves"].as_array().is_some_and(|m| !m.is_empty())
}

pub fn has_reason(result: &Value, code: &str) -> bool {
    result["reasons"].as_array().is_some_and(|r| r.iter().any(|c| c == code))
}

pub(crate) fn changed(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<(String, String, String)> {
    before
        .iter()
        .filter(|(g, host)| after.get(*g) != Some(host))
        .map(|(g, host)| (g.clone(), host.clone(), after.get(g).cloned().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_failing_backend_is_evacuated_then_set_offline_and_no_other_backend_is_touched() {
    let cluster = start("mitigate-failing", &[("b1.e2e.sim", 0.99)], &[]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let b1 = cluster.backend("b1.e2e.sim").await;

    let result = mitigate_until(&cluster, "b1 evacuated", has_moves).await;
    assert_eq!(result["moves"], json!([{ "kind": "evacuate", "backend": b1.id }]), "{result}");
    let progress = cluster.wait_for_evacuation(b1.id, LONG).await;
    assert_eq!(progress.moved, 20, "{progress:?}");

    // A later run finds it empty and still failing (silence after a confirmed failure is no recovery).
    let result = mitigate_until(&cluster, "b1 set offline", has_moves).await;
    assert_eq!(result["moves"], json!([{ "kind": "set_offline", "backend": b1.id }]), "{result}");
    let after = statuses(&cluster).await;
    assert_eq!(after["b1.e2e.sim"], BackendStatus::Offline, "{after:?}");
    for host in ["b2.e2e.sim", "b3.e2e.sim", "b4.e2e.sim", "b5.e2e.sim"] {
        assert_eq!(after[host], BackendStatus::Online, "{after:?}");
    }
    // Only b1's groups moved, each to a healthy backend.
    let moved = changed(&before, &placement(&cluster).await);
    assert_eq!(moved.len(), 20, "{moved:?}");
    assert!(moved.iter().all(|(_, from, to)| from == "b1.e2e.sim" && to != "b1.e2e.sim"), "{moved:?}");
}

#[tokio::test]
async fn a_degraded_backend_sheds_exactly_one_group() {
    let cluster = start("mitigate-degraded", &[("b1.e2e.sim", 0.3)], &[("HOST_FAILURE_RATIO", "0.2")]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let b1 = cluster.backend("b1.e2e.sim").await;

    let result = mitigate_until(&cluster, "b1 sheds a group", has_moves).await;
    let moves = result["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{result}");
    assert_eq!((&moves[0]["kind"], &moves[0]["from"]), (&json!("group"), &json!(b1.id)), "{result}");
    assert!(moves[0]["group"].is_string() && moves[0]["to"].is_string() && moves[0]["to"] != json!(b1.id), "{result}");
    let moved = wait_until_async("one group to leave b1", LONG, || async {
        let moved = changed(&before, &placement(&cluster).await);
        let moving = cluster.groups(None).await.iter().any(domain::UserGroup::is_moving);
        (!moved.is_empty() && !moving).then_some(moved)
    })
    .await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].1, "b1.e2e.sim", "{moved:?}");
    let after = statuses(&cluster).await;
    assert!(after.values().all(|s| *s == BackendStatus::Online), "a degraded backend stays in service: {after:?}");
}

#[tokio::test]
async fn a_correlated_failure_moves_nothing_and_raises_a_critical_capacity_guard_alert() {
    let faults = [("b1.e2e.sim", 0.99), ("b2.e2e.sim", 0.99), ("b3.e2e.sim", 0.99), ("b4.e2e.sim", 0.99)];
    let cluster = start("mitigate-guard", &faults, &[]).await;
    set_feature(&cluster, FeatureState::On).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let statuses_before = statuses(&cluster).await;

    let result = mitigate_until(&cluster, "the guard refuses", |r| has_reason(r, "capacity_guard")).await;
    assert_eq!(result["moves"], json!([]), "{result}");
    let alerts = state::State::new(&cluster.site.queue).alerts(state::AlertFilter::all(10)).await.unwrap();
    let guard: Vec<_> = alerts.iter().filter(|a| a.kind == "capacity_guard").collect();
    assert_eq!(guard.len(), 1, "{alerts:?}");
    assert_eq!(guard[0].severity, AlertSeverity::Critical);
    assert_eq!(guard[0].site_id, Some(cluster.site_id.0));
    assert_eq!(guard[0].context["out_of_service"], 4, "{:?}", guard[0]);
    assert!(state::State::new(&cluster.site.queue).guard_state(cluster.site_id.0).await.unwrap().tripped);

    assert_no_move_jobs(&cluster).await;
    assert_eq!(placement(&cluster).await, before);
    assert_eq!(statuses(&cluster).await, statuses_before);
    assert!(cluster.evacuation(cluster.backend("b1.e2e.sim").await.id).await.is_none());
}

#[tokio::test]
async fn a_dry_run_stores_a_plan_that_runs_exactly_once_approved() {
    let cluster = start("mitigate-dryrun", &[("b1.e2e.sim", 0.99)], &[]).await;
    set_feature(&cluster, FeatureState::Dryrun).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let b1 = cluster.backend("b1.e2e.sim").await;

    let result = mitigate_until(&cluster, "a dry-run plan", |r| r["plan_id"].is_string()).await;
    let plan_id = result["plan_id"].as_str().expect("a stored plan").to_owned();
    let plans = state::State::new(&cluster.site.queue).plans(&cluster.site_id.to_string(), 10).await.unwrap();
    assert_eq!(plans.len(), 1, "{plans:?}");
    let stored = &plans[0];
    assert_eq!((stored.id.as_str(), stored.state), (plan_id.as_str(), PlanState::Pending));
    assert_eq!(stored.plan.feature, Feature::ErrorMitigation);
    assert_eq!(stored.plan.moves, vec![policy::plan::PlannedMove::Evacuate { backend: b1.id }]);
    assert!(policy::reason::has_code(&stored.plan.reasons, "backend_failing"), "{:?}", stored.plan.reasons);
    assert_no_move_jobs(&cluster).await;
    assert_eq!(placement(&cluster).await, before, "a dry run changes nothing");
    assert_eq!(cluster.backend("b1.e2e.sim").await.status, BackendStatus::Online);

    // Approval: once, while fresh.
    let approved =
        state::State::new(&cluster.site.queue).approve_plan(&plan_id, Duration::from_secs(900)).await.unwrap();
    assert_eq!(approved.state, PlanState::Approved);
    let again = state::State::new(&cluster.site.queue).approve_plan(&plan_id, Duration::from_secs(900)).await;
    assert!(matches!(again, Err(QueueError::Conflict(_))), "{again:?}");

    let id = cluster.enqueue("execute_plan", json!({ "plan_id": plan_id }), Some(1)).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(60)).await;
    let executed = record.result.unwrap();
    assert_eq!(executed["executed"].as_array().map(Vec::len), Some(1), "{executed}");
    cluster.wait_for_evacuation(b1.id, LONG).await;
    let moved = changed(&before, &placement(&cluster).await);
    assert_eq!(moved.len(), 20, "exactly b1's groups moved: {moved:?}");
    assert!(moved.iter().all(|(_, from, _)| from == "b1.e2e.sim"), "{moved:?}");
    assert_eq!(
        state::State::new(&cluster.site.queue).plan(&plan_id).await.unwrap().unwrap().state,
        PlanState::Executed
    );
    // Still dry run: the backend is not set offline by the automation.
    let after = statuses(&cluster).await;
    assert_eq!(after["b1.e2e.sim"], BackendStatus::Standby, "{after:?}");
}

#[tokio::test]
async fn with_the_feature_off_nothing_moves_whatever_the_faults() {
    let faults = [("b1.e2e.sim", 0.99), ("b2.e2e.sim", 0.5)];
    let cluster = start("mitigate-off", &faults, &[]).await;
    let _high = cluster.worker(Priority::High);
    wait_for_traffic(&cluster).await;
    let before = placement(&cluster).await;
    let statuses_before = statuses(&cluster).await;

    let result = mitigate(&cluster).await;
    assert_eq!(
        (&result["skipped"], &result["feature"]),
        (&json!("error_mitigation is off"), &json!("off")),
        "{result}"
    );
    assert_no_move_jobs(&cluster).await;
    assert_eq!(placement(&cluster).await, before);
    assert_eq!(statuses(&cluster).await, statuses_before);
    assert!(state::State::new(&cluster.site.queue).plans(&cluster.site_id.to_string(), 10).await.unwrap().is_empty());
    assert!(state::State::new(&cluster.site.queue).alerts(state::AlertFilter::all(10)).await.unwrap().is_empty());
}
