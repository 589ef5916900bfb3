use api_types::Problem;
use reqwest::Method;

use crate::common::{ADMIN_TOKEN, TestApi};

fn parse(ctype: &str, body: &str) -> Problem {
    assert_eq!(ctype, "application/problem+json");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not a problem body ({e}): {body}"))
}

#[tokio::test]
async fn client_mistakes_get_problem_answers_never_500() {
    let api = TestApi::start().await;
    let t = Some(ADMIN_TOKEN);
    // (method, path, body, status, code, field)
    type Case<'a> = (Method, &'a str, Option<&'a str>, u16, &'a str, Option<&'a str>);
    let cases: &[Case] = &[
        (Method::GET, "/api/v1/nothing-here", None, 404, "route_not_found", None),
        (Method::DELETE, "/api/v1/sites", None, 405, "method_not_allowed", None),
        (Method::POST, "/api/v1/sites", Some("{\"name\": "), 400, "invalid_json", None),
        (Method::POST, "/api/v1/sites", Some("\"a string\""), 400, "invalid_body", None),
        (Method::POST, "/api/v1/sites", Some("{}"), 400, "invalid_body", Some("name")),
        (Method::POST, "/api/v1/sites", Some(r#"{"name":"a","colour":"red"}"#), 400, "invalid_body", Some("colour")),
        (Method::POST, "/api/v1/sites", Some(r#"{"name":7}"#), 400, "invalid_body", Some("name")),
        (Method::GET, "/api/v1/sites/s1/stats?since=yesterday", None, 400, "invalid_query", Some("since")),
        (Method::DELETE, "/api/v1/tokens/not-a-uuid", None, 400, "invalid_parameter", Some("id")),
    ];
    for (method, path, body, status, code, field) in cases {
        let (got, ctype, text) = api.raw(method.clone(), path, t, *body).await;
        let p = parse(&ctype, &text);
        assert_eq!(
            (got, p.status, p.code.as_str(), p.field.as_deref()),
            (*status, *status, *code, *field),
            "{method} {path}"
        );
    }

    // Wrong content type and oversized bodies.
    let resp = api.http.post(api.url("/api/v1/sites")).bearer_auth(ADMIN_TOKEN).body("name=x").send().await.unwrap();
    assert_eq!(resp.status(), 415);
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(300 * 1024));
    let (status, ctype, text) = api.raw(Method::POST, "/api/v1/sites", t, Some(&big)).await;
    assert_eq!((status, parse(&ctype, &text).code.as_str()), (413, "payload_too_large"));
}

#[tokio::test]
async fn a_failed_request_changes_nothing() {
    let api = TestApi::start().await;
    let (status, _, _) = api
        .raw(Method::POST, "/api/v1/sites", Some(ADMIN_TOKEN), Some(r#"{"name":"ok","load_balancer":"1.2.3.4"}"#))
        .await;
    assert_eq!(status, 422);
    assert!(api.db().list_sites().await.unwrap().is_empty());
}

/// Writes `request` on a fresh connection and reads until the server closes it.
async fn exchange(api: &TestApi, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(api.base.trim_start_matches("http://")).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server must close the connection after refusing");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status line and the problem of the last answer in `text`, a refusal.
fn last_problem(text: &str) -> (String, Problem) {
    let at = text.rfind("HTTP/1.1 4").unwrap_or_else(|| panic!("no refusal: {text:?}"));
    let (head, body) = text[at..].split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head end: {text:?}"));
    let ctype = head.lines().find_map(|l| l.strip_prefix("content-type: ")).unwrap_or_default();
    (head.lines().next().unwrap_or_default().to_owned(), parse(ctype, body))
}

#[tokio::test]
async fn requests_the_http_layer_refuses_get_problem_answers_too() {
    let api = TestApi::start().await;
    let long_path = format!("GET /api/v1/sites/{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(100_000));
    let long_query = format!("GET /api/v1/sites?q={} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let huge_head = format!("GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(140_000));
    let many: String = (0..120).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let many_headers = format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{many}\r\n");
    let cases = [
        (long_path, "HTTP/1.1 400 Bad Request", "malformed_http"),
        (long_query, "HTTP/1.1 400 Bad Request", "malformed_http"),
        ("NOT-HTTP\r\n\r\n".to_owned(), "HTTP/1.1 400 Bad Request", "malformed_http"),
        (huge_head, "HTTP/1.1 431 Request Header Fields Too Large", "headers_too_large"),
        (many_headers, "HTTP/1.1 431 Request Header Fields Too Large", "headers_too_large"),
    ];
    for (request, status_line, code) in cases {
        let (line, problem) = last_problem(&exchange(&api, request.as_bytes()).await);
        assert_eq!((line.as_str(), problem.code.as_str()), (status_line, code), "{}", &request[..40]);
    }

    // An answer already due goes out unchanged before the refusal of the next request.
    let pipelined = exchange(&api, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nBAD REQUEST LINE\r\n\r\n").await;
    assert!(pipelined.starts_with("HTTP/1.1 200 OK\r\n"), "{pipelined}");
    assert_eq!(last_problem(&pipelined).1.code, "malformed_http");
}
