//! Group-size balancing over the real binaries and `cluster-sim`: two backends of four groups.
//! One backend's groups are made uneven (a whole group's users put into another group) and one
//! of its groups is sticky. With `group_balancing` off, `group_balance_plan` stores nothing. On,
//! with small caps, the plan respects `GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS` and leaves the
//! sticky group alone; two `group_balance_pass` runs with 5 moves per pass enqueue at most 5
//! `move_user` jobs each, which the sim finishes.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::BTreeMap;

use domain::{Feature, FeatureState, GroupName, UserName};
use geodb::{GroupFlags, PageRequest, UserFilter};
use queue::{JobState, Priority};
use serde_json::json;

use crate::moves_harness::{Cluster, LONG};

const SIM: &[&str] = &["--backends", "2", "--groups", "8", "--users", "80"];
const MAX_MOVES: usize = 8;
const PER_PASS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_plans_respect_the_caps_and_passes_move_users_in_slices() {
    let max_moves = MAX_MOVES.to_string();
    let per_pass = PER_PASS.to_string();
    let env = [
        ("GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK", "0.1"),
        ("GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS", max_moves.as_str()),
        ("GROUP_BALANCE_MAX_USER_MOVES_PER_PASS", per_pass.as_str()),
    ];
    let cluster = Cluster::start("groupsize", SIM, &env).await;
    let _high = cluster.worker(Priority::High);
    let _low = cluster.worker(Priority::Low);

    // Uneven sizes on the first backend: the users of its second group join its first.
    let backend = cluster.backends().await.into_iter().min_by_key(|b| b.host.to_string()).unwrap();
    let mut groups = cluster.groups(Some(backend.id)).await;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(groups.len() >= 4, "the sim spreads 8 groups over 2 backends: {groups:?}");
    let (big, emptied, sticky) = (groups[0].name.clone(), groups[1].name.clone(), groups[2].name.clone());
    for user in users_of(&cluster, &emptied).await {
        cluster.db.set_user_group(&user, Some(&big)).await.unwrap();
    }
    let flags = GroupFlags { sticky_users: Some(true), sticky_backend: None };
    cluster.db.update_group_flags(cluster.site_id, &sticky, &flags).await.unwrap();

    // Off (the default): nothing planned, nothing stored.
    let off = run(&cluster, "group_balance_plan").await;
    assert_eq!(off["feature"], "off", "{off}");
    assert!(state::State::new(&cluster.site.queue).group_plan(cluster.site_id.0).await.unwrap().is_none());

    geodb::ops::set_feature_state(cluster.db.as_ref(), cluster.site_id, Feature::GroupBalancing, FeatureState::On)
        .await
        .unwrap();
    let planned = run(&cluster, "group_balance_plan").await;
    let plan =
        state::State::new(&cluster.site.queue).group_plan(cluster.site_id.0).await.unwrap().expect("a stored plan");
    eprintln!("group plan: {planned}");
    assert!(!plan.dry_run && plan.done == 0, "{plan:?}");
    assert!(!plan.moves.is_empty(), "uneven groups need moves: {planned}");
    let on_backend: Vec<&GroupName> = groups.iter().map(|g| &g.name).collect();
    let here = plan.moves.iter().filter(|m| on_backend.contains(&&m.from)).count();
    assert!(here <= MAX_MOVES, "at most {MAX_MOVES} moves per backend: {plan:?}");
    assert!(plan.moves.len() <= 2 * MAX_MOVES, "{plan:?}");
    for mv in &plan.moves {
        assert!(mv.from != sticky && mv.to != sticky, "the sticky group is untouched: {mv:?}");
        if on_backend.contains(&&mv.from) {
            assert!(on_backend.contains(&&mv.to), "moves stay on their backend: {mv:?}");
        }
    }
    assert!(plan.moves.iter().any(|m| m.from == big), "the big group gives users away: {plan:?}");

    // Two passes: at most PER_PASS moves each, every one finished by the sim.
    let mut moved: BTreeMap<UserName, GroupName> = BTreeMap::new();
    for pass in 0..2 {
        let result = run(&cluster, "group_balance_pass").await;
        let moves = result["moves"].as_array().unwrap();
        assert!(moves.len() <= PER_PASS, "pass {pass} started {} moves: {result}", moves.len());
        let expected = plan.moves.len().saturating_sub(pass * PER_PASS).min(PER_PASS);
        assert_eq!(moves.len(), expected, "pass {pass}: {result}");
        for mv in moves {
            let job = mv["result"]["job_id"].as_str().unwrap_or_else(|| panic!("a move_user job: {mv}"));
            cluster.wait_for_state(job, JobState::Succeeded, LONG).await;
            let user = UserName::parse(mv["user"].as_str().unwrap()).unwrap();
            moved.insert(user, GroupName::parse(mv["to"].as_str().unwrap()).unwrap());
        }
        let stored = state::State::new(&cluster.site.queue).group_plan(cluster.site_id.0).await.unwrap().unwrap();
        assert_eq!(stored.done, plan.moves.len().min((pass + 1) * PER_PASS), "{stored:?}");
    }
    for (user, to) in &moved {
        let now = cluster.db.get_user(user).await.unwrap().unwrap();
        assert_eq!(now.group.as_ref(), Some(to), "{now:?}");
        assert!(!now.is_moving(), "the sim finished the move: {now:?}");
    }

    // A dry run stores its plan marked as such, and no pass ever executes it.
    let set =
        |state| geodb::ops::set_feature_state(cluster.db.as_ref(), cluster.site_id, Feature::GroupBalancing, state);
    set(FeatureState::Dryrun).await.unwrap();
    let dry = run(&cluster, "group_balance_plan").await;
    let dry_plan = state::State::new(&cluster.site.queue).group_plan(cluster.site_id.0).await.unwrap().unwrap();
    assert!(dry_plan.dry_run);
    set(FeatureState::On).await.unwrap();
    let pass = run(&cluster, "group_balance_pass").await;
    assert_eq!(pass["skipped"], "the stored plan is a dry run", "{pass}");

    // The dry run is also a plan an operator can read and approve: exactly its user moves run.
    let plan_id = dry["plan_id"].as_str().unwrap_or_else(|| panic!("a dry run with moves stores a plan: {dry}"));
    let stored = state::State::new(&cluster.site.queue).plan(plan_id).await.unwrap().unwrap();
    assert_eq!(stored.plan.feature, Feature::GroupBalancing);
    assert_eq!(stored.plan.moves.len(), dry_plan.moves.len(), "{stored:?}");
    let approved =
        state::State::new(&cluster.site.queue).approve_plan(plan_id, state::DEFAULT_PLAN_MAX_AGE).await.unwrap();
    assert_eq!(approved.state, state::PlanState::Approved);
    let exec = cluster.enqueue("execute_plan", json!({ "plan_id": plan_id }), Some(1)).await;
    let executed = cluster.wait_for_state(&exec, JobState::Succeeded, LONG).await.result.unwrap();
    let results = executed["executed"].as_array().unwrap();
    assert_eq!(results.len(), dry_plan.moves.len(), "{executed}");
    for r in results {
        if let Some(job) = r["result"]["job_id"].as_str() {
            cluster.wait_for_state(job, JobState::Succeeded, LONG).await;
        }
    }
    for mv in &dry_plan.moves {
        let now = cluster.db.get_user(&mv.user).await.unwrap().unwrap();
        assert_eq!(now.group.as_ref(), Some(&mv.to), "approved move of {}: {now:?}", mv.user);
    }
}

async fn run(cluster: &Cluster, kind: &str) -> serde_json::Value {
    let id = cluster.enqueue(kind, json!({}), Some(1)).await;
    cluster.wait_for_state(&id, JobState::Succeeded, LONG).await.result.unwrap()
}

async fn users_of(cluster: &Cluster, group: &GroupName) -> Vec<UserName> {
    let filter = UserFilter { group: Some(group.clone()) };
    let page = PageRequest::first(PageRequest::MAX_LIMIT);
    cluster.db.list_users(cluster.site_id, &filter, &page).await.unwrap().items.into_iter().map(|u| u.name).collect()
}
