//! The capacity guard: a correlated failure (a network split, a bad deploy) makes many backends
//! look broken at once, and evacuating most of a site onto the few left would take those down too.
//! The guard counts the whole site: backends already out of service (evacuating, drained,
//! standby, offline), the ones this run would take out, and the ones failing now whose failure is
//! not confirmed yet (they are next). Above `capacity_guard_ratio` it trips,
//! and a tripped guard stays tripped (no automatic move of any kind in the site) until an operator
//! releases it, or, when a cool-down is configured, the site has been healthy that long. Below
//! the ratio it still checks that the healthy rest can take the groups.
//!
//! It must never approve a plan above the ratio, never trim a plan to fit (a partial evacuation
//! under a correlated failure is exactly the guess the guard exists to refuse), and never
//! release itself without either an operator or a full cool-down of health.

use chrono::{DateTime, Duration, Utc};
use domain::{BackendId, BackendStatus, LoadFactor};
use serde::{Deserialize, Serialize};

use crate::health::MitigationPlan;
use crate::reason::Reason;

/// `CAPACITY_GUARD_RATIO`, `CAPACITY_GUARD_MAX_GROWTH`, `CAPACITY_GUARD_COOLDOWN_SECS`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardSettings {
    /// Largest share of the site's backends that may be out of service after a run.
    pub capacity_guard_ratio: f64,
    /// An evacuation may raise the groups per unit of capacity on the backends that take them to
    /// at most this multiple of the site's current figure.
    pub max_growth: f64,
    /// A tripped guard releases itself after the site has been healthy this long; `None`: only
    /// an operator releases it.
    pub cooldown: Option<Duration>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self { capacity_guard_ratio: 0.75, max_growth: 3.0, cooldown: None }
    }
}

/// The guard's memory of one site, kept between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardState {
    pub tripped: bool,
    pub tripped_at: Option<DateTime<Utc>>,
    /// The critical message of the trip.
    pub reason: Option<String>,
    /// Backends out of service or about to be when it tripped.
    #[serde(default)]
    pub out_of_service: Vec<BackendId>,
    /// Their share of the site when it tripped.
    pub share: Option<f64>,
    /// While tripped: since when the site has looked healthy (for the cool-down).
    pub healthy_since: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    /// Who released it last: a token's name, or `cool-down`.
    pub released_by: Option<String>,
}

/// What the guard needs to know of one backend of the site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardBackend {
    pub id: BackendId,
    pub status: BackendStatus,
    pub load_factor: LoadFactor,
    pub groups: u64,
    /// Reserved as the source of an evacuation.
    pub evacuating: bool,
    /// Not failing or degraded in the current evidence.
    pub healthy_now: bool,
    /// Failing in the current evidence, confirmed or not. Counted as out of service: a correlated
    /// failure is confirmed backend by backend over a few runs, and a run that saw only the
    /// first ones confirmed must not evacuate them onto the others.
    pub failing_now: bool,
    /// A usable move destination (`destination::refusal` is `None`).
    pub can_receive: bool,
}

impl GuardBackend {
    /// Out of service already: serves no new users, or is being emptied.
    pub fn unavailable(&self) -> bool {
        !self.status.accepts_users() || self.load_factor == LoadFactor::DRAIN || self.evacuating
    }
}

/// Why the guard refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// This run would take too much of the site out of service: the guard tripped now.
    Tripped,
    /// The guard tripped earlier and has not been released.
    StillTripped,
    /// The healthy rest cannot take the groups (not latched: the next run judges again).
    Capacity,
}

/// The guard's verdict on a mitigation plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GuardDecision {
    /// The plan may run as it is.
    Proceed { plan: MitigationPlan },
    /// Nothing moves; `reasons` carries the critical alert and the refused plan's reasons.
    Refused { refusal: Refusal, would_evacuate: usize, total: usize, ratio: f64, reasons: Vec<Reason> },
}

impl GuardDecision {
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Proceed { plan } => &plan.reasons,
            Self::Refused { reasons, .. } => reasons,
        }
    }
}

/// The backends out of service after `plan`, and their share of the site (all backends of the
/// site, whatever their status: the ratio is of the site, not of what is left of it).
pub fn out_of_service(backends: &[GuardBackend], plan: &MitigationPlan) -> (Vec<BackendId>, f64) {
    let mut out: Vec<BackendId> = backends.iter().filter(|b| b.unavailable() || b.failing_now).map(|b| b.id).collect();
    for id in plan.evacuate.iter().chain(&plan.set_offline) {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    // An empty site with something to take out means the inputs disagree: count it as all.
    let share = if backends.is_empty() { 1.0 } else { out.len() as f64 / backends.len() as f64 };
    (out, share)
}

/// Judges `plan` against the site's whole state and the guard's memory; returns the memory to
/// store and the verdict.
pub fn check(
    state: &GuardState,
    backends: &[GuardBackend],
    plan: MitigationPlan,
    now: DateTime<Utc>,
    settings: &GuardSettings,
) -> (GuardState, GuardDecision) {
    let mut next = state.clone();
    let (out, share) = out_of_service(backends, &plan);
    let total = backends.len();
    let removes = plan.removed_from_service() > 0;
    if next.tripped {
        let healthy = !removes && share <= settings.capacity_guard_ratio && backends.iter().all(|b| b.healthy_now);
        // Without a cool-down nothing is tracked, so a still-tripped run changes no state (and
        // cannot overwrite an operator's release made meanwhile).
        next.healthy_since =
            if healthy && settings.cooldown.is_some() { next.healthy_since.or(Some(now)) } else { None };
        match (settings.cooldown, next.healthy_since) {
            (Some(cooldown), Some(since)) if now - since >= cooldown => next = release(&next, "cool-down", now),
            _ => {
                let message = format!(
                    "the capacity guard tripped at {} and has not been released: no automatic move in this site until \
                     an operator releases it (POST /api/v1/sites/{{site}}/guard/release)",
                    next.tripped_at.map_or_else(|| "an unknown time".to_owned(), |t| t.to_rfc3339()),
                );
                return (next, refused(Refusal::StillTripped, out.len(), total, share, message, plan));
            }
        }
    }
    if removes && share > settings.capacity_guard_ratio {
        let message = format!(
            "{} of {total} backends ({:.0} %) would be out of service (already out, or failing now), above the {:.0} % \
             capacity guard: nothing moves, an operator must intervene",
            out.len(),
            share * 100.0,
            settings.capacity_guard_ratio * 100.0
        );
        next = GuardState {
            tripped: true,
            tripped_at: Some(now),
            reason: Some(message.clone()),
            out_of_service: out.clone(),
            share: Some(share),
            healthy_since: None,
            released_at: next.released_at,
            released_by: next.released_by,
        };
        return (next, refused(Refusal::Tripped, out.len(), total, share, message, plan));
    }
    if let Some(message) = capacity_shortfall(backends, &plan, &out, settings) {
        return (next, refused(Refusal::Capacity, out.len(), total, share, message, plan));
    }
    (next, GuardDecision::Proceed { plan })
}

/// Releases a tripped guard (an operator's call, or the cool-down); the next run judges afresh.
pub fn release(state: &GuardState, by: &str, now: DateTime<Utc>) -> GuardState {
    GuardState {
        tripped: false,
        healthy_since: None,
        released_at: Some(now),
        released_by: Some(by.to_owned()),
        ..state.clone()
    }
}

/// Why the healthy rest cannot take the evacuated groups, if it cannot: no backend may receive,
/// or they would carry more than `max_growth` times the site's groups per unit of capacity.
fn capacity_shortfall(
    backends: &[GuardBackend],
    plan: &MitigationPlan,
    out: &[BackendId],
    settings: &GuardSettings,
) -> Option<String> {
    if plan.evacuate.is_empty() {
        return None;
    }
    let moving: u64 = backends.iter().filter(|b| plan.evacuate.contains(&b.id)).map(|b| b.groups).sum();
    if moving == 0 {
        return None;
    }
    let capacity = |b: &GuardBackend| f64::from(b.load_factor.get()) / 100.0;
    let receivers: Vec<&GuardBackend> =
        backends.iter().filter(|b| b.can_receive && b.healthy_now && !out.contains(&b.id)).collect();
    let receiving_capacity: f64 = receivers.iter().map(|b| capacity(b)).sum();
    if receivers.is_empty() || receiving_capacity <= 0.0 {
        return Some(format!(
            "{moving} groups would have to move but no healthy backend of the site can take them: nothing moves"
        ));
    }
    let serving: Vec<&GuardBackend> = backends.iter().filter(|b| !b.unavailable()).collect();
    let serving_capacity: f64 = serving.iter().map(|b| capacity(b)).sum();
    let serving_groups: u64 = serving.iter().map(|b| b.groups).sum();
    if serving_capacity <= 0.0 || serving_groups == 0 {
        return None;
    }
    let now_per_capacity = serving_groups as f64 / serving_capacity;
    let receiving_groups: u64 = receivers.iter().map(|b| b.groups).sum();
    let after_per_capacity = (receiving_groups + moving) as f64 / receiving_capacity;
    let growth = after_per_capacity / now_per_capacity;
    (growth > settings.max_growth).then(|| {
        format!(
            "the {} healthy backends left would carry {growth:.1}× the site's groups per unit of capacity after \
             taking {moving} groups, above the {:.1}× capacity limit: nothing moves",
            receivers.len(),
            settings.max_growth
        )
    })
}

fn refused(
    refusal: Refusal,
    would_evacuate: usize,
    total: usize,
    ratio: f64,
    message: String,
    plan: MitigationPlan,
) -> GuardDecision {
    let code = match refusal {
        Refusal::Tripped | Refusal::StillTripped => "capacity_guard",
        Refusal::Capacity => "capacity_insufficient",
    };
    let mut reasons = vec![Reason::critical(code, message)];
    reasons.extend(plan.reasons);
    GuardDecision::Refused { refusal, would_evacuate, total, ratio, reasons }
}

#[cfg(test)]
#[path = "guard_test.rs"]
mod tests;
