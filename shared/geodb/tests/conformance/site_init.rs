//! `ops::init_site`: `site init` with and without `--update`.

use domain::placement::default_group_for;
use domain::{BackendStatus, GroupName, SiteId, User};
use geodb::{ConflictKind, GeoDbError, MoveOutcome, ops};

use super::{
    TestDb, add_backend, add_group, add_online_backend, add_site, default_names, group_names, set_group_count, user,
    users_of,
};

pub async fn init_spreads_groups_by_load_factor(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let a = add_backend(db, site.id, "a.example", BackendStatus::Online, 100).await;
    let b = add_backend(db, site.id, "b.example", BackendStatus::Online, 50).await;
    let standby = add_backend(db, site.id, "c.example", BackendStatus::Standby, 100).await;
    let drained = add_backend(db, site.id, "d.example", BackendStatus::Online, 0).await;
    set_group_count(db, site.id, 30).await;

    let report = ops::init_site(db, site.id, false).await.unwrap();
    assert_eq!(report, ops::InitReport { created: 30, deleted: 0, users_unassigned: 0 });
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
    assert_eq!(counts.get(&a.id).copied().unwrap_or(0) + counts.get(&b.id).copied().unwrap_or(0), 33);
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
    add_backend(db, standby_only.id, "s.example", BackendStatus::Standby, 100).await;
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
    let g2 = db.get_group(site.id, &GroupName::default_n(2)).await.unwrap().unwrap();
    let dest = if g2.backend_id == b1.id { b2.id } else { b1.id };
    let started = db.start_group_move(site.id, &g2.name, g2.backend_id, dest, "job").await.unwrap();
    assert_matches!(started, MoveOutcome::Applied(_));
    let u = ops::assign_user(db, site.id, &user("kept@example.com")).await.unwrap();

    assert_matches!(
        ops::init_site(&*t.other, site.id, true).await,
        Err(GeoDbError::Conflict(ConflictKind::GroupMoving { group })) if group == "default-2"
    );
    // Nothing was changed.
    assert_eq!(group_names(db, site.id).await, default_names(4));
    assert!(db.get_group(site.id, &g2.name).await.unwrap().unwrap().is_moving());
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(u));
    // A plain init does not care about moves.
    assert_eq!(ops::init_site(db, site.id, false).await.unwrap(), ops::InitReport::default());
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
    assert_eq!(ops::init_site(db, other_site.id, false).await.unwrap().created, 2);

    for i in 0..40 {
        ops::assign_user(db, site.id, &user(&format!("u{i}@one.example"))).await.unwrap();
    }
    add_group(db, site.id, "custom", b2.id).await;
    for i in 0..2 {
        let u = User::new(user(&format!("c{i}@one.example")), site.id, domain::GroupName::parse("custom").unwrap());
        assert!(db.insert_user(&u).await.unwrap());
    }
    let already_unassigned =
        User { group: None, ..User::new(user("idle@one.example"), site.id, GroupName::default_n(1)) };
    assert!(db.insert_user(&already_unassigned).await.unwrap());
    let stranger = ops::assign_user(db, other_site.id, &user("stranger@two.example")).await.unwrap();

    set_group_count(db, site.id, 3).await;
    let shrunk = ops::init_site(&*t.other, site.id, true).await.unwrap();
    assert_eq!(shrunk, ops::InitReport { created: 3, deleted: 7, users_unassigned: 42 });
    assert_eq!(group_names(db, site.id).await, default_names(3));
    let users = users_of(db, site.id).await;
    assert_eq!(users.len(), 43);
    assert!(users.iter().all(|u| u.group.is_none()), "every user of the site is unassigned");
    assert_eq!(db.get_user(&stranger.name).await.unwrap(), Some(stranger));
    assert_eq!(group_names(db, other_site.id).await, default_names(2));

    set_group_count(db, site.id, 8).await;
    let grown = ops::init_site(db, site.id, true).await.unwrap();
    assert_eq!(grown, ops::InitReport { created: 8, deleted: 3, users_unassigned: 0 });
    assert_eq!(group_names(db, site.id).await, default_names(8));
    // The next login assigns the user again, with the new count.
    let back = ops::assign_user(db, site.id, &user("u7@one.example")).await.unwrap();
    assert_eq!(back.group, Some(default_group_for(&back.name, 8)));
}
