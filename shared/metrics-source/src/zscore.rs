//! The z-score formula shared by [`crate::DirectSource`] and documented as the recording rules'
//! (deploy/prometheus/rules.yml): per score, z = (x − mean) / stddev over the hosts that have the
//! score, with the population standard deviation as PromQL's `stddev`. No spread (stddev 0)
//! gives 0 for every host; a host without a value for a score gets no z-score for it.

use std::collections::{BTreeSet, HashMap};

use crate::SiteStat;

/// host → score → raw value in, host → score → z-score out.
pub fn zscores(values: &HashMap<String, HashMap<String, f64>>) -> HashMap<String, HashMap<String, f64>> {
    let scores: BTreeSet<&String> = values.values().flat_map(|s| s.keys()).collect();
    let mut out: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for score in scores {
        let xs: Vec<(&String, f64)> =
            values.iter().filter_map(|(host, s)| s.get(score).filter(|v| v.is_finite()).map(|v| (host, *v))).collect();
        let (mean, stddev) = mean_stddev(xs.iter().map(|(_, v)| *v));
        for (host, x) in xs {
            let z = if stddev > 0.0 && stddev.is_finite() { (x - mean) / stddev } else { 0.0 };
            out.entry(host.clone()).or_default().insert(score.clone(), z);
        }
    }
    out
}

/// Mean and population standard deviation, by Welford's method as Prometheus computes them:
/// equal values give exactly their value and 0.
pub fn mean_stddev(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut mean, mut m2) = (0.0_f64, 0.0_f64, 0.0_f64);
    for x in xs {
        n += 1.0;
        let delta = x - mean;
        mean += delta / n;
        m2 += delta * (x - mean);
    }
    if n == 0.0 { (0.0, 0.0) } else { (mean, (m2 / n).sqrt()) }
}

/// score → mean and population stddev over the hosts with a finite value for it: the scale
/// [`zscores`] divides away, computed over the same hosts.
pub fn site_stats(values: &HashMap<String, HashMap<String, f64>>) -> HashMap<String, SiteStat> {
    let mut by_score: HashMap<&String, Vec<f64>> = HashMap::new();
    for (score, v) in values.values().flatten() {
        if v.is_finite() {
            by_score.entry(score).or_default().push(*v);
        }
    }
    by_score
        .into_iter()
        .map(|(score, xs)| {
            let (mean, stddev) = mean_stddev(xs.into_iter());
            (score.clone(), SiteStat { mean, stddev })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rows: &[(&str, &str, f64)]) -> HashMap<String, HashMap<String, f64>> {
        let mut m: HashMap<String, HashMap<String, f64>> = HashMap::new();
        for (host, score, v) in rows {
            m.entry(host.to_string()).or_default().insert(score.to_string(), *v);
        }
        m
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn matches_the_rules_test_values() {
        let z = zscores(&input(&[("h1", "memused", 0.2), ("h2", "memused", 0.4), ("h3", "memused", 0.6)]));
        assert!(close(z["h1"]["memused"], -1.224744871391589));
        assert!(close(z["h2"]["memused"], 0.0));
        assert!(close(z["h3"]["memused"], 1.224744871391589));
        let z = zscores(&input(&[("h1", "metacache", 0.1), ("h2", "metacache", 0.1), ("h3", "metacache", 0.4)]));
        assert!(close(z["h1"]["metacache"], -std::f64::consts::FRAC_1_SQRT_2));
        assert!(close(z["h3"]["metacache"], std::f64::consts::SQRT_2));
    }

    #[test]
    fn no_spread_gives_exact_zero() {
        for v in [0.1, 0.3, 1.0 / 3.0, 0.0] {
            let z = zscores(&input(&[("a", "cpu", v), ("b", "cpu", v), ("c", "cpu", v)]));
            assert!(z.values().all(|s| s["cpu"] == 0.0), "{v}: {z:?}");
        }
        let z = zscores(&input(&[("only", "cpu", 0.7)]));
        assert_eq!(z["only"]["cpu"], 0.0);
    }

    #[test]
    fn missing_values_stay_absent() {
        let z = zscores(&input(&[
            ("a", "memused", 0.2),
            ("b", "memused", 0.4),
            ("a", "cpu", 0.5),
            ("c", "memused", f64::NAN),
        ]));
        assert!(!z["b"].contains_key("cpu"));
        assert!(!z.contains_key("c"), "NaN is not a value: {z:?}");
        assert_eq!(z["a"]["cpu"], 0.0);
        assert!(close(z["a"]["memused"], -1.0) && close(z["b"]["memused"], 1.0));
        assert!(zscores(&HashMap::new()).is_empty());
    }

    #[test]
    fn scores_sum_to_zero_and_have_unit_spread() {
        let z = zscores(&input(&[("a", "m", 3.0), ("b", "m", 7.0), ("c", "m", 11.0), ("d", "m", 2.0)]));
        let zs: Vec<f64> = z.values().map(|s| s["m"]).collect();
        assert!(close(zs.iter().sum::<f64>(), 0.0));
        assert!(close(zs.iter().map(|v| v * v).sum::<f64>() / 4.0, 1.0));
    }
}
