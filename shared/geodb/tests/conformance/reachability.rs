//! Site reachability rows: one per (src, dest), replaced by a put, filtered by either end.

use chrono::Duration;
use domain::SiteReachability;

use super::{TestDb, add_site, now};

pub async fn put_and_filter(t: &TestDb) {
    let db = &*t.db;
    let a = add_site(db, "a").await;
    let b = add_site(db, "b").await;
    let c = add_site(db, "c").await;
    let at = now();
    let row = |src: &domain::Site, dest: &domain::Site, reachable| SiteReachability {
        src_site_id: src.id,
        dest_site_id: dest.id,
        reachable,
        updated_at: at,
    };
    for r in [row(&a, &b, true), row(&a, &c, false), row(&b, &a, true)] {
        db.put_site_reachability(&r).await.unwrap();
    }
    let replaced = SiteReachability { reachable: false, updated_at: at + Duration::seconds(30), ..row(&a, &b, true) };
    t.other.put_site_reachability(&replaced).await.unwrap();

    let mut all = vec![replaced.clone(), row(&a, &c, false), row(&b, &a, true)];
    all.sort_by_key(|r| (r.src_site_id, r.dest_site_id));
    assert_eq!(db.list_site_reachability(None, None).await.unwrap(), all);
    let mut from_a = vec![replaced.clone(), row(&a, &c, false)];
    from_a.sort_by_key(|r| r.dest_site_id);
    assert_eq!(t.other.list_site_reachability(Some(a.id), None).await.unwrap(), from_a);
    assert_eq!(db.list_site_reachability(None, Some(a.id)).await.unwrap(), vec![row(&b, &a, true)]);
    assert_eq!(db.list_site_reachability(Some(a.id), Some(c.id)).await.unwrap(), vec![row(&a, &c, false)]);
    assert!(db.list_site_reachability(Some(c.id), None).await.unwrap().is_empty());
    assert!(db.list_site_reachability(Some(b.id), Some(c.id)).await.unwrap().is_empty());
}
