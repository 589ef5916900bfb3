use std::time::Duration;

use chrono::Utc;
use queue::{Delivery, Outcome, Priority};
use serde_json::json;

use super::*;

/// A registry whose Redis does not exist: nothing here may need it, except where it says so.
fn registry() -> Registry {
    let redis = deadpool_redis::Config::from_url("redis://127.0.0.1:1/0")
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    Registry::new(probe::Probe::new(redis, "test:registry", Duration::from_secs(60)))
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
    let outcome = registry().run(&delivery("probe", json!({"duration_ms": 1}), 1)).await;
    assert_eq!(outcome, Outcome::Succeeded(json!({"slept_ms": 1, "attempt": 1})));
}

#[tokio::test]
async fn an_unknown_kind_or_a_bad_payload_is_aborted() {
    let registry = registry();
    let unknown = registry.run(&delivery("reboot-everything", json!({}), 1)).await;
    assert_eq!(unknown, Outcome::Abort("unknown job kind \"reboot-everything\"".into()));
    let bad = registry.run(&delivery("probe", json!({"duration_ms": "forever"}), 1)).await;
    assert_eq!(bad, Outcome::Abort("payload.duration_ms: must be an integer from 0 to 3600000".into()));
}

#[tokio::test]
async fn the_probe_ends_as_its_payload_asks() {
    let registry = registry();
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
    let outcome = registry().run(&delivery("probe", json!({"marker": "m"}), 1)).await;
    let Outcome::Retry(message) = outcome else { panic!("expected a retry, got {outcome:?}") };
    assert!(message.starts_with("probe marker:"), "{message}");
}
