use api_types::{PutReachability, ReachabilityView, StatsView};
use chrono::{Duration, TimeZone, Utc};
use domain::{HostName, Protocol, ProxyDestStat};

use crate::common::{TestApi, problem};

#[tokio::test]
async fn statistics_are_read_over_a_window_with_totals_per_backend() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;
    api.site_with_backends("s2", 1).await;
    let backends = api.db().list_backends(None).await.unwrap();
    let (b1, b2, other) = (&backends[0], &backends[1], &backends[2]);
    assert_eq!(b1.host.as_str(), "b1.s1.test");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let row = |backend: &domain::Backend, proxy: &str, protocol, minute: i64, successes, failures| ProxyDestStat {
        site_id: backend.site_id,
        proxy: HostName::parse(proxy).unwrap(),
        backend_id: backend.id,
        protocol,
        window_start: t0 + Duration::minutes(minute),
        window_secs: 60,
        successes,
        failures,
    };
    api.db()
        .upsert_stats(&[
            row(b1, "p1", Protocol::Imap, 0, 90, 10),
            row(b1, "p2", Protocol::Imap, 1, 10, 90),
            row(b1, "p1", Protocol::Lmtp, 1, 5, 0),
            row(b2, "p1", Protocol::Imap, 2, 50, 0),
            row(b1, "p1", Protocol::Imap, 10, 1, 1),   // outside the window
            row(other, "p9", Protocol::Imap, 1, 1, 1), // another site
        ])
        .await
        .unwrap();

    let window = "since=2026-11-01T12:00:00Z&until=2026-11-01T12:05:00Z";
    let view: StatsView = api.admin.get(&format!("/sites/s1/stats?{window}")).await.unwrap();
    assert_eq!(view.rows.len(), 4);
    assert!(view.rows.iter().all(|r| r.backend.ends_with(".s1.test")));
    let imap_b1 = view.totals.iter().find(|t| t.backend == "b1.s1.test" && t.protocol == Protocol::Imap).unwrap();
    assert_eq!((imap_b1.successes, imap_b1.failures, imap_b1.failure_ratio), (100, 100, Some(0.5)));
    let lmtp_b1 = view.totals.iter().find(|t| t.protocol == Protocol::Lmtp).unwrap();
    assert_eq!(lmtp_b1.failure_ratio, Some(0.0));

    let only_b2: StatsView = api.admin.get(&format!("/sites/s1/stats?{window}&backend=b2.s1.test")).await.unwrap();
    assert_eq!(only_b2.rows.len(), 1);
    assert_eq!(only_b2.totals.len(), 1);

    let p = problem(
        api.admin.get::<StatsView>("/sites/s1/stats?since=2026-11-01T12:05:00Z&until=2026-11-01T12:00:00Z").await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("since")));
    let p = problem(
        api.admin.get::<StatsView>("/sites/s1/stats?since=2026-10-01T00:00:00Z&until=2026-11-01T00:00:00Z").await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("since")));
}

#[tokio::test]
async fn site_reachability_is_recorded_and_filtered() {
    let api = TestApi::start().await;
    for site in ["a", "b", "c"] {
        api.admin.create_site(&api_types::CreateSite { name: site.into(), ..Default::default() }).await.unwrap();
    }
    for (src, dest, reachable) in [("a", "b", true), ("a", "c", false), ("b", "a", true)] {
        let v: ReachabilityView =
            api.admin.put(&format!("/reachability/{src}/{dest}"), &PutReachability { reachable }).await.unwrap();
        assert_eq!((v.src.as_str(), v.dest.as_str(), v.reachable), (src, dest, reachable));
    }
    // Updating a pair replaces its row.
    let _: ReachabilityView = api.admin.put("/reachability/a/c", &PutReachability { reachable: true }).await.unwrap();

    let all: Vec<ReachabilityView> = api.admin.get("/reachability").await.unwrap();
    assert_eq!(all.len(), 3);
    let from_a: Vec<ReachabilityView> = api.admin.get("/reachability?src=a").await.unwrap();
    assert_eq!(from_a.iter().map(|r| (r.dest.as_str(), r.reachable)).collect::<Vec<_>>().len(), 2);
    assert!(from_a.iter().all(|r| r.reachable));
    let to_a: Vec<ReachabilityView> = api.admin.get("/reachability?dest=a").await.unwrap();
    assert_eq!(to_a.len(), 1);
    assert_eq!(to_a[0].src, "b");
    let p =
        problem(api.admin.put::<_, ReachabilityView>("/reachability/a/zz", &PutReachability { reachable: true }).await);
    assert_eq!((p.status, p.field.as_deref()), (404, Some("dest")));
}
