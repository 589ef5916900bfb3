use api_types::{CreateSite, CreateTag, SiteView, TagView, UpdateSite};
use domain::SiteStatus;

use crate::common::{TestApi, problem};

#[tokio::test]
async fn a_new_site_is_online_and_can_be_read_listed_updated_and_removed() {
    let api = TestApi::start().await;
    let created = api
        .admin
        .create_site(&CreateSite {
            name: "eu-1".into(),
            load_balancer: Some("lb.eu-1.test".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((created.name.as_str(), created.status), ("eu-1", SiteStatus::Online));
    assert_eq!(created.load_balancer.as_deref(), Some("lb.eu-1.test"));

    let tag: TagView = api.admin.post("/tags", &CreateTag { name: "shard-a".into(), id: None }).await.unwrap();
    let patch = UpdateSite {
        status: Some("evacuate".into()),
        tag: Some(Some("shard-a".into())),
        load_balancer: Some(None),
        ..Default::default()
    };
    let updated = api.admin.update_site("eu-1", &patch).await.unwrap();
    assert_eq!(updated.status, SiteStatus::Evacuate);
    assert_eq!(updated.tag.as_deref(), Some("shard-a"));
    assert_eq!(updated.load_balancer, None);
    let by_id = api
        .admin
        .update_site("eu-1", &UpdateSite { tag: Some(Some(tag.id.to_string())), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_id.tag.as_deref(), Some("shard-a"));

    let got: SiteView = api.admin.get("/sites/eu-1").await.unwrap();
    assert_eq!(got, by_id);
    assert_eq!(api.admin.list_sites().await.unwrap(), vec![got]);

    api.admin.delete("/sites/eu-1").await.unwrap();
    assert_eq!(problem(api.admin.get::<SiteView>("/sites/eu-1").await).code, "site_not_found");
}

#[tokio::test]
async fn site_validation_names_every_bad_field() {
    let api = TestApi::start().await;
    let p = problem(
        api.admin
            .create_site(&CreateSite {
                name: "bad name".into(),
                load_balancer: Some("10.1.2.3".into()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!((p.status, p.code.as_str()), (422, "invalid_field"));
    let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "load_balancer"]);
    assert_eq!(p.field.as_deref(), Some("name"));

    let p = problem(
        api.admin.create_site(&CreateSite { name: "s1".into(), tag: Some("nope".into()), ..Default::default() }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (404, Some("tag")));

    api.admin.create_site(&CreateSite { name: "s1".into(), ..Default::default() }).await.unwrap();
    let p = problem(api.admin.create_site(&CreateSite { name: "s1".into(), ..Default::default() }).await);
    assert_eq!((p.status, p.code.as_str()), (409, "already_exists"));

    let p =
        problem(api.admin.update_site("s1", &UpdateSite { status: Some("gone".into()), ..Default::default() }).await);
    assert_eq!((p.status, p.field.as_deref()), (422, Some("status")));
    assert!(p.detail.contains("online, offline, standby, evacuate"), "{}", p.detail);
    let p = problem(api.admin.update_site("bad name", &UpdateSite::default()).await);
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (400, "invalid_parameter", Some("site")));
}

#[tokio::test]
async fn a_site_with_backends_cannot_be_removed() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    let p = problem(api.admin.delete("/sites/s1").await);
    assert_eq!((p.status, p.code.as_str()), (409, "site_not_empty"));
    api.admin.delete("/backends/b1.s1.test").await.unwrap();
    api.admin.delete("/sites/s1").await.unwrap();
}

#[tokio::test]
async fn tags_are_created_renamed_and_protected_while_used() {
    let api = TestApi::start().await;
    let tag: TagView = api.admin.post("/tags", &CreateTag { name: "a".into(), id: None }).await.unwrap();
    let _: TagView = api.admin.post("/tags", &CreateTag { name: "b".into(), id: None }).await.unwrap();
    let p = problem(api.admin.patch::<_, TagView>("/tags/a", &serde_json::json!({"name": "b"})).await);
    assert_eq!(p.code, "already_exists");
    let renamed: TagView = api.admin.patch("/tags/a", &serde_json::json!({"name": "c"})).await.unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (tag.id, "c"));
    let names: Vec<String> =
        api.admin.get::<Vec<TagView>>("/tags").await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["b", "c"]);

    api.admin.create_site(&CreateSite { name: "s".into(), tag: Some("c".into()), ..Default::default() }).await.unwrap();
    assert_eq!(problem(api.admin.delete("/tags/c").await).code, "tag_in_use");
    api.admin.update_site("s", &UpdateSite { tag: Some(None), ..Default::default() }).await.unwrap();
    api.admin.delete(&format!("/tags/{}", tag.id)).await.unwrap();
    assert_eq!(problem(api.admin.get::<TagView>("/tags/c").await).code, "tag_not_found");
}
