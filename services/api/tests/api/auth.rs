use std::time::Duration;

use api_types::client::Client;
use api_types::{CreatedToken, TokenView, WhoAmI};
use chrono::Utc;
use controller_api::token_cache::TOKEN_CACHE_TTL;
use domain::Role;
use reqwest::Method;
use service::Clock;

use crate::common::{ADMIN_TOKEN, TestApi, problem};

/// (method, path, body, role the route needs). Paths refer to objects created in `setup`.
const ROUTES: &[(&str, &str, &str, Role)] = &[
    ("GET", "/api/v1/sites", "", Role::Viewer),
    ("GET", "/api/v1/sites/s1", "", Role::Viewer),
    ("POST", "/api/v1/sites", r#"{"name":"new-site"}"#, Role::Operator),
    ("PATCH", "/api/v1/sites/s1", r#"{"status":"online"}"#, Role::Operator),
    ("POST", "/api/v1/sites/s1/init", "{}", Role::Operator),
    ("GET", "/api/v1/tags", "", Role::Viewer),
    ("POST", "/api/v1/tags", r#"{"name":"t-new"}"#, Role::Operator),
    ("GET", "/api/v1/backends", "", Role::Viewer),
    ("GET", "/api/v1/backends/b1.s1.test", "", Role::Viewer),
    ("PATCH", "/api/v1/backends/b1.s1.test", r#"{"load_factor":100}"#, Role::Operator),
    ("GET", "/api/v1/sites/s1/groups", "", Role::Viewer),
    ("PATCH", "/api/v1/sites/s1/groups/default-1", r#"{"sticky_users":false}"#, Role::Operator),
    ("GET", "/api/v1/sites/s1/users", "", Role::Viewer),
    ("GET", "/api/v1/settings", "", Role::Viewer),
    ("PUT", "/api/v1/settings/global/some_setting", r#"{"value":"1"}"#, Role::Admin),
    ("PUT", "/api/v1/sites/s1/settings/some_setting", r#"{"value":"1"}"#, Role::Admin),
    ("GET", "/api/v1/sites/s1/features", "", Role::Viewer),
    ("PUT", "/api/v1/sites/s1/features/autoscaling", r#"{"state":"dryrun"}"#, Role::Admin),
    ("GET", "/api/v1/reachability", "", Role::Viewer),
    ("PUT", "/api/v1/reachability/s1/s1", r#"{"reachable":true}"#, Role::Operator),
    ("GET", "/api/v1/sites/s1/stats", "", Role::Viewer),
    ("GET", "/api/v1/tokens", "", Role::Admin),
    ("POST", "/api/v1/tokens", r#"{"name":"x","role":"viewer"}"#, Role::Admin),
    ("GET", "/api/v1/whoami", "", Role::Viewer),
    ("GET", "/api/v1/jobs", "", Role::Viewer),
    ("POST", "/api/v1/jobs", r#"{"kind":"probe"}"#, Role::Operator),
    ("GET", "/api/v1/scheduler", "", Role::Viewer),
    ("GET", "/api/v1/queues", "", Role::Viewer),
];

#[tokio::test]
async fn each_role_reaches_exactly_the_routes_it_should() {
    let redis = testkit::redis::RedisServer::start().await;
    let queue = queue::Queue::connect(&redis.url(), queue::QueueConfig::new(testkit::redis::unique_prefix("auth")))
        .await
        .unwrap();
    let api = TestApi::start_with_queue(queue).await;
    api.site_with_backends("s1", 1).await;
    let _: serde_json::Value = api
        .admin
        .put("/sites/s1/settings/cluster_default_group_count", &serde_json::json!({"value": "2"}))
        .await
        .unwrap();
    api.admin.init_site("s1", false).await.unwrap();
    let mut tokens = Vec::new();
    for role in [Role::Viewer, Role::Operator, Role::Admin] {
        let created = api.admin.create_token(&format!("t-{role}"), role.as_str()).await.unwrap();
        tokens.push((role, created.token));
    }

    for (method, path, body, needed) in ROUTES {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (!body.is_empty()).then_some(*body);
        let (status, ctype, _) = api.raw(method.clone(), path, None, body).await;
        assert_eq!((status, ctype.as_str()), (401, "application/problem+json"), "{method} {path} without a token");
        let (status, _, _) = api.raw(method.clone(), path, Some("cct_not-a-real-token"), body).await;
        assert_eq!(status, 401, "{method} {path} with an unknown token");
        for (role, token) in &tokens {
            let (status, _, text) = api.raw(method.clone(), path, Some(token), body).await;
            if role.allows(*needed) {
                // Past authorisation: a conflict with what an earlier role created is fine.
                assert!(status < 500 && status != 401 && status != 403, "{method} {path} as {role}: {status} {text}");
                assert!((200..300).contains(&status) || status == 409, "{method} {path} as {role}: {status} {text}");
            } else {
                assert_eq!(status, 403, "{method} {path} as {role} must be refused");
                assert!(text.contains("\"code\":\"forbidden\""), "{text}");
            }
        }
    }
}

#[tokio::test]
async fn health_and_docs_need_no_token() {
    let api = TestApi::start().await;
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs/"] {
        let (status, _, _) = api.raw(Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_revocable() {
    let api = TestApi::start().await;
    let created: CreatedToken = api.admin.create_token("ci", "operator").await.unwrap();
    let client = Client::new(&api.base, Some(created.token.clone()));
    let me: WhoAmI = client.get("/whoami").await.unwrap();
    assert_eq!((me.name.as_str(), me.role), ("ci", Role::Operator));

    let (_, _, listing) = api.raw(Method::GET, "/api/v1/tokens", Some(ADMIN_TOKEN), None).await;
    assert!(!listing.contains(&created.token), "the listing must not show the token");
    let stored = api.db().list_tokens().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].secret_hash, created.token, "only a hash is stored");
    assert!(!listing.contains(&stored[0].secret_hash), "nor its hash");
    let views: Vec<TokenView> = api.admin.get("/tokens").await.unwrap();
    assert_eq!(views[0].id, created.id);

    api.admin.delete(&format!("/tokens/{}", created.id)).await.unwrap();
    assert_eq!(problem(client.get::<WhoAmI>("/whoami").await).code, "unauthenticated");
    assert_eq!(problem(api.admin.delete(&format!("/tokens/{}", created.id)).await).code, "token_not_found");

    let p = problem(api.admin.create_token("", "root").await);
    assert_eq!(p.status, 422);
    let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["role", "name"]);
}

/// Token checks are cached per replica for at most `TOKEN_CACHE_TTL`: the replica that revokes a
/// token refuses it at once, another replica within that time and not a tick later.
#[tokio::test]
async fn a_revoked_token_stops_working_on_every_replica_within_the_cache_ttl() {
    let api = TestApi::start().await;
    let clock = Clock::manual(Utc::now());
    let replica = api.replica(clock.clone());
    let created: CreatedToken = api.admin.create_token("proxy-ops", "viewer").await.unwrap();
    let on_a = Client::new(&api.base, Some(created.token.clone()));
    let on_b = Client::new(&replica.base, Some(created.token.clone()));
    on_a.get::<WhoAmI>("/whoami").await.unwrap();
    on_b.get::<WhoAmI>("/whoami").await.unwrap();

    api.admin.delete(&format!("/tokens/{}", created.id)).await.unwrap();
    assert_eq!(problem(on_a.get::<WhoAmI>("/whoami").await).code, "unauthenticated", "the revoking replica");
    clock.advance(TOKEN_CACHE_TTL - Duration::from_millis(1));
    let me: WhoAmI = on_b.get("/whoami").await.expect("still cached on the other replica");
    assert_eq!(me.name, "proxy-ops");
    clock.advance(Duration::from_millis(1));
    assert_eq!(problem(on_b.get::<WhoAmI>("/whoami").await).code, "unauthenticated", "after the TTL");

    let unknown = Client::new(&replica.base, Some("never-issued-token-0123456789abcdef".into()));
    assert_eq!(problem(unknown.get::<WhoAmI>("/whoami").await).code, "unauthenticated");
}
