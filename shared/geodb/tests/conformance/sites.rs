//! Sites: unique names, partial updates, and deletion that is refused while the site has
//! backends or users and otherwise takes the site's groups, settings, reachability and stats.

use chrono::Duration;
use domain::{
    BackendId, Protocol, ProxyDestStat, Setting, SettingScope, Site, SiteId, SiteReachability, SiteStatus, Tag, TagId,
    User, UserGroup,
};
use geodb::{ConflictKind, GeoDbError, GroupFilter, PageRequest, SiteUpdate};

use super::{TestDb, add_online_backend, add_site, group, host, now, setting_name, site_name, tag_name, user};

pub async fn crud_and_sorting(t: &TestDb) {
    let db = &*t.db;
    let zulu = add_site(db, "zulu").await;
    let alpha = add_site(db, "alpha").await;
    let mike = add_site(db, "mike").await;
    assert_eq!(zulu.status, SiteStatus::Online);
    assert_eq!(db.get_site(alpha.id).await.unwrap(), Some(alpha.clone()));
    assert_eq!(db.get_site_by_name(&site_name("mike")).await.unwrap(), Some(mike.clone()));
    assert_eq!(db.get_site(SiteId::random()).await.unwrap(), None);
    assert_eq!(db.get_site_by_name(&site_name("nowhere")).await.unwrap(), None);
    assert_eq!(db.list_sites().await.unwrap(), vec![alpha.clone(), mike.clone(), zulu.clone()]);

    let same_name = Site::new(site_name("alpha"));
    assert_matches!(db.insert_site(&same_name).await, Err(GeoDbError::AlreadyExists { entity: "site", .. }));
    let same_id = Site { id: zulu.id, ..Site::new(site_name("yankee")) };
    assert_matches!(t.other.insert_site(&same_id).await, Err(GeoDbError::AlreadyExists { entity: "site", .. }));
    assert_eq!(db.list_sites().await.unwrap().len(), 3);

    // Every field round-trips.
    let full = Site {
        tag: Some(TagId::random()),
        load_balancer: Some(host("lb.full.example")),
        status: SiteStatus::Evacuate,
        ..Site::new(site_name("full"))
    };
    db.insert_site(&full).await.unwrap();
    assert_eq!(t.other.get_site(full.id).await.unwrap(), Some(full));
}

pub async fn updates(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "paris").await;
    add_site(db, "berlin").await;
    let tag = Tag { id: TagId::random(), name: tag_name("eu") };
    db.insert_tag(&tag).await.unwrap();

    assert_eq!(db.update_site(site.id, &SiteUpdate::default()).await.unwrap(), site);
    let updated = db
        .update_site(
            site.id,
            &SiteUpdate {
                status: Some(SiteStatus::Standby),
                load_balancer: Some(Some(host("lb.paris.example"))),
                tag: Some(Some(tag.id)),
                name: None,
            },
        )
        .await
        .unwrap();
    let expected = Site {
        status: SiteStatus::Standby,
        load_balancer: Some(host("lb.paris.example")),
        tag: Some(tag.id),
        ..site.clone()
    };
    assert_eq!(updated, expected);
    assert_eq!(t.other.get_site(site.id).await.unwrap(), Some(expected.clone()));

    // Only the given fields change; Some(None) clears.
    let cleared = db
        .update_site(site.id, &SiteUpdate { load_balancer: Some(None), tag: Some(None), ..SiteUpdate::default() })
        .await
        .unwrap();
    assert_eq!(cleared, Site { load_balancer: None, tag: None, ..expected });

    let renamed = db
        .update_site(site.id, &SiteUpdate { name: Some(site_name("paris-2")), ..SiteUpdate::default() })
        .await
        .unwrap();
    assert_eq!(renamed.name, site_name("paris-2"));
    assert_eq!(db.get_site_by_name(&site_name("paris-2")).await.unwrap().map(|s| s.id), Some(site.id));
    assert_eq!(db.get_site_by_name(&site_name("paris")).await.unwrap(), None);

    let taken = SiteUpdate { name: Some(site_name("berlin")), ..SiteUpdate::default() };
    assert_matches!(db.update_site(site.id, &taken).await, Err(GeoDbError::AlreadyExists { entity: "site", .. }));
    assert_eq!(db.get_site(site.id).await.unwrap(), Some(renamed));
    assert_matches!(
        db.update_site(SiteId::random(), &SiteUpdate::default()).await,
        Err(GeoDbError::NotFound { entity: "site", .. })
    );
}

pub async fn delete_refused_while_not_empty(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "busy").await;
    let b1 = add_online_backend(db, site.id, "b1.busy.example").await;
    add_online_backend(db, site.id, "b2.busy.example").await;
    assert_matches!(
        db.delete_site(site.id).await,
        Err(GeoDbError::Conflict(ConflictKind::SiteNotEmpty { backends: 2, has_users: false }))
    );
    let u = User::new(user("someone@busy.example"), site.id, group("default-1"));
    assert!(db.insert_user(&u).await.unwrap());
    assert_matches!(
        t.other.delete_site(site.id).await,
        Err(GeoDbError::Conflict(ConflictKind::SiteNotEmpty { backends: 2, has_users: true }))
    );
    for b in db.list_backends(Some(site.id)).await.unwrap() {
        db.delete_backend(b.id).await.unwrap();
    }
    // An unassigned user still belongs to the site.
    db.set_user_group(&u.name, None).await.unwrap();
    assert_matches!(
        db.delete_site(site.id).await,
        Err(GeoDbError::Conflict(ConflictKind::SiteNotEmpty { backends: 0, has_users: true }))
    );
    assert!(db.delete_user(&u.name).await.unwrap());
    db.delete_site(site.id).await.unwrap();
    assert_eq!(db.get_site(site.id).await.unwrap(), None);
    assert_eq!(db.get_backend(b1.id).await.unwrap(), None);
    assert_matches!(db.delete_site(site.id).await, Err(GeoDbError::NotFound { entity: "site", .. }));
}

pub async fn delete_removes_dependent_rows(t: &TestDb) {
    let db = &*t.db;
    let doomed = add_site(db, "doomed").await;
    let kept = add_site(db, "kept").await;
    let name = setting_name("HOST_FAILURE_RATIO");
    let put = |scope, value: &str| Setting { scope, name: name.clone(), value: value.to_owned() };
    db.put_setting(&put(SettingScope::Global, "0.5")).await.unwrap();
    db.put_setting(&put(SettingScope::Site(doomed.id), "0.6")).await.unwrap();
    db.put_setting(&put(SettingScope::Site(kept.id), "0.7")).await.unwrap();
    let at = now();
    for (src, dest) in [(doomed.id, kept.id), (kept.id, doomed.id), (kept.id, kept.id)] {
        let row = SiteReachability { src_site_id: src, dest_site_id: dest, reachable: true, updated_at: at };
        db.put_site_reachability(&row).await.unwrap();
    }
    let stat = |site| ProxyDestStat {
        site_id: site,
        proxy: host("proxy1.example"),
        backend_id: BackendId::random(),
        protocol: Protocol::Imap,
        window_start: at,
        window_secs: 60,
        successes: 5,
        failures: 1,
    };
    let (doomed_stat, kept_stat) = (stat(doomed.id), stat(kept.id));
    db.upsert_stats(&[doomed_stat, kept_stat.clone()]).await.unwrap();
    // A stale group whose backend is already gone.
    assert!(db.insert_group(&UserGroup::new(doomed.id, group("stale"), BackendId::random())).await.unwrap());

    db.delete_site(doomed.id).await.unwrap();

    let settings = db.list_settings(None).await.unwrap();
    assert_eq!(settings, vec![put(SettingScope::Global, "0.5"), put(SettingScope::Site(kept.id), "0.7")]);
    let reach = db.list_site_reachability(None, None).await.unwrap();
    assert_eq!(reach.len(), 1);
    assert_eq!((reach[0].src_site_id, reach[0].dest_site_id), (kept.id, kept.id));
    let window = (at - Duration::minutes(1), at + Duration::minutes(1));
    assert!(db.read_stats(doomed.id, window.0, window.1).await.unwrap().is_empty());
    assert_eq!(db.read_stats(kept.id, window.0, window.1).await.unwrap(), vec![kept_stat]);
    let groups = db.list_groups(doomed.id, &GroupFilter::default(), &PageRequest::first(10)).await.unwrap();
    assert!(groups.items.is_empty() && groups.next_cursor.is_none());

    // The site can be added again from scratch, with nothing left over.
    db.insert_site(&doomed).await.unwrap();
    assert!(db.list_settings(Some(SettingScope::Site(doomed.id))).await.unwrap().is_empty());
    assert!(db.list_site_reachability(Some(doomed.id), None).await.unwrap().is_empty());
}
