//! The aggregated cluster statistics endpoints: off by default per site, a viewer token reads
//! them, and they show GeoDB's figures and the controller's stored readings.

use std::collections::BTreeMap;

use api_types::{FeaturesView, PutFeature};
use chrono::{Duration, Utc};
use domain::{HostName, Protocol, ProxyDestStat};
use queue::{Queue, QueueConfig};
use reqwest::Method;
use state::{Alert, AlertSeverity, BalanceState, DesiredBackends};
use testkit::redis::{RedisServer, unique_prefix};

use crate::common::{ADMIN_TOKEN, TestApi};

const LONG: std::time::Duration = std::time::Duration::from_secs(60);
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The value of the sample line that starts with `series`, if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).map(|v| v.parse().unwrap())
}

async fn turn_on(api: &TestApi, site: &str, state: &str) {
    let put = PutFeature { state: state.into() };
    let f: FeaturesView = api.admin.put(&format!("/sites/{site}/features/cluster_metrics"), &put).await.unwrap();
    assert_eq!(f.features["cluster_metrics"].as_str(), state);
}

#[tokio::test]
async fn the_site_endpoint_is_off_by_default_and_needs_a_token() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;

    let (status, ctype, body) = api.raw(Method::GET, "/api/v1/sites/s1/metrics", Some(ADMIN_TOKEN), None).await;
    assert_eq!((status, ctype.as_str()), (404, "application/problem+json"), "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "feature_off");
    assert!(problem["detail"].as_str().unwrap().contains("features/cluster_metrics"), "{problem}");

    turn_on(&api, "s1", "on").await;
    let (status, _, _) = api.raw(Method::GET, "/api/v1/sites/s1/metrics", None, None).await;
    assert_eq!(status, 401, "no token, no statistics");
    let (status, _, body) = api.raw(Method::GET, "/api/v1/sites/nope/metrics", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("site_not_found"), "{body}");

    let viewer = api.admin.create_token("scraper", "viewer").await.unwrap();
    let (status, ctype, body) = api.raw(Method::GET, "/api/v1/sites/s1/metrics", Some(&viewer.token), None).await;
    assert_eq!((status, ctype.as_str()), (200, OPENMETRICS), "{body}");
    assert!(body.ends_with("# EOF\n"), "{body}");
}

#[tokio::test]
async fn geodb_figures_are_served_without_the_queue() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;
    assert_eq!(api.admin.init_site("s1", false).await.unwrap().created, 100);
    let backends = api.db().list_backends(None).await.unwrap();
    let b1 = &backends[0];
    let row = ProxyDestStat {
        site_id: b1.site_id,
        proxy: HostName::parse("p1.s1.test").unwrap(),
        backend_id: b1.id,
        protocol: Protocol::Imap,
        window_start: Utc::now() - Duration::minutes(1),
        window_secs: 60,
        successes: 90,
        failures: 10,
    };
    api.db().upsert_stats(&[row]).await.unwrap();
    turn_on(&api, "s1", "dryrun").await;

    let (status, _, body) = api.raw(Method::GET, "/api/v1/sites/s1/metrics", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200, "dry run serves like on: {body}");
    assert_eq!(sample(&body, r#"controller_cluster_backends{site="s1",status="online"}"#), Some(2.0));
    let groups =
        |host: &str| sample(&body, &format!(r#"controller_cluster_backend_groups{{site="s1",backend="{host}"}}"#));
    assert_eq!(groups("b1.s1.test").unwrap() + groups("b2.s1.test").unwrap(), 100.0, "{body}");
    assert_eq!(
        sample(
            &body,
            r#"controller_cluster_proxy_attempts{site="s1",backend="b1.s1.test",protocol="imap",result="failure"}"#
        ),
        Some(10.0)
    );
    assert_eq!(
        sample(&body, r#"controller_cluster_backend_failure_ratio{site="s1",backend="b1.s1.test",protocol="imap"}"#),
        Some(0.1)
    );
    assert_eq!(
        sample(&body, r#"controller_cluster_feature_state{site="s1",feature="cluster_metrics",state="dryrun"}"#),
        Some(1.0)
    );
    assert_eq!(sample(&body, r#"controller_cluster_state_up{site="s1"}"#), Some(0.0), "no queue configured");
}

#[tokio::test]
async fn stored_readings_appear_and_the_cluster_endpoint_lists_only_enabled_sites() {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("api-cluster-metrics"))).await.unwrap();
    let api = TestApi::start_with_queue(queue.clone()).await;
    api.site_with_backends("s1", 2).await;
    api.site_with_backends("s2", 1).await;
    let site = api.db().get_site_by_name(&domain::SiteName::parse("s1").unwrap()).await.unwrap().unwrap();
    let reading = BalanceState {
        site_id: site.id.0,
        balancedness: 62.5,
        spread: BTreeMap::from([("memused".to_owned(), 1.25)]),
        scores: BTreeMap::new(),
        combined: BTreeMap::from([("b1.s1.test".to_owned(), 1.5)]),
        shares: Default::default(),
        computed_at: Utc::now(),
    };
    state::State::new(&queue).put_balance_state(&reading).await.unwrap();
    let desired = DesiredBackends {
        site_id: site.id.0,
        desired: 3,
        current: 2,
        policy: "default".into(),
        computed_at: Utc::now(),
        dry_run: false,
    };
    state::State::new(&queue).put_desired_backends(&desired).await.unwrap();
    for (object, age_minutes) in [("b1", 1), ("b2", 120), ("b3", 5)] {
        let mut alert =
            Alert::new(AlertSeverity::Critical, "capacity_guard", "test").with_site(site.id.0).with_object(object);
        alert.last_seen = Utc::now() - Duration::minutes(age_minutes);
        state::State::new(&queue).raise_alert(&alert).await.unwrap();
    }
    assert!(state::State::new(&queue).resolve_alert("capacity_guard", Some(site.id.0), Some("b3")).await.unwrap());
    turn_on(&api, "s1", "on").await;

    let (status, _, body) = api.raw(Method::GET, "/api/v1/cluster/metrics", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, r#"controller_cluster_state_up{site="s1"}"#), Some(1.0), "{body}");
    assert_eq!(sample(&body, r#"controller_cluster_balancedness{site="s1"}"#), Some(62.5));
    assert_eq!(sample(&body, r#"controller_cluster_metric_spread{site="s1",metric="memused"}"#), Some(1.25));
    assert_eq!(sample(&body, r#"controller_cluster_backend_load_score{site="s1",backend="b1.s1.test"}"#), Some(1.5));
    assert_eq!(sample(&body, r#"controller_cluster_desired_backends{site="s1"}"#), Some(3.0));
    assert_eq!(
        sample(&body, r#"controller_cluster_open_alerts{site="s1",severity="critical"}"#),
        Some(2.0),
        "open ones, however old; not the resolved one"
    );
    assert!(!body.contains(r#"site="s2""#), "s2 has cluster_metrics off: {body}");

    turn_on(&api, "s2", "on").await;
    let (_, _, body) = api.raw(Method::GET, "/api/v1/cluster/metrics", Some(ADMIN_TOKEN), None).await;
    assert_eq!(sample(&body, r#"controller_cluster_backends{site="s2",status="online"}"#), Some(1.0), "{body}");
    let declared = body.lines().filter(|l| l.starts_with("# TYPE controller_cluster_backends ")).count();
    assert_eq!(declared, 1, "one family over both sites");
}

/// The value Prometheus holds for an instant `query`, if it returned exactly one sample.
async fn instant(http: &reqwest::Client, prometheus: &str, query: &str) -> Option<f64> {
    let url = format!("{prometheus}/api/v1/query");
    let body: serde_json::Value = http.get(url).query(&[("query", query)]).send().await.ok()?.json().await.ok()?;
    let result = body["data"]["result"].as_array()?;
    if result.len() != 1 {
        return None;
    }
    result[0]["value"][1].as_str()?.parse().ok()
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_endpoint_with_a_viewer_token_and_is_refused_without() {
    use testkit::prometheus::{Prometheus, ScrapeJob};

    let api = TestApi::start().await;
    api.site_with_backends("s1", 3).await;
    turn_on(&api, "s1", "on").await;
    let viewer = api.admin.create_token("prometheus", "viewer").await.unwrap();
    let job = |name: &str, token: Option<String>| ScrapeJob {
        name: name.into(),
        targets: vec![api.base.clone()],
        metrics_path: "/api/v1/sites/s1/metrics".into(),
        bearer_token: token,
    };
    let jobs = [job("with_token", Some(viewer.token.clone())), job("without_token", None)];
    let prometheus = Prometheus::start_jobs(&jobs, None, std::time::Duration::from_millis(200)).await;

    let http = reqwest::Client::new();
    let online = testkit::wait_until_async("Prometheus to store the scraped statistics", LONG, || async {
        instant(&http, &prometheus.url, r#"controller_cluster_backends{job="with_token",site="s1",status="online"}"#)
            .await
    })
    .await;
    assert_eq!(online, 3.0);
    let up = |job: &'static str| {
        let (http, url) = (http.clone(), prometheus.url.clone());
        async move { instant(&http, &url, &format!(r#"up{{job="{job}"}}"#)).await }
    };
    assert_eq!(up("with_token").await, Some(1.0));
    let refused = testkit::wait_until_async("the tokenless scrape to be recorded", LONG, || up("without_token")).await;
    assert_eq!(refused, 0.0, "no token, no statistics");
}
