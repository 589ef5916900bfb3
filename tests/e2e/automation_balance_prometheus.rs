//! Load balancing in Prometheus mode over the real binaries: `cluster-sim` with one backend of
//! four carrying three times the load per user, scraped by Debian's real `prometheus` evaluating
//! the repo's deploy/prometheus/rules.yml every second, and a worker with `PROMETHEUS_URL` set.
//! A Prometheus that knows no backend gives no scores, and the job then moves nothing (missing
//! metrics are unknown, not idle); once the rules have scores, the job moves a group off the hot
//! backend, and its result says the scores came from Prometheus.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use domain::{BackendId, Feature, FeatureState};
use queue::{JobState, Priority};
use serde_json::{Value, json};
use testkit::prometheus::{Prometheus, repo_rules_file};
use testkit::wait_until_async;

use crate::moves_harness::{Cluster, LONG, SITE};

const SIM: &[&str] =
    &["--backends", "4", "--groups", "40", "--users", "400", "--rate", "50", "--move-finish-delay-ms", "50"];
const RATIO: f64 = 1.2;
const MIN_SAMPLES: u64 = 2;
const HEAVY: &str = "b1.e2e.sim";
/// Scrape and rule evaluation interval of the test's Prometheus.
const INTERVAL: Duration = Duration::from_secs(1);
/// Prometheus start-up, warm-up and the sim's smoothed figures reaching the fault.
const WARM_UP: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancing_reads_prometheus_and_moves_a_group_off_the_hot_backend() {
    let env = [
        ("HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO", RATIO.to_string()),
        ("HOST_LOAD_BALANCE_MIN_SAMPLES", MIN_SAMPLES.to_string()),
        ("HOST_LOAD_BALANCE_RESIDENCY_SECS", "0".to_owned()),
        ("HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR", "1000".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let cluster = Cluster::start("balance-prom", SIM, &env).await;
    cluster.set_faults(HEAVY, json!({"load_multiplier": 3.0})).await;
    let targets: Vec<&String> = cluster.ready.backends.values().collect();
    let rules = repo_rules_file();
    let (live, blind) = tokio::join!(
        Prometheus::start(&targets, &rules, INTERVAL),
        Prometheus::start(&[] as &[&str], &rules, INTERVAL),
    );
    geodb::ops::set_feature_state(cluster.db.as_ref(), cluster.site_id, Feature::LoadBalancing, FeatureState::On)
        .await
        .unwrap();
    let _high = cluster.worker(Priority::High);
    let heavy = cluster.backend(HEAVY).await.id;
    let before = placement(&cluster).await;
    assert_eq!(before.values().filter(|b| **b == heavy).count(), 10, "the sim spreads 40 groups over 4 backends");

    // A Prometheus with no targets has no scores: every backend is unknown, nothing is ranked and
    // nothing moves, although scraping the backends directly would show the hot one.
    {
        let low = cluster.site.worker(Priority::Low, 16, &[("PROMETHEUS_URL", blind.url.as_str())]);
        let result = run_balance(&cluster).await;
        assert_eq!(result["source"], "prometheus", "{result}");
        assert_eq!(result["decision"]["decision"], "no_move", "{result}");
        let codes = reason_codes(&result);
        assert!(codes.contains(&"scores_unknown".to_owned()), "{result}");
        assert!(codes.contains(&"not_enough_hosts".to_owned()), "{result}");
        assert!(result.get("move_job").is_none(), "{result}");
        let state = state::State::new(&cluster.site.queue)
            .balance_state(cluster.site_id.0)
            .await
            .unwrap()
            .expect("a stored reading");
        assert!(state.scores.is_empty(), "no scores from an empty Prometheus: {state:?}");
        drop(low);
    }

    // The live Prometheus: wait until its rules rank the hot backend clearly worst, with every
    // host warmed up, so the job's reading a moment later is past the threshold too.
    let http = reqwest::Client::new();
    let reading = wait_until_async("prometheus to rank the hot backend worst past the threshold", WARM_UP, || async {
        let z = zscores(&http, &live.url).await?;
        let warm = z.len() == 4 && z.values().all(|s| s.len() == 3 && s.values().all(|(_, n)| *n >= MIN_SAMPLES));
        let (worst, gap) = worst_and_gap(&z)?;
        // Margin over the job's threshold (RATIO per metric): the sim's figures carry noise.
        (warm && worst == HEAVY && gap > 1.5 * RATIO * 3.0).then_some(z)
    })
    .await;
    eprintln!("prometheus reading before the run: {reading:?}");

    let _low = cluster.site.worker(Priority::Low, 16, &[("PROMETHEUS_URL", live.url.as_str())]);
    let result = run_balance(&cluster).await;
    eprintln!("load_balance result: {result}");
    assert_eq!(result["source"], "prometheus", "{result}");
    let decision = &result["decision"];
    assert_eq!(decision["decision"], "move", "{result}");
    assert!(!reason_codes(&result).contains(&"scores_unknown".to_owned()), "every host has scores: {result}");
    let parse = |v: &Value| BackendId(v.as_str().unwrap().parse().unwrap());
    let (group, from, to) =
        (decision["group"].as_str().unwrap().to_owned(), parse(&decision["from"]), parse(&decision["to"]));
    assert_eq!(from, heavy, "the move leaves the hot backend: {result}");
    assert_ne!(to, heavy, "{result}");
    assert!(decision["gap"].as_f64().unwrap() > RATIO * 3.0, "{result}");
    // The rules' site series put the gap in units: a share of the site's mean load.
    let relative = decision["relative_gap"].as_f64().unwrap_or_else(|| panic!("a relative gap: {result}"));
    assert!(relative > 0.05 && decision["predicted_relative_gap_after"].as_f64().unwrap() < relative, "{result}");
    let job = result["move_job"]["id"].as_str().unwrap().to_owned();
    cluster.wait_for_state(&job, JobState::Succeeded, LONG).await;
    let after = placement(&cluster).await;
    assert_eq!(after[&group], to, "group {group} moved to {to}");
    assert_eq!(after.values().filter(|b| **b == heavy).count(), 9, "one group left the hot backend");

    // What the job stored for the API is the Prometheus reading: all four hosts, hot one on top.
    let state = state::State::new(&cluster.site.queue)
        .balance_state(cluster.site_id.0)
        .await
        .unwrap()
        .expect("a stored reading");
    assert_eq!(state.scores.len(), 4, "{state:?}");
    let top = state.combined.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(h, _)| h.as_str());
    assert_eq!(top, Some(HEAVY), "{state:?}");
}

/// Enqueues `load_balance` and returns its result once it succeeded.
async fn run_balance(cluster: &Cluster) -> Value {
    let id = cluster.enqueue("load_balance", json!({}), Some(1)).await;
    cluster.wait_for_state(&id, JobState::Succeeded, LONG).await.result.unwrap()
}

fn reason_codes(result: &Value) -> Vec<String> {
    let reasons = result["decision"]["reasons"].as_array().unwrap();
    reasons.iter().filter_map(|r| r["code"].as_str().map(str::to_owned)).collect()
}

/// host → score → (z-score, samples so far), asked of Prometheus' HTTP API directly rather than
/// through the worker's client, so the test checks the rules, not the code under test.
type Reading = HashMap<String, HashMap<String, (f64, u64)>>;

async fn zscores(http: &reqwest::Client, url: &str) -> Option<Reading> {
    let query = |q: String| async move {
        let answer: Value =
            http.get(format!("{url}/api/v1/query")).query(&[("query", q)]).send().await.ok()?.json().await.ok()?;
        let samples = answer["data"]["result"].as_array()?.clone();
        let parsed = samples.iter().filter_map(|s| {
            let value = s["value"][1].as_str()?.parse::<f64>().ok()?;
            let label = |name: &str| s["metric"][name].as_str().map(str::to_owned);
            Some((label("host")?, label("score").unwrap_or_default(), value))
        });
        Some(parsed.collect::<Vec<_>>())
    };
    let selector = format!("dovecot_cluster:host:zscore{{site=\"{SITE}\"}}");
    let counts = query(format!("count_over_time({selector}[1h])")).await?;
    let counts: HashMap<(String, String), u64> = counts.into_iter().map(|(h, s, n)| ((h, s), n as u64)).collect();
    let mut reading = Reading::new();
    for (host, score, z) in query(selector).await? {
        let n = counts.get(&(host.clone(), score.clone())).copied().unwrap_or(0);
        reading.entry(host).or_default().insert(score, (z, n));
    }
    Some(reading)
}

/// The host with the highest signed sum of scores (the job's default combination) and its gap
/// to the lowest.
fn worst_and_gap(z: &Reading) -> Option<(String, f64)> {
    let sums: Vec<(&String, f64)> = z.iter().map(|(h, s)| (h, s.values().map(|(z, _)| z).sum())).collect();
    let (worst, high) = sums.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let low = sums.iter().map(|(_, s)| *s).min_by(f64::total_cmp)?;
    Some(((*worst).clone(), high - low))
}

async fn placement(cluster: &Cluster) -> BTreeMap<String, BackendId> {
    cluster.groups(None).await.into_iter().map(|g| (g.name.to_string(), g.backend_id)).collect()
}
