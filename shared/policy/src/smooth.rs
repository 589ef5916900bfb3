//! Smoothing of the load readings balancing decides on. One reading of a backend's CPU or cache
//! figures can be 10–20 % off its level (bursty traffic, sessions coming and going), more than any
//! useful balancing gap; deciding on single readings chases noise. So each host's raw figures are
//! kept as an exponentially weighted mean with time constant `tau`, and a move the controller
//! makes is applied to that mean at once (`apply_move`), so the smoothing does not hide the
//! controller's own action and invite a second move for the same excess.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// host → metric → value.
pub type Figures = HashMap<String, HashMap<String, f64>>;

/// The smoothed figures of a site and when they were last updated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Smoothed {
    pub figures: Figures,
    pub at: Option<DateTime<Utc>>,
}

/// Folds a new reading into `previous`. The weight of the new reading is `1 − e^(−dt/tau)`, so the
/// result does not depend on how often readings come. A host or metric missing from `raw` is
/// dropped (unknown now, never kept stale); one new in `raw` starts at its reading; `tau` 0 (or a
/// reading older than the last) gives the reading itself.
pub fn update(previous: &Smoothed, raw: &Figures, now: DateTime<Utc>, tau: Duration) -> Smoothed {
    let alpha = match previous.at {
        Some(at) if tau > Duration::zero() && now > at => {
            let dt = (now - at).as_seconds_f64();
            1.0 - (-dt / tau.as_seconds_f64()).exp()
        }
        _ => 1.0,
    };
    let figures = raw
        .iter()
        .map(|(host, metrics)| {
            let before = previous.figures.get(host);
            let row = metrics
                .iter()
                .filter(|(_, x)| x.is_finite())
                .map(|(m, x)| {
                    let smoothed =
                        before.and_then(|b| b.get(m)).filter(|p| p.is_finite()).map_or(*x, |p| p + alpha * (x - p));
                    (m.clone(), smoothed)
                })
                .collect();
            (host.clone(), row)
        })
        .collect();
    Smoothed { figures, at: Some(now) }
}

/// Applies a group move to the smoothed figures: the group takes `1 / groups_on_from` of the
/// source's figures to the destination. An estimate (part of a figure is the host's idle base);
/// later readings correct it.
pub fn apply_move(smoothed: &mut Smoothed, from: &str, to: &str, groups_on_from: usize) {
    let Some(source) = smoothed.figures.get(from).cloned() else { return };
    let share = 1.0 / groups_on_from.max(1) as f64;
    for (metric, value) in source {
        let moved = value * share;
        if let Some(v) = smoothed.figures.get_mut(from).and_then(|r| r.get_mut(&metric)) {
            *v -= moved;
        }
        if let Some(v) = smoothed.figures.get_mut(to).and_then(|r| r.get_mut(&metric)) {
            *v += moved;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(rows: &[(&str, &str, f64)]) -> Figures {
        let mut f = Figures::new();
        for (h, m, v) in rows {
            f.entry((*h).to_owned()).or_default().insert((*m).to_owned(), *v);
        }
        f
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn the_weight_follows_elapsed_time_not_the_number_of_readings() {
        let tau = Duration::seconds(60);
        let first = update(&Smoothed::default(), &figures(&[("a", "cpu", 0.2)]), t(0), tau);
        assert_eq!(first.figures["a"]["cpu"], 0.2, "the first reading is taken as it is");
        // One step of 60 s, or two of 30 s: the same result.
        let one = update(&first, &figures(&[("a", "cpu", 0.8)]), t(60), tau);
        let half = update(&first, &figures(&[("a", "cpu", 0.8)]), t(30), tau);
        let two = update(&half, &figures(&[("a", "cpu", 0.8)]), t(60), tau);
        let expected = 0.2 + (1.0 - (-1.0f64).exp()) * 0.6;
        assert!((one.figures["a"]["cpu"] - expected).abs() < 1e-12);
        assert!((two.figures["a"]["cpu"] - expected).abs() < 1e-12);
        // tau 0: no smoothing.
        let raw = update(&first, &figures(&[("a", "cpu", 0.8)]), t(60), Duration::zero());
        assert_eq!(raw.figures["a"]["cpu"], 0.8);
    }

    #[test]
    fn missing_figures_are_dropped_and_new_ones_start_at_their_reading() {
        let tau = Duration::seconds(60);
        let s = update(
            &Smoothed::default(),
            &figures(&[("a", "cpu", 0.2), ("a", "mem", 0.5), ("b", "cpu", 0.1)]),
            t(0),
            tau,
        );
        let s = update(&s, &figures(&[("a", "cpu", 0.2), ("c", "cpu", 0.9), ("a", "mem", f64::NAN)]), t(10), tau);
        assert!(!s.figures.contains_key("b"), "a host that did not answer is unknown: {s:?}");
        assert!(!s.figures["a"].contains_key("mem"), "{s:?}");
        assert_eq!(s.figures["c"]["cpu"], 0.9);
    }

    #[test]
    fn noise_is_damped_and_a_level_change_still_shows() {
        let tau = Duration::seconds(60);
        let mut s = Smoothed::default();
        // ±0.1 around 0.5 every 15 s: the mean stays within a fraction of the noise.
        for i in 0..40 {
            let x = if i % 2 == 0 { 0.6 } else { 0.4 };
            s = update(&s, &figures(&[("a", "cpu", x)]), t(i * 15), tau);
        }
        assert!((s.figures["a"]["cpu"] - 0.5).abs() < 0.03, "{s:?}");
        for i in 40..60 {
            s = update(&s, &figures(&[("a", "cpu", 0.8)]), t(i * 15), tau);
        }
        assert!(s.figures["a"]["cpu"] > 0.75, "{s:?}");
    }

    #[test]
    fn a_move_shifts_one_group_share_at_once() {
        let mut s = Smoothed { figures: figures(&[("a", "cpu", 0.6), ("b", "cpu", 0.3)]), at: Some(t(0)) };
        apply_move(&mut s, "a", "b", 6);
        assert!((s.figures["a"]["cpu"] - 0.5).abs() < 1e-12);
        assert!((s.figures["b"]["cpu"] - 0.4).abs() < 1e-12);
        apply_move(&mut s, "x", "b", 6);
        assert!((s.figures["b"]["cpu"] - 0.4).abs() < 1e-12, "an unknown source changes nothing");
    }
}
