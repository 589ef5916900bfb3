//! `geodb::ops` over a real backend: `site init` with and without `--update`, and the
//! proxies' first-login assignment under concurrency.

use std::sync::Arc;

use domain::placement::default_group_for;
use domain::settings::DEFAULT_GROUP_COUNT;
use domain::{BackendStatus, GroupName, Setting, SettingScope, SiteId, User};
use futures::StreamExt;
use geodb::{
    ConflictKind, GeoDb, GeoDbError, GroupFilter, MoveOutcome, PageRequest, UserFilter, ops,
};

use super::{TestDb, add_backend, add_group, add_online_backend, add_site, setting_name, user};

async fn set_group_count(db: &dyn GeoDb, site: SiteId, count: u32) {
    let setting = Setting {
        scope: SettingScope::Site(site),
        name: setting_name(DEFAULT_GROUP_COUNT),
        value: count.to_string(),
    };
    db.put_setting(&setting).await.unwrap();
}

async fn group_names(db: &dyn GeoDb, site: SiteId) -> Vec<String> {
    let page = db
        .list_groups(site, &GroupFilter::default(), &PageRequest::first(1000))
        .await
        .unwrap();
    assert!(page.next_cursor.is_none());
    page.items.into_iter().map(|g| g.name.to_string()).collect()
}

async fn users_of(db: &dyn GeoDb, site: SiteId) -> Vec<User> {
    let page = db
        .list_users(site, &UserFilter::default(), &PageRequest::first(1000))
        .await
        .unwrap();
    assert!(page.next_cursor.is_none());
    page.items
}

fn default_names(count: u32) -> Vec<String> {
    let mut names: Vec<String> = (1..=count)
        .map(|n| GroupName::default_n(n).to_string())
        .collect();
    names.sort();
    names
}

pub async fn init_spreads_groups_by_load_factor(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let a = add_backend(db, site.id, "a.example", BackendStatus::Online, 100).await;
    let b = add_backend(db, site.id, "b.example", BackendStatus::Online, 50).await;
    let standby = add_backend(db, site.id, "c.example", BackendStatus::Standby, 100).await;
    let drained = add_backend(db, site.id, "d.example", BackendStatus::Online, 0).await;
    set_group_count(db, site.id, 30).await;

    let report = ops::init_site(db, site.id, false).await.unwrap();
    assert_eq!(
        report,
        ops::InitReport {
            created: 30,
            deleted: 0,
            users_unassigned: 0
        }
    );
    assert_eq!(group_names(db, site.id).await, default_names(30));
    let counts = ops::group_counts(db, site.id).await.unwrap();
    assert_eq!(counts.get(&a.id), Some(&20));
    assert_eq!(counts.get(&b.id), Some(&10));
    assert_eq!(counts.get(&standby.id), None);
    assert_eq!(counts.get(&drained.id), None);

    // Idempotent, from either handle.
    let again = ops::init_site(&*t.other, site.id, false).await.unwrap();
    assert_eq!(again, ops::InitReport::default());
    assert_eq!(group_names(db, site.id).await.len(), 30);

    // A larger count adds only the missing groups, balancing with the existing ones.
    set_group_count(db, site.id, 33).await;
    let grown = ops::init_site(db, site.id, false).await.unwrap();
    assert_eq!(grown.created, 3);
    let counts = ops::group_counts(db, site.id).await.unwrap();
    assert_eq!(
        counts.get(&a.id).copied().unwrap_or(0) + counts.get(&b.id).copied().unwrap_or(0),
        33
    );
    assert_eq!(counts.get(&a.id), Some(&22));

    assert_matches!(
        ops::init_site(db, SiteId::random(), false).await,
        Err(GeoDbError::NotFound { entity: "site", .. })
    );
}

pub async fn init_without_destination_is_refused(t: &TestDb) {
    let db = &*t.db;
    let empty = add_site(db, "empty").await;
    set_group_count(db, empty.id, 4).await;
    assert_matches!(
        ops::init_site(db, empty.id, false).await,
        Err(GeoDbError::Conflict(ConflictKind::NoDestinationBackend))
    );
    let standby_only = add_site(db, "standby").await;
    add_backend(
        db,
        standby_only.id,
        "s.example",
        BackendStatus::Standby,
        100,
    )
    .await;
    add_backend(db, standby_only.id, "z.example", BackendStatus::Online, 0).await;
    for update in [false, true] {
        assert_matches!(
            ops::init_site(db, standby_only.id, update).await,
            Err(GeoDbError::Conflict(ConflictKind::NoDestinationBackend))
        );
    }
    assert!(group_names(db, standby_only.id).await.is_empty());
}

pub async fn init_update_refused_while_moving(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    set_group_count(db, site.id, 4).await;
    assert_eq!(ops::init_site(db, site.id, false).await.unwrap().created, 4);
    let g2 = db
        .get_group(site.id, &GroupName::default_n(2))
        .await
        .unwrap()
        .unwrap();
    let dest = if g2.backend_id == b1.id { b2.id } else { b1.id };
    let started = db
        .start_group_move(site.id, &g2.name, g2.backend_id, dest, "job")
        .await
        .unwrap();
    assert_matches!(started, MoveOutcome::Applied(_));
    let u = ops::assign_user(db, site.id, &user("kept@example.com"))
        .await
        .unwrap();

    assert_matches!(
        ops::init_site(&*t.other, site.id, true).await,
        Err(GeoDbError::Conflict(ConflictKind::GroupMoving { group })) if group == "default-2"
    );
    // Nothing was changed.
    assert_eq!(group_names(db, site.id).await, default_names(4));
    assert!(
        db.get_group(site.id, &g2.name)
            .await
            .unwrap()
            .unwrap()
            .is_moving()
    );
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(u));
    // A plain init does not care about moves.
    assert_eq!(
        ops::init_site(db, site.id, false).await.unwrap(),
        ops::InitReport::default()
    );
}

pub async fn init_update_resizes_and_unassigns(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    add_online_backend(db, other_site.id, "o1.example").await;
    set_group_count(db, site.id, 6).await;
    set_group_count(db, other_site.id, 2).await;
    assert_eq!(ops::init_site(db, site.id, false).await.unwrap().created, 6);
    assert_eq!(
        ops::init_site(db, other_site.id, false)
            .await
            .unwrap()
            .created,
        2
    );

    for i in 0..40 {
        ops::assign_user(db, site.id, &user(&format!("u{i}@one.example")))
            .await
            .unwrap();
    }
    add_group(db, site.id, "custom", b2.id).await;
    for i in 0..2 {
        let u = User::new(
            user(&format!("c{i}@one.example")),
            site.id,
            domain::GroupName::parse("custom").unwrap(),
        );
        assert!(db.insert_user(&u).await.unwrap());
    }
    let already_unassigned = User {
        group: None,
        ..User::new(user("idle@one.example"), site.id, GroupName::default_n(1))
    };
    assert!(db.insert_user(&already_unassigned).await.unwrap());
    let stranger = ops::assign_user(db, other_site.id, &user("stranger@two.example"))
        .await
        .unwrap();

    set_group_count(db, site.id, 3).await;
    let shrunk = ops::init_site(&*t.other, site.id, true).await.unwrap();
    assert_eq!(
        shrunk,
        ops::InitReport {
            created: 3,
            deleted: 7,
            users_unassigned: 42
        }
    );
    assert_eq!(group_names(db, site.id).await, default_names(3));
    let users = users_of(db, site.id).await;
    assert_eq!(users.len(), 43);
    assert!(
        users.iter().all(|u| u.group.is_none()),
        "every user of the site is unassigned"
    );
    assert_eq!(db.get_user(&stranger.name).await.unwrap(), Some(stranger));
    assert_eq!(group_names(db, other_site.id).await, default_names(2));

    set_group_count(db, site.id, 8).await;
    let grown = ops::init_site(db, site.id, true).await.unwrap();
    assert_eq!(
        grown,
        ops::InitReport {
            created: 8,
            deleted: 3,
            users_unassigned: 0
        }
    );
    assert_eq!(group_names(db, site.id).await, default_names(8));
    // The next login assigns the user again, with the new count.
    let back = ops::assign_user(db, site.id, &user("u7@one.example"))
        .await
        .unwrap();
    assert_eq!(back.group, Some(default_group_for(&back.name, 8)));
}

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
    let results: Vec<User> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    let expected_group = default_group_for(&name, 7);
    assert_eq!(results[0].group, Some(expected_group.clone()));
    assert_eq!(users_of(db, site.id).await, vec![results[0].clone()]);
    assert_eq!(
        group_names(db, site.id).await,
        vec![expected_group.to_string()]
    );

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

    let custom = User::new(
        user("custom@example.com"),
        site.id,
        GroupName::parse("custom").unwrap(),
    );
    assert!(db.insert_user(&custom).await.unwrap());
    assert_eq!(
        ops::assign_user(db, other_site.id, &custom.name)
            .await
            .unwrap(),
        custom
    );

    // An unassigned user gets its default group in its own site, not the caller's.
    let idle = User {
        group: None,
        ..User::new(
            user("idle@example.com"),
            other_site.id,
            GroupName::default_n(1),
        )
    };
    assert!(db.insert_user(&idle).await.unwrap());
    let assigned = ops::assign_user(&*t.other, site.id, &idle.name)
        .await
        .unwrap();
    assert_eq!(
        assigned,
        User {
            group: Some(default_group_for(&idle.name, 3)),
            ..idle
        }
    );
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
