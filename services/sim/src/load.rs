//! The load a simulated backend reports: memory, CPU and metacache figures that follow the users
//! it serves (users of its groups, open sessions, recent logins and deliveries), scaled by its
//! load multiplier, plus seeded noise. Advanced once per observer tick, never per scrape, so the
//! figures do not depend on how often Prometheus looks.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// What drives a backend's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadInputs {
    /// Users (known to the sim) whose group lives on the backend.
    pub users: u64,
    /// Users with an open IMAP session.
    pub sessions: u64,
    /// Recent logins and deliveries served per second.
    pub rate: f64,
    pub multiplier: f64,
}

/// What a backend can take: at these inputs the figures reach their top. The sim sizes it at
/// twice an even share of the site, so a balanced site idles around half load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub users: f64,
    pub rate: f64,
}

impl Capacity {
    pub fn for_site(users: u32, rate: f64, backends: usize) -> Self {
        let share = 2.0 / backends.max(1) as f64;
        Self { users: (f64::from(users) * share).max(1.0), rate: (rate * share).max(0.1) }
    }
}

/// The figures exported on `/metrics`, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub memory_used_ratio: f64,
    pub cpu_busy_ratio: f64,
    pub metacache_used_ratio: f64,
}

/// The figures for `inputs`; `noise` is added to memory, CPU and metacache in that order.
pub fn figures(inputs: &LoadInputs, capacity: &Capacity, noise: [f64; 3]) -> Figures {
    let m = inputs.multiplier;
    // A mail server idles with some memory and CPU in use; the rest grows with its users.
    let memory = 0.15 + 0.6 * m * inputs.users as f64 / capacity.users;
    let cpu = 0.05 + 0.8 * m * inputs.rate / capacity.rate;
    let metacache = 0.9 * m * inputs.sessions as f64 / capacity.users;
    Figures {
        memory_used_ratio: (memory + noise[0]).clamp(0.0, 1.0),
        cpu_busy_ratio: (cpu + noise[1]).clamp(0.0, 1.0),
        metacache_used_ratio: (metacache + noise[2]).clamp(0.0, 1.0),
    }
}

/// One backend's evolving load, as last computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LoadSnapshot {
    pub users: u64,
    pub groups: u64,
    pub sessions: u64,
    /// Smoothed logins + deliveries served per second.
    pub rate: f64,
    #[serde(flatten)]
    pub figures: Figures,
    /// Integrated CPU time, for the node_exporter-style counter.
    pub cpu_busy_seconds: f64,
    pub cpu_idle_seconds: f64,
}

/// What the observer saw of a backend in one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observed {
    /// Running count of attempts the backend served.
    pub served: u64,
    pub users: u64,
    pub groups: u64,
    pub sessions: u64,
    pub multiplier: f64,
}

/// Per-backend state of the load model.
#[derive(Debug)]
pub struct LoadModel {
    rng: StdRng,
    noise: f64,
    served_before: u64,
    pub latest: LoadSnapshot,
}

/// Weight of the newest second in the smoothed rate: recent traffic dominates within seconds.
const RATE_SMOOTHING: f64 = 0.5;

impl LoadModel {
    pub fn new(seed: u64, noise: f64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), noise, served_before: 0, latest: LoadSnapshot::default() }
    }

    /// Advances by `dt` seconds.
    pub fn tick(&mut self, dt: f64, seen: &Observed, capacity: &Capacity) {
        let dt = dt.max(1e-3);
        let recent = seen.served.saturating_sub(self.served_before) as f64 / dt;
        self.served_before = seen.served;
        let Observed { users, groups, sessions, multiplier, .. } = *seen;
        let rate = RATE_SMOOTHING * recent + (1.0 - RATE_SMOOTHING) * self.latest.rate;
        let mut draw = || if self.noise > 0.0 { self.rng.random_range(-self.noise..=self.noise) } else { 0.0 };
        let noise = [draw(), draw(), draw()];
        let figures = figures(&LoadInputs { users, sessions, rate, multiplier }, capacity, noise);
        self.latest = LoadSnapshot {
            users,
            groups,
            sessions,
            rate,
            figures,
            cpu_busy_seconds: self.latest.cpu_busy_seconds + figures.cpu_busy_ratio * dt,
            cpu_idle_seconds: self.latest.cpu_idle_seconds + (1.0 - figures.cpu_busy_ratio) * dt,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_grow_with_users_sessions_rate_and_the_multiplier() {
        let cap = Capacity::for_site(1000, 100.0, 4);
        assert_eq!(cap, Capacity { users: 500.0, rate: 50.0 });
        let even = LoadInputs { users: 250, sessions: 100, rate: 25.0, multiplier: 1.0 };
        let base = figures(&even, &cap, [0.0; 3]);
        assert!((base.memory_used_ratio - 0.45).abs() < 1e-9, "{base:?}");
        assert!((base.cpu_busy_ratio - 0.45).abs() < 1e-9, "{base:?}");
        let hot = figures(&LoadInputs { multiplier: 3.0, ..even }, &cap, [0.0; 3]);
        assert!(hot.memory_used_ratio > base.memory_used_ratio);
        assert!(hot.cpu_busy_ratio > base.cpu_busy_ratio);
        assert!(hot.metacache_used_ratio > base.metacache_used_ratio);
        let saturated = figures(&LoadInputs { multiplier: 100.0, ..even }, &cap, [0.5; 3]);
        assert_eq!(saturated.memory_used_ratio, 1.0);
    }

    #[test]
    fn the_model_is_deterministic_for_a_seed_and_smooths_the_rate() {
        let cap = Capacity::for_site(100, 10.0, 2);
        let run = |seed| {
            let mut m = LoadModel::new(seed, 0.05);
            let seen = Observed { served: 10, users: 50, groups: 5, sessions: 3, multiplier: 1.0 };
            m.tick(1.0, &seen, &cap);
            m.tick(1.0, &Observed { served: 30, ..seen }, &cap);
            m.latest
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7).figures, run(8).figures);
        // 10/s then 20/s, smoothed: 5, then 0.5 * 20 + 0.5 * 5.
        assert!((run(7).rate - 12.5).abs() < 1e-9);
        assert!((run(7).cpu_busy_seconds + run(7).cpu_idle_seconds - 2.0).abs() < 1e-9);
    }
}
