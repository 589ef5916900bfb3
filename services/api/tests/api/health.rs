use std::time::Duration;

use api_types::Problem;
use controller_api::GeoDbHandle;
use geodb::{ConnectOptions, SqliteOptions};
use reqwest::Method;
use testkit::{TempGeoDb, wait_until_async};

use crate::common::{ADMIN_TOKEN, TestApi};

#[tokio::test]
async fn a_write_blocked_by_a_stuck_writer_answers_503_and_nothing_is_lost() {
    let geodb = TempGeoDb::new().await;
    let db = geodb.open_again(|o| o.busy_timeout = Duration::from_millis(150)).await;
    let api = TestApi::start_with(db, geodb).await;
    let body = Some(r#"{"name":"during-lock"}"#);

    let lock = api.geodb.lock_writes();
    let resp = api
        .http
        .post(api.url("/api/v1/sites"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "during-lock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let p: Problem = resp.json().await.unwrap();
    assert_eq!(p.code, "geodb_unavailable");
    // Readers carry on beside a stuck writer (WAL), and so does liveness.
    assert_eq!(api.raw(Method::GET, "/api/v1/sites", Some(ADMIN_TOKEN), None).await.0, 200);
    assert_eq!(api.raw(Method::GET, "/healthz", None, None).await.0, 200);

    drop(lock);
    let (status, _, text) = api.raw(Method::POST, "/api/v1/sites", Some(ADMIN_TOKEN), body).await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(api.db().list_sites().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_api_serves_503_until_geodb_can_be_opened_then_connects() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("geodb-dir");
    std::fs::write(&blocker, b"a file where the database directory should be").unwrap();
    let options = ConnectOptions::Sqlite(SqliteOptions::new(blocker.join("geodb.sqlite")));
    let api = TestApi::start_handle(GeoDbHandle::connect_in_background(options), TempGeoDb::new().await).await;

    let (status, ctype, body) = api.raw(Method::GET, "/api/v1/sites", Some(ADMIN_TOKEN), None).await;
    assert_eq!((status, ctype.as_str()), (503, "application/problem+json"), "{body}");
    assert_eq!(api.raw(Method::GET, "/readyz", None, None).await.0, 503);

    std::fs::remove_file(&blocker).unwrap();
    wait_until_async("the API to connect to GeoDB", Duration::from_secs(15), || async {
        (api.raw(Method::GET, "/readyz", None, None).await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(api.raw(Method::GET, "/api/v1/sites", Some(ADMIN_TOKEN), None).await.0, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let api = TestApi::start().await;
    api.site_with_backends("metrics-site", 1).await;
    let _ = api.raw(Method::GET, "/api/v1/sites/metrics-site", Some(ADMIN_TOKEN), None).await;
    let (_, _, text) = api.raw(Method::GET, "/metrics", None, None).await;
    // The recorder is process-wide: other tests' requests are counted too.
    assert!(
        text.lines().any(|l| l.starts_with("controller_api_http_requests_total")
            && l.contains("route=\"/api/v1/sites/{site}\"")
            && l.contains("method=\"GET\"")
            && l.contains("status=\"200\"")),
        "no request counter for the route template in:\n{text}"
    );
    assert!(!text.contains("metrics-site\""), "raw path values must not become labels");
    assert!(text.contains("controller_api_http_request_duration_seconds_bucket"));
}
