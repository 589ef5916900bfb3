//! User groups: inserts that never overwrite, sticky flags, deletion refused while moving.

use domain::{BackendId, SiteId, UserGroup};
use geodb::{ConflictKind, GeoDbError, GroupFlags, MoveOutcome};

use super::{TestDb, add_group, add_online_backend, add_site, group};

pub async fn insert_get_and_flags(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let g = add_group(db, site.id, "default-1", b1.id).await;

    assert_eq!(db.get_group(site.id, &g.name).await.unwrap(), Some(g.clone()));
    assert_eq!(db.get_group(site.id, &group("default-2")).await.unwrap(), None);
    assert_eq!(db.get_group(SiteId::random(), &g.name).await.unwrap(), None);
    // A second insert of the name changes nothing.
    let rival = UserGroup::new(site.id, g.name.clone(), b2.id);
    assert!(!t.other.insert_group(&rival).await.unwrap());
    assert_eq!(t.other.get_group(site.id, &g.name).await.unwrap(), Some(g.clone()));
    // The same name in another site is another group.
    let elsewhere = add_site(db, "two").await;
    add_group(db, elsewhere.id, "default-1", BackendId::random()).await;

    let users_only = GroupFlags { sticky_users: Some(true), sticky_backend: None };
    let flagged = db.update_group_flags(site.id, &g.name, &users_only).await.unwrap();
    assert_eq!(flagged, UserGroup { sticky_users: true, ..g.clone() });
    let backend_only = GroupFlags { sticky_users: None, sticky_backend: Some(true) };
    let both = t.other.update_group_flags(site.id, &g.name, &backend_only).await.unwrap();
    assert_eq!(both, UserGroup { sticky_users: true, sticky_backend: true, ..g.clone() });
    let cleared = GroupFlags { sticky_users: Some(false), sticky_backend: Some(false) };
    assert_eq!(db.update_group_flags(site.id, &g.name, &cleared).await.unwrap(), g);
    assert_eq!(db.update_group_flags(site.id, &g.name, &GroupFlags::default()).await.unwrap(), g);
    assert_matches!(
        db.update_group_flags(site.id, &group("nope"), &users_only).await,
        Err(GeoDbError::NotFound { entity: "group", .. })
    );
}

pub async fn delete_refused_while_moving(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let quiet = add_group(db, site.id, "quiet", b1.id).await;
    let busy = add_group(db, site.id, "busy", b1.id).await;

    db.delete_group(site.id, &quiet.name).await.unwrap();
    assert_eq!(db.get_group(site.id, &quiet.name).await.unwrap(), None);
    assert_matches!(db.delete_group(site.id, &quiet.name).await, Err(GeoDbError::NotFound { entity: "group", .. }));

    let started = db.start_group_move(site.id, &busy.name, b1.id, b2.id, "m").await.unwrap();
    assert_matches!(started, MoveOutcome::Applied(_));
    assert_matches!(
        t.other.delete_group(site.id, &busy.name).await,
        Err(GeoDbError::Conflict(ConflictKind::GroupMoving { group })) if group == "busy"
    );
    assert!(db.get_group(site.id, &busy.name).await.unwrap().unwrap().is_moving());
    assert_matches!(db.abort_group_move(site.id, &busy.name, "m").await.unwrap(), MoveOutcome::Applied(_));
    db.delete_group(site.id, &busy.name).await.unwrap();
}
