//! The simulated doveadm HTTP API: auth, refusals, the cheap status probe, kick and user
//! access, spoken to both raw and through the controller's own `doveadm` client; and the
//! injected unreachable and slow faults as that client sees them.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use doveadm::{Auth, Client, DoveadmError};
use serde_json::{Value, json};
use testkit::TempGeoDb;

use crate::harness::{self, TIMEOUT};

const KEY: &str = "sim-test-api-key";
const PASSWORD: &str = "sim-test-password";

async fn post(http: &reqwest::Client, url: &str, auth: Option<String>, body: &str) -> (u16, String) {
    let mut request =
        http.post(format!("{url}/doveadm/v1")).header("content-type", "application/json").body(body.to_owned());
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn auth_refusals_and_answers_have_dovecots_shapes() {
    let db = TempGeoDb::new().await;
    let env = [("DOVEADM_API_KEY", KEY), ("DOVEADM_PASSWORD", PASSWORD)];
    let sim = harness::start_with_env(&db, &["--backends", "2", "--rate", "0"], &env).await;
    let url = sim.doveadm_url("b1.sim.sim");
    let key_header = format!("X-Dovecot-API {}", STANDARD.encode(KEY));
    let key = Some(key_header.clone());
    let status = r#"[["clusterBackendStatus",{},"t1"]]"#;

    assert_eq!(post(&sim.http, &url, None, status).await.0, 401);
    let wrong = Some(format!("X-Dovecot-API {}", STANDARD.encode("nope")));
    assert_eq!(post(&sim.http, &url, wrong, status).await.0, 403);
    let basic = Some(format!("Basic {}", STANDARD.encode(format!("doveadm:{PASSWORD}"))));
    let (code, body) = post(&sim.http, &url, basic, status).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = post(&sim.http, &url, key.clone(), status).await;
    assert_eq!(code, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer, json!([["doveadmResponse", [{"host": "b1.sim.sim", "status": "online"}], "t1"]]));

    assert_eq!(post(&sim.http, &url, key.clone(), r#"[["teleport",{},"t"]]"#).await.0, 404);
    for malformed in ["{", r#"{"cmd":1}"#, r#"[["kick",{}]]"#, r#"[["kick",{"nope":true},"t"]]"#] {
        assert_eq!(post(&sim.http, &url, key.clone(), malformed).await.0, 400, "{malformed}");
    }
    // Several commands in one request, each answered under its tag.
    let (_, body) =
        post(&sim.http, &url, key.clone(), r#"[["kick",{},"a"],["clusterGroupAccess",{"group":"x"},"b"]]"#).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer[0], json!(["error", {"exitCode": 64, "type": "exitCode"}, "a"]));
    assert_eq!(answer[1], json!(["error", {"exitCode": 68, "type": "exitCode"}, "b"]));
    let listed: Value = sim
        .http
        .get(format!("{url}/doveadm/v1"))
        .header("authorization", key_header)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.as_array().unwrap().iter().any(|c| c["command"] == "clusterGroupAccess"), "{listed}");
}

#[tokio::test]
async fn the_controllers_client_probes_kicks_and_finds_users() {
    let db = TempGeoDb::new().await;
    let args =
        ["--backends", "2", "--users", "20", "--groups", "4", "--rate", "100", "--preassign", "--lmtp-share", "0"];
    let sim = harness::start_with_env(&db, &args, &[("DOVEADM_API_KEY", KEY)]).await;
    let client = Client::new(Auth::ApiKey(KEY.into()), Duration::from_secs(5)).unwrap();
    let url = sim.doveadm_url("b1.sim.sim");
    assert_eq!(client.backend_status(&url).await.unwrap()[0]["status"], "online");

    // user1's backend, as the sim answers it and as GeoDB has it.
    let user = "user1@sim.sim";
    let host = client.cluster_user_access(&url, user).await.unwrap().expect("a host");
    let record = db.db.get_user(&domain::UserName::parse(user).unwrap()).await.unwrap().unwrap();
    let group = db.db.get_group(sim.site(), record.group.as_ref().unwrap()).await.unwrap().unwrap();
    assert_eq!(harness::backend(&db, &host).await.id, group.backend_id);
    let err = client.call(&url, "clusterUserAccess", json!({"user": "nobody@sim.sim"})).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: 67, .. }), "{err:?}");

    // Logins open sessions; kick ends them, and a second kick finds nobody (68).
    let logged_in = wait_for_kick(&client, &url).await;
    assert!(logged_in > 0);
    let err = client.call(&url, "kick", json!({"mask": ["nobody*"]})).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: 68, .. }), "{err:?}");
}

/// Kicks everybody on the backend once somebody has logged in there; returns how many.
async fn wait_for_kick(client: &Client, url: &str) -> usize {
    testkit::wait_until_async("a session to kick", TIMEOUT, || async {
        match client.call(url, "kick", json!({"mask": ["*"]})).await {
            Ok(rows) => Some(rows.as_array().map_or(0, |r| {
                assert!(r.iter().all(|row| row["result"].as_str().is_some_and(|u| u.ends_with("@sim.sim"))), "{rows}");
                r.len()
            })),
            Err(DoveadmError::Command { exit_code: 68, .. }) => None,
            Err(e) => panic!("{e:?}"),
        }
    })
    .await
}

#[tokio::test]
async fn an_unreachable_backend_refuses_connections_and_a_slow_one_answers_late() {
    let db = TempGeoDb::new().await;
    let sim = harness::start(&db, &["--backends", "2", "--rate", "0"]).await;
    let client = Client::new(Auth::None, Duration::from_secs(5)).unwrap();
    let url = sim.doveadm_url("b2.sim.sim");

    let (code, body) = sim.put_faults("b2.sim.sim", json!({"unreachable": true})).await;
    assert_eq!((code, &body["faults"]["unreachable"]), (200, &json!(true)));
    let err = client.backend_status(&url).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Connect(_)), "a refused connection: {err:?}");
    assert!(err.is_retryable());
    assert!(reqwest::get(format!("{url}/metrics")).await.is_err(), "metrics go down with the host");
    // The other backend is unaffected; lifting the fault reopens the same port.
    client.backend_status(&sim.doveadm_url("b1.sim.sim")).await.unwrap();
    sim.put_faults("b2.sim.sim", json!({"unreachable": false})).await;
    client.backend_status(&url).await.unwrap();

    sim.put_faults("b2.sim.sim", json!({"slow_ms": 400})).await;
    let started = Instant::now();
    client.backend_status(&url).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    let impatient = Client::new(Auth::None, Duration::from_millis(100)).unwrap();
    let err = impatient.backend_status(&url).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Timeout), "{err:?}");
}
