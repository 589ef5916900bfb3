//! Users: inserts that never overwrite, group changes that clear moves, and listing by
//! (group, name) with unassigned users first, paged with no user missed or repeated.

use std::collections::HashSet;
use std::sync::Arc;

use domain::placement::default_group_for;
use domain::settings::DEFAULT_GROUP_COUNT;
use domain::{GroupName, Setting, SettingScope, SiteId, User};
use futures::StreamExt;
use geodb::{GeoDb, GeoDbError, GroupFilter, PageRequest, UserFilter, ops};

use super::{TestDb, add_online_backend, add_site, group, setting_name, user};

pub async fn crud_and_group_changes(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    let mut u = User::new(user("alice@example.com"), site.id, group("default-1"));
    u.failover_group = Some(group("failover-1"));
    u.moving_site_id = Some(other_site.id);
    u.moving_group = Some(group("default-9"));
    u.moving_failover_group = Some(group("failover-9"));
    assert!(u.is_moving());
    assert!(db.insert_user(&u).await.unwrap());
    assert_eq!(t.other.get_user(&u.name).await.unwrap(), Some(u.clone()));

    let rival = User::new(u.name.clone(), other_site.id, group("default-2"));
    assert!(!t.other.insert_user(&rival).await.unwrap());
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(u.clone()));

    // A new group clears the move in progress and keeps the failover group.
    db.set_user_group(&u.name, Some(&group("default-3"))).await.unwrap();
    let moved = User {
        group: Some(group("default-3")),
        moving_site_id: None,
        moving_group: None,
        moving_failover_group: None,
        ..u.clone()
    };
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(moved.clone()));
    t.other.set_user_group(&u.name, None).await.unwrap();
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(User { group: None, ..moved }));
    assert_matches!(
        db.set_user_group(&user("nobody@example.com"), Some(&group("default-1"))).await,
        Err(GeoDbError::NotFound { entity: "user", .. })
    );
    assert_eq!(db.get_user(&user("nobody@example.com")).await.unwrap(), None);

    assert!(db.delete_user(&u.name).await.unwrap());
    assert!(!t.other.delete_user(&u.name).await.unwrap());
    assert_eq!(db.get_user(&u.name).await.unwrap(), None);
    // An unassigned user can be inserted directly.
    let unassigned = User { group: None, ..User::new(user("bob@example.com"), site.id, group("x")) };
    assert!(db.insert_user(&unassigned).await.unwrap());
    assert_eq!(db.get_user(&unassigned.name).await.unwrap(), Some(unassigned));
}

pub async fn listing_puts_unassigned_first(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    let rows = [("b", "u1"), ("a", "u3"), ("", "u2"), ("a", "u0"), ("", "u9"), ("b", "u00")];
    for (g, name) in rows {
        let mut u = User::new(user(name), site.id, group("placeholder"));
        u.group = (!g.is_empty()).then(|| group(g));
        assert!(db.insert_user(&u).await.unwrap());
    }
    assert!(db.insert_user(&User::new(user("stranger"), other_site.id, group("a"))).await.unwrap());
    let listed = |page: Vec<User>| -> Vec<(String, String)> {
        page.into_iter().map(|u| (u.group.map(String::from).unwrap_or_default(), u.name.to_string())).collect()
    };
    let expected: Vec<(String, String)> = [("", "u2"), ("", "u9"), ("a", "u0"), ("a", "u3"), ("b", "u00"), ("b", "u1")]
        .map(|(g, n)| (g.to_owned(), n.to_owned()))
        .into();
    let all = db.list_users(site.id, &UserFilter::default(), &PageRequest::first(100)).await.unwrap();
    assert_eq!(all.next_cursor, None);
    assert_eq!(listed(all.items), expected);
    // Paging one at a time crosses from unassigned users into groups without a gap.
    let mut paged = Vec::new();
    let mut request = PageRequest::first(1);
    loop {
        let page = t.other.list_users(site.id, &UserFilter::default(), &request).await.unwrap();
        paged.extend(listed(page.items));
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(paged, expected);

    let in_a = db.list_users(site.id, &UserFilter { group: Some(group("a")) }, &PageRequest::first(1)).await.unwrap();
    assert_eq!(listed(in_a.items), vec![("a".to_owned(), "u0".to_owned())]);
    let cursor = in_a.next_cursor.clone();
    assert!(cursor.is_some());
    let rest = db
        .list_users(site.id, &UserFilter { group: Some(group("a")) }, &PageRequest { cursor, limit: 10 })
        .await
        .unwrap();
    assert_eq!(listed(rest.items), vec![("a".to_owned(), "u3".to_owned())]);
    assert_eq!(rest.next_cursor, None);
    let in_other = t.other.list_users(other_site.id, &UserFilter::default(), &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed(in_other.items), vec![("a".to_owned(), "stranger".to_owned())]);
    let none = db.list_users(SiteId::random(), &UserFilter::default(), &PageRequest::first(10)).await.unwrap();
    assert!(none.items.is_empty() && none.next_cursor.is_none());
}

const USERS: usize = 10_000;
const GROUPS: u32 = 50;

pub async fn paging_ten_thousand_assigned_users(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "big").await;
    for n in 1..=4 {
        add_online_backend(db, site.id, &format!("mail{n}.example")).await;
    }
    let count = Setting {
        scope: SettingScope::Site(site.id),
        name: setting_name(DEFAULT_GROUP_COUNT),
        value: GROUPS.to_string(),
    };
    db.put_setting(&count).await.unwrap();

    // Assigned through the proxies' path, 16 at a time, alternating between the two handles.
    let names: Vec<String> = (0..USERS).map(|i| format!("user{i:05}@example.com")).collect();
    let handles: [Arc<dyn GeoDb>; 2] = [t.db.clone(), t.other.clone()];
    let assigned: Vec<User> = futures::stream::iter(names.iter().enumerate())
        .map(|(i, name)| {
            let h = handles[i % 2].clone();
            let name = user(name);
            async move { ops::assign_user(&*h, site.id, &name).await.unwrap() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for u in &assigned {
        assert_eq!(u.group, Some(default_group_for(&u.name, GROUPS)), "{}", u.name);
        assert_eq!(u.site_id, site.id);
    }

    let mut seen: Vec<(GroupName, String)> = Vec::with_capacity(USERS);
    let mut request = PageRequest::first(333);
    let mut pages = 0;
    loop {
        let handle = &handles[pages % 2];
        let page = handle.list_users(site.id, &UserFilter::default(), &request).await.unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|u| (u.group.clone().unwrap(), u.name.to_string())));
        match page.next_cursor {
            Some(cursor) => {
                assert_eq!(page.items.len(), 333, "page {pages} is not full");
                request.cursor = Some(cursor);
            }
            None => break,
        }
    }
    assert_eq!(pages, USERS.div_ceil(333));
    assert_eq!(seen.len(), USERS);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "users are not in (group, name) order");
    let unique: HashSet<&str> = seen.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(unique, names.iter().map(String::as_str).collect::<HashSet<_>>());

    // One group's users, paged by name.
    let g7 = GroupName::default_n(7);
    let mut expected: Vec<&str> = seen.iter().filter(|(g, _)| *g == g7).map(|(_, n)| n.as_str()).collect();
    expected.sort_unstable();
    assert!(!expected.is_empty());
    let filter = UserFilter { group: Some(g7.clone()) };
    let mut got = Vec::new();
    let mut request = PageRequest::first(50);
    loop {
        let page = db.list_users(site.id, &filter, &request).await.unwrap();
        assert!(page.items.iter().all(|u| u.group.as_ref() == Some(&g7)));
        got.extend(page.items.iter().map(|u| u.name.to_string()));
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(got, expected);

    // Every default group was created on demand, exactly once.
    let groups = db.list_groups(site.id, &GroupFilter::default(), &PageRequest::first(1000)).await.unwrap();
    assert_eq!(groups.items.len(), GROUPS as usize);
    assert_eq!(ops::group_counts(db, site.id).await.unwrap().values().sum::<u64>(), u64::from(GROUPS));
}
