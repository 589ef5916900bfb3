//! Load balancing over the real binaries and `cluster-sim`: one backend of four carries three
//! times the load per user (`load_multiplier` 3). With `load_balancing` off, `load_balance` moves
//! nothing. With it on, small limits and direct scraping, running `load_balance` again and again
//! moves groups off the heavy backend until the site reads as balanced (the best–worst gap within
//! the threshold), and no group is ever moved back where it came from.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::{BTreeMap, HashSet};

use domain::{BackendId, Feature, FeatureState};
use queue::{JobState, Priority};
use serde_json::json;

use crate::moves_harness::{Cluster, LONG};

/// 40 groups of 10 users: a group is a coarse enough step to see, fine enough to balance with.
const SIM: &[&str] =
    &["--backends", "4", "--groups", "40", "--users", "400", "--rate", "50", "--move-finish-delay-ms", "50"];
const RATIO: &str = "1.2";
const HEAVY: &str = "b1.e2e.sim";
const MAX_ROUNDS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancing_moves_groups_off_a_hot_backend_without_moving_any_back() {
    let env = [
        ("HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO", RATIO),
        ("HOST_LOAD_BALANCE_MIN_SAMPLES", "2"),
        ("HOST_LOAD_BALANCE_RESIDENCY_SECS", "0"),
        ("HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR", "1000"),
        // Runs come every second or two here: smooth over a few of them, not two minutes.
        ("HOST_LOAD_BALANCE_SMOOTHING_SECS", "3"),
    ];
    let cluster = Cluster::start("balance", SIM, &env).await;
    cluster.set_faults(HEAVY, json!({"load_multiplier": 3.0})).await;
    let _high = cluster.worker(Priority::High);
    let _low = cluster.worker(Priority::Low);
    let heavy = cluster.backend(HEAVY).await.id;
    let before = placement(&cluster).await;
    assert_eq!(before.values().filter(|b| **b == heavy).count(), 10, "the sim spreads 40 groups over 4 backends");

    // Off (the default): not even a reading, and nothing moves, whatever the sim shows.
    cluster.wait_for_sim_ticks(2).await;
    for _ in 0..3 {
        let result = run_balance(&cluster).await;
        assert_eq!(result["feature"], "off", "{result}");
    }
    assert_eq!(placement(&cluster).await, before, "with the feature off no group moves");

    geodb::ops::set_feature_state(cluster.db.as_ref(), cluster.site_id, Feature::LoadBalancing, FeatureState::On)
        .await
        .unwrap();
    let mut moves: Vec<(String, BackendId, BackendId)> = Vec::new();
    let mut balanced = false;
    for _ in 0..MAX_ROUNDS {
        let result = run_balance(&cluster).await;
        let decision = &result["decision"];
        match decision["decision"].as_str().unwrap() {
            "move" => {
                // The direct scrape gives each metric's spread: the decision works in load units.
                let relative = decision["relative_gap"].as_f64().unwrap_or_else(|| panic!("a relative gap: {result}"));
                assert!(decision["predicted_relative_gap_after"].as_f64().unwrap() < relative, "{result}");
                let job = result["move_job"]["id"].as_str().unwrap().to_owned();
                cluster.wait_for_state(&job, JobState::Succeeded, LONG).await;
                let parse = |v: &serde_json::Value| BackendId(v.as_str().unwrap().parse().unwrap());
                moves.push((
                    decision["group"].as_str().unwrap().to_owned(),
                    parse(&decision["from"]),
                    parse(&decision["to"]),
                ));
                // The sim's figures advance once a second: let the move show before the next run
                // (one round may have started before the move finished).
                cluster.wait_for_sim_ticks(2).await;
            }
            _ => {
                let codes: Vec<&str> =
                    decision["reasons"].as_array().unwrap().iter().filter_map(|r| r["code"].as_str()).collect();
                if codes.contains(&"balanced") {
                    balanced = true;
                    break;
                }
                cluster.wait_for_sim_ticks(1).await;
            }
        }
    }
    eprintln!("balancing moves: {moves:?}");
    assert!(balanced, "the site never read as balanced after {} moves: {moves:?}", moves.len());
    assert!(!moves.is_empty(), "a skewed site needs at least one move");
    assert!(moves.iter().any(|(_, from, _)| *from == heavy), "the hot backend gave groups away: {moves:?}");

    // No group went back where it came from.
    let mut seen: HashSet<(String, BackendId, BackendId)> = HashSet::new();
    for (group, from, to) in &moves {
        assert!(!seen.contains(&(group.clone(), *to, *from)), "group {group} moved back and forth: {moves:?}");
        seen.insert((group.clone(), *from, *to));
    }
    let after = placement(&cluster).await;
    let on_heavy = after.values().filter(|b| **b == heavy).count();
    assert!(on_heavy < 10, "the hot backend holds {on_heavy} groups after balancing");

    // The reading the API will show, with the gauge inputs.
    let state = state::State::new(&cluster.site.queue)
        .balance_state(cluster.site_id.0)
        .await
        .unwrap()
        .expect("a stored reading");
    assert!(state.balancedness > 0.0 && state.balancedness <= 100.0, "{state:?}");
    assert_eq!(state.scores.len(), 4, "{state:?}");
    assert!(state.spread.contains_key("memused"), "{state:?}");
    let smoothed = state::State::new(&cluster.site.queue).balance_smoothing(cluster.site_id.0).await.unwrap();
    assert_eq!(smoothed.figures.len(), 4, "smoothed figures of every backend are kept: {smoothed:?}");
}

/// Enqueues `load_balance` and returns its result once it succeeded.
async fn run_balance(cluster: &Cluster) -> serde_json::Value {
    let id = cluster.enqueue("load_balance", json!({}), Some(1)).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, LONG).await;
    record.result.unwrap()
}

async fn placement(cluster: &Cluster) -> BTreeMap<String, BackendId> {
    cluster.groups(None).await.into_iter().map(|g| (g.name.to_string(), g.backend_id)).collect()
}
