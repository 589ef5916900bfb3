//! The capacity guard: a correlated failure (a network split, a bad deploy) makes many backends
//! look broken at once, and evacuating most of a site onto the few left would take those down too.
//! If the mitigation plan would take more than `capacity_guard_ratio` of the site's backends out of
//! service, nothing moves and an operator is alerted.
//!
//! It must never approve a plan above the ratio, and never trim a plan to fit: a partial
//! evacuation under a correlated failure is exactly the guess the guard exists to refuse.

use serde::{Deserialize, Serialize};

use crate::health::MitigationPlan;
use crate::reason::Reason;

/// `CAPACITY_GUARD_RATIO`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardSettings {
    /// Largest share of the site's backends the controller may take out of service on its own.
    pub capacity_guard_ratio: f64,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self { capacity_guard_ratio: 0.75 }
    }
}

/// The guard's verdict on a mitigation plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GuardDecision {
    /// The plan may run as it is.
    Proceed { plan: MitigationPlan },
    /// Nothing moves; `reasons` carries the critical alert and the refused plan's reasons.
    Refused { would_evacuate: usize, total: usize, ratio: f64, reasons: Vec<Reason> },
}

impl GuardDecision {
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Proceed { plan } => &plan.reasons,
            Self::Refused { reasons, .. } => reasons,
        }
    }
}

/// Checks `plan` against the site's backend count (all backends of the site, whatever their
/// status: the ratio is of the site, not of what is left of it).
pub fn check(plan: MitigationPlan, site_backends: usize, settings: &GuardSettings) -> GuardDecision {
    let would_evacuate = plan.removed_from_service();
    if would_evacuate == 0 {
        return GuardDecision::Proceed { plan };
    }
    // An empty site with something to evacuate means the inputs disagree: refuse rather than divide by 0.
    let ratio = if site_backends == 0 { 1.0 } else { would_evacuate as f64 / site_backends as f64 };
    if ratio <= settings.capacity_guard_ratio && would_evacuate <= site_backends {
        return GuardDecision::Proceed { plan };
    }
    let mut reasons = vec![Reason::critical(
        "capacity_guard",
        format!(
            "{would_evacuate} of {site_backends} backends ({:.0} %) would be evacuated or set offline, above the \
             {:.0} % capacity guard: nothing moves, an operator must intervene",
            ratio * 100.0,
            settings.capacity_guard_ratio * 100.0
        ),
    )];
    reasons.extend(plan.reasons);
    GuardDecision::Refused { would_evacuate, total: site_backends, ratio, reasons }
}

#[cfg(test)]
#[path = "guard_test.rs"]
mod tests;
