//! Real Dovecot 2.3: what it answers for auth, generic commands and malformed requests.

use std::time::Duration;

use doveadm::{Auth, DoveadmError, EX_NOUSER, EX_USAGE};
use serde_json::json;
use testkit::dovecot::{DovecotServer, USERS};

use crate::client;

#[tokio::test]
async fn who_answers_the_api_key_and_the_password_and_refuses_anything_else() {
    let dovecot = DovecotServer::start().await;
    let url = dovecot.url();

    let sessions = client(Auth::ApiKey(dovecot.api_key().into())).who(&url).await.unwrap();
    assert_eq!(sessions, json!([]), "no mail listeners, so no sessions");
    let sessions = client(Auth::Password(dovecot.password().into())).who(&url).await.unwrap();
    assert_eq!(sessions, json!([]));

    // Dovecot 2.3 answers 401 (never 403) for a wrong key, a wrong password and no credentials.
    for auth in [Auth::ApiKey("wrong".into()), Auth::Password("wrong".into()), Auth::None] {
        let err = client(auth.clone()).who(&url).await.unwrap_err();
        assert!(matches!(err, DoveadmError::Unauthorized), "{auth:?}: {err:?}");
        assert!(!err.is_retryable());
    }
    // The API key is not a password, nor the other way round.
    let err = client(Auth::Password(dovecot.api_key().into())).who(&url).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Unauthorized), "{err:?}");
}

#[tokio::test]
async fn kick_takes_the_user_as_mask_and_reports_nobody_to_kick() {
    let dovecot = DovecotServer::start().await;
    let doveadm = client(Auth::ApiKey(dovecot.api_key().into()));
    let url = dovecot.url();

    assert!(!doveadm.kick(&url, USERS[0]).await.unwrap(), "nobody is logged in");
    // The raw answer behind that: exit code 68 (DOVEADM_EX_NOTFOUND, "no users kicked").
    let err = doveadm.call(&url, "kick", json!({"mask": [USERS[0]]})).await.unwrap_err();
    assert!(matches!(&err, DoveadmError::Command { command, exit_code: 68 } if command == "kick"), "{err:?}");
    assert!(!err.is_retryable());
    // Without the positional mask the command itself fails with EX_USAGE.
    let err = doveadm.call(&url, "kick", json!({})).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: EX_USAGE, .. }), "{err:?}");
}

#[tokio::test]
async fn unknown_commands_and_bad_parameters_are_typed() {
    let dovecot = DovecotServer::start().await;
    let doveadm = client(Auth::ApiKey(dovecot.api_key().into()));
    let url = dovecot.url();

    // 2.3 answers an unknown command with 200 and an `unknownMethod` error, not the documented 404.
    let err = doveadm.call(&url, "noSuchCommand", json!({})).await.unwrap_err();
    assert!(matches!(&err, DoveadmError::UnknownCommand(c) if c == "noSuchCommand"), "{err:?}");
    // Stock Dovecot has no cluster plugin: the probe says so rather than failing obscurely.
    let err = doveadm.backend_status(&url).await.unwrap_err();
    assert!(matches!(&err, DoveadmError::UnknownCommand(c) if c == "clusterBackendStatus"), "{err:?}");
    let err = doveadm.cluster_group_access(&url, "g1").await.unwrap_err();
    assert!(matches!(err, DoveadmError::UnknownCommand(_)), "{err:?}");

    // A parameter of the wrong type: HTTP 400 with Dovecot's reason.
    let err = doveadm.call(&url, "who", json!({"mask": 5})).await.unwrap_err();
    let DoveadmError::BadRequest(reason) = &err else { panic!("{err:?}") };
    assert!(reason.contains("mask"), "{reason}");
    // An unknown parameter: 200 with an `invalidRequest` error.
    let err = doveadm.call(&url, "kick", json!({"user": [USERS[0]]})).await.unwrap_err();
    assert!(matches!(err, DoveadmError::BadRequest(_)), "{err:?}");
    assert!(!err.is_retryable());

    // A command that runs and fails: `user` of someone the passdb does not know.
    let err = doveadm.call(&url, "user", json!({"userMask": ["nobody-here"]})).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: EX_NOUSER, .. }), "{err:?}");
    let known = doveadm.call(&url, "user", json!({"userMask": [USERS[1]]})).await.unwrap();
    assert_eq!(known[USERS[1]]["uid"], "1000", "values come back as strings: {known}");
}

#[tokio::test]
async fn many_sequential_calls_on_one_client_all_succeed() {
    let dovecot = DovecotServer::start().await;
    let doveadm = client(Auth::Password(dovecot.password().into()));
    let url = dovecot.url();
    for i in 0..30 {
        // Clones share the client's pool; Dovecot 2.3 closes the connection after each answer.
        assert_eq!(doveadm.clone().who(&url).await.unwrap(), json!([]), "call {i}");
    }
    // Every request reached Dovecot and was logged with status 200 (the log process writes it
    // a moment later).
    testkit::wait_until("30 logged requests", Duration::from_secs(5), || {
        let log = dovecot.log();
        (log.matches("\"POST /doveadm/v1 HTTP/1.1\" 200").count() == 30).then_some(())
    })
    .await;
}
