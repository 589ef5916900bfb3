use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Clock;

/// A bound on waits for other tasks in real time: generous, it only ends a broken test.
const DEADLINE: Duration = Duration::from_secs(10);

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_manual_clock_moves_only_when_advanced_and_both_readings_move_together() {
    let clock = Clock::manual(start());
    let (wall, instant) = (clock.now(), clock.instant());
    assert_eq!(wall, start());
    // Real time passes (a Redis round trip, say); the manual clock does not.
    tokio::task::yield_now().await;
    assert_eq!(clock.now(), wall);
    assert_eq!(clock.instant(), instant);

    clock.advance(Duration::from_millis(90_500));
    assert_eq!(clock.now(), start() + TimeDelta::milliseconds(90_500));
    assert_eq!(clock.instant() - instant, Duration::from_millis(90_500));
}

#[tokio::test]
async fn a_sleeper_wakes_exactly_when_the_clock_passes_its_deadline() {
    let clock = Clock::manual(start());
    let sleeper = tokio::spawn({
        let clock = clock.clone();
        async move {
            clock.sleep(Duration::from_secs(10)).await;
            clock.now()
        }
    });
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.unwrap();
    clock.advance(Duration::from_secs(9));
    // Still asleep (its deadline lies ahead), and it has not finished.
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.unwrap();
    assert!(!sleeper.is_finished());

    clock.advance(Duration::from_secs(1));
    let woke_at = tokio::time::timeout(DEADLINE, sleeper).await.unwrap().unwrap();
    assert_eq!(woke_at, start() + TimeDelta::seconds(10));
    // A cancelled or finished sleep is not counted any more.
    tokio::time::timeout(DEADLINE, clock.asleep(0)).await.unwrap();
}

#[tokio::test]
async fn run_for_drives_a_periodic_loop_through_every_period_without_skipping_one() {
    let clock = Clock::manual(start());
    let seen: Arc<Mutex<Vec<DateTime<Utc>>>> = Arc::default();
    let periodic = tokio::spawn({
        let (clock, seen) = (clock.clone(), seen.clone());
        async move {
            loop {
                clock.sleep(Duration::from_secs(60)).await;
                // Work between two sleeps: the clock must not move meanwhile.
                let at = clock.now();
                tokio::task::yield_now().await;
                assert_eq!(clock.now(), at, "the clock moved while the loop worked");
                seen.lock().unwrap().push(at);
            }
        }
    });
    // One step of 60 s at a time: each step wakes the loop once.
    tokio::time::timeout(DEADLINE, clock.run_for(Duration::from_secs(3600), Duration::from_secs(60), 1)).await.unwrap();
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.unwrap();
    assert!(!periodic.is_finished(), "the loop failed: {periodic:?}");
    periodic.abort();

    let seen = seen.lock().unwrap().clone();
    let expected: Vec<DateTime<Utc>> = (1..=60).map(|minute| start() + TimeDelta::minutes(minute)).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_system_clock_reads_the_wall_clock_and_never_waits_for_sleepers() {
    let clock = Clock::system();
    let before = Utc::now();
    let now = clock.now();
    assert!(before <= now && now <= Utc::now());
    tokio::time::timeout(DEADLINE, clock.asleep(3)).await.unwrap();
    clock.advance(Duration::from_secs(3600));
    assert!(clock.now() < Utc::now() + TimeDelta::minutes(1), "advance must not move the system clock");
}
