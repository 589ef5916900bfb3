//! The score arithmetic balancing decides on: per-metric z-scores folded into one score per
//! backend, adjusted by load factor or turned into shares of the site's mean, the predicted gap
//! after a move, and how balanced a site is. Pure functions over maps; no decision here.

use std::collections::{BTreeMap, HashMap};

use domain::BackendId;

use super::{BalanceBackend, Combine};

/// All metric names any host reports: the set a host must report in full to be ranked.
pub fn metric_names(zscores: &HashMap<BackendId, HashMap<String, f64>>) -> Vec<&str> {
    let mut names: Vec<&str> = zscores.values().flat_map(|m| m.keys().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// One score per host that reports every metric in `metrics` with a finite value; other hosts are
/// left out (unknown), never given 0 (which would read as "average") or a low score ("idle").
pub fn combined_scores(
    zscores: &HashMap<BackendId, HashMap<String, f64>>,
    metrics: &[&str],
    combine: Combine,
) -> HashMap<BackendId, f64> {
    let mut out = HashMap::with_capacity(zscores.len());
    if metrics.is_empty() {
        return out;
    }
    'hosts: for (host, values) in zscores {
        let (mut sum, mut squares) = (0.0, 0.0);
        for m in metrics {
            match values.get(*m) {
                Some(z) if z.is_finite() => {
                    sum += z;
                    squares += z * z;
                }
                _ => continue 'hosts,
            }
        }
        let score = match combine {
            Combine::SignedSum => sum,
            Combine::Euclidean => {
                let norm: f64 = f64::sqrt(squares);
                if sum < 0.0 { -norm } else { norm }
            }
        };
        out.insert(*host, score);
    }
    out
}

/// Scores relative to each backend's target. Z-scores measure distance from the site mean as if
/// every backend should carry the same load; a backend's load factor says it should carry a share
/// proportional to it. With `rel = load_factor / mean load factor` of the ranked hosts, the target
/// is `weight · metrics · (rel − 1)` and the adjusted score is `score − target`. So a half-weight
/// backend at the mean looks overloaded, and a load factor 0 backend looks overloaded by
/// `weight · metrics` on top of its load: it only ever gives groups away.
pub fn adjusted_scores(
    scores: &HashMap<BackendId, f64>,
    backends: &[BalanceBackend],
    metric_count: usize,
    weight: f64,
) -> HashMap<BackendId, f64> {
    let lf: HashMap<BackendId, f64> = backends
        .iter()
        .filter(|b| scores.contains_key(&b.id))
        .map(|b| (b.id, f64::from(b.load_factor.get())))
        .collect();
    let mean_lf = if lf.is_empty() { 0.0 } else { lf.values().sum::<f64>() / lf.len() as f64 };
    scores
        .iter()
        .filter_map(|(id, s)| {
            let l = lf.get(id)?;
            // All load factors 0: nobody is a destination; leave scores as they are.
            let rel = if mean_lf > 0.0 { l / mean_lf } else { 1.0 };
            Some((*id, s - weight * metric_count as f64 * (rel - 1.0)))
        })
        .collect()
}

/// The gap between `from` and `to` after moving one of `groups_on_from` groups. The model: a
/// group carries an equal share of the source's excess over the destination, `gap / groups`, and
/// adds it to the destination. With one group the gap just flips sign, which is no improvement.
pub fn predict_gap_after(gap: f64, groups_on_from: usize) -> f64 {
    let share = gap / groups_on_from.max(1) as f64;
    (gap - 2.0 * share).abs()
}

/// Each host's load as a signed share of the site's mean, `mean over metrics of z · spread`, for
/// hosts reporting every metric in `metrics`; `None` unless every metric has a finite relative
/// spread (then the z-scores cannot be put in units and the caller falls back to them).
pub fn relative_scores(
    zscores: &HashMap<BackendId, HashMap<String, f64>>,
    metrics: &[&str],
    relative_spread: &HashMap<String, f64>,
) -> Option<HashMap<BackendId, f64>> {
    let weights: Vec<f64> = metrics
        .iter()
        .map(|m| relative_spread.get(*m).copied().filter(|w| w.is_finite() && *w >= 0.0))
        .collect::<Option<_>>()?;
    if metrics.is_empty() {
        return None;
    }
    let mut out = HashMap::with_capacity(zscores.len());
    'hosts: for (host, values) in zscores {
        let mut sum = 0.0;
        for (m, w) in metrics.iter().zip(&weights) {
            match values.get(*m) {
                Some(z) if z.is_finite() => sum += z * w,
                _ => continue 'hosts,
            }
        }
        out.insert(*host, sum / metrics.len() as f64);
    }
    Some(out)
}

/// The relative gap after moving one of `groups_on_from` groups off a source whose load is
/// `1 + from_share` times the site mean: a group carries `(1 + from_share) / groups` of the mean,
/// taken from one side and added to the other.
pub fn predict_relative_gap_after(gap: f64, from_share: f64, groups_on_from: usize) -> f64 {
    let group = (1.0 + from_share).max(0.0) / groups_on_from.max(1) as f64;
    (gap - 2.0 * group).abs()
}

/// Balancedness from relative scores: `100 · (1 − mean |share|)`, 100 when every host carries
/// its target and 0 when hosts are off by the whole mean on average.
pub fn relative_balancedness(shares: &HashMap<BackendId, f64>) -> f64 {
    if shares.is_empty() {
        return 100.0;
    }
    let mean_abs = shares.values().map(|s| s.abs()).sum::<f64>() / shares.len() as f64;
    100.0 * (1.0 - mean_abs.min(1.0))
}

/// Balancedness of a set of scores: `100 / (1 + σ)` with σ the population standard deviation.
/// 100 means every host has the same score; 50 means one standard deviation of spread. It never
/// goes below 0 and an empty or single-host set is 100 (nothing to balance).
pub fn balancedness(scores: &HashMap<BackendId, f64>) -> f64 {
    100.0 / (1.0 + std_dev(scores.values().copied()))
}

/// Per-metric spread (population standard deviation over the hosts reporting the metric), for the
/// API, the UI and `/metrics`.
pub fn metric_spread(zscores: &HashMap<BackendId, HashMap<String, f64>>) -> BTreeMap<String, f64> {
    metric_names(zscores)
        .into_iter()
        .map(|m| {
            let values = zscores.values().filter_map(|v| v.get(m).copied()).filter(|z| z.is_finite());
            (m.to_owned(), std_dev(values))
        })
        .collect()
}

fn std_dev(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let (n, sum) = values.clone().fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n < 2 {
        return 0.0;
    }
    let mean = sum / n as f64;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    var.sqrt()
}
