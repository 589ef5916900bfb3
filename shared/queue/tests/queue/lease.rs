//! Fenced leases and the scheduler's fenced writes: one holder, growing epochs, takeover only
//! after expiry, and a deposed leader can neither emit ticks nor publish its schedule.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use queue::{EnqueueOutcome, Fence, Priority, ScheduleEntry, TickOutcome};

use super::common::{DEADLINE, env};

/// Long enough that a held lease cannot lapse between two steps on a busy machine.
const TTL: Duration = Duration::from_secs(1);

fn entry(name: &str) -> ScheduleEntry {
    ScheduleEntry {
        name: name.into(),
        kind: "health".into(),
        interval_ms: 1000,
        priority: Priority::High,
        payload: serde_json::json!({ "site": 1 }),
    }
}

#[tokio::test]
async fn two_contenders_one_holder_and_epochs_grow_on_each_takeover() {
    let env = env("lease").await;
    let a = env.queue.lease("scheduler", "a", TTL);
    let b = env.queue.lease("scheduler", "b", TTL);
    let fa = a.try_acquire().await.unwrap().expect("free lease is taken");
    assert_eq!(b.try_acquire().await.unwrap(), None, "a held lease is not taken");
    // Re-acquiring our own lease keeps the epoch.
    assert_eq!(a.try_acquire().await.unwrap(), Some(fa.clone()));
    let status = a.status().await.unwrap().unwrap();
    assert_eq!((status.owner.as_str(), status.epoch), ("a", fa.epoch));
    assert!(status.expires_in_ms > 0 && status.expires_in_ms <= 1000);

    // a stops renewing: b takes over only once the lease expired, with a higher epoch.
    let fb = testkit::wait_until_async("b to take over", DEADLINE, || async { b.try_acquire().await.unwrap() }).await;
    assert_eq!(fb.epoch, fa.epoch + 1);
    assert_eq!(env.queue.lease("scheduler", "x", TTL).status().await.unwrap().unwrap().owner, "b");
    assert!(!a.renew(&fa).await.unwrap(), "an expired holder cannot renew");
    assert_eq!(a.try_acquire().await.unwrap(), None);

    b.release(&fb).await.unwrap();
    assert_eq!(b.status().await.unwrap(), None);
    let fa2 = a.try_acquire().await.unwrap().unwrap();
    assert_eq!(fa2.epoch, fb.epoch + 1);
}

#[tokio::test]
async fn renew_and_release_need_the_holders_token() {
    let env = env("lease-guard").await;
    let ttl = Duration::from_secs(1);
    let a = env.queue.lease("scheduler", "a", ttl);
    let b = env.queue.lease("scheduler", "b", Duration::from_secs(60));
    let fa = a.try_acquire().await.unwrap().unwrap();
    let forged = Fence { token: "someone-else".into(), epoch: fa.epoch };
    let before = env.snapshot().await;
    assert!(!b.renew(&forged).await.unwrap(), "renew with another token");
    b.release(&forged).await.unwrap();
    assert!(!a.renew(&Fence { epoch: fa.epoch + 1, ..fa.clone() }).await.unwrap(), "renew with a wrong epoch");
    assert_eq!(env.snapshot().await, before, "a non-owner changed the lease");
    assert_eq!(a.status().await.unwrap().unwrap().owner, "a");

    // The owner's renew extends: the lease outlives its first TTL.
    let until = std::time::Instant::now() + ttl * 2;
    while std::time::Instant::now() < until {
        assert!(a.renew(&fa).await.unwrap());
        assert_eq!(b.try_acquire().await.unwrap(), None);
        tokio::time::sleep(ttl / 4).await; // renewal cadence, not synchronisation
    }
    a.release(&fa).await.unwrap();
    assert!(b.try_acquire().await.unwrap().is_some(), "released lease is free at once");
}

#[tokio::test]
async fn ticks_are_fenced_by_the_lease_and_emitted_once() {
    let env = env("ticks").await;
    let q = &env.queue;
    // Long enough that a's lease cannot lapse between two snapshots on a busy machine.
    let a = q.lease("scheduler", "a", Duration::from_secs(1));
    let fa = a.try_acquire().await.unwrap().unwrap();
    let health = entry("health");
    let t0 = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let t1 = t0 + chrono::Duration::seconds(1);

    let TickOutcome::Emitted(EnqueueOutcome::Enqueued(id)) = q.emit_tick(&fa, &health, t0).await.unwrap() else {
        panic!("first tick not emitted")
    };
    let record = q.get(&id).await.unwrap().unwrap();
    assert_eq!((record.kind.as_str(), record.epoch), ("health", Some(fa.epoch)));
    assert_eq!(record.dedup_key.as_deref(), Some("schedule:health"));
    let before = env.snapshot().await;
    assert_eq!(q.emit_tick(&fa, &health, t0).await.unwrap(), TickOutcome::AlreadyEmitted);
    assert_eq!(
        q.emit_tick(&fa, &health, t0 - chrono::Duration::seconds(5)).await.unwrap(),
        TickOutcome::AlreadyEmitted
    );
    assert_eq!(env.snapshot().await, before, "a repeated tick wrote something");
    // The previous tick's job is still queued: the tick is recorded, the job deduplicated.
    assert_eq!(q.emit_tick(&fa, &health, t1).await.unwrap(), TickOutcome::Emitted(EnqueueOutcome::Duplicate(id)));

    // a's lease expires and b takes over: a's fence is now stale.
    let b = q.lease("scheduler", "b", TTL);
    let fb = testkit::wait_until_async("b to lead", DEADLINE, || async { b.try_acquire().await.unwrap() }).await;
    let t2 = t1 + chrono::Duration::seconds(1);
    let before = env.snapshot().await;
    assert_eq!(q.emit_tick(&fa, &entry("other"), t2).await.unwrap(), TickOutcome::Fenced);
    assert!(!q.publish_schedule(&fa, &[entry("stale")]).await.unwrap());
    assert_eq!(env.snapshot().await, before, "an old epoch wrote something");
    assert!(matches!(q.emit_tick(&fb, &entry("other"), t2).await.unwrap(), TickOutcome::Emitted(_)));

    assert!(q.publish_schedule(&fb, &[health.clone(), entry("other")]).await.unwrap());
    let status = q.scheduler_status().await.unwrap();
    assert_eq!(status.leader.map(|l| (l.owner, l.epoch)), Some(("b".to_owned(), fb.epoch)));
    assert_eq!(status.entries, vec![health, entry("other")]);
    assert_eq!(status.last_ticks, vec![("health".to_owned(), t1), ("other".to_owned(), t2)]);
}
