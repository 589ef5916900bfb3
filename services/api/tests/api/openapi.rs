use std::collections::BTreeSet;

use reqwest::Method;

use crate::common::TestApi;

#[tokio::test]
async fn the_openapi_document_lists_every_route_with_its_methods() {
    let api = TestApi::start().await;
    let (status, _, body) = api.raw(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    for expected in [
        "GET /api/v1/sites",
        "POST /api/v1/sites",
        "PATCH /api/v1/sites/{site}",
        "DELETE /api/v1/sites/{site}",
        "POST /api/v1/sites/{site}/init",
        "GET /api/v1/sites/{site}/groups",
        "PATCH /api/v1/sites/{site}/groups/{group}",
        "GET /api/v1/sites/{site}/users",
        "GET /api/v1/users/{user}",
        "DELETE /api/v1/users/{user}",
        "POST /api/v1/backends",
        "PATCH /api/v1/backends/{backend}",
        "GET /api/v1/tags",
        "PUT /api/v1/settings/global/{name}",
        "GET /api/v1/sites/{site}/settings/{name}/effective",
        "PUT /api/v1/sites/{site}/features/{feature}",
        "GET /api/v1/reachability",
        "GET /api/v1/sites/{site}/stats",
        "GET /api/v1/sites/{site}/metrics",
        "GET /api/v1/cluster/metrics",
        "GET /api/v1/sites/{site}/guard",
        "POST /api/v1/sites/{site}/guard/release",
        "POST /api/v1/tokens",
        "GET /readyz",
    ] {
        assert!(routes.contains(expected), "{expected} missing from the OpenAPI document");
    }
    assert_eq!(routes.len(), 66, "every handler is documented: {routes:#?}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn the_docs_page_and_its_scripts_are_served_locally() {
    let api = TestApi::start().await;
    let (status, ctype, html) = api.raw(Method::GET, "/api/v1/docs/", None, None).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(!html.contains("https://"), "the page must not load anything from the internet");
    let (status, _, js) = api.raw(Method::GET, "/api/v1/docs/swagger-ui-bundle.js", None, None).await;
    assert_eq!(status, 200);
    assert!(js.len() > 100_000);
}
