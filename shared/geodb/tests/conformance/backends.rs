//! Backends: hosts unique across sites, the site must exist, partial updates, and deletion
//! refused while groups live on or move to the backend.

use domain::{Backend, BackendId, BackendStatus, LoadFactor, Setting, SettingScope, SiteId};
use geodb::{BackendUpdate, ConflictKind, GeoDbError, MoveOutcome};

use super::{TestDb, add_backend, add_group, add_online_backend, add_site, group, host, now, setting_name};

pub async fn crud_and_sorting(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    let c = add_backend(db, one.id, "c.example", BackendStatus::Standby, 100).await;
    let a = add_backend(db, two.id, "a.example", BackendStatus::Online, 50).await;
    let b = add_backend(db, one.id, "b.example", BackendStatus::Offline, 0).await;

    assert_eq!(db.get_backend(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(db.get_backend_by_host(&host("b.example")).await.unwrap(), Some(b.clone()));
    assert_eq!(db.get_backend(BackendId::random()).await.unwrap(), None);
    assert_eq!(db.get_backend_by_host(&host("z.example")).await.unwrap(), None);
    assert_eq!(db.list_backends(None).await.unwrap(), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(t.other.list_backends(Some(one.id)).await.unwrap(), vec![b, c]);
    assert_eq!(db.list_backends(Some(two.id)).await.unwrap(), vec![a]);
    assert!(db.list_backends(Some(SiteId::random())).await.unwrap().is_empty());
    // A new backend is standby with full load factor, as doveadm makes it.
    let fresh = Backend::new(one.id, host("d.example"));
    db.insert_backend(&fresh).await.unwrap();
    let stored = db.get_backend(fresh.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.load_factor), (BackendStatus::Standby, LoadFactor::MAX));
}

pub async fn duplicate_host_and_unknown_site(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    let first = add_online_backend(db, one.id, "mail1.example").await;

    let same_host = Backend::new(two.id, host("mail1.example"));
    assert_matches!(db.insert_backend(&same_host).await, Err(GeoDbError::AlreadyExists { entity: "backend", .. }));
    let same_id = Backend { id: first.id, ..Backend::new(two.id, host("mail2.example")) };
    assert_matches!(t.other.insert_backend(&same_id).await, Err(GeoDbError::AlreadyExists { entity: "backend", .. }));
    let orphan = Backend::new(SiteId::random(), host("mail3.example"));
    assert_matches!(db.insert_backend(&orphan).await, Err(GeoDbError::NotFound { entity: "site", .. }));
    assert_eq!(db.list_backends(None).await.unwrap(), vec![first]);
    assert!(db.list_backends(Some(two.id)).await.unwrap().is_empty());
}

pub async fn updates(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b = add_backend(db, site.id, "mail.example", BackendStatus::Standby, 100).await;

    assert_eq!(db.update_backend(b.id, &BackendUpdate::default()).await.unwrap(), b);
    let online = db
        .update_backend(b.id, &BackendUpdate { status: Some(BackendStatus::Online), load_factor: None })
        .await
        .unwrap();
    assert_eq!(online, Backend { status: BackendStatus::Online, ..b.clone() });
    let drained =
        db.update_backend(b.id, &BackendUpdate { status: None, load_factor: Some(LoadFactor::DRAIN) }).await.unwrap();
    assert_eq!(drained, Backend { status: BackendStatus::Online, load_factor: LoadFactor::DRAIN, ..b.clone() });
    assert_eq!(t.other.get_backend(b.id).await.unwrap(), Some(drained));
    let both = BackendUpdate { status: Some(BackendStatus::Offline), load_factor: Some(LoadFactor::new(30).unwrap()) };
    let offline = t.other.update_backend(b.id, &both).await.unwrap();
    assert_eq!((offline.status, offline.load_factor.get()), (BackendStatus::Offline, 30));
    assert_matches!(
        db.update_backend(BackendId::random(), &both).await,
        Err(GeoDbError::NotFound { entity: "backend", .. })
    );
}

pub async fn delete_refused_while_in_use(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let spare = add_online_backend(db, site.id, "spare.example").await;
    let g = add_group(db, site.id, "default-1", b1.id).await;
    let name = setting_name("HOST_FAILURE_RATIO");
    let setting = |id| Setting { scope: SettingScope::Backend(id), name: name.clone(), value: "0.3".into() };
    db.put_setting(&setting(b1.id)).await.unwrap();
    db.put_setting(&setting(spare.id)).await.unwrap();

    assert_matches!(
        db.delete_backend(b1.id).await,
        Err(GeoDbError::Conflict(ConflictKind::BackendInUse { groups: 1 }))
    );
    let started = db.start_group_move(site.id, &g.name, b1.id, b2.id, "job-1").await.unwrap();
    assert_matches!(started, MoveOutcome::Applied(_));
    // The destination of a move in progress is in use too.
    assert_matches!(
        t.other.delete_backend(b2.id).await,
        Err(GeoDbError::Conflict(ConflictKind::BackendInUse { groups: 1 }))
    );
    let finished = db.finish_group_move(site.id, &g.name, "job-1", now()).await.unwrap();
    assert_matches!(finished, MoveOutcome::Applied(g) if g.backend_id == b2.id && g.alt_backend_id == Some(b1.id));
    // After the move, alt_backend_id remembers b1, which no longer holds the group.
    db.delete_backend(b1.id).await.unwrap();
    assert_eq!(db.get_backend(b1.id).await.unwrap(), None);
    assert_eq!(db.get_setting(SettingScope::Backend(b1.id), &name).await.unwrap(), None);
    assert_matches!(
        db.delete_backend(b2.id).await,
        Err(GeoDbError::Conflict(ConflictKind::BackendInUse { groups: 1 }))
    );
    db.delete_backend(spare.id).await.unwrap();
    assert_eq!(db.list_settings(None).await.unwrap(), vec![]);
    assert_matches!(db.delete_backend(spare.id).await, Err(GeoDbError::NotFound { entity: "backend", .. }));
    db.delete_group(site.id, &group("default-1")).await.unwrap();
    db.delete_backend(b2.id).await.unwrap();
    assert!(db.list_backends(Some(site.id)).await.unwrap().is_empty());
}
