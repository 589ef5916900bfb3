use std::time::Duration;

use chrono::Utc;
use queue::{Delivery, Outcome, Priority};
use serde_json::json;

use super::*;

/// A registry whose Redis does not exist: nothing here may need it, except where it says so.
/// Its GeoDB is an empty SQLite file, kept as long as the registry.
async fn registry() -> (Registry, tempfile::TempDir) {
    let redis = deadpool_redis::Config::from_url("redis://127.0.0.1:1/0")
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = geodb::ConnectOptions::Sqlite(geodb::SqliteOptions::new(dir.path().join("geodb.sqlite")));
    let queue = queue::Queue::connect("redis://127.0.0.1:1/0", queue::QueueConfig::new("test:registry")).await.unwrap();
    let context = context::Context {
        db: geodb::connect(&options).await.unwrap(),
        state: state::State::new(&queue),
        queue,
        doveadm: doveadm::Client::new(doveadm::Auth::None, Duration::from_millis(200)).unwrap(),
        home_site: domain::SiteName::parse("par1").unwrap(),
        doveadm_port: 1,
        clock: service::Clock::system(),
        moves: controller_config::MoveConfig {
            timeout: Duration::from_secs(1),
            access_retry: Duration::from_secs(1),
            evacuation_batch_size: 10,
            evacuation_batch_interval: Duration::ZERO,
            evacuation_stall: Duration::from_secs(120),
            name_resolution_grace: Duration::from_secs(10),
        },
        balance: controller_config::BalanceConfig {
            prometheus_url: None,
            score_delta_threshold_ratio: 1.0,
            min_relative_gap: 0.10,
            smoothing: Duration::from_secs(120),
            min_samples: 3000,
            residency: Duration::from_secs(3600),
            max_moves_per_hour: 1,
            group_size_ratio_slack: 0.2,
            group_max_user_moves: 1000,
            group_max_user_moves_per_pass: 100,
        },
        mitigation: controller_config::MitigationConfig {
            window: Duration::from_secs(300),
            host_failure_ratio: 0.3,
            evacuate_failure_ratio: 0.9,
            min_samples: 20,
            capacity_guard_ratio: 0.75,
            confirm: Duration::from_secs(15),
            watch: Duration::from_secs(300),
            max_growth: 3.0,
            guard_cooldown: None,
        },
        automation: controller_config::AutomationConfig {
            failover_window: Duration::from_secs(120),
            failover_down_ratio: 0.5,
            failover_up_ratio: 0.1,
            failover_streak: 3,
            failover_max_step: 10,
            failover_min_samples: 50,
            autoscale_webhook_url: None,
        },
    };
    (Registry::new(probe::Probe::new(redis, "test:registry", Duration::from_secs(60)), context), dir)
}

fn delivery(kind: &str, payload: serde_json::Value, attempt: u32) -> Delivery {
    Delivery {
        job_id: "job-1".into(),
        entry_id: "1-0".into(),
        priority: Priority::Low,
        kind: kind.into(),
        payload,
        attempt,
        max_attempts: 5,
        enqueued_at: Utc::now(),
        started_at: Utc::now(),
        run_token: "token".into(),
    }
}

#[tokio::test]
async fn each_kind_is_dispatched_to_its_handler() {
    let (registry, _db) = registry().await;
    let outcome = registry.run(&delivery("probe", json!({"duration_ms": 1}), 1)).await;
    assert_eq!(outcome, Outcome::Succeeded(json!({"slept_ms": 1, "attempt": 1})));
}

#[tokio::test]
async fn an_unknown_kind_or_a_bad_payload_is_aborted() {
    let (registry, _db) = registry().await;
    let unknown = registry.run(&delivery("reboot-everything", json!({}), 1)).await;
    assert_eq!(unknown, Outcome::Abort("unknown job kind \"reboot-everything\"".into()));
    let bad = registry.run(&delivery("probe", json!({"duration_ms": "forever"}), 1)).await;
    assert_eq!(bad, Outcome::Abort("payload.duration_ms: must be an integer from 0 to 3600000".into()));
}

#[tokio::test]
async fn the_probe_ends_as_its_payload_asks() {
    let (registry, _db) = registry().await;
    let fail = json!({"outcome": "fail"});
    assert!(matches!(registry.run(&delivery("probe", fail, 3)).await, Outcome::Retry(_)));
    let abort = json!({"outcome": "abort"});
    assert_eq!(registry.run(&delivery("probe", abort, 1)).await, Outcome::Abort("probe aborted on request".into()));
    let flaky = json!({"fail_attempts": 1});
    assert!(matches!(registry.run(&delivery("probe", flaky.clone(), 1)).await, Outcome::Retry(_)));
    assert!(matches!(registry.run(&delivery("probe", flaky, 2)).await, Outcome::Succeeded(_)));
}

#[tokio::test]
async fn a_marker_that_cannot_be_counted_is_retried_where_redis_fails() {
    let (registry, _db) = registry().await;
    let outcome = registry.run(&delivery("probe", json!({"marker": "m"}), 1)).await;
    let Outcome::Retry(message) = outcome else { panic!("expected a retry, got {outcome:?}") };
    assert!(message.starts_with("probe marker:"), "{message}");
}

#[tokio::test]
async fn move_kinds_refuse_bad_payloads_and_missing_objects_without_retrying() {
    let (registry, _db) = registry().await;
    let bad = registry.run(&delivery("move_group", json!({"group": "g"}), 1)).await;
    assert!(matches!(&bad, Outcome::Abort(m) if m.starts_with("payload")), "{bad:?}");
    let site = "7d6c1a52-4bde-4c2a-9f77-0b5e0d1d2a01";
    let dest = "b3c2d1e0-9f8e-4d7c-8b6a-5a4b3c2d1e03";
    let missing = json!({"site_id": site, "group": "g1", "destination_backend_id": dest});
    let outcome = registry.run(&delivery("move_group", missing, 1)).await;
    assert_eq!(outcome, Outcome::Abort(format!("group g1 not found in site {site}")));
    let outcome = registry.run(&delivery("evacuate_backend", json!({"backend_id": dest}), 1)).await;
    assert_eq!(outcome, Outcome::Abort(format!("backend {dest} not found")));
    let outcome = registry.run(&delivery("kick", json!({"user": "alice"}), 1)).await;
    assert_eq!(outcome, Outcome::Abort("user alice not found".into()));
    let outcome = registry.run(&delivery("move_user", json!({"user": "alice", "group": "g2"}), 1)).await;
    assert_eq!(outcome, Outcome::Abort("user alice not found".into()));
    // No home site yet: the probe has nothing to do and says so, instead of filling the dead letters.
    let outcome = registry.run(&delivery("reachability", json!({}), 1)).await;
    assert!(matches!(&outcome, Outcome::Succeeded(v) if v["skipped"].is_string()), "{outcome:?}");
}
