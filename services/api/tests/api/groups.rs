use std::collections::HashMap;

use api_types::{GroupPage, GroupView, PutSetting, UpdateBackend, UpdateGroup};

use crate::common::{TestApi, problem};

async fn all_groups(api: &TestApi, site: &str, query: &str, limit: u32) -> Vec<GroupView> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if query.is_empty() { "?" } else { "&" };
        let q = match &cursor {
            Some(c) => format!("{query}{sep}limit={limit}&cursor={c}"),
            None => format!("{query}{sep}limit={limit}"),
        };
        let q = if q.starts_with('?') { q } else { format!("?{q}") };
        let page: GroupPage = api.admin.list_groups(site, &q).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

#[tokio::test]
async fn site_init_creates_the_configured_groups_spread_over_online_backends() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;
    api.admin.update_backend("b2.s1.test", &UpdateBackend { status: None, load_factor: Some(50) }).await.unwrap();
    let _: serde_json::Value = api
        .admin
        .put("/sites/s1/settings/cluster_default_group_count", &PutSetting { value: "30".into() })
        .await
        .unwrap();

    let report = api.admin.init_site("s1", false).await.unwrap();
    assert_eq!((report.created, report.deleted), (30, 0));
    assert_eq!(api.admin.init_site("s1", false).await.unwrap().created, 0, "init is idempotent");

    let groups = all_groups(&api, "s1", "", 7).await;
    assert_eq!(groups.len(), 30);
    let mut names: Vec<_> = groups.iter().map(|g| g.name.clone()).collect();
    let sorted = {
        let mut s = names.clone();
        s.sort();
        s
    };
    assert_eq!(names, sorted, "groups come sorted by name");
    names.dedup();
    assert_eq!(names.len(), 30);
    let mut per_backend: HashMap<&str, usize> = HashMap::new();
    for g in &groups {
        *per_backend.entry(g.backend.as_str()).or_default() += 1;
    }
    assert_eq!(per_backend["b1.s1.test"], 20, "load factor 100 takes twice the groups of 50");
    assert_eq!(per_backend["b2.s1.test"], 10);

    let masked = all_groups(&api, "s1", "?mask=default-1*", 3).await;
    let masked_names: Vec<_> = masked.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        masked_names,
        [
            "default-1",
            "default-10",
            "default-11",
            "default-12",
            "default-13",
            "default-14",
            "default-15",
            "default-16",
            "default-17",
            "default-18",
            "default-19"
        ]
    );
    let on_b2 = all_groups(&api, "s1", "?backend=b2.s1.test", 100).await;
    assert_eq!(on_b2.len(), 10);
}

#[tokio::test]
async fn site_init_needs_an_online_backend_and_update_recreates_groups() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    api.admin
        .update_backend("b1.s1.test", &UpdateBackend { status: Some("standby".into()), load_factor: None })
        .await
        .unwrap();
    let p = problem(api.admin.init_site("s1", false).await);
    assert_eq!((p.status, p.code.as_str()), (409, "no_destination_backend"));

    api.admin
        .update_backend("b1.s1.test", &UpdateBackend { status: Some("online".into()), load_factor: None })
        .await
        .unwrap();
    let _: serde_json::Value =
        api.admin.put("/settings/global/cluster_default_group_count", &PutSetting { value: "5".into() }).await.unwrap();
    assert_eq!(api.admin.init_site("s1", false).await.unwrap().created, 5);
    let _: serde_json::Value =
        api.admin.put("/settings/global/cluster_default_group_count", &PutSetting { value: "3".into() }).await.unwrap();
    let report = api.admin.init_site("s1", true).await.unwrap();
    assert_eq!((report.created, report.deleted), (3, 5));
    assert_eq!(all_groups(&api, "s1", "", 100).await.len(), 3);
}

#[tokio::test]
async fn group_status_and_sticky_flags() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    let _: serde_json::Value = api
        .admin
        .put("/sites/s1/settings/cluster_default_group_count", &PutSetting { value: "2".into() })
        .await
        .unwrap();
    api.admin.init_site("s1", false).await.unwrap();

    let g: GroupView = api.admin.get("/sites/s1/groups/default-2").await.unwrap();
    assert_eq!(
        (g.backend.as_str(), g.moving.as_deref(), g.sticky_users, g.sticky_backend),
        ("b1.s1.test", None, false, false)
    );
    let updated: GroupView = api
        .admin
        .patch("/sites/s1/groups/default-2", &UpdateGroup { sticky_users: None, sticky_backend: Some(true) })
        .await
        .unwrap();
    assert!(updated.sticky_backend && !updated.sticky_users);
    assert_eq!(api.admin.get::<GroupView>("/sites/s1/groups/default-2").await.unwrap(), updated);

    assert_eq!(problem(api.admin.get::<GroupView>("/sites/s1/groups/default-9").await).code, "group_not_found");
    let p = problem(api.admin.list_groups("s1", "?limit=0").await);
    assert_eq!((p.status, p.field.as_deref()), (422, Some("limit")));
    let p = problem(api.admin.list_groups("s1", "?cursor=not-a-cursor!").await);
    assert_eq!((p.status, p.code.as_str()), (422, "invalid_cursor"));
    let p = problem(api.admin.list_groups("s1", "?colour=red").await);
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (400, "invalid_query", Some("colour")));
}
