//! Transport failures, from the network itself: a closed port, a name that never resolves, and
//! a server that accepts the connection but never answers.

use std::time::{Duration, Instant};

use doveadm::{Auth, Client, DoveadmError};

use crate::client;

#[tokio::test]
async fn a_closed_port_is_a_retryable_connect_error() {
    let url = format!("http://127.0.0.1:{}", testkit::free_port());
    let err = client(Auth::None).who(&url).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_name_that_never_resolves_is_a_name_resolution_error() {
    // RFC 6761: `.invalid` never resolves.
    let err = client(Auth::None).who("http://backend-1.invalid:8080").await.unwrap_err();
    let DoveadmError::NameResolution(detail) = &err else { panic!("{err:?}") };
    assert!(detail.contains("dns error"), "{detail}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // The kernel completes the handshake into the backlog; nobody ever reads or replies.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let doveadm = Client::new(Auth::None, Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let err = doveadm.who(&url).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Timeout), "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    drop(silent);
}

#[tokio::test]
async fn a_base_url_that_is_not_a_url_is_reported_as_such() {
    let err = client(Auth::None).who("not a url").await.unwrap_err();
    assert!(matches!(err, DoveadmError::InvalidUrl(_)), "{err:?}");
    assert!(!err.is_retryable());
}
