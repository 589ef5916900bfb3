use api_types::{BackendView, CreateBackend, CreateSite, UpdateBackend};
use domain::BackendStatus;

use crate::common::{TestApi, problem};

#[tokio::test]
async fn a_new_backend_is_standby_with_full_load_factor() {
    let api = TestApi::start().await;
    api.admin.create_site(&CreateSite { name: "s1".into(), ..Default::default() }).await.unwrap();
    let b = api
        .admin
        .create_backend(&CreateBackend { host: "B1.S1.Test".into(), site: "s1".into(), id: None })
        .await
        .unwrap();
    assert_eq!(
        (b.host.as_str(), b.site.as_str(), b.status, b.load_factor),
        ("b1.s1.test", "s1", BackendStatus::Standby, 100)
    );

    let up = api
        .admin
        .update_backend("b1.s1.test", &UpdateBackend { status: Some("online".into()), load_factor: Some(0) })
        .await
        .unwrap();
    assert_eq!((up.status, up.load_factor), (BackendStatus::Online, 0));
    let got: BackendView = api.admin.get("/backends/b1.s1.test").await.unwrap();
    assert_eq!(got, up);
}

#[tokio::test]
async fn backend_validation_and_conflicts() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    api.admin.create_site(&CreateSite { name: "s2".into(), ..Default::default() }).await.unwrap();

    let p = problem(
        api.admin.create_backend(&CreateBackend { host: "192.0.2.7".into(), site: "s1".into(), id: None }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("host")));
    let p = problem(
        api.admin.create_backend(&CreateBackend { host: "b9.test".into(), site: "nowhere".into(), id: None }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (404, Some("site")));
    // Host names are unique across sites.
    let p = problem(
        api.admin.create_backend(&CreateBackend { host: "b1.s1.test".into(), site: "s2".into(), id: None }).await,
    );
    assert_eq!((p.status, p.code.as_str()), (409, "already_exists"));

    let p = problem(
        api.admin
            .update_backend("b1.s1.test", &UpdateBackend { status: Some("evacuate".into()), load_factor: Some(101) })
            .await,
    );
    assert_eq!(p.status, 422);
    let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["status", "load_factor"]);
    let p = problem(
        api.admin.patch::<_, BackendView>("/backends/b1.s1.test", &serde_json::json!({"load_factor": "high"})).await,
    );
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (400, "invalid_body", Some("load_factor")));
    assert_eq!(problem(api.admin.get::<BackendView>("/backends/b7.s1.test").await).code, "backend_not_found");
}

#[tokio::test]
async fn backends_list_per_site_and_cannot_be_removed_while_groups_live_there() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;
    api.site_with_backends("s2", 1).await;
    let all: Vec<BackendView> = api.admin.get("/backends").await.unwrap();
    assert_eq!(all.len(), 3);
    let s1: Vec<String> =
        api.admin.get::<Vec<BackendView>>("/backends?site=s1").await.unwrap().into_iter().map(|b| b.host).collect();
    assert_eq!(s1, ["b1.s1.test", "b2.s1.test"]);
    assert_eq!(problem(api.admin.get::<Vec<BackendView>>("/backends?site=s9").await).field.as_deref(), Some("site"));

    api.admin.init_site("s1", false).await.unwrap();
    let p = problem(api.admin.delete("/backends/b1.s1.test").await);
    assert_eq!((p.status, p.code.as_str()), (409, "backend_in_use"));
    api.admin.delete("/backends/b1.s2.test").await.unwrap();
}
