//! `EvacuationProgress::assess` at chosen instants: time is an argument, nothing sleeps.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::*;

const STALL: Duration = Duration::from_secs(120);

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_000_000 + secs)
}

/// Started at 0, last written at `updated`, last group moved at `moved`.
fn progress(state: EvacuationState, updated: i64, moved: Option<i64>) -> EvacuationProgress {
    EvacuationProgress {
        backend_id: Uuid::nil(),
        host: "b1".into(),
        job_id: "job".into(),
        state,
        total: 10,
        moved: 3,
        moving: 2,
        failed: 0,
        started_at: at(0),
        updated_at: at(updated),
        message: None,
        last_moved_at: moved.map(at),
    }
}

fn running() -> EvacuationAssessment {
    EvacuationAssessment { state: EvacuationState::Running, stalled_since: None, why: None }
}

fn stalled_since(a: &EvacuationAssessment) -> Option<DateTime<Utc>> {
    assert_eq!(a.state, EvacuationState::Stalled, "{a:?}");
    assert!(a.why.is_some(), "a stall says why: {a:?}");
    a.stalled_since
}

#[test]
fn only_a_running_evacuation_can_stall() {
    for state in [EvacuationState::Done, EvacuationState::Failed] {
        let a = progress(state, 0, None).assess(at(10_000), None, STALL);
        assert_eq!(a, EvacuationAssessment { state, stalled_since: None, why: None });
    }
}

#[test]
fn a_fresh_heartbeat_and_recent_moves_read_running() {
    let p = progress(EvacuationState::Running, 50, Some(40));
    assert_eq!(p.assess(at(60), Some(at(58)), STALL), running());
    // Exactly three beats of silence is still alive; the limit is "older than".
    assert_eq!(p.assess(at(64), Some(at(58)), STALL), running());
}

#[test]
fn an_old_heartbeat_stalls_since_that_beat() {
    let p = progress(EvacuationState::Running, 50, Some(50));
    let a = p.assess(at(65), Some(at(58)), STALL);
    assert_eq!(stalled_since(&a), Some(at(58)));
    assert!(a.why.unwrap().contains("worker holding it stopped"));
}

#[test]
fn a_missing_heartbeat_stalls_since_the_last_progress_write() {
    let p = progress(EvacuationState::Running, 50, Some(50));
    let a = p.assess(at(57), None, STALL);
    assert_eq!(stalled_since(&a), Some(at(50)));
    assert!(a.why.unwrap().contains("no heartbeat for 7 s"));
}

#[test]
fn a_fresh_progress_write_covers_a_missing_or_old_heartbeat() {
    // The progress is written before the first beat lands, and by the same worker.
    let p = progress(EvacuationState::Running, 50, Some(50));
    assert_eq!(p.assess(at(52), None, STALL), running());
    assert_eq!(p.assess(at(52), Some(at(10)), STALL), running());
}

#[test]
fn no_move_for_longer_than_the_threshold_stalls_since_the_last_move() {
    let p = progress(EvacuationState::Running, 200, Some(70));
    assert_eq!(p.assess(at(190), Some(at(189)), STALL), running(), "exactly the threshold is not a stall");
    let a = p.assess(at(201), Some(at(200)), STALL);
    assert_eq!(stalled_since(&a), Some(at(70)));
    assert!(a.why.unwrap().contains("EVACUATION_STALL_SECS is 120"));
}

#[test]
fn without_any_move_the_stall_counts_from_the_start() {
    // Records of older workers have no `last_moved_at`.
    let p = progress(EvacuationState::Running, 200, None);
    assert_eq!(p.assess(at(120), Some(at(119)), STALL), running());
    assert_eq!(stalled_since(&p.assess(at(121), Some(at(120)), STALL)), Some(at(0)));
}

#[test]
fn a_stopped_worker_is_reported_before_a_slow_evacuation() {
    let p = progress(EvacuationState::Running, 200, Some(0));
    let a = p.assess(at(300), Some(at(200)), STALL);
    assert_eq!(stalled_since(&a), Some(at(200)));
    assert!(a.why.unwrap().contains("heartbeat"));
}

#[test]
fn records_without_last_moved_at_still_parse() {
    let mut json = serde_json::to_value(progress(EvacuationState::Running, 0, None)).unwrap();
    json.as_object_mut().unwrap().remove("last_moved_at");
    let p: EvacuationProgress = serde_json::from_value(json).unwrap();
    assert_eq!(p.last_moved_at, None);
    assert_eq!(EvacuationState::Stalled.as_str(), "stalled");
}
