//! The singleton scheduler: of three instances started together exactly one leads, no tick is
//! ever emitted twice, and when the leader is SIGKILLed a standby takes over within the lease
//! time with a larger epoch, again without a duplicate tick.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use queue::{JobRecord, LeaseStatus, Priority};
use testkit::wait_until_async;

use crate::queue_harness::{LEASE_TTL, Process, Site};

const INTERVAL_MS: i64 = 200;

#[tokio::test]
async fn one_leader_no_duplicate_ticks_and_a_fast_takeover() {
    let site = Site::start("scheduler").await;
    let entries =
        format!(r#"[{{"name":"fast","kind":"probe","interval_ms":{INTERVAL_MS},"payload":{{"marker":"tick"}}}}]"#);
    let env = [("SCHEDULER_ENTRIES", entries.as_str())];
    let mut schedulers: Vec<Process> = (0..3).map(|_| site.scheduler(&env)).collect();
    // Each tick's job runs and finishes long before the next tick, so the entry's dedup key
    // never swallows a tick.
    let _worker = site.worker(Priority::Low, 8, &[]);

    let first = leader(&site, Duration::from_secs(20), |_| true).await;
    let pids: Vec<u32> = schedulers.iter().map(Process::pid).collect();
    let leader_index = pids.iter().position(|pid| owner_pid(&first) == *pid).expect("the leader is one of ours");

    // About 15 intervals of ticks.
    site.wait_for_marker("tick", 15, Duration::from_secs(30)).await;
    let before = ticks_by_epoch(&site).await;
    assert_eq!(before.keys().copied().collect::<Vec<_>>(), [first.epoch], "one leader emitted every tick");

    // SIGKILL the leader: its lease lapses, one of the standbys takes over.
    schedulers[leader_index].sigkill();
    let killed_at = Instant::now();
    let second = leader(&site, LEASE_TTL + Duration::from_secs(2), |s| s.epoch > first.epoch).await;
    let takeover = killed_at.elapsed();
    eprintln!(
        "standby took over {} ms after the leader was killed (lease ttl {} ms)",
        takeover.as_millis(),
        LEASE_TTL.as_millis()
    );
    assert_ne!(owner_pid(&second), owner_pid(&first));
    assert!(pids.contains(&owner_pid(&second)));

    let ticks_after = site.marker("tick").await + 10;
    site.wait_for_marker("tick", ticks_after, Duration::from_secs(30)).await;
    let after = ticks_by_epoch(&site).await;
    assert_eq!(after.keys().copied().collect::<Vec<_>>(), [first.epoch, second.epoch], "{after:?}");
    let last_of_first = after[&first.epoch].iter().max().copied();
    let first_of_second = after[&second.epoch].iter().min().copied();
    assert!(last_of_first < first_of_second, "the new leader only emits later ticks");
    let alive = schedulers.iter_mut().map(Process::is_running).filter(|running| *running).count();
    assert_eq!(alive, 2, "the two standbys are still running");

    // SIGTERM releases the lease: the last standby takes over within a beat (a third of the
    // lease), not when the lease would have expired (two thirds to all of it).
    let second_index = pids.iter().position(|pid| owner_pid(&second) == *pid).expect("one of ours");
    schedulers[second_index].sigterm();
    let terminated_at = Instant::now();
    let third = leader(&site, LEASE_TTL * 2, |s| s.epoch > second.epoch).await;
    let handover = terminated_at.elapsed();
    eprintln!("after SIGTERM the lease was handed over in {} ms", handover.as_millis());
    assert!(handover < LEASE_TTL * 2 / 3, "handed over after {handover:?}: the lease was not released");
    let status = schedulers[second_index].wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
    assert!(![owner_pid(&first), owner_pid(&second)].contains(&owner_pid(&third)));
    ticks_by_epoch(&site).await;
}

/// Waits for a leader that satisfies `accept`.
async fn leader(site: &Site, timeout: Duration, accept: impl Fn(&LeaseStatus) -> bool) -> LeaseStatus {
    wait_until_async("a scheduler to lead", timeout, || async {
        site.queue.scheduler_status().await.ok()?.leader.filter(|l| accept(l))
    })
    .await
}

fn owner_pid(status: &LeaseStatus) -> u32 {
    status.owner.split(':').nth(1).and_then(|pid| pid.parse().ok()).expect("owner is host:pid:random")
}

/// Every emitted tick by the epoch of the leader that emitted it, checking on the way that no
/// tick has two jobs and that every tick is aligned to the interval.
async fn ticks_by_epoch(site: &Site) -> BTreeMap<u64, BTreeSet<DateTime<Utc>>> {
    let mut records: Vec<JobRecord> = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = site.queue.list(None, Some("probe"), cursor.as_deref(), 1000).await.expect("list the jobs");
        records.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut by_epoch: BTreeMap<u64, BTreeSet<DateTime<Utc>>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for record in &records {
        let tick =
            jobs::tick_at(&record.payload).unwrap_or_else(|| panic!("a scheduled job without its tick: {record:?}"));
        assert_eq!(tick.timestamp_millis() % INTERVAL_MS, 0, "tick {tick} is not aligned");
        assert!(seen.insert(tick), "tick {tick} was emitted twice");
        by_epoch.entry(record.epoch.expect("a scheduled job carries its epoch")).or_default().insert(tick);
    }
    by_epoch
}
