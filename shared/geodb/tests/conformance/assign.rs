//! `ops::assign_user`: a proxy's first-login assignment, alone and under concurrency.

use std::sync::Arc;

use domain::placement::default_group_for;
use domain::{BackendStatus, GroupName, User};
use futures::StreamExt;
use geodb::{ConflictKind, GeoDb, GeoDbError, ops};

use super::{
    TestDb, add_backend, add_group, add_online_backend, add_site, group_names, set_group_count, user, users_of,
};

pub async fn assign_user_concurrently(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    for n in 1..=3 {
        add_online_backend(db, site.id, &format!("b{n}.example")).await;
    }
    set_group_count(db, site.id, 7).await;
    // No group exists yet: the racing tasks also race to create it.
    let name = user("racer@example.com");
    let handles: [Arc<dyn GeoDb>; 2] = [t.db.clone(), t.other.clone()];
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (h, name) = (handles[i % 2].clone(), name.clone());
            tokio::spawn(async move { ops::assign_user(&*h, site.id, &name).await.unwrap() })
        })
        .collect();
    let results: Vec<User> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    let expected_group = default_group_for(&name, 7);
    assert_eq!(results[0].group, Some(expected_group.clone()));
    assert_eq!(users_of(db, site.id).await, vec![results[0].clone()]);
    assert_eq!(group_names(db, site.id).await, vec![expected_group.to_string()]);

    // Many users at once, each assigned twice: one row each.
    let names: Vec<String> = (0..100).map(|i| format!("crowd{i}@example.com")).collect();
    let assigned: Vec<User> = futures::stream::iter(names.iter().chain(names.iter()).enumerate())
        .map(|(i, n)| {
            let (h, n) = (handles[i % 2].clone(), user(n));
            async move { ops::assign_user(&*h, site.id, &n).await.unwrap() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(assigned.len(), 200);
    assert_eq!(users_of(db, site.id).await.len(), 101);
    assert!(group_names(db, site.id).await.len() <= 7);
}

pub async fn assign_user_keeps_existing_groups(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    let b = add_online_backend(db, site.id, "b1.example").await;
    add_online_backend(db, other_site.id, "o1.example").await;
    set_group_count(db, site.id, 5).await;
    set_group_count(db, other_site.id, 3).await;
    add_group(db, site.id, "custom", b.id).await;

    let custom = User::new(user("custom@example.com"), site.id, GroupName::parse("custom").unwrap());
    assert!(db.insert_user(&custom).await.unwrap());
    assert_eq!(ops::assign_user(db, other_site.id, &custom.name).await.unwrap(), custom);

    // An unassigned user gets its default group in its own site, not the caller's.
    let idle = User { group: None, ..User::new(user("idle@example.com"), other_site.id, GroupName::default_n(1)) };
    assert!(db.insert_user(&idle).await.unwrap());
    let assigned = ops::assign_user(&*t.other, site.id, &idle.name).await.unwrap();
    assert_eq!(assigned, User { group: Some(default_group_for(&idle.name, 3)), ..idle });
    let group = assigned.group.clone().unwrap();
    assert!(db.get_group(other_site.id, &group).await.unwrap().is_some());
    assert_eq!(db.get_user(&assigned.name).await.unwrap(), Some(assigned));
}

pub async fn assign_user_without_destination(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    add_backend(db, site.id, "s.example", BackendStatus::Standby, 100).await;
    let name = user("homeless@example.com");
    assert_matches!(
        ops::assign_user(db, site.id, &name).await,
        Err(GeoDbError::Conflict(ConflictKind::NoDestinationBackend))
    );
    assert_eq!(db.get_user(&name).await.unwrap(), None);
    assert!(group_names(db, site.id).await.is_empty());
}
