use serde_json::json;

use super::*;

#[test]
fn the_default_is_a_low_priority_canary_a_minute_and_reachability_every_ten_seconds() {
    let parsed = entries(DEFAULT).unwrap();
    assert_eq!(
        parsed,
        vec![
            ScheduleEntry {
                name: "probe-canary".into(),
                kind: "probe".into(),
                interval_ms: 60_000,
                priority: Priority::Low,
                payload: json!({"duration_ms": 0, "outcome": "succeed"}),
            },
            ScheduleEntry {
                name: "reachability".into(),
                kind: "reachability".into(),
                interval_ms: 10_000,
                priority: Priority::High,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "load-balance".into(),
                kind: "load_balance".into(),
                interval_ms: 60_000,
                priority: Priority::Low,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "error-mitigation".into(),
                kind: "error_mitigation".into(),
                interval_ms: 60_000,
                priority: Priority::High,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "site-failover".into(),
                kind: "site_failover".into(),
                interval_ms: 60_000,
                priority: Priority::High,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "autoscale".into(),
                kind: "autoscale".into(),
                interval_ms: 300_000,
                priority: Priority::Low,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "group-balance-plan".into(),
                kind: "group_balance_plan".into(),
                interval_ms: 86_400_000,
                priority: Priority::Low,
                payload: json!({}),
            },
            ScheduleEntry {
                name: "group-balance-pass".into(),
                kind: "group_balance_pass".into(),
                interval_ms: 1_800_000,
                priority: Priority::Low,
                payload: json!({}),
            },
        ]
    );
}

#[test]
fn priority_defaults_to_the_kind_and_payload_is_normalised() {
    let parsed = entries(r#"[{"name":"p","kind":"probe","interval_ms":200,"payload":{"marker":"m"}}]"#).unwrap();
    assert_eq!(parsed[0].priority, Priority::Low);
    assert_eq!(parsed[0].payload, json!({"duration_ms": 0, "outcome": "succeed", "marker": "m"}));
    let high = entries(r#"[{"name":"p","kind":"probe","interval_ms":200,"priority":"high"}]"#).unwrap();
    assert_eq!(high[0].priority, Priority::High);
    assert_eq!(entries("[]").unwrap(), vec![]);
}

#[test]
fn every_problem_of_every_entry_is_reported() {
    let text = json!([
        {"name": "ok", "kind": "probe", "interval_ms": 1000},
        {"name": "ok", "kind": "reboot", "interval_ms": 5},
        {"name": "bad name", "kind": "probe", "interval_ms": 1000, "payload": {"duration_ms": "long"}},
        {"name": "x", "kind": "probe", "interval_ms": "1s"},
        {"name": "y", "kind": "probe", "interval_ms": 1000, "cron": "* * *"},
        "probe",
    ])
    .to_string();
    let message = entries(&text).unwrap_err();
    let expected = [
        "entries[1].name: must be unique",
        "entries[1].interval_ms: must be an integer from 100 to 604800000",
        "entries[1].kind: must be one of probe",
        "entries[2].name: must contain only letters",
        "entries[2].payload.duration_ms: must be an integer from 0 to 3600000",
        "entries[3].interval_ms: must be an integer",
        "entries[4].cron: is not a field of a schedule entry",
        "entries[5]: must be an object",
    ];
    let problems: Vec<&str> = message.split("; ").collect();
    for want in expected {
        assert!(problems.iter().any(|p| p.starts_with(want)), "missing {want:?} in {message}");
    }
    assert_eq!(problems.len(), expected.len(), "{message}");
    assert!(!message.contains("long") && !message.contains("reboot"), "values are not echoed: {message}");
}

#[test]
fn anything_but_an_array_is_refused() {
    for bad in ["{}", "probe", "[", "\"[]\""] {
        assert!(entries(bad).unwrap_err().starts_with("must be a JSON array"), "{bad}");
    }
}
