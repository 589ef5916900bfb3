//! When ticks are due. Pure functions of the schedule, the ticks already emitted and the time,
//! so the timing rules are tested with any clock and no Redis. Ticks are aligned to multiples
//! of the entry's interval since the Unix epoch: every instance computes the same tick times,
//! which is what lets the queue refuse a tick a previous leader already emitted.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use queue::ScheduleEntry;

/// The latest tick of an `interval_ms` schedule at or before `now`.
pub fn aligned(interval_ms: u64, now: DateTime<Utc>) -> DateTime<Utc> {
    let interval = i64::try_from(interval_ms.max(1)).unwrap_or(i64::MAX);
    let ms = now.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms.rem_euclid(interval)).unwrap_or(now)
}

/// The tick each entry should emit now: its latest aligned tick, unless that one (or a later
/// one) was emitted already. Ticks missed while nobody led are skipped on purpose: one run
/// catches up on the state, a burst of runs would only repeat it.
pub fn due_ticks<'a>(
    entries: &'a [ScheduleEntry],
    last_emitted: &HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<(&'a ScheduleEntry, DateTime<Utc>)> {
    entries
        .iter()
        .map(|entry| (entry, aligned(entry.interval_ms, now)))
        .filter(|(entry, tick)| last_emitted.get(&entry.name).is_none_or(|last| last < tick))
        .collect()
}

/// The first tick of any entry strictly after `now`; `None` for an empty schedule.
pub fn next_tick(entries: &[ScheduleEntry], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .map(|entry| {
            let interval = TimeDelta::milliseconds(i64::try_from(entry.interval_ms.max(1)).unwrap_or(i64::MAX));
            aligned(entry.interval_ms, now) + interval
        })
        .min()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "ticks_test.rs"]
mod tests;
