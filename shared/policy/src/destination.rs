//! Where an automatically moved group may go, and which backend gets it: one rule for error
//! mitigation's evacuations and sheds, plan execution and load balancing. A destination must be
//! online with a load factor above 0, reachable, healthy in the current evidence, not reserved as
//! the source of an evacuation and not a source of this very run; among those, the one with the
//! lowest load as a share of the site (per unit of capacity), counting the groups already on
//! their way to it and the ones this batch assigns.
//!
//! It must never choose by group count alone when load figures exist, and never return a backend
//! the refusal rule refuses.

use domain::destination::{Observed, backend_refusal};
use domain::{BackendId, BackendStatus, LoadFactor};
use serde::{Deserialize, Serialize};

/// What the rule needs to know of one backend of the site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: BackendId,
    pub status: BackendStatus,
    pub load_factor: LoadFactor,
    /// No probe record yet counts as reachable.
    pub reachable: bool,
    /// Not failing or degraded in the current evidence.
    pub healthy_now: bool,
    /// Reserved as the source of an evacuation (by anyone), or a source of this run.
    pub source: bool,
    /// Groups it owns.
    pub groups: u64,
    /// Groups moving to it now.
    pub incoming: u64,
    /// Its load as a share of the site's mean (1.0 = average), from the latest load reading;
    /// `None` when there is none.
    pub load_share: Option<f64>,
}

/// Why `c` may not receive a group, or `None` when it may (`domain::destination`, with this run's
/// observations).
pub fn refusal(c: &Candidate) -> Option<&'static str> {
    let observed = Observed {
        unreachable: (!c.reachable).then_some("unreachable"),
        unhealthy: !c.healthy_now,
        evacuating: c.source,
    };
    backend_refusal(c.status, c.load_factor, observed).map(|r| r.reason())
}

/// Picks a destination for each of `count` groups, in order, each pick predicted on the state
/// after the ones before; fewer than `count` only when no candidate may receive.
pub fn assign(candidates: &[Candidate], count: usize) -> Vec<BackendId> {
    let usable: Vec<&Candidate> = candidates.iter().filter(|c| refusal(c).is_none()).collect();
    if usable.is_empty() {
        return Vec::new();
    }
    let shares = load_shares(candidates);
    let step = group_step(candidates);
    let mut added = vec![0u64; usable.len()];
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let score = |i: usize| {
            let c = usable[i];
            let share = shares.get(&c.id).copied().unwrap_or(1.0);
            (share + step * (c.incoming + added[i]) as f64) / capacity(c)
        };
        let best = (0..usable.len())
            .min_by(|a, b| score(*a).total_cmp(&score(*b)).then(usable[*a].id.0.cmp(&usable[*b].id.0)));
        let Some(best) = best else { break };
        added[best] += 1;
        out.push(usable[best].id);
    }
    out
}

/// One destination, or `None`.
pub fn best(candidates: &[Candidate]) -> Option<BackendId> {
    assign(candidates, 1).pop()
}

/// Relative capacity: load factor 100 is a full backend.
fn capacity(c: &Candidate) -> f64 {
    (f64::from(c.load_factor.get()) / 100.0).max(0.01)
}

/// Each backend's load as a share of the site: the load reading when every serving backend has
/// one, else its groups per unit of capacity against the site's mean.
fn load_shares(candidates: &[Candidate]) -> std::collections::HashMap<BackendId, f64> {
    let serving: Vec<&Candidate> = candidates.iter().filter(|c| c.status.accepts_users()).collect();
    if !serving.is_empty() && serving.iter().all(|c| c.load_share.is_some()) {
        return serving.iter().filter_map(|c| c.load_share.map(|s| (c.id, s))).collect();
    }
    let mean = mean_groups(candidates);
    candidates.iter().map(|c| (c.id, if mean > 0.0 { c.groups as f64 / mean } else { 0.0 })).collect()
}

/// The share of the site's mean load one group carries: 1 / mean groups per serving backend.
fn group_step(candidates: &[Candidate]) -> f64 {
    let mean = mean_groups(candidates);
    if mean > 0.0 { 1.0 / mean } else { 1.0 }
}

fn mean_groups(candidates: &[Candidate]) -> f64 {
    let serving: Vec<&Candidate> = candidates.iter().filter(|c| c.status.accepts_users()).collect();
    if serving.is_empty() {
        return 0.0;
    }
    serving.iter().map(|c| c.groups as f64).sum::<f64>() / serving.len() as f64
}

#[cfg(test)]
#[path = "destination_test.rs"]
mod tests;

/// The group a degraded backend gives away: one not moving, not pinned to its backend, and not
/// moved within `residency` (a group that just arrived is not sent on again), the smallest name
/// first so that a repeated run picks the same one.
pub fn shed_group<'a>(
    on_backend: &'a [&'a domain::UserGroup],
    now: chrono::DateTime<chrono::Utc>,
    residency: chrono::Duration,
) -> Option<&'a domain::UserGroup> {
    on_backend
        .iter()
        .copied()
        .filter(|g| !g.is_moving() && !g.sticky_backend && g.last_moved_at.is_none_or(|t| now - t >= residency))
        .min_by(|a, b| a.name.as_str().cmp(b.name.as_str()))
}
