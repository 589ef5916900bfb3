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
