use serde_json::json;

use super::*;
use crate::probe::{ProbeOutcome, ProbePayload, ProbeVerdict};

fn error(kind: &str, payload: serde_json::Value) -> ValidationError {
    validate(kind, &payload).unwrap_err()
}

#[test]
fn kinds_round_trip_through_their_names() {
    for kind in JobKind::ALL {
        assert_eq!(kind.as_str().parse::<JobKind>().unwrap(), *kind);
        assert_eq!(kind.to_string(), kind.as_str());
    }
    assert_eq!(JobKind::NAMES, JobKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().as_slice());
    assert_eq!("Probe".parse::<JobKind>(), Err(UnknownJobKind));
    assert_eq!(JobKind::Probe.default_priority(), domain::Priority::Low);
}

#[test]
fn an_unknown_kind_is_reported_on_the_kind_field() {
    let e = error("evacuate-everything", json!({}));
    assert_eq!(e.field, "kind");
    assert_eq!(
        e.to_string(),
        "kind: must be one of probe, move_group, evacuate_backend, move_user, kick, reachability, load_balance, \
         error_mitigation, execute_plan, group_balance_plan, group_balance_pass, site_failover, autoscale"
    );
}

#[test]
fn a_probe_payload_is_normalised_with_its_defaults() {
    for empty in [json!({}), serde_json::Value::Null] {
        let (kind, payload) = validate("probe", &empty).unwrap();
        assert_eq!(kind, JobKind::Probe);
        assert_eq!(payload, json!({"duration_ms": 0, "outcome": "succeed"}));
    }
    let full = json!({"duration_ms": 2000, "outcome": "fail", "fail_attempts": 2, "marker": "e2e_reclaim-1"});
    assert_eq!(validate("probe", &full).unwrap().1, full);
    let typed: ProbePayload = parse(&full).unwrap();
    assert_eq!(typed.outcome, ProbeOutcome::Fail);
    assert_eq!(typed.marker.as_deref(), Some("e2e_reclaim-1"));
}

#[test]
fn bad_probe_fields_are_named_and_values_never_echoed() {
    let cases = [
        (json!({"duration_ms": 3_600_001}), "payload.duration_ms: must be between 0 and 3600000"),
        (json!({"duration_ms": -1}), "payload.duration_ms: must be an integer from 0 to 3600000"),
        (json!({"duration_ms": "soon"}), "payload.duration_ms: must be an integer from 0 to 3600000"),
        (json!({"outcome": "explode"}), "payload.outcome: must be succeed, fail or abort"),
        (json!({"fail_attempts": 1.5}), "payload.fail_attempts: must be a non-negative integer"),
        (json!({"marker": ""}), "payload.marker: must not be empty"),
        (json!({"marker": "a".repeat(65)}), "payload.marker: must be at most 64 characters"),
        (json!({"marker": "a:b"}), "payload.marker: must not contain ':'"),
        (json!({"marker": 7}), "payload.marker: must be a string of up to 64 characters"),
        (json!({"sleep": 1}), "payload.sleep: must be one of duration_ms, outcome, fail_attempts, marker"),
        (json!([1, 2]), "payload: must be a JSON object"),
        (json!("probe"), "payload: must be a JSON object"),
    ];
    for (payload, expected) in cases {
        let text = error("probe", payload.clone()).to_string();
        assert!(text.starts_with(expected), "{payload}: got {text:?}, want {expected:?}");
        assert!(!text.contains("explode") && !text.contains("soon"), "{text}");
    }
    let marker_at_limit = json!({"marker": "a".repeat(64)});
    assert!(validate("probe", &marker_at_limit).is_ok());
}

#[test]
fn the_probe_verdict_follows_outcome_and_fail_attempts() {
    let probe = |outcome, fail_attempts| ProbePayload { duration_ms: 0, outcome, fail_attempts, marker: None };
    assert_eq!(probe(ProbeOutcome::Succeed, None).verdict(1), ProbeVerdict::Succeed);
    assert_eq!(probe(ProbeOutcome::Fail, None).verdict(9), ProbeVerdict::Retry);
    assert_eq!(probe(ProbeOutcome::Abort, Some(3)).verdict(1), ProbeVerdict::Abort);
    let flaky = probe(ProbeOutcome::Fail, Some(2));
    let verdicts: Vec<_> = (1..=4).map(|attempt| flaky.verdict(attempt)).collect();
    assert_eq!(verdicts, [ProbeVerdict::Retry, ProbeVerdict::Retry, ProbeVerdict::Succeed, ProbeVerdict::Succeed]);
    // fail_attempts alone means "flaky": it fails first even when the outcome is left at succeed.
    assert_eq!(probe(ProbeOutcome::Succeed, Some(1)).verdict(1), ProbeVerdict::Retry);
}

#[test]
fn the_scheduler_tick_is_reserved_skipped_by_kinds_and_refused_from_clients() {
    let tick = chrono::DateTime::from_timestamp_millis(1_700_000_000_200).unwrap();
    let scheduled = with_tick_at(&json!({"duration_ms": 5}), tick);
    assert_eq!(scheduled["tick_at"], "2023-11-14T22:13:20.200Z");
    assert_eq!(tick_at(&scheduled), Some(tick));
    assert_eq!(tick_at(&json!({"duration_ms": 5})), None);
    assert_eq!(with_tick_at(&serde_json::Value::Null, tick)["tick_at"], "2023-11-14T22:13:20.200Z");

    let typed: ProbePayload = parse(&scheduled).unwrap();
    assert_eq!(typed.duration_ms, 5);
    assert_eq!(error("probe", scheduled).to_string(), "payload.tick_at: must be absent: the scheduler sets it");
}
