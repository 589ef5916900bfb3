use serde_json::json;

use super::*;
use crate::moves::{EvacuateBackendPayload, MoveGroupPayload, MoveUserPayload};

const SITE: &str = "7d6c1a52-4bde-4c2a-9f77-0b5e0d1d2a01";
const FROM: &str = "1f0b9a3e-3c55-4a51-8d4e-6f3e2b9c7a02";
const TO: &str = "b3c2d1e0-9f8e-4d7c-8b6a-5a4b3c2d1e03";

fn error(kind: &str, payload: serde_json::Value) -> String {
    validate(kind, &payload).unwrap_err().to_string()
}

#[test]
fn the_move_kinds_run_on_the_high_priority_pool() {
    for name in ["move_group", "evacuate_backend", "move_user", "kick", "reachability"] {
        let kind: JobKind = name.parse().unwrap();
        assert_eq!(kind.default_priority(), domain::Priority::High, "{name}");
    }
}

#[test]
fn a_group_move_is_normalised_and_typed() {
    let full =
        json!({"site_id": SITE, "group": "default-7", "destination_backend_id": TO, "expected_backend_id": FROM});
    let (kind, stored) = validate("move_group", &full).unwrap();
    assert_eq!((kind, &stored), (JobKind::MoveGroup, &full));
    let typed: MoveGroupPayload = parse(&stored).unwrap();
    assert_eq!(typed.group.as_str(), "default-7");
    assert_eq!(typed.expected_backend_id.map(|b| b.to_string()).as_deref(), Some(FROM));

    let minimal = json!({"site_id": SITE, "group": "g", "destination_backend_id": TO});
    assert_eq!(validate("move_group", &minimal).unwrap().1, minimal);
    let null_expected =
        json!({"site_id": SITE, "group": "g", "destination_backend_id": TO, "expected_backend_id": null});
    assert_eq!(validate("move_group", &null_expected).unwrap().1, minimal);
}

#[test]
fn bad_group_moves_name_the_field() {
    let cases = [
        (json!({"site_id": "par1", "group": "g", "destination_backend_id": TO}), "payload.site_id: must be a UUID"),
        (json!({"site_id": SITE, "group": "a b", "destination_backend_id": TO}), "payload.group: must be a group name"),
        (json!({"site_id": SITE, "group": "", "destination_backend_id": TO}), "payload.group: must be a group name"),
        (json!({"site_id": SITE, "group": "g"}), "payload: must be a JSON object with site_id, group"),
        (
            json!({"site_id": SITE, "group": "g", "destination_backend_id": TO, "expected_backend_id": TO}),
            "payload.destination_backend_id: must be another backend than expected_backend_id",
        ),
        (
            json!({"site_id": SITE, "group": "g", "destination_backend_id": TO, "backend": "be1"}),
            "payload.backend: must be one of site_id, group, destination_backend_id, expected_backend_id",
        ),
    ];
    for (payload, expected) in cases {
        let text = error("move_group", payload.clone());
        assert!(text.starts_with(expected), "{payload}: got {text:?}, want {expected:?}");
    }
}

#[test]
fn evacuations_carry_one_backend_and_their_dedup_key() {
    let payload = json!({"backend_id": FROM});
    let (kind, stored) = validate("evacuate_backend", &payload).unwrap();
    assert_eq!((kind, &stored), (JobKind::EvacuateBackend, &payload));
    let typed: EvacuateBackendPayload = parse(&stored).unwrap();
    assert_eq!(crate::Job::dedup_key(&typed), Some(format!("evacuate:{FROM}")));
    assert!(error("evacuate_backend", json!({})).starts_with("payload: must be a JSON object with backend_id"));
    assert!(error("evacuate_backend", json!({"backend_id": 3})).starts_with("payload.backend_id: must be a UUID"));
}

#[test]
fn user_moves_kicks_and_probes() {
    // The API sends absent options as null: stored without them.
    let sent = json!({"user": "alice@example.com", "group": "g2", "site_id": SITE, "failover_group": null});
    let stored = validate("move_user", &sent).unwrap().1;
    assert_eq!(stored, json!({"user": "alice@example.com", "group": "g2", "site_id": SITE}));
    let typed: MoveUserPayload = parse(&stored).unwrap();
    assert_eq!((typed.user.as_str(), typed.failover_group), ("alice@example.com", None));
    assert!(
        error("move_user", json!({"user": "alice"})).starts_with("payload: must be a JSON object with user and group")
    );
    assert!(
        error("move_user", json!({"user": "", "group": "g"})).starts_with("payload.user: must be a user name"),
        "{}",
        error("move_user", json!({"user": "", "group": "g"}))
    );

    assert_eq!(validate("kick", &json!({"user": "bob"})).unwrap().1, json!({"user": "bob"}));
    assert!(error("kick", json!({"users": ["bob"]})).starts_with("payload.users: must be one of user"));

    assert_eq!(validate("reachability", &serde_json::Value::Null).unwrap().1, json!({}));
    assert!(error("reachability", json!({"site": "par1"})).starts_with("payload.site:"));
}
