//! Alerts are conditions keyed by (kind, site, object): raising one again counts it, resolving
//! closes it, raising it after that reopens it, and the store stays bounded by dropping resolved
//! alerts before open ones. Times are set on the alerts, so the order never depends on the clock.

use chrono::{DateTime, Duration as TimeDelta, Utc};
use queue::QueueError;
use redis::AsyncCommands;
use serde_json::json;
use state::{Alert, AlertFilter, AlertSeverity, AlertState, MAX_ALERTS};
use uuid::Uuid;

use super::common::env;

/// An alert raised `secs` seconds after a fixed start.
fn alert(kind: &str, site: Uuid, secs: i64) -> Alert {
    let mut alert = Alert::new(AlertSeverity::Critical, kind, format!("{kind} at {secs}")).with_site(site);
    alert.last_seen = start() + TimeDelta::seconds(secs);
    alert.created_at = alert.last_seen;
    alert
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn keys_of(alerts: &[Alert]) -> Vec<(&str, Option<&str>)> {
    alerts.iter().map(|a| (a.kind.as_str(), a.object.as_deref())).collect()
}

#[tokio::test]
async fn raising_the_same_alert_again_counts_it_and_keeps_the_first_id() {
    let env = env("alerts-count").await;
    let site = Uuid::new_v4();
    assert!(env.state.alerts(AlertFilter::all(10)).await.unwrap().is_empty());
    let first = alert("stuck_move", site, 0).with_object("g1");
    for i in 0..10 {
        let mut again = alert("stuck_move", site, i).with_object("g1").with_context(json!({ "raise": i }));
        if i == 9 {
            again.severity = AlertSeverity::Warning;
        }
        env.state.raise_alert(if i == 0 { &first } else { &again }).await.unwrap();
    }
    let alerts = env.state.alerts(AlertFilter::all(10)).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a.id.as_str(), a.count), (first.id.as_str(), 10));
    assert_eq!((a.created_at, a.last_seen), (first.created_at, start() + TimeDelta::seconds(9)));
    assert_eq!((a.message.as_str(), a.severity), ("stuck_move at 9", AlertSeverity::Warning), "the latest raise's");
    assert_eq!((a.context.clone(), a.object.as_deref()), (json!({ "raise": 9 }), Some("g1")));
    assert_eq!((a.state(), a.resolved_at), (AlertState::Open, None));
}

#[tokio::test]
async fn another_object_or_site_is_another_alert() {
    let env = env("alerts-keys").await;
    let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
    env.state.raise_alert(&alert("stuck_move", site, 0).with_object("g1")).await.unwrap();
    env.state.raise_alert(&alert("stuck_move", site, 1).with_object("g2")).await.unwrap();
    env.state.raise_alert(&alert("stuck_move", site, 2)).await.unwrap();
    env.state.raise_alert(&alert("stuck_move", other, 3).with_object("g1")).await.unwrap();
    env.state.raise_alert(&alert("capacity_guard", site, 4).with_object("g1")).await.unwrap();
    let alerts = env.state.alerts(AlertFilter::all(10)).await.unwrap();
    assert_eq!(alerts.len(), 5, "{alerts:?}");
    assert!(alerts.iter().all(|a| a.count == 1));
    let ids: std::collections::HashSet<_> = alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn a_resolved_alert_is_reopened_by_the_next_raise() {
    let env = env("alerts-resolve").await;
    let site = Uuid::new_v4();
    let first = alert("stuck_move", site, 0).with_object("g1");
    env.state.raise_alert(&first).await.unwrap();
    for i in 1..10 {
        env.state.raise_alert(&alert("stuck_move", site, i).with_object("g1")).await.unwrap();
    }
    assert!(!env.state.resolve_alert("stuck_move", Some(site), Some("g2")).await.unwrap(), "never raised");
    assert!(!env.state.resolve_alert("stuck_move", Some(site), None).await.unwrap(), "another key");
    let before = Utc::now() - TimeDelta::seconds(1);
    assert!(env.state.resolve_alert("stuck_move", Some(site), Some("g1")).await.unwrap());
    assert!(!env.state.resolve_alert("stuck_move", Some(site), Some("g1")).await.unwrap(), "already resolved");
    let resolved = env.state.alerts(AlertFilter::all(10)).await.unwrap().remove(0);
    assert_eq!((resolved.state(), resolved.count), (AlertState::Resolved, 10));
    assert!(resolved.resolved_at.is_some_and(|at| at >= before && at <= Utc::now()), "{resolved:?}");

    env.state.raise_alert(&alert("stuck_move", site, 20).with_object("g1")).await.unwrap();
    let reopened = env.state.alerts(AlertFilter::all(10)).await.unwrap();
    assert_eq!(reopened.len(), 1);
    let a = &reopened[0];
    assert_eq!((a.id.as_str(), a.count, a.state(), a.resolved_at), (first.id.as_str(), 11, AlertState::Open, None));
    assert_eq!((a.created_at, a.last_seen), (first.created_at, start() + TimeDelta::seconds(20)));
}

#[tokio::test]
async fn alerts_are_listed_by_state_and_site_newest_first() {
    let env = env("alerts-list").await;
    let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
    env.state.raise_alert(&alert("a", site, 0)).await.unwrap();
    env.state.raise_alert(&alert("b", site, 2)).await.unwrap();
    env.state.raise_alert(&alert("c", other, 1)).await.unwrap();
    env.state.raise_alert(&alert("d", site, 3)).await.unwrap();
    env.state.resolve_alert("b", Some(site), None).await.unwrap();
    env.state.raise_alert(&alert("a", site, 4)).await.unwrap();

    let all = env.state.alerts(AlertFilter::all(10)).await.unwrap();
    assert_eq!(keys_of(&all), [("a", None), ("d", None), ("b", None), ("c", None)], "by last seen");
    let open = env.state.alerts(AlertFilter::open(10)).await.unwrap();
    assert_eq!(keys_of(&open), [("a", None), ("d", None), ("c", None)]);
    let resolved = env.state.alerts(AlertFilter::resolved(10)).await.unwrap();
    assert_eq!(keys_of(&resolved), [("b", None)]);
    let of_site = env.state.alerts(AlertFilter::open(10).with_site(site)).await.unwrap();
    assert_eq!(keys_of(&of_site), [("a", None), ("d", None)]);
    assert_eq!(keys_of(&env.state.alerts(AlertFilter::all(2)).await.unwrap()), [("a", None), ("d", None)]);
    assert!(env.state.alerts(AlertFilter::all(0)).await.unwrap().is_empty());
    assert!(env.state.alerts(AlertFilter::all(10).with_site(Uuid::new_v4())).await.unwrap().is_empty());
}

#[tokio::test]
async fn resolving_a_kind_of_a_site_resolves_every_object_of_it() {
    let env = env("alerts-resolve-all").await;
    let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
    env.state.raise_alert(&alert("no_destination", site, 0).with_object("b1")).await.unwrap();
    env.state.raise_alert(&alert("no_destination", site, 1).with_object("b2")).await.unwrap();
    env.state.raise_alert(&alert("no_destination", site, 2)).await.unwrap();
    env.state.raise_alert(&alert("no_destination", other, 3).with_object("b1")).await.unwrap();
    env.state.raise_alert(&alert("no_destination_x", site, 4).with_object("b1")).await.unwrap();
    env.state.raise_alert(&alert("stuck_move", site, 5).with_object("b1")).await.unwrap();

    assert_eq!(env.state.resolve_alerts("no_destination", Some(site)).await.unwrap(), 3);
    assert_eq!(env.state.resolve_alerts("no_destination", Some(site)).await.unwrap(), 0, "already resolved");
    let open = env.state.alerts(AlertFilter::open(10)).await.unwrap();
    assert_eq!(
        keys_of(&open),
        [("stuck_move", Some("b1")), ("no_destination_x", Some("b1")), ("no_destination", Some("b1"))]
    );
    assert_eq!(open[2].site_id, Some(other));
}

#[tokio::test]
async fn beyond_the_bound_resolved_alerts_go_first_then_the_oldest_open_ones() {
    let env = env("alerts-bound").await;
    let site = Uuid::new_v4();
    env.state.raise_alert(&alert("oldest_open", site, 0)).await.unwrap();
    env.state.raise_alert(&alert("resolved", site, 1)).await.unwrap();
    env.state.resolve_alert("resolved", Some(site), None).await.unwrap();
    for i in 0..MAX_ALERTS - 2 {
        let flood = alert("flood", site, 2 + i as i64).with_object(i.to_string());
        env.state.raise_alert(&flood).await.unwrap();
    }
    assert_eq!(env.state.alerts(AlertFilter::all(usize::MAX)).await.unwrap().len(), MAX_ALERTS);

    // One more: the resolved alert goes, though open ones are older.
    env.state.raise_alert(&alert("one_more", site, 5000)).await.unwrap();
    let all = env.state.alerts(AlertFilter::all(usize::MAX)).await.unwrap();
    assert_eq!(all.len(), MAX_ALERTS);
    assert!(all.iter().all(|a| a.kind != "resolved"));
    assert_eq!(all.last().map(|a| a.kind.as_str()), Some("oldest_open"));

    // Then the oldest open one, but never the alert just raised, however old it claims to be.
    env.state.raise_alert(&alert("raised_late", site, -10)).await.unwrap();
    let all = env.state.alerts(AlertFilter::all(usize::MAX)).await.unwrap();
    assert_eq!(all.len(), MAX_ALERTS);
    assert!(all.iter().all(|a| a.kind != "oldest_open"));
    assert_eq!(all.last().map(|a| a.kind.as_str()), Some("raised_late"));
}

#[tokio::test]
async fn resolved_alerts_are_listed_for_a_day_then_purged() {
    let env = env("alerts-purge").await;
    let site = Uuid::new_v4();
    env.state.raise_alert(&alert("old", site, 0)).await.unwrap();
    env.state.raise_alert(&alert("recent", site, 1)).await.unwrap();
    env.state.resolve_alert("old", Some(site), None).await.unwrap();
    env.state.resolve_alert("recent", Some(site), None).await.unwrap();
    // As if `old` had been resolved 25 hours ago.
    let mut raw = env.raw().await;
    let key = json!([site, "old", null]).to_string();
    let long_ago = (Utc::now() - TimeDelta::hours(25)).timestamp_millis();
    let _: () = raw.zadd(env.key("state:alert:resolved"), &key, long_ago).await.unwrap();

    assert_eq!(keys_of(&env.state.alerts(AlertFilter::resolved(10)).await.unwrap()), [("recent", None)]);
    env.state.raise_alert(&alert("new", site, 2)).await.unwrap();
    let meta: std::collections::HashMap<String, String> = raw.hgetall(env.key("state:alert:meta")).await.unwrap();
    assert!(!meta.contains_key(&key), "purged by the next raise: {meta:?}");
    assert_eq!(meta.len(), 2);
    let seen: i64 = raw.zcard(env.key("state:alert:seen")).await.unwrap();
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn an_alert_record_that_does_not_parse_is_corrupt() {
    let env = env("alerts-corrupt").await;
    let site = Uuid::new_v4();
    env.state.raise_alert(&alert("a", site, 0)).await.unwrap();
    let mut raw = env.raw().await;
    let key = json!([site, "a", null]).to_string();
    let _: () = raw.hset(env.key("state:alert:bodies"), &key, "{not json").await.unwrap();
    assert!(matches!(env.state.alerts(AlertFilter::all(5)).await, Err(QueueError::Corrupt(_))));
}

#[test]
fn an_alert_stored_before_alerts_were_conditions_still_parses() {
    let old = r#"{"id":"a1","severity":"critical","kind":"stuck_move","message":"m","site_id":null,
        "created_at":"2024-05-01T10:00:00Z","context":{"group":"g1"}}"#;
    let alert: Alert = serde_json::from_str(old).unwrap();
    assert_eq!((alert.object, alert.count, alert.resolved_at), (None, 0, None));
}
