//! Proxy destination statistics: upserts replace rows with the same key, reads cover
//! `since <= window_start < until` of one site, sorted by (window, backend, protocol, proxy).

use chrono::Duration;
use domain::{BackendId, Protocol, ProxyDestStat, SiteId};

use super::{TestDb, add_site, host, now};

pub async fn upsert_replaces_and_reads_the_window(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    let (b1, b2) = (BackendId::random(), BackendId::random());
    let t0 = now();
    let row = |site_id: SiteId, proxy: &str, backend_id, protocol, minute: i64, successes, failures| ProxyDestStat {
        site_id,
        proxy: host(proxy),
        backend_id,
        protocol,
        window_start: t0 + Duration::minutes(minute),
        window_secs: 60,
        successes,
        failures,
    };
    let rows = vec![
        row(site.id, "p2.example", b1, Protocol::Lmtp, 0, 1, 0),
        row(site.id, "p1.example", b1, Protocol::Imap, 0, 10, 1),
        row(site.id, "p1.example", b2, Protocol::Pop3, 0, 7, 7),
        row(site.id, "p1.example", b1, Protocol::Lmtp, 0, 3, 0),
        row(site.id, "p1.example", b1, Protocol::Imap, 1, 20, 2),
        row(site.id, "p1.example", b1, Protocol::Imap, 2, 30, 3),
        row(site.id, "p1.example", b1, Protocol::Imap, -1, 40, 4),
        row(other_site.id, "p1.example", b1, Protocol::Imap, 0, 99, 99),
    ];
    db.upsert_stats(&rows).await.unwrap();
    db.upsert_stats(&[]).await.unwrap();

    let mut expected: Vec<ProxyDestStat> = rows[..5].to_vec();
    expected.sort_by(|a, b| {
        (a.window_start, a.backend_id, a.protocol, &a.proxy).cmp(&(b.window_start, b.backend_id, b.protocol, &b.proxy))
    });
    // `since` is inclusive, `until` exclusive.
    let read = t.other.read_stats(site.id, t0, t0 + Duration::minutes(2)).await.unwrap();
    assert_eq!(read, expected);

    // The same key replaces the counts; a new window adds a row.
    let replaced = ProxyDestStat { successes: 11, failures: 5, window_secs: 30, ..rows[1].clone() };
    let added = row(site.id, "p1.example", b2, Protocol::Imap, 1, 1, 1);
    t.other.upsert_stats(&[replaced.clone(), added.clone()]).await.unwrap();
    let read = db.read_stats(site.id, t0, t0 + Duration::minutes(1)).await.unwrap();
    assert_eq!(read.len(), 4);
    assert!(read.contains(&replaced) && !read.contains(&rows[1]));
    let read = db.read_stats(site.id, t0 + Duration::minutes(1), t0 + Duration::minutes(3)).await.unwrap();
    let mut later = vec![rows[4].clone(), added, rows[5].clone()];
    later.sort_by_key(|a| (a.window_start, a.backend_id));
    assert_eq!(read, later);

    assert_eq!(db.read_stats(other_site.id, t0, t0 + Duration::minutes(5)).await.unwrap(), vec![rows[7].clone()]);
    assert!(db.read_stats(site.id, t0 + Duration::minutes(3), t0 + Duration::minutes(9)).await.unwrap().is_empty());
    assert!(db.read_stats(SiteId::random(), t0, t0 + Duration::minutes(5)).await.unwrap().is_empty());
}
