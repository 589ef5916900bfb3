use std::collections::HashSet;

use api_types::{PutSetting, UserPage, UserView};
use domain::UserName;
use futures::StreamExt;

use crate::common::{TestApi, problem};

#[tokio::test]
async fn ten_thousand_users_page_through_the_api_each_exactly_once_in_order() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 3).await;
    let _: serde_json::Value = api
        .admin
        .put("/sites/s1/settings/cluster_default_group_count", &PutSetting { value: "40".into() })
        .await
        .unwrap();
    let site = api.db().list_sites().await.unwrap().remove(0);
    // Users arrive as proxies create them on first login.
    let db = api.geodb.db.clone();
    futures::stream::iter(0..10_000)
        .map(|i| {
            let db = db.clone();
            async move {
                geodb::ops::assign_user(&*db, site.id, &UserName::parse(&format!("user{i:05}@example.test")).unwrap())
                    .await
                    .unwrap()
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=1000&cursor={c}"),
            None => "?limit=1000".to_owned(),
        };
        let page: UserPage = api.admin.list_users("s1", &query).await.unwrap();
        pages += 1;
        if page.next_cursor.is_some() {
            assert_eq!(page.items.len(), 1000, "every page but the last is full");
        }
        seen.extend(page.items.into_iter().map(|u| (u.group.unwrap_or_default(), u.name)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 10);
    assert_eq!(seen.len(), 10_000);
    let unique: HashSet<_> = seen.iter().map(|(_, n)| n.clone()).collect();
    assert_eq!(unique.len(), 10_000, "no user twice");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ordered by (group, name)");

    let in_group: UserPage = api.admin.list_users("s1", "?group=default-7&limit=1000").await.unwrap();
    let expected = seen.iter().filter(|(g, _)| g == "default-7").count();
    assert!(expected > 0);
    assert_eq!(in_group.items.len(), expected);
    assert!(in_group.items.iter().all(|u| u.group.as_deref() == Some("default-7")));
}

#[tokio::test]
async fn user_status_shows_group_and_backend_and_users_can_be_deleted() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    let site = api.db().list_sites().await.unwrap().remove(0);
    let user = UserName::parse("alice@example.test").unwrap();
    let stored = geodb::ops::assign_user(api.db(), site.id, &user).await.unwrap();

    let got: UserView = api.admin.get("/users/alice@example.test").await.unwrap();
    assert_eq!(got.site, "s1");
    assert_eq!(got.group.as_deref(), stored.group.as_ref().map(|g| g.as_str()));
    assert_eq!(got.backend.as_deref(), Some("b1.s1.test"));
    assert_eq!(got.moving, None);

    api.admin.delete("/users/alice@example.test").await.unwrap();
    assert_eq!(problem(api.admin.get::<UserView>("/users/alice@example.test").await).code, "user_not_found");
    assert_eq!(problem(api.admin.delete("/users/alice@example.test").await).code, "user_not_found");
}
