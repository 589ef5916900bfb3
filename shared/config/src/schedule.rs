//! `SCHEDULER_ENTRIES`: the scheduler's periodic jobs as a JSON array. Each entry's kind and
//! payload go through `jobs::validate`, exactly as an enqueue through the API would, so a bad
//! schedule stops the scheduler at start-up instead of filling the dead letters later. Every
//! problem of every entry is reported in one message.

use std::collections::HashSet;

use queue::{Priority, ScheduleEntry};
use serde::Deserialize;

/// A canary probe a minute proves that the scheduler, the queue and the low-priority workers work
/// together; the reachability probe every 10 s (high priority) is what keeps moves away from
/// backends the controller cannot reach; load balancing runs every minute (the `load_balancing`
/// feature state decides whether it does anything).
pub(crate) const DEFAULT: &str = r#"[{"name":"probe-canary","kind":"probe","interval_ms":60000,"priority":"low","payload":{}},{"name":"reachability","kind":"reachability","interval_ms":10000,"priority":"high","payload":{}},{"name":"load-balance","kind":"load_balance","interval_ms":60000,"priority":"low","payload":{}},{"name":"error-mitigation","kind":"error_mitigation","interval_ms":60000,"priority":"high","payload":{}},{"name":"site-failover","kind":"site_failover","interval_ms":60000,"priority":"high","payload":{}},{"name":"autoscale","kind":"autoscale","interval_ms":300000,"priority":"low","payload":{}},{"name":"group-balance-plan","kind":"group_balance_plan","interval_ms":86400000,"priority":"low","payload":{}},{"name":"group-balance-pass","kind":"group_balance_pass","interval_ms":1800000,"priority":"low","payload":{}}]"#;

/// The name of the load-balancing entry, whose interval `LOAD_BALANCE_INTERVAL_SECS` sets.
pub(crate) const LOAD_BALANCE_ENTRY: &str = "load-balance";

/// The name of the error-mitigation entry (every minute, high priority: it gets users off failing
/// backends; the `error_mitigation` feature state decides whether it does anything), whose
/// interval `ERROR_MITIGATION_INTERVAL_SECS` sets.
pub(crate) const ERROR_MITIGATION_ENTRY: &str = "error-mitigation";

/// The name of the site-failover entry (every minute, high priority), whose interval
/// `SITE_FAILOVER_INTERVAL_SECS` sets.
pub(crate) const SITE_FAILOVER_ENTRY: &str = "site-failover";

/// The name of the autoscale entry (every 5 minutes, low priority), whose interval
/// `AUTOSCALE_INTERVAL_SECS` sets.
pub(crate) const AUTOSCALE_ENTRY: &str = "autoscale";

/// The name of the group-size planning entry (daily; ticks are aligned to the epoch, so at
/// 00:00 UTC), whose interval `GROUP_BALANCE_PLAN_INTERVAL_SECS` sets.
pub(crate) const GROUP_BALANCE_PLAN_ENTRY: &str = "group-balance-plan";

/// The name of the group-size pass entry (every 30 minutes), whose interval
/// `GROUP_BALANCE_PASS_INTERVAL_SECS` sets.
pub(crate) const GROUP_BALANCE_PASS_ENTRY: &str = "group-balance-pass";

const SHAPE: &str =
    "must be a JSON array of {\"name\", \"kind\", \"interval_ms\", \"priority\"?, \"payload\"?} objects";
pub(crate) const MIN_INTERVAL_MS: u64 = 100;
/// A week: longer periods belong to a calendar, not to a ticking scheduler.
pub(crate) const MAX_INTERVAL_MS: u64 = 7 * 24 * 3600 * 1000;
const MAX_NAME: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    kind: String,
    interval_ms: u64,
    priority: Option<Priority>,
    #[serde(default)]
    payload: serde_json::Value,
}

pub(crate) fn entries(s: &str) -> Result<Vec<ScheduleEntry>, String> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(s).map_err(|_| SHAPE.to_owned())?;
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, value) in raw.into_iter().enumerate() {
        let mut problem = |field: &str, why: &str| {
            let dot = if field.is_empty() { "" } else { "." };
            problems.push(format!("entries[{i}]{dot}{field}: {why}"));
        };
        let entry: RawEntry = match serde_path_to_error::deserialize(value) {
            Ok(entry) => entry,
            Err(e) => {
                // serde's message would repeat the value; say which field is wrong instead.
                let path = e.path().to_string();
                let path = if path == "." { "" } else { path.as_str() };
                problem(path, shape_of(path));
                continue;
            }
        };
        if let Err(why) = check_name(&entry.name) {
            problem("name", &why);
        } else if !names.insert(entry.name.clone()) {
            problem("name", "must be unique");
        }
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&entry.interval_ms) {
            problem("interval_ms", &format!("must be an integer from {MIN_INTERVAL_MS} to {MAX_INTERVAL_MS}"));
        }
        match jobs::validate(&entry.kind, &entry.payload) {
            Ok((kind, payload)) => out.push(ScheduleEntry {
                name: entry.name,
                kind: kind.as_str().to_owned(),
                interval_ms: entry.interval_ms,
                priority: entry.priority.unwrap_or(kind.default_priority()),
                payload,
            }),
            Err(e) => problem(&e.field, &e.kind.to_string()),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems.join("; ")) }
}

fn shape_of(path: &str) -> &'static str {
    match path {
        "" => "must be an object with name, kind, interval_ms and optionally priority and payload",
        "name" | "kind" => "must be a string",
        "interval_ms" => "must be an integer",
        "priority" => "must be high or low",
        "payload" => "must be a JSON object",
        _ => "is not a field of a schedule entry",
    }
}

/// Names appear in Redis keys, logs and the API: short and plain.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(format!("must be 1 to {MAX_NAME} characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err("must contain only letters, digits, '_', '-' and '.'".to_owned());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "schedule_test.rs"]
mod tests;
