//! Site failover and autoscaling over the real binaries. The sim's whole site goes down (control
//! `PUT /site {"down":true}`), its proxies record the failures in `proxy_dest_stats`, and repeated
//! `site_failover` runs (enqueued directly) raise the force-move percentage one bounded step at a
//! time, holding between steps. A site failed over completely goes silent in the sim (its proxies
//! honour `force_move_percentage`), is probed with one step of users, and comes back up step by
//! step once the probe's users are served. `autoscale` publishes the current backend count with the default
//! policy, or what a webhook answers. A feature that is off stores nothing.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use domain::{Feature, FeatureState, SettingName, SettingScope};
use queue::{JobState, Priority};
use serde_json::{Value, json};
use testkit::wait_until_async;

use crate::moves_harness::Cluster;

const SIM: &[&str] = &["--backends", "3", "--groups", "30", "--users", "300", "--rate", "300"];
const MAX_STEP: u8 = 10;

async fn run(cluster: &Cluster, kind: &str) -> Value {
    let id = cluster.enqueue(kind, json!({}), Some(1)).await;
    let record = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(60)).await;
    record.result.unwrap_or(Value::Null)
}

async fn set_feature(cluster: &Cluster, feature: Feature, state: FeatureState) {
    geodb::ops::set_feature_state(&*cluster.db, cluster.site_id, feature, state).await.unwrap();
}

async fn force_move_setting(cluster: &Cluster) -> Option<String> {
    let name = SettingName::parse("force_move_percentage").unwrap();
    cluster.db.get_setting(SettingScope::Site(cluster.site_id), &name).await.unwrap().map(|s| s.value)
}

#[tokio::test]
async fn a_down_site_is_failed_over_step_by_step_and_autoscale_publishes_the_current_count() {
    let env = [
        ("SITE_FAILOVER_WINDOW_SECS", "120"),
        ("SITE_FAILOVER_STREAK", "2"),
        ("SITE_FAILOVER_MIN_SAMPLES", "20"),
        ("SITE_FAILOVER_MAX_STEP", "10"),
    ];
    let cluster = Cluster::start("failover-autoscale", SIM, &env).await;
    let _high = cluster.worker(Priority::High);
    let _low = cluster.worker(Priority::Low);
    let queue = &cluster.site.queue;

    // Off: nothing runs, nothing is stored.
    let off = run(&cluster, "site_failover").await;
    assert_eq!(off["feature"], "off", "{off}");
    let off = run(&cluster, "autoscale").await;
    assert_eq!(off["feature"], "off", "{off}");
    assert_eq!(state::State::new(queue).failover_state(cluster.site_id.0).await.unwrap(), None);
    assert_eq!(state::State::new(queue).desired_backends(cluster.site_id.0).await.unwrap(), None);
    assert_eq!(force_move_setting(&cluster).await, None);

    // The whole site fails.
    let url = format!("{}/site", cluster.ready.control_url);
    reqwest::Client::new().put(url).json(&json!({"down": true})).send().await.unwrap().error_for_status().unwrap();
    wait_until_async("failures recorded", Duration::from_secs(60), || async {
        let stats = cluster.proxy_stats().await;
        let (successes, failures) = stats.values().fold((0, 0), |(s, f), (a, b)| (s + a, f + b));
        // Well above the down ratio even counting every success before the site went down.
        (failures >= 200 && failures >= 3 * successes).then_some(())
    })
    .await;

    set_feature(&cluster, Feature::SiteFailover, FeatureState::On).await;
    let mut percents = vec![0u8];
    for _ in 0..6 {
        let result = run(&cluster, "site_failover").await;
        let percent = u8::try_from(result["percent"].as_u64().unwrap()).unwrap();
        let previous = *percents.last().unwrap();
        assert!(percent >= previous && percent - previous <= MAX_STEP, "{percents:?} then {percent}: {result}");
        percents.push(percent);
        let stored = state::State::new(queue).failover_state(cluster.site_id.0).await.unwrap().unwrap();
        assert_eq!(stored.state.percent, percent);
        assert!(!stored.dry_run);
    }
    // A streak of two: hold, step, hold, step, ...
    assert_eq!(percents, [0, 0, 10, 10, 20, 20, 30], "{percents:?}");
    assert_eq!(force_move_setting(&cluster).await.as_deref(), Some("30"));

    // Dry run: the live state and the setting stay where they are.
    set_feature(&cluster, Feature::SiteFailover, FeatureState::Dryrun).await;
    for _ in 0..2 {
        let result = run(&cluster, "site_failover").await;
        assert_eq!(result["dry_run"], true, "{result}");
    }
    assert_eq!(state::State::new(queue).failover_state(cluster.site_id.0).await.unwrap().unwrap().state.percent, 30);
    let dry = state::State::new(queue).failover_dry_run(cluster.site_id.0).await.unwrap().unwrap();
    assert!(dry.dry_run && dry.state.percent == 10, "{dry:?}");
    assert_eq!(force_move_setting(&cluster).await.as_deref(), Some("30"));

    // Autoscale, default policy: the current count.
    set_feature(&cluster, Feature::Autoscaling, FeatureState::On).await;
    run(&cluster, "autoscale").await;
    let desired = state::State::new(queue).desired_backends(cluster.site_id.0).await.unwrap().unwrap();
    assert_eq!((desired.desired, desired.current, desired.policy.as_str(), desired.dry_run), (3, 3, "default", false));
    set_feature(&cluster, Feature::Autoscaling, FeatureState::Dryrun).await;
    run(&cluster, "autoscale").await;
    let desired = state::State::new(queue).desired_backends(cluster.site_id.0).await.unwrap().unwrap();
    assert!(desired.dry_run && desired.desired == 3, "{desired:?}");
}

/// Short statistics windows so evidence ages in seconds, not minutes.
const SIM_FAST: &[&str] = &[
    "--backends",
    "3",
    "--groups",
    "30",
    "--users",
    "300",
    "--rate",
    "300",
    "--stats-window-secs",
    "1",
    "--stats-flush-ms",
    "200",
];

async fn set_site_down(cluster: &Cluster, down: bool) {
    let url = format!("{}/site", cluster.ready.control_url);
    reqwest::Client::new().put(url).json(&json!({"down": down})).send().await.unwrap().error_for_status().unwrap();
}

/// One `site_failover` run, paced like the scheduler (one sim observer round apart): the new
/// percentage and the first reason's code.
async fn failover_step(cluster: &Cluster) -> (u8, String) {
    cluster.wait_for_sim_ticks(1).await;
    let result = run(cluster, "site_failover").await;
    let percent = u8::try_from(result["percent"].as_u64().unwrap()).unwrap();
    (percent, result["reasons"][0]["code"].as_str().unwrap().to_owned())
}

/// Runs until the percentage leaves 100 by a probe; returns the silent runs that led to it
/// (the probe's own run included) and the probe's percentage.
async fn until_probe(cluster: &Cluster) -> (u32, u8) {
    let mut silent = 0;
    for _ in 0..60 {
        let (percent, code) = failover_step(cluster).await;
        match code.as_str() {
            "failover_probe" => return (silent + 1, percent),
            "failover_probe_wait" => silent += 1,
            // Evidence from before the site went silent: the quiet count starts again.
            _ => silent = 0,
        }
        assert_eq!(percent, 100, "nothing but a probe leaves 100 % ({code})");
    }
    panic!("no probe after 60 runs at 100 %");
}

#[tokio::test]
async fn a_fully_failed_over_site_is_probed_and_brought_back_up_step_by_step() {
    let env = [
        ("SITE_FAILOVER_WINDOW_SECS", "2"),
        ("SITE_FAILOVER_STREAK", "1"),
        ("SITE_FAILOVER_MIN_SAMPLES", "20"),
        ("SITE_FAILOVER_MAX_STEP", "50"),
    ];
    let cluster = Cluster::start("failover-probe", SIM_FAST, &env).await;
    let _high = cluster.worker(Priority::High);
    set_feature(&cluster, Feature::SiteFailover, FeatureState::On).await;
    set_site_down(&cluster, true).await;

    // Down in steps of at most 50 until nobody is sent to the site.
    let mut percents = vec![0u8];
    while *percents.last().unwrap() < 100 {
        assert!(percents.len() < 40, "never reached 100 %: {percents:?}");
        let (percent, _) = failover_step(&cluster).await;
        let previous = *percents.last().unwrap();
        assert!(percent >= previous && percent - previous <= 50, "{percents:?} then {percent}");
        percents.push(percent);
    }
    assert_eq!(force_move_setting(&cluster).await.as_deref(), Some("100"));

    // Silent at 100 %: a probe after STREAK x 2 quiet runs (reaching 100 % counts as a failure).
    let (first_wait, probe) = until_probe(&cluster).await;
    assert_eq!((first_wait, probe), (2, 50));
    let forced = cluster.sim_state().await["totals"]["forced_away"].as_u64().unwrap();
    assert!(forced > 0, "the sim sent force-moved users elsewhere");

    // The site is still down: the probe's users fail, back to 100 %, and the next wait doubles.
    let mut after_probe = Vec::new();
    loop {
        assert!(after_probe.len() < 40, "the failed probe never went back to 100 %: {after_probe:?}");
        let (percent, _) = failover_step(&cluster).await;
        after_probe.push(percent);
        if percent == 100 {
            break;
        }
        assert_eq!(percent, 50, "{after_probe:?}");
    }
    let stored = state::State::new(&cluster.site.queue).failover_state(cluster.site_id.0).await.unwrap().unwrap();
    assert_eq!(stored.state.failed_probes, 2, "{stored:?}");

    // The site recovers once the sim sends nobody (else the last probe users' successes would
    // already count as a good window); the next probe's users are served and the site comes back up.
    wait_until_async("the sim to send nobody", Duration::from_secs(30), || async {
        (cluster.sim_state().await["force_move_percent"] == 100).then_some(())
    })
    .await;
    set_site_down(&cluster, false).await;
    let (second_wait, probe) = until_probe(&cluster).await;
    assert_eq!((second_wait, probe), (4, 50));
    let mut back = vec![50u8];
    while *back.last().unwrap() > 0 {
        assert!(back.len() < 40, "never came back to 0 %: {back:?}");
        let (percent, _) = failover_step(&cluster).await;
        let previous = *back.last().unwrap();
        assert!(percent <= previous && previous - percent <= 50, "{back:?} then {percent}");
        back.push(percent);
    }
    assert_eq!(force_move_setting(&cluster).await.as_deref(), Some("0"));
    let stored = state::State::new(&cluster.site.queue).failover_state(cluster.site_id.0).await.unwrap().unwrap();
    assert_eq!(stored.state.failed_probes, 0, "a real recovery resets the back-off: {stored:?}");
}

/// A one-route HTTP server on a thread: answers every request with `{"desired_backends": n}`
/// and counts the requests whose body named the site's backend count.
fn webhook(desired: u64) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let summary: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            assert!(summary["backends_total"].is_u64(), "the webhook gets the load summary: {summary}");
            let answer = json!({ "desired_backends": desired }).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}/scale")
}

#[tokio::test]
async fn autoscale_publishes_what_the_webhook_answers() {
    let url = webhook(7);
    let cluster = Cluster::start("autoscale-webhook", SIM, &[("AUTOSCALE_WEBHOOK_URL", url.as_str())]).await;
    let _low = cluster.worker(Priority::Low);
    set_feature(&cluster, Feature::Autoscaling, FeatureState::On).await;
    let result = run(&cluster, "autoscale").await;
    let desired = state::State::new(&cluster.site.queue).desired_backends(cluster.site_id.0).await.unwrap().unwrap();
    assert_eq!((desired.desired, desired.current, desired.policy.as_str()), (7, 3, "webhook"), "{result}");
}
