use queue::Priority;

use super::*;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn entry(name: &str, interval_ms: u64) -> ScheduleEntry {
    ScheduleEntry {
        name: name.into(),
        kind: "probe".into(),
        interval_ms,
        priority: Priority::Low,
        payload: serde_json::json!({}),
    }
}

#[test]
fn ticks_align_to_multiples_of_the_interval() {
    assert_eq!(aligned(1000, at(12_345)), at(12_000));
    assert_eq!(aligned(1000, at(12_000)), at(12_000), "a boundary is its own tick");
    assert_eq!(aligned(60_000, at(1_700_000_059_999)), at(1_700_000_040_000));
    assert_eq!(aligned(200, at(1_700_000_000_199)), at(1_700_000_000_000));
    // Every instance computes the same tick, whenever it looks.
    assert!((0..200).all(|offset| aligned(200, at(1_000 + offset)) == at(1_000)));
}

#[test]
fn a_fresh_leader_emits_only_the_latest_tick_of_each_entry() {
    let entries = [entry("fast", 200), entry("slow", 60_000)];
    let due = due_ticks(&entries, &HashMap::new(), at(1_000_000_250));
    let due: Vec<(&str, DateTime<Utc>)> = due.iter().map(|(e, t)| (e.name.as_str(), *t)).collect();
    assert_eq!(due, [("fast", at(1_000_000_200)), ("slow", at(999_960_000))]);
}

#[test]
fn a_tick_is_due_once_until_the_next_boundary() {
    let entries = [entry("fast", 200)];
    let mut last = HashMap::new();
    let now = at(10_050);
    let (_, tick) = due_ticks(&entries, &last, now)[0];
    last.insert("fast".to_owned(), tick);
    assert!(due_ticks(&entries, &last, at(10_199)).is_empty(), "same interval: nothing new");
    assert_eq!(due_ticks(&entries, &last, at(10_200))[0].1, at(10_200));
    // Long after (a stalled leader): only the latest tick, not the ones in between.
    let late = due_ticks(&entries, &last, at(15_999));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].1, at(15_800));
}

#[test]
fn a_later_tick_emitted_by_another_leader_is_not_undone() {
    let entries = [entry("fast", 200)];
    let last = HashMap::from([("fast".to_owned(), at(10_400))]);
    assert!(due_ticks(&entries, &last, at(10_250)).is_empty(), "a clock behind the last tick emits nothing");
}

#[test]
fn the_next_wake_up_is_the_earliest_next_boundary() {
    let entries = [entry("fast", 200), entry("slow", 60_000)];
    assert_eq!(next_tick(&entries, at(59_990)), Some(at(60_000)));
    assert_eq!(next_tick(&entries, at(60_000)), Some(at(60_200)), "strictly after now");
    assert_eq!(next_tick(&[], at(0)), None);
}
