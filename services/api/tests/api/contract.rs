//! The API's contract over real HTTP: bodies are read strictly, the document served at
//! `/api/v1/openapi.json` says what the server does (roles, `Allow`, problem answers, operation
//! ids), objects are reachable by the id they were created with, names follow the case rule,
//! and the answer that carries a secret is not cached.

use std::collections::BTreeSet;

use api_types::{CreateToken, CreatedToken, SiteView};
use reqwest::Method;
use serde_json::Value;

use crate::common::{ADMIN_TOKEN, TestApi};

/// (status, problem code, field) of a raw request as the admin.
async fn answer(api: &TestApi, method: Method, path: &str, body: &str) -> Answer {
    let (status, ctype, text) = api.raw(method, path, Some(ADMIN_TOKEN), Some(body)).await;
    if status < 400 {
        return (status, String::new(), None);
    }
    assert_eq!(ctype, "application/problem+json", "{path}: {text}");
    let p: api_types::Problem = serde_json::from_str(&text).unwrap();
    (status, p.code, p.field)
}

/// (status, problem code, field at fault).
type Answer = (u16, String, Option<String>);

fn bad(code: &str, field: Option<&str>) -> Answer {
    let status = if code == "invalid_field" { 422 } else { 400 };
    (status, code.to_owned(), field.map(str::to_owned))
}

#[tokio::test]
async fn bodies_are_one_object_with_declared_fields_and_nothing_after() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    let cases: &[(Method, &str, &str, Answer)] = &[
        (Method::POST, "/api/v1/tags", r#"{"name":"t2"}{"name":"t3"}"#, bad("invalid_json", None)),
        (Method::POST, "/api/v1/tags", r#"{"name":"t5"} DROP TABLE"#, bad("invalid_json", None)),
        (Method::POST, "/api/v1/tokens", r#"["name","viewer"]"#, bad("invalid_body", None)),
        (Method::PATCH, "/api/v1/sites/s1", "[null,null]", bad("invalid_body", None)),
        (
            Method::PATCH,
            "/api/v1/backends/b1.s1.test",
            r#"{"load_factor":50}{"load_factor":7}"#,
            bad("invalid_json", None),
        ),
        (
            Method::PATCH,
            "/api/v1/backends/b1.s1.test",
            r#"{"load_factor":1e3}"#,
            bad("invalid_field", Some("load_factor")),
        ),
        (Method::PUT, "/api/v1/settings/global/x", "{\"value\":\"a\\u0000b\"}", bad("invalid_field", Some("value"))),
    ];
    for (method, path, body, expected) in cases {
        assert_eq!(&answer(&api, method.clone(), path, body).await, expected, "{method} {path} {body}");
    }
    // Nothing of the refused requests was stored.
    assert!(api.db().list_tags().await.unwrap().is_empty());
    assert_eq!(api.db().list_tokens().await.unwrap().len(), 0);
    let backend = api.db().list_backends(None).await.unwrap().remove(0);
    assert_eq!(backend.load_factor.get(), 100);
    assert!(api.db().list_settings(None).await.unwrap().is_empty());
    // An integral float is an integer, as in JSON Schema.
    let (status, _, _) = answer(&api, Method::PATCH, "/api/v1/backends/b1.s1.test", r#"{"load_factor":84.0}"#).await;
    assert_eq!(status, 200);
    assert_eq!(api.db().list_backends(None).await.unwrap()[0].load_factor.get(), 84);
}

async fn document(api: &TestApi) -> Value {
    let (status, _, body) = api.raw(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

/// Every (method, path with placeholders filled, operation) of the document.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let filled = path.replace("{id}", "00000000-0000-4000-8000-000000000000").replace(['{', '}'], "");
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase().parse().unwrap(), filled.clone(), op.clone()));
        }
    }
    out
}

async fn token(api: &TestApi, role: &str) -> String {
    let req = CreateToken { name: format!("{role}-token"), role: role.into() };
    api.admin.post::<_, CreatedToken>("/tokens", &req).await.unwrap().token
}

#[tokio::test]
async fn every_operation_refuses_the_roles_its_document_entry_says() {
    let api = TestApi::start().await;
    let doc = document(&api).await;
    let viewer = token(&api, "viewer").await;
    let operator = token(&api, "operator").await;
    let mut secured = 0;
    for (method, path, op) in operations(&doc) {
        let Some(role) = op["security"][0]["bearer"][0].as_str() else {
            assert!(!path.starts_with("/api/v1/") || path.ends_with("openapi.json"), "{method} {path} has no role");
            continue;
        };
        secured += 1;
        let status = |token: Option<String>| {
            let (api, method, path) = (&api, method.clone(), path.clone());
            async move { api.raw(method, &path, token.as_deref(), None).await.0 }
        };
        assert_eq!(status(None).await, 401, "{method} {path} without a token");
        let as_viewer = status(Some(viewer.clone())).await;
        assert_eq!(as_viewer == 403, role != "viewer", "{method} {path} ({role}) as a viewer: {as_viewer}");
        let as_operator = status(Some(operator.clone())).await;
        assert_eq!(as_operator == 403, role == "admin", "{method} {path} ({role}) as an operator: {as_operator}");
        let documented = op["responses"].as_object().unwrap();
        assert_eq!(documented.contains_key("403"), role != "viewer", "{method} {path}: 403 documented iff refused");
        assert!(documented.contains_key("401"), "{method} {path}: 401 documented");
    }
    assert!(secured >= 60, "only {secured} secured operations");
}

#[tokio::test]
async fn the_document_declares_problem_answers_and_unique_operation_ids() {
    let api = TestApi::start().await;
    let doc = document(&api).await;
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap().to_owned();
        let (resource, verb) = id.rsplit_once('_').unwrap_or_default();
        let words =
            |s: &str| !s.is_empty() && s.split('_').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()));
        assert!(words(resource) && words(verb), "{method} {path}: {id} is not <resource>_<verb>");
        assert!(ids.insert(id.clone()), "operationId {id} repeats");
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.as_str() >= "400" {
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
                assert_eq!(content["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
            }
        }
        let has_body = op.get("requestBody").is_some();
        for status in ["400", "413", "415"] {
            assert!(op["responses"].get(status).is_some() || !has_body, "{method} {path} lacks {status}");
        }
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_answered_405_with_the_methods_it_does() {
    let api = TestApi::start().await;
    let doc = document(&api).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let documented: BTreeSet<String> = item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect();
        let Some(other) = ["PUT", "PATCH", "DELETE", "POST"].into_iter().find(|m| !documented.contains(*m)) else {
            continue;
        };
        let filled = path.replace(['{', '}'], "");
        let resp =
            api.http.request(other.parse().unwrap(), api.url(&filled)).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
        assert_eq!(resp.status(), 405, "{other} {path}");
        let allow = resp.headers().get("allow").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let allowed: BTreeSet<String> = allow.split(", ").map(str::to_owned).collect();
        assert_eq!(allowed, documented, "{other} {path}: Allow {allow:?}");
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

#[tokio::test]
async fn sites_and_backends_created_with_an_id_are_reachable_by_it() {
    let api = TestApi::start().await;
    let site_id = "6f1c0a52-9a53-4c38-8b53-0f7e4b1d2a11";
    let backend_id = "0d2e5b8a-3c7f-4e91-a6b0-7c5d9e2f1a33";
    let (status, _, _) =
        answer(&api, Method::POST, "/api/v1/sites", &format!(r#"{{"name":"S1","id":"{site_id}"}}"#)).await;
    assert_eq!(status, 201);
    let body = format!(r#"{{"host":"B1.Example.test","site":"{site_id}","id":"{backend_id}"}}"#);
    assert_eq!(answer(&api, Method::POST, "/api/v1/backends", &body).await.0, 201, "a body field takes the site's id");
    let by_id: SiteView = api.admin.get(&format!("/sites/{site_id}")).await.unwrap();
    let by_name: SiteView = api.admin.get("/sites/s1").await.unwrap();
    let by_other_case: SiteView = api.admin.get("/sites/S1").await.unwrap();
    assert_eq!((by_id.name.as_str(), by_name.id, by_other_case.id), ("s1", by_id.id, by_id.id));
    let backend: api_types::BackendView = api.admin.get(&format!("/backends/{backend_id}")).await.unwrap();
    assert_eq!(backend.host, "b1.example.test");
    // Names are case-insensitive: the same name in other letters is the same site.
    let again = answer(&api, Method::POST, "/api/v1/sites", r#"{"name":"s1"}"#).await;
    assert_eq!((again.0, again.1.as_str()), (409, "already_exists"));
    let unknown = answer(&api, Method::GET, "/api/v1/sites/00000000-0000-4000-8000-000000000000", "{}").await;
    assert_eq!((unknown.0, unknown.1.as_str()), (404, "site_not_found"));
}

#[tokio::test]
async fn the_answer_that_carries_a_new_token_is_never_cached() {
    let api = TestApi::start().await;
    let resp = api
        .http
        .post(api.url("/api/v1/tokens"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "t", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store");
}

#[test]
fn the_documented_closed_sets_are_the_servers() {
    use api_types::schema::{JOB_KINDS, JOB_STATES};
    assert_eq!(JOB_STATES.len(), queue::JobState::ALL.len());
    for name in JOB_STATES {
        assert_eq!(name.parse::<queue::JobState>().unwrap().as_str(), name);
    }
    assert_eq!(JOB_KINDS.as_slice(), jobs::JobKind::NAMES);
}

#[tokio::test]
async fn filters_for_two_setting_scopes_select_nothing() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    for path in ["/api/v1/settings/global/x", "/api/v1/sites/s1/settings/x", "/api/v1/backends/b1.s1.test/settings/x"] {
        assert_eq!(answer(&api, Method::PUT, path, r#"{"value":"1"}"#).await.0, 200, "{path}");
    }
    let count = |query: &'static str| {
        let api = &api;
        async move { api.admin.get::<Vec<api_types::SettingView>>(&format!("/settings{query}")).await.unwrap().len() }
    };
    assert_eq!(count("").await, 3);
    assert_eq!(count("?site=s1").await, 1);
    assert_eq!(count("?scope=global&site=s1").await, 0);
    assert_eq!(count("?site=s1&backend=b1.s1.test").await, 0);
}
