//! Error mitigation: classify each backend from the failures proxies saw over a window, then plan
//! what to do about the unhealthy ones (evacuate, shed one group, set offline once empty).
//!
//! It must never decide on missing data: a backend with too few attempts is `Unknown` and is left
//! alone. It must never move anything itself; the capacity guard (`guard`) still has to approve
//! the plan before anything moves.

use domain::{BackendId, BackendStatus, StatTotals};
use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// Thresholds of error mitigation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthSettings {
    /// `HOST_FAILURE_RATIO`: above this failure ratio a backend is degraded.
    pub host_failure_ratio: f64,
    /// Above this failure ratio a backend is failing and is evacuated (Palomar: 90 %).
    pub evacuate_ratio: f64,
    /// Fewer attempts than this in the window (per protocol) say nothing about the backend.
    pub min_samples: u64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        // 0.3 is our choice: Palomar documents the name but not the value. It leaves room for
        // normal wrong-password noise in IMAP logins while catching a half-broken backend.
        Self { host_failure_ratio: 0.3, evacuate_ratio: 0.9, min_samples: 20 }
    }
}

/// The failures proxies saw for one backend, per protocol the controller judges it on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendTotals {
    pub imap: StatTotals,
    pub lmtp: StatTotals,
}

/// A backend's health over one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BackendHealth {
    Healthy {
        ratio: f64,
    },
    /// Above `host_failure_ratio`, at most `evacuate_ratio`.
    Degraded {
        ratio: f64,
    },
    /// Above `evacuate_ratio`.
    Failing {
        ratio: f64,
    },
    /// Not enough attempts on any protocol: no decision.
    Unknown {
        attempts: u64,
    },
}

impl BackendHealth {
    pub fn is_failing(self) -> bool {
        matches!(self, Self::Failing { .. })
    }
}

/// Classifies one protocol's totals.
pub fn classify_totals(totals: StatTotals, settings: &HealthSettings) -> BackendHealth {
    let attempts = totals.total();
    match totals.failure_ratio() {
        Some(ratio) if attempts >= settings.min_samples.max(1) => {
            if ratio > settings.evacuate_ratio {
                BackendHealth::Failing { ratio }
            } else if ratio > settings.host_failure_ratio {
                BackendHealth::Degraded { ratio }
            } else {
                BackendHealth::Healthy { ratio }
            }
        }
        _ => BackendHealth::Unknown { attempts },
    }
}

/// Classifies a backend: the worse of its IMAP and LMTP health, judging each protocol only when
/// it has enough attempts (a backend that delivers mail but refuses every login is failing).
pub fn classify(totals: &BackendTotals, settings: &HealthSettings) -> BackendHealth {
    let rank = |h: BackendHealth| match h {
        BackendHealth::Unknown { .. } => 0,
        BackendHealth::Healthy { .. } => 1,
        BackendHealth::Degraded { .. } => 2,
        BackendHealth::Failing { .. } => 3,
    };
    let imap = classify_totals(totals.imap, settings);
    let lmtp = classify_totals(totals.lmtp, settings);
    match (imap, lmtp) {
        (BackendHealth::Unknown { .. }, BackendHealth::Unknown { .. }) => {
            BackendHealth::Unknown { attempts: totals.imap.total().saturating_add(totals.lmtp.total()) }
        }
        (a, b) => {
            if rank(b) > rank(a) {
                b
            } else {
                a
            }
        }
    }
}

/// What the planner needs to know about one backend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackendObservation {
    pub id: BackendId,
    pub status: BackendStatus,
    /// What may be acted on: failing or degraded only once confirmed (`evidence::Assessment`).
    pub health: BackendHealth,
    /// The newest evidence, confirmed or not (for the reasons a plan gives).
    pub current: BackendHealth,
    /// Groups the backend still owns.
    pub groups: u64,
    /// A degraded backend gives away at most one group per watch period: false inside it.
    pub shed_allowed: bool,
}

/// What error mitigation wants to do; not yet approved by the capacity guard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MitigationPlan {
    /// Failing backends that still own groups: move all of them away, in batches.
    pub evacuate: Vec<BackendId>,
    /// Degraded backends: move one group away and watch whether they recover.
    pub shed_one_group: Vec<BackendId>,
    /// Failing backends that own no groups any more: set offline.
    pub set_offline: Vec<BackendId>,
    pub reasons: Vec<Reason>,
}

impl MitigationPlan {
    /// Backends the plan takes out of service (evacuated or set offline).
    pub fn removed_from_service(&self) -> usize {
        self.evacuate.len() + self.set_offline.len()
    }

    pub fn is_empty(&self) -> bool {
        self.evacuate.is_empty() && self.shed_one_group.is_empty() && self.set_offline.is_empty()
    }
}

/// Plans error mitigation for a site. Offline backends are already out of service and are
/// skipped; the output is ordered by input order so a repeated run gives the same plan.
pub fn plan_mitigation(backends: &[BackendObservation]) -> MitigationPlan {
    let mut plan = MitigationPlan::default();
    for b in backends {
        if b.status == BackendStatus::Offline {
            continue;
        }
        match b.health {
            BackendHealth::Failing { ratio } if b.groups > 0 => {
                plan.evacuate.push(b.id);
                plan.reasons.push(Reason::warning(
                    "backend_failing",
                    format!("backend {} fails {:.1} % of attempts: evacuate {} groups", b.id, ratio * 100.0, b.groups),
                ));
            }
            BackendHealth::Failing { ratio } => {
                plan.set_offline.push(b.id);
                plan.reasons.push(Reason::warning(
                    "backend_failing_empty",
                    format!(
                        "backend {} is empty and still fails {:.1} % of attempts: set offline",
                        b.id,
                        ratio * 100.0
                    ),
                ));
            }
            BackendHealth::Degraded { ratio } if b.groups > 0 && !b.shed_allowed => plan.reasons.push(Reason::info(
                "backend_degraded_watching",
                format!(
                    "backend {} fails {:.1} % of attempts; a group moved away recently, watching before the next",
                    b.id,
                    ratio * 100.0
                ),
            )),
            BackendHealth::Degraded { ratio } if b.groups > 0 => {
                plan.shed_one_group.push(b.id);
                plan.reasons.push(Reason::info(
                    "backend_degraded",
                    format!("backend {} fails {:.1} % of attempts: move one group away and watch", b.id, ratio * 100.0),
                ));
            }
            BackendHealth::Unknown { attempts } => plan.reasons.push(Reason::info(
                "backend_health_unknown",
                format!("backend {}: only {attempts} attempts in the window, no decision", b.id),
            )),
            BackendHealth::Healthy { .. } => {
                if let BackendHealth::Failing { ratio } | BackendHealth::Degraded { ratio } = b.current {
                    plan.reasons.push(Reason::info(
                        "backend_unhealthy_unconfirmed",
                        format!(
                            "backend {} fails {:.1} % of attempts now, not yet for the confirmation period: watching",
                            b.id,
                            ratio * 100.0
                        ),
                    ));
                }
            }
            BackendHealth::Degraded { .. } => {}
        }
    }
    plan
}

#[cfg(test)]
#[path = "health_test.rs"]
mod tests;
