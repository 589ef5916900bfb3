//! Current evidence of each backend's health: what proxies saw since the last error-mitigation
//! run, not over a long window whose stale rows outlive a recovery. Proxies keep running totals
//! per (window, backend, protocol); each run compares them with the previous run's reading, so
//! the difference is exactly the attempts made in between. A backend is judged on its newest
//! differences (enough of them to reach the minimum sample count, never older than the window),
//! and a verdict of failing or degraded is acted on only once it has held for a confirmation
//! period, so one short burst moves nothing.
//!
//! It must never act on the first reading (there is nothing to compare with), and never let a
//! row it could not compare (older than the previous reading's range) count as new evidence.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use domain::{BackendId, StatTotals};
use serde::{Deserialize, Serialize};

use crate::health::{self, BackendHealth, BackendTotals, HealthSettings};

/// How far back evidence reaches and how long a verdict must hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSettings {
    /// `ERROR_MITIGATION_WINDOW_SECS`: differences older than this are forgotten.
    pub window: Duration,
    /// `ERROR_MITIGATION_CONFIRM_SECS`: a failing or degraded verdict is acted on only once it has
    /// held this long over consecutive runs.
    pub confirm: Duration,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self { window: Duration::seconds(30), confirm: Duration::seconds(15) }
    }
}

/// One reading of a site's `proxy_dest_stats`: per backend, per row window start (epoch seconds),
/// the totals summed over proxies.
pub type Reading = BTreeMap<BackendId, BTreeMap<i64, BackendTotals>>;

/// The attempts one backend saw between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    pub at: DateTime<Utc>,
    pub totals: BackendTotals,
}

/// What is remembered of one backend between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackendEvidence {
    /// Newest last, none older than the window.
    #[serde(default)]
    pub deltas: Vec<Delta>,
    /// Since when every judged run found it failing.
    pub failing_since: Option<DateTime<Utc>>,
    /// Since when every judged run found it degraded or failing.
    pub degraded_since: Option<DateTime<Utc>>,
    /// When error mitigation last moved a group away because it was degraded.
    pub last_shed_at: Option<DateTime<Utc>>,
    /// The latest run's verdict on the newest differences (what destinations are judged by).
    pub current: Option<BackendHealth>,
}

/// A site's evidence, kept in Redis between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// When the reading in `rows` was taken; `None` before the first run.
    pub at: Option<DateTime<Utc>>,
    /// Rows starting before this were not read last time, so they cannot be compared.
    pub read_from: Option<i64>,
    #[serde(default)]
    pub rows: Reading,
    #[serde(default)]
    pub backends: BTreeMap<BackendId, BackendEvidence>,
}

/// One backend's health as the run sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Health over the newest differences, whether or not it has held long.
    pub current: BackendHealth,
    /// What error mitigation acts on: failing or degraded only once confirmed, else healthy or
    /// unknown.
    pub confirmed: BackendHealth,
    /// Since when the current unhealthy verdict has held.
    pub since: Option<DateTime<Utc>>,
}

impl Evidence {
    /// Whether `backend` is failing or degraded in the evidence of a run no older than `max_age`
    /// (older evidence, or none, says nothing against it).
    pub fn unhealthy_now(&self, backend: BackendId, now: DateTime<Utc>, max_age: Duration) -> bool {
        let fresh = self.at.is_some_and(|at| now - at <= max_age);
        fresh
            && self
                .backends
                .get(&backend)
                .and_then(|b| b.current)
                .is_some_and(|h| matches!(h, BackendHealth::Failing { .. } | BackendHealth::Degraded { .. }))
    }
}

impl Assessment {
    /// Not failing or degraded right now (unknown counts as usable: no evidence against it).
    pub fn healthy_now(&self) -> bool {
        !matches!(self.current, BackendHealth::Failing { .. } | BackendHealth::Degraded { .. })
    }
}

/// Folds `reading` (taken at `now`, of rows starting at or after `read_from`) into `previous`:
/// the new evidence to store and each backend's assessment.
pub fn observe(
    previous: &Evidence,
    reading: Reading,
    read_from: i64,
    now: DateTime<Utc>,
    health: &HealthSettings,
    settings: &EvidenceSettings,
) -> (Evidence, BTreeMap<BackendId, Assessment>) {
    let mut next =
        Evidence { at: Some(now), read_from: Some(read_from), rows: Reading::new(), backends: BTreeMap::new() };
    let mut assessments = BTreeMap::new();
    let oldest = now - settings.window;
    let ids: std::collections::BTreeSet<BackendId> = reading.keys().chain(previous.backends.keys()).copied().collect();
    for id in ids {
        let mut evidence = previous.backends.get(&id).cloned().unwrap_or_default();
        let rows = reading.get(&id).cloned().unwrap_or_default();
        if previous.at.is_some() {
            let delta = difference(previous.rows.get(&id), &rows, previous.read_from);
            evidence.deltas.push(Delta { at: now, totals: delta });
        }
        evidence.deltas.retain(|d| d.at > oldest);
        let current = health::classify(&newest_totals(&evidence.deltas, health.min_samples), health);
        let assessment = judge(&mut evidence, current, now, settings);
        // Silence keeps the last verdict that said something.
        if !matches!(current, BackendHealth::Unknown { .. }) || evidence.current.is_none() {
            evidence.current = Some(current);
        }
        assessments.insert(id, assessment);
        next.rows.insert(id, rows);
        next.backends.insert(id, evidence);
    }
    (next, assessments)
}

/// Attempts made between the previous reading and this one: per row window, what grew. A row
/// window the previous reading did not cover (older than its range) says nothing new.
fn difference(
    previous: Option<&BTreeMap<i64, BackendTotals>>,
    current: &BTreeMap<i64, BackendTotals>,
    read_from: Option<i64>,
) -> BackendTotals {
    let mut out = BackendTotals::default();
    for (window, now) in current {
        let before = match previous.and_then(|p| p.get(window)) {
            Some(before) => *before,
            None if read_from.is_some_and(|from| *window >= from) => BackendTotals::default(),
            None => continue,
        };
        out.imap = add(out.imap, grown(before.imap, now.imap));
        out.lmtp = add(out.lmtp, grown(before.lmtp, now.lmtp));
    }
    out
}

fn grown(before: StatTotals, now: StatTotals) -> StatTotals {
    StatTotals {
        successes: now.successes.saturating_sub(before.successes),
        failures: now.failures.saturating_sub(before.failures),
    }
}

fn add(a: StatTotals, b: StatTotals) -> StatTotals {
    StatTotals { successes: a.successes.saturating_add(b.successes), failures: a.failures.saturating_add(b.failures) }
}

/// Per protocol, the newest differences that together reach `min_samples` attempts (or all of
/// them): the most recent evidence that says anything.
fn newest_totals(deltas: &[Delta], min_samples: u64) -> BackendTotals {
    let mut out = BackendTotals::default();
    for delta in deltas.iter().rev() {
        if out.imap.total() < min_samples {
            out.imap = add(out.imap, delta.totals.imap);
        }
        if out.lmtp.total() < min_samples {
            out.lmtp = add(out.lmtp, delta.totals.lmtp);
        }
    }
    out
}

/// Updates the streaks and says what may be acted on. Unknown (too few attempts) neither
/// extends nor breaks a streak: no evidence is not evidence of recovery.
fn judge(
    evidence: &mut BackendEvidence,
    current: BackendHealth,
    now: DateTime<Utc>,
    settings: &EvidenceSettings,
) -> Assessment {
    match current {
        BackendHealth::Failing { .. } => {
            evidence.failing_since.get_or_insert(now);
            evidence.degraded_since.get_or_insert(now);
        }
        BackendHealth::Degraded { .. } => {
            evidence.failing_since = None;
            evidence.degraded_since.get_or_insert(now);
        }
        BackendHealth::Healthy { .. } => {
            evidence.failing_since = None;
            evidence.degraded_since = None;
        }
        BackendHealth::Unknown { .. } => {}
    }
    let held = |since: Option<DateTime<Utc>>| since.is_some_and(|s| now - s >= settings.confirm);
    // Silence after a confirmed failure (an emptied backend gets no traffic) is no recovery: it
    // stays failing, so an evacuated backend can be set offline.
    let last_ratio = match evidence.current {
        Some(BackendHealth::Failing { ratio } | BackendHealth::Degraded { ratio }) => ratio,
        _ => 1.0,
    };
    let confirmed = match current {
        BackendHealth::Unknown { .. } if held(evidence.failing_since) => BackendHealth::Failing { ratio: last_ratio },
        BackendHealth::Failing { .. } if held(evidence.failing_since) => current,
        BackendHealth::Failing { ratio } | BackendHealth::Degraded { ratio } if held(evidence.degraded_since) => {
            BackendHealth::Degraded { ratio }
        }
        BackendHealth::Failing { ratio } | BackendHealth::Degraded { ratio } => BackendHealth::Healthy { ratio },
        other => other,
    };
    let since = match current {
        BackendHealth::Failing { .. } => evidence.failing_since,
        BackendHealth::Degraded { .. } => evidence.degraded_since,
        _ => None,
    };
    Assessment { current, confirmed, since }
}

#[cfg(test)]
#[path = "evidence_test.rs"]
mod tests;
