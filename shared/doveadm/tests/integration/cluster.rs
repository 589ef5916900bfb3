//! The cluster commands stock Dovecot lacks, against a stand-in that answers the simulator's
//! protocol with fixed bodies: enough to pin down how each answer shape maps to a result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use doveadm::{Auth, DoveadmError, EX_NOUSER, EX_TEMPFAIL};
use serde_json::{Value, json};

use crate::client;

/// Answers `[[command, params, tag]]` by command name (the group or user picks a failure).
async fn answer(body: web::Bytes) -> HttpResponse {
    let request: Value = serde_json::from_slice(&body).expect("a JSON request");
    let (command, params, tag) = (&request[0][0], &request[0][1], &request[0][2]);
    let ok = |result: Value| HttpResponse::Ok().json(json!([["doveadmResponse", result, tag]]));
    let exit = |code: i64| HttpResponse::Ok().json(json!([["error", {"exitCode": code, "type": "exitCode"}, tag]]));
    let target = params.get("group").or(params.get("user")).and_then(Value::as_str);
    match (command.as_str().expect("a command name"), target) {
        ("clusterGroupAccess", Some("g-ok")) => ok(json!([])),
        ("clusterGroupAccess", Some("g-busy")) => exit(EX_TEMPFAIL),
        ("clusterGroupAccess", Some("g-denied")) => HttpResponse::Forbidden().finish(),
        ("clusterGroupAccess", Some("g-crash")) => HttpResponse::InternalServerError().body("internal error"),
        ("clusterGroupAccess", Some("g-gateway")) => HttpResponse::BadGateway().finish(),
        ("clusterGroupAccess", Some("g-other-tag")) => HttpResponse::Ok().json(json!([["doveadmResponse", [], "x"]])),
        ("clusterGroupAccess", Some("g-html")) => HttpResponse::Ok().body("<html>proxy error</html>"),
        ("clusterGroupAccess", Some("g-odd-error")) => HttpResponse::Ok().json(json!([["error", {"type": "x"}, tag]])),
        ("clusterUserAccess", Some("alice")) => ok(json!([{"host": "be-2.site-a"}])),
        ("clusterUserAccess", Some("bob")) => ok(json!([])),
        ("clusterUserAccess", _) => exit(EX_NOUSER),
        ("clusterBackendStatus", None) => ok(json!([{"status": "online", "loadFactor": "100"}])),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// Starts the stand-in; returns its base URL and a count of accepted TCP connections.
fn stand_in() -> (String, Arc<AtomicUsize>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let server = HttpServer::new(|| App::new().route("/doveadm/v1", web::post().to(answer)))
        .on_connect(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
    tokio::spawn(server);
    (url, connections)
}

#[tokio::test]
async fn cluster_commands_map_their_answers() {
    let (url, _) = stand_in();
    let doveadm = client(Auth::ApiKey("k".into()));

    doveadm.cluster_group_access(&url, "g-ok").await.unwrap();
    assert_eq!(doveadm.cluster_user_access(&url, "alice").await.unwrap().as_deref(), Some("be-2.site-a"));
    assert_eq!(doveadm.cluster_user_access(&url, "bob").await.unwrap(), None);
    let err = doveadm.cluster_user_access(&url, "nobody").await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: EX_NOUSER, .. }), "{err:?}");
    assert_eq!(doveadm.backend_status(&url).await.unwrap()[0]["status"], "online");
}

#[tokio::test]
async fn cluster_failures_are_typed_and_say_whether_to_retry() {
    let (url, _) = stand_in();
    let doveadm = client(Auth::ApiKey("k".into()));
    let access = |group: &'static str| {
        let (doveadm, url) = (doveadm.clone(), url.clone());
        async move { doveadm.cluster_group_access(&url, group).await.unwrap_err() }
    };

    let err = access("g-busy").await;
    assert!(
        matches!(&err, DoveadmError::Command { command, exit_code: EX_TEMPFAIL } if command == "clusterGroupAccess")
    );
    assert!(err.is_retryable());
    let err = access("g-denied").await;
    assert!(matches!(err, DoveadmError::Forbidden) && !err.is_retryable(), "{err:?}");
    let err = access("g-crash").await;
    assert!(matches!(&err, DoveadmError::Server(text) if text == "internal error") && err.is_retryable(), "{err:?}");
    let err = access("g-gateway").await;
    assert!(matches!(err, DoveadmError::Http { status: 502 }) && err.is_retryable(), "{err:?}");
    for group in ["g-other-tag", "g-html", "g-odd-error"] {
        let err = access(group).await;
        assert!(matches!(err, DoveadmError::Protocol(_)) && !err.is_retryable(), "{group}: {err:?}");
    }
    let err = doveadm.call(&url, "clusterNoSuchThing", json!({})).await.unwrap_err();
    assert!(matches!(&err, DoveadmError::UnknownCommand(c) if c == "clusterNoSuchThing"), "{err:?}");
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection_when_the_server_allows_it() {
    let (url, connections) = stand_in();
    let doveadm = client(Auth::ApiKey("k".into()));
    for _ in 0..20 {
        doveadm.clone().backend_status(&url).await.unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
