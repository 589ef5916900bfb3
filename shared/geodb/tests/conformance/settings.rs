//! Cluster settings: point reads, replacement, listing order, and through `ops` the most
//! specific value for a (site, backend).

use domain::{BackendId, Setting, SettingScope, SiteId};
use geodb::ops;

use super::{TestDb, add_online_backend, add_site, setting_name};

fn setting(scope: SettingScope, name: &str, value: &str) -> Setting {
    Setting { scope, name: setting_name(name), value: value.to_owned() }
}

pub async fn specificity(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    let backend = add_online_backend(db, site.id, "b1.example").await;
    let other_backend = add_online_backend(db, site.id, "b2.example").await;
    let name = setting_name("HOST_FAILURE_RATIO");
    let effective = |site: Option<SiteId>, backend: Option<BackendId>| {
        let (db, name) = (t.other.clone(), name.clone());
        async move { ops::effective_setting(&*db, site, backend, &name).await.unwrap().map(|s| s.value) }
    };

    assert_eq!(effective(Some(site.id), Some(backend.id)).await, None);
    db.put_setting(&setting(SettingScope::Global, "HOST_FAILURE_RATIO", "0.1")).await.unwrap();
    db.put_setting(&setting(SettingScope::Site(other_site.id), "HOST_FAILURE_RATIO", "other-site")).await.unwrap();
    db.put_setting(&setting(SettingScope::Backend(other_backend.id), "HOST_FAILURE_RATIO", "other-b")).await.unwrap();
    db.put_setting(&setting(SettingScope::Site(site.id), "UNRELATED", "x")).await.unwrap();
    assert_eq!(effective(None, None).await.as_deref(), Some("0.1"));
    assert_eq!(effective(Some(site.id), Some(backend.id)).await.as_deref(), Some("0.1"));

    db.put_setting(&setting(SettingScope::Site(site.id), "HOST_FAILURE_RATIO", "0.2")).await.unwrap();
    assert_eq!(effective(Some(site.id), None).await.as_deref(), Some("0.2"));
    assert_eq!(effective(Some(site.id), Some(backend.id)).await.as_deref(), Some("0.2"));
    db.put_setting(&setting(SettingScope::Backend(backend.id), "HOST_FAILURE_RATIO", "0.3")).await.unwrap();
    assert_eq!(effective(Some(site.id), Some(backend.id)).await.as_deref(), Some("0.3"));
    assert_eq!(effective(Some(site.id), None).await.as_deref(), Some("0.2"));
    assert_eq!(effective(Some(other_site.id), None).await.as_deref(), Some("other-site"));
    assert_eq!(effective(Some(SiteId::random()), Some(BackendId::random())).await.as_deref(), Some("0.1"));
    assert_eq!(effective(None, Some(backend.id)).await.as_deref(), Some("0.3"));

    // The effective setting is the stored row, scope included.
    let row = ops::effective_setting(db, Some(site.id), Some(backend.id), &name).await.unwrap();
    assert_eq!(row, Some(setting(SettingScope::Backend(backend.id), "HOST_FAILURE_RATIO", "0.3")));

    assert!(db.delete_setting(SettingScope::Backend(backend.id), &name).await.unwrap());
    assert!(!db.delete_setting(SettingScope::Backend(backend.id), &name).await.unwrap());
    assert_eq!(effective(Some(site.id), Some(backend.id)).await.as_deref(), Some("0.2"));
    assert!(t.other.delete_setting(SettingScope::Site(site.id), &name).await.unwrap());
    assert_eq!(effective(Some(site.id), Some(backend.id)).await.as_deref(), Some("0.1"));
    assert!(db.delete_setting(SettingScope::Global, &name).await.unwrap());
    assert_eq!(effective(Some(site.id), Some(backend.id)).await, None);
}

pub async fn list_delete_and_order(t: &TestDb) {
    let db = &*t.db;
    let (s1, s2) = (SiteId::random(), SiteId::random());
    let (b1, b2) = (BackendId::random(), BackendId::random());
    let rows = vec![
        setting(SettingScope::Backend(b2), "b", "1"),
        setting(SettingScope::Site(s1), "z", "2"),
        setting(SettingScope::Global, "m", "3"),
        setting(SettingScope::Site(s2), "a", "4"),
        setting(SettingScope::Backend(b1), "a", "5"),
        setting(SettingScope::Site(s1), "a", "6"),
        setting(SettingScope::Global, "a", "7"),
        setting(SettingScope::Backend(b2), "a", "8"),
    ];
    for row in &rows {
        db.put_setting(row).await.unwrap();
    }
    let mut expected = rows.clone();
    expected.sort_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
    assert_eq!(t.other.list_settings(None).await.unwrap(), expected);
    assert_eq!(db.list_settings(Some(SettingScope::Site(s1))).await.unwrap(), vec![rows[5].clone(), rows[1].clone()]);
    assert_eq!(db.list_settings(Some(SettingScope::Global)).await.unwrap(), vec![rows[6].clone(), rows[2].clone()]);
    assert!(db.list_settings(Some(SettingScope::Site(SiteId::random()))).await.unwrap().is_empty());

    // A put replaces the value of the same (scope, name).
    let replaced = setting(SettingScope::Site(s1), "z", "changed");
    t.other.put_setting(&replaced).await.unwrap();
    assert_eq!(db.get_setting(SettingScope::Site(s1), &setting_name("z")).await.unwrap(), Some(replaced));
    assert_eq!(db.list_settings(None).await.unwrap().len(), rows.len());
    assert_eq!(db.get_setting(SettingScope::Site(s2), &setting_name("z")).await.unwrap(), None);

    assert!(db.delete_setting(SettingScope::Global, &setting_name("m")).await.unwrap());
    assert!(!db.delete_setting(SettingScope::Global, &setting_name("m")).await.unwrap());
    assert_eq!(db.list_settings(Some(SettingScope::Global)).await.unwrap(), vec![rows[6].clone()]);
}
