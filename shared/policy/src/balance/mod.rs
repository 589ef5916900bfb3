//! Z-score load balancing: fold each backend's per-metric z-scores into one signed score, compare
//! it with what the backend's load factor says it should carry, and move ONE group from the most
//! loaded backend to the least loaded one when the gap is large enough.
//!
//! It must never treat a missing metric as idle (a host with any metric missing is not ranked),
//! never pick a sticky group, a moving group or one inside its residency, never send a group to a
//! backend that is not online, reachable and with load factor > 0, never exceed the moves-per-hour
//! budget, and never make a move its own model predicts would not shrink the gap (that move would
//! be undone by the next run: thrashing).
//!
//! Z-scores carry no scale: they are divided by the site's own spread, so a 60 % and a 5 %
//! imbalance give the same best–worst gap once there are more than a handful of hosts. When the
//! source also gives each metric's relative spread (stddev / mean of its raw input), a z-score
//! becomes a share of the site's mean load (`z · stddev / mean`), and the decision ranks, gates
//! and predicts in those units: it moves only while the most and least loaded backends differ by
//! more than `min_relative_gap` of the mean, and only a group smaller than that difference (a
//! larger one would overshoot and be moved back).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::destination::{Observed, backend_refusal};
use domain::{BackendId, BackendStatus, GroupName, LoadFactor, UserGroup};
use serde::{Deserialize, Serialize};

use crate::reason::Reason;

mod scores;
pub use scores::*;

/// How per-metric z-scores become one score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// `Σ z`: keeps the sign, so under- and over-loaded hosts are told apart.
    #[default]
    SignedSum,
    /// `sign(Σ z) · √(Σ z²)`: Palomar's "euclidean distance from average", with the sign of the
    /// sum put back so best and worst still mean something.
    Euclidean,
}

/// Load-balancing settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BalanceSettings {
    /// `HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO`: a move is considered when the best–worst
    /// gap exceeds this many standard deviations per metric (so adding a metric does not make
    /// balancing twitchier).
    pub score_delta_threshold_ratio: f64,
    /// `HOST_LOAD_BALANCE_MIN_SAMPLES`: a host with fewer samples is still warming up and not ranked.
    pub min_samples: u64,
    /// A group stays at least this long on a backend after a move.
    pub residency: Duration,
    /// Most group moves in any trailing hour.
    pub max_moves_per_hour: u32,
    pub combine: Combine,
    /// How far (in z per metric) a backend whose load factor is double the site's mean is expected
    /// to sit above the mean; see [`adjusted_scores`].
    pub load_factor_weight: f64,
    /// `HOST_LOAD_BALANCE_MIN_RELATIVE_GAP`: with relative spreads known, no move while the most and
    /// least loaded backends differ by at most this share of the site's mean load.
    pub min_relative_gap: f64,
}

impl Default for BalanceSettings {
    fn default() -> Self {
        Self {
            score_delta_threshold_ratio: 1.0,
            min_samples: 3000,
            residency: Duration::hours(1),
            max_moves_per_hour: 1,
            combine: Combine::SignedSum,
            load_factor_weight: 1.0,
            min_relative_gap: 0.10,
        }
    }
}

/// What balancing needs to know about a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceBackend {
    pub id: BackendId,
    pub status: BackendStatus,
    pub load_factor: LoadFactor,
    /// The last doveadm HTTP API probe succeeded (within the DNS grace period).
    pub reachable: bool,
}

impl BalanceBackend {
    fn is_destination(&self) -> bool {
        let observed = Observed { unreachable: (!self.reachable).then_some("unreachable"), ..Observed::default() };
        backend_refusal(self.status, self.load_factor, observed).is_none()
    }
}

/// Everything one balancing decision looks at.
#[derive(Debug, Clone, Copy)]
pub struct BalanceInput<'a> {
    /// Per host, per metric z-scores; a metric absent for a host is unknown.
    pub zscores: &'a HashMap<BackendId, HashMap<String, f64>>,
    /// Per host sample counts (warm-up).
    pub samples: &'a HashMap<BackendId, u64>,
    pub backends: &'a [BalanceBackend],
    pub groups: &'a [UserGroup],
    pub now: DateTime<Utc>,
    /// When recent group moves of this site started (older ones are ignored).
    pub recent_moves: &'a [DateTime<Utc>],
    /// Metric → stddev / mean of its raw input over the site's hosts. When every metric has one,
    /// the decision works in shares of the site's mean load; otherwise in z-scores alone.
    pub relative_spread: &'a HashMap<String, f64>,
}

/// The balancing decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum BalanceDecision {
    Move {
        group: GroupName,
        from: BackendId,
        to: BackendId,
        /// Adjusted score of `from` minus that of `to`.
        gap: f64,
        /// The same gap after the move, by the one-group model of [`predict_gap_after`].
        predicted_gap_after: f64,
        /// The load difference between `from` and `to` as a share of the site's mean (load factors
        /// accounted for), when relative spreads are known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        relative_gap: Option<f64>,
        /// The same after the move, by [`predict_relative_gap_after`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicted_relative_gap_after: Option<f64>,
        reasons: Vec<Reason>,
    },
    NoMove {
        reasons: Vec<Reason>,
    },
}

impl BalanceDecision {
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Move { reasons, .. } | Self::NoMove { reasons } => reasons,
        }
    }
}

/// Decides at most one group move.
pub fn decide(input: &BalanceInput<'_>, settings: &BalanceSettings) -> BalanceDecision {
    let mut reasons = Vec::new();
    let no_move = |mut reasons: Vec<Reason>, code: &str, msg: String| {
        reasons.push(Reason::info(code, msg));
        BalanceDecision::NoMove { reasons }
    };

    let hour_ago = input.now - Duration::hours(1);
    let moves_last_hour = input.recent_moves.iter().filter(|t| **t > hour_ago && **t <= input.now).count();
    if moves_last_hour >= settings.max_moves_per_hour as usize {
        return no_move(
            reasons,
            "move_budget_spent",
            format!("{moves_last_hour} moves in the last hour, limit {}", settings.max_moves_per_hour),
        );
    }

    let metrics = metric_names(input.zscores);
    let mut scores = combined_scores(input.zscores, &metrics, settings.combine);
    let unknown = input.backends.iter().filter(|b| !scores.contains_key(&b.id)).count();
    if unknown > 0 {
        reasons.push(Reason::info("scores_unknown", format!("{unknown} backends miss metrics and are not ranked")));
    }
    let warm = |id: &BackendId| input.samples.get(id).copied().unwrap_or(0) >= settings.min_samples;
    scores.retain(|id, _| warm(id));
    let adjusted = adjusted_scores(&scores, input.backends, metrics.len(), settings.load_factor_weight);
    // In shares of the site mean when the source gave the spreads: ranking, gate and prediction
    // then measure load, not the site's own noise.
    let shares = relative_scores(input.zscores, &metrics, input.relative_spread).map(|mut raw| {
        raw.retain(|id, _| scores.contains_key(id));
        let adjusted = adjusted_scores(&raw, input.backends, 1, settings.load_factor_weight);
        (raw, adjusted)
    });
    if shares.is_none() && !metrics.is_empty() {
        reasons.push(Reason::info("relative_spread_unknown", "no relative spread per metric: z-scores only"));
    }
    let ranking = shares.as_ref().map_or(&adjusted, |(_, adjusted)| adjusted);

    // Sources must answer doveadm: the source backend finishes the move.
    let by_id: HashMap<BackendId, &BalanceBackend> = input.backends.iter().map(|b| (b.id, b)).collect();
    let order = |a: &(BackendId, f64), b: &(BackendId, f64)| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0));
    let mut worst: Option<(BackendId, f64)> = None;
    let mut best: Option<(BackendId, f64)> = None;
    for (id, score) in ranking {
        let Some(b) = by_id.get(id) else { continue };
        let entry = (*id, *score);
        if b.reachable && b.status != BackendStatus::Offline && worst.is_none_or(|w| order(&entry, &w).is_gt()) {
            worst = Some(entry);
        }
        if b.is_destination() && best.is_none_or(|w| order(&entry, &w).is_lt()) {
            best = Some(entry);
        }
    }
    let (Some((from, _)), Some((to, _))) = (worst, best) else {
        return no_move(reasons, "not_enough_hosts", "no warmed-up source and destination with known scores".into());
    };
    if from == to {
        return no_move(reasons, "not_enough_hosts", "the most loaded backend is also the only destination".into());
    }
    let above = |gap: f64, threshold: f64| gap.partial_cmp(&threshold.max(0.0)) == Some(std::cmp::Ordering::Greater);
    let gap = adjusted.get(&from).copied().unwrap_or(0.0) - adjusted.get(&to).copied().unwrap_or(0.0);
    let threshold = settings.score_delta_threshold_ratio * metrics.len() as f64;
    if !above(gap, threshold) {
        return no_move(reasons, "balanced", format!("z gap {gap:.3} is within the threshold {threshold:.3}"));
    }
    let relative_gap =
        shares.as_ref().map(|(_, a)| a.get(&from).copied().unwrap_or(0.0) - a.get(&to).copied().unwrap_or(0.0));
    if let Some(rel) = relative_gap
        && !above(rel, settings.min_relative_gap)
    {
        let (pct, min) = (rel * 100.0, settings.min_relative_gap * 100.0);
        return no_move(reasons, "balanced", format!("load differs by {pct:.1} % of the mean, within {min:.1} %"));
    }

    let on_source: Vec<&UserGroup> = input.groups.iter().filter(|g| g.backend_id == from).collect();
    let residency_start = input.now - settings.residency;
    let candidate = on_source
        .iter()
        .filter(|g| !g.sticky_backend && !g.is_moving())
        .filter(|g| g.last_moved_at.is_none_or(|t| t <= residency_start))
        // The group that has stayed longest moves first; the name breaks ties so runs repeat.
        .min_by(|a, b| a.last_moved_at.cmp(&b.last_moved_at).then_with(|| a.name.cmp(&b.name)));
    let Some(group) = candidate else {
        return no_move(
            reasons,
            "no_movable_group",
            format!("backend {from} has no group that is non-sticky, not moving and past its residency"),
        );
    };
    let predicted_gap_after = predict_gap_after(gap, on_source.len());
    let predicted_relative_gap_after = shares.as_ref().zip(relative_gap).map(|((raw, _), rel)| {
        predict_relative_gap_after(rel, raw.get(&from).copied().unwrap_or(0.0), on_source.len())
    });
    if let (Some(rel), Some(after)) = (relative_gap, predicted_relative_gap_after)
        && after >= rel
    {
        return no_move(
            reasons,
            "move_would_not_help",
            format!(
                "a group of {} is about {:.1} % of the mean: moving it would not shrink a {:.1} % difference",
                on_source.len(),
                (rel + after) / 2.0 * 100.0,
                rel * 100.0
            ),
        );
    }
    if relative_gap.is_none() && predicted_gap_after >= gap {
        return no_move(
            reasons,
            "move_would_not_help",
            format!("moving one of {} groups would not shrink the gap {gap:.3}", on_source.len()),
        );
    }
    reasons.push(Reason::info(
        "imbalance",
        format!("gap {gap:.3} > threshold {threshold:.3}: move {} from {from} to {to}", group.name),
    ));
    BalanceDecision::Move {
        group: group.name.clone(),
        from,
        to,
        gap,
        predicted_gap_after,
        relative_gap,
        predicted_relative_gap_after,
        reasons,
    }
}

#[cfg(test)]
#[path = "balance_test.rs"]
mod tests;
