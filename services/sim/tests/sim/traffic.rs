//! Proxies' statistics in GeoDB and the injected faults they reveal: a failing backend, a site
//! that is down, the last flush on SIGTERM, and the control API's validation.

use chrono::{TimeDelta, Timelike, Utc};
use domain::{BackendId, ProxyDestStat, StatTotals, stats::totals_by_backend};
use reqwest::Method;
use serde_json::json;
use testkit::{TempGeoDb, wait_until_async};

use crate::harness::{self, Sim, TIMEOUT, backend};

async fn stats(db: &TempGeoDb, sim: &Sim) -> Vec<ProxyDestStat> {
    let now = Utc::now();
    db.db.read_stats(sim.site(), now - TimeDelta::minutes(10), now + TimeDelta::minutes(1)).await.unwrap()
}

/// Totals per backend over every protocol, proxy and window.
async fn per_backend(db: &TempGeoDb, sim: &Sim) -> std::collections::BTreeMap<BackendId, StatTotals> {
    let rows = stats(db, sim).await;
    let mut out = std::collections::BTreeMap::<BackendId, StatTotals>::new();
    for ((backend, _), t) in totals_by_backend(&rows) {
        let e = out.entry(backend).or_default();
        e.successes += t.successes;
        e.failures += t.failures;
    }
    out
}

#[tokio::test]
async fn proxies_write_their_totals_and_flush_the_last_ones_on_sigterm() {
    let db = TempGeoDb::new().await;
    let sim = harness::start(&db, &["--backends", "2", "--users", "100", "--rate", "200", "--proxies", "2"]).await;
    let rows = wait_until_async("rows from both proxies", TIMEOUT, || async {
        let rows = stats(&db, &sim).await;
        let mut proxies: Vec<_> = rows.iter().filter(|r| r.successes > 0).map(|r| r.proxy.to_string()).collect();
        proxies.dedup();
        proxies.sort();
        proxies.dedup();
        (proxies == ["p1.sim.sim", "p2.sim.sim"]).then_some(rows)
    })
    .await;
    for row in &rows {
        assert_eq!(row.window_secs, 60);
        assert_eq!((row.window_start.second(), row.window_start.nanosecond()), (0, 0), "aligned to the minute");
        assert_eq!(row.failures, 0);
    }

    // `POST /pause` returns once traffic stood still; after SIGTERM GeoDB holds exactly that.
    assert_eq!(sim.control(Method::POST, "/pause", None).await, (200, json!({"paused": true})));
    let attempts = sim.counter(&["totals", "attempts"]).await;
    let site = sim.site();
    assert!(sim.terminate().await.success());
    let now = Utc::now();
    let rows = db.db.read_stats(site, now - TimeDelta::minutes(10), now + TimeDelta::minutes(1)).await.unwrap();
    let db_total: u64 = rows.iter().map(|r| r.successes + r.failures).sum();
    assert_eq!(db_total, attempts, "the last flush wrote every attempt");
}

#[tokio::test]
async fn a_failing_backend_fails_all_its_attempts_and_a_down_site_fails_everything() {
    let db = TempGeoDb::new().await;
    let args = [
        "--backends",
        "3",
        "--users",
        "300",
        "--rate",
        "300",
        "--preassign",
        "--fault",
        "b1.sim.sim:failure_ratio=1.0",
    ];
    let sim = harness::start(&db, &args).await;
    let failing = backend(&db, "b1.sim.sim").await.id;
    let totals = wait_until_async("stats for every backend", TIMEOUT, || async {
        let totals = per_backend(&db, &sim).await;
        (totals.len() == 3 && totals.values().all(|t| t.total() >= 30)).then_some(totals)
    })
    .await;
    for (id, t) in &totals {
        let expected = if *id == failing { Some(1.0) } else { Some(0.0) };
        assert_eq!(t.failure_ratio(), expected, "{id}: {t:?}");
    }

    let (code, body) = sim.control(Method::PUT, "/site", Some(json!({"down": true}))).await;
    assert_eq!((code, &body["down"]), (200, &json!(true)));
    let failures = sim.counter(&["totals", "failures"]).await;
    sim.wait_counter(&["totals", "failures"], failures + 10).await;
    let successes = sim.counter(&["totals", "successes"]).await;
    let failures = sim.counter(&["totals", "failures"]).await;
    sim.wait_counter(&["totals", "failures"], failures + 200).await;
    assert_eq!(sim.counter(&["totals", "successes"]).await, successes, "nothing succeeds while the site is down");
    for host in ["b2.sim.sim", "b3.sim.sim"] {
        assert!(sim.counter(&["backends", host, "counters", "failures"]).await > 0, "{host}");
    }
    sim.control(Method::PUT, "/site", Some(json!({"down": false}))).await;
    sim.wait_counter(&["totals", "successes"], successes + 50).await;
    assert_eq!(sim.counter(&["totals", "misroutes"]).await, 0);
}

#[tokio::test]
async fn the_control_api_validates_and_names_the_field() {
    let db = TempGeoDb::new().await;
    let sim = harness::start(&db, &["--backends", "1", "--rate", "0"]).await;
    for (body, field) in [
        (json!({"failure_ratio": 1.5}), "failure_ratio"),
        (json!({"load_multiplier": -1}), "load_multiplier"),
        (json!({"slow_ms": "soon"}), "slow_ms"),
        (json!({"unreachable": true, "colour": "red"}), "colour"),
    ] {
        let (code, problem) = sim.put_faults("b1.sim.sim", body.clone()).await;
        assert_eq!((code, problem["field"].as_str()), (422, Some(field)), "{body}: {problem}");
        assert_eq!(problem["code"], "validation_failed");
    }
    assert_eq!(sim.put_faults("b9.sim.sim", json!({})).await.0, 404);
    let (code, problem) = sim.control(Method::PUT, "/site", Some(json!({}))).await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("down")));
    let broken = sim.http.put(format!("{}/site", sim.ready.control_url)).body("{").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    // Nothing invalid was applied.
    let state = sim.state().await;
    assert_eq!(
        state["backends"]["b1.sim.sim"]["faults"],
        json!({"failure_ratio": 0.0, "unreachable": false, "slow_ms": 0, "load_multiplier": 1.0})
    );
    assert_eq!(sim.control(Method::POST, "/resume", None).await, (200, json!({"paused": false})));
}
