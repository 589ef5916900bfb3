//! A day of the leader loop on a manual clock, against a real `redis-server`: two instances,
//! schedules of five minutes to a day, every tick exactly once, aligned, by one leader that
//! renewed its lease all day. A day of wall clock runs in a few seconds: the clock moves when
//! both instances wait for time, and Redis answers in real time meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use controller_scheduler::{Scheduler, ticks};
use queue::{JobRecord, Outcome, Priority, Queue, QueueConfig, ScheduleEntry};
use service::Clock;
use testkit::{RedisServer, unique_prefix};
use tokio::sync::watch;

/// Bounds every real-time wait; only a broken test reaches it.
const DEADLINE: Duration = Duration::from_secs(20);
/// Longer than the clock's step, so renewing every third of it keeps the lease all day.
const LEASE_TTL: Duration = Duration::from_secs(15 * 60);
const STEP: Duration = Duration::from_secs(5 * 60);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn entry(name: &str, interval: Duration, priority: Priority) -> ScheduleEntry {
    ScheduleEntry {
        name: name.to_owned(),
        kind: "probe".to_owned(),
        interval_ms: u64::try_from(interval.as_millis()).unwrap(),
        priority,
        payload: serde_json::json!({ "entry": name }),
    }
}

#[tokio::test]
async fn a_day_of_ticks_on_a_manual_clock_each_exactly_once_from_one_leader() {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("leader-clock"))).await.unwrap();
    let entries = vec![
        entry("five-minutes", Duration::from_secs(300), Priority::Low),
        entry("half-hour", Duration::from_secs(1800), Priority::High),
        entry("daily", DAY, Priority::Low),
    ];
    let start = DateTime::parse_from_rfc3339("2026-12-04T12:02:30Z").unwrap().with_timezone(&Utc);
    let clock = Clock::manual(start);

    let (stop, shutdown) = watch::channel(false);
    let instances: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|owner| {
            let scheduler = Scheduler::new(queue.clone(), owner.to_owned(), entries.clone(), LEASE_TTL, clock.clone());
            let shutdown = shutdown.clone();
            tokio::spawn(async move { scheduler.run(shutdown).await })
        })
        .collect();

    // The test is the site's worker: between two steps it runs (and finishes) every job the
    // leader emitted, so no tick finds its previous job still queued.
    let consumers = [queue.consumer(Priority::High, "test-high"), queue.consumer(Priority::Low, "test-low")];
    let mut job_ids = Vec::new();
    let steps = DAY.as_secs() / STEP.as_secs();
    for _ in 0..=steps {
        tokio::time::timeout(DEADLINE, clock.asleep(2)).await.expect("both instances wait for time");
        for consumer in &consumers {
            let deliveries = consumer.fetch(100, Duration::ZERO).await.unwrap();
            if deliveries.is_empty() {
                continue;
            }
            let done: Vec<_> = deliveries.into_iter().map(|d| (d, Outcome::Succeeded(serde_json::json!({})))).collect();
            consumer.complete_many(&done).await.unwrap();
            job_ids.extend(done.into_iter().map(|(d, _)| d.job_id));
        }
        clock.advance(STEP);
    }
    let end = start + TimeDelta::from_std(DAY).unwrap();

    let mut ticks_by_entry: BTreeMap<String, BTreeSet<DateTime<Utc>>> = BTreeMap::new();
    let mut epochs = BTreeSet::new();
    for job_id in &job_ids {
        let record: JobRecord = queue.get(job_id).await.unwrap().expect("every job has its record");
        let name = record.payload["entry"].as_str().unwrap().to_owned();
        let tick = jobs::tick_at(&record.payload).expect("a scheduled job names its tick");
        assert!(ticks_by_entry.entry(name).or_default().insert(tick), "tick {tick} emitted twice");
        epochs.insert(record.epoch.expect("a scheduled job carries its epoch"));
    }
    assert_eq!(epochs.len(), 1, "one leader emitted every tick, without losing its lease: {epochs:?}");

    for entry in &entries {
        // Every aligned tick from the one due at the start up to the end of the day.
        let interval = TimeDelta::milliseconds(i64::try_from(entry.interval_ms).unwrap());
        let mut expected = BTreeSet::new();
        let mut tick = ticks::aligned(entry.interval_ms, start);
        while tick <= end {
            expected.insert(tick);
            tick += interval;
        }
        assert_eq!(ticks_by_entry.get(&entry.name), Some(&expected), "entry {}", entry.name);
    }
    // The daily entry's ticks are at midnight UTC.
    let daily: Vec<String> = ticks_by_entry["daily"].iter().map(|t| t.to_rfc3339()).collect();
    assert_eq!(daily, ["2026-12-04T00:00:00+00:00", "2026-12-05T00:00:00+00:00"]);

    stop.send(true).unwrap();
    for instance in instances {
        tokio::time::timeout(DEADLINE, instance).await.expect("both instances stop when asked").unwrap();
    }
    let status = queue.scheduler_status().await.unwrap();
    assert!(status.leader.is_none(), "the leader released its lease on the way out: {status:?}");
}
