//! Site failover: from a whole site's failure ratio over successive windows, move the site's
//! force-move percentage (share of its users sent to other sites) up or down gradually.
//!
//! It must never jump more than `max_step_percent` in one decision (a site may be broken only for
//! seconds, and moving everyone at once can take the other sites down), must hold while the ratio
//! is between the two thresholds (hysteresis), and must not act on a window with too few attempts.
//!
//! A site forced 100 % away serves nobody, so its windows hold no evidence. It is then probed: after
//! a run of silent windows one step of users is let back, and the traffic they make decides. Each
//! time the site is driven back to 100 %, the wait before the next probe doubles (up to 32 times).

use domain::StatTotals;
use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// Site failover settings. `down_failure_ratio` must be above `up_failure_ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FailoverSettings {
    /// At or above this failure ratio a window counts as bad.
    pub down_failure_ratio: f64,
    /// At or below this failure ratio a window counts as good.
    pub up_failure_ratio: f64,
    /// Consecutive bad (good) windows before one step down (up).
    pub windows_required: u32,
    /// Largest change of the force-move percentage per decision.
    pub max_step_percent: u8,
    /// Fewer attempts in a window say nothing.
    pub min_attempts: u64,
}

impl Default for FailoverSettings {
    fn default() -> Self {
        Self {
            down_failure_ratio: 0.5,
            up_failure_ratio: 0.1,
            windows_required: 3,
            max_step_percent: 10,
            min_attempts: 50,
        }
    }
}

impl FailoverSettings {
    /// Rejects settings without a hysteresis band or that could never move.
    pub fn validate(&self) -> Result<(), String> {
        // NaN settings compare as neither, and are rejected too.
        if self.down_failure_ratio.partial_cmp(&self.up_failure_ratio) != Some(std::cmp::Ordering::Greater) {
            return Err("down_failure_ratio must be above up_failure_ratio".into());
        }
        if self.max_step_percent == 0 || self.max_step_percent > 100 {
            return Err("max_step_percent must be in 1..=100".into());
        }
        if self.windows_required == 0 {
            return Err("windows_required must be at least 1".into());
        }
        Ok(())
    }
}

/// Carried from one decision to the next (stored by the caller).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverState {
    /// Current force-move percentage: 0 = the site serves all its users, 100 = none.
    pub percent: u8,
    pub bad_streak: u32,
    pub good_streak: u32,
    /// Windows without evidence while at 100 %: counts towards the next probe.
    #[serde(default)]
    pub quiet_streak: u32,
    /// Returns to 100 % since the last recovery step: doubles the wait before a probe.
    #[serde(default)]
    pub failed_probes: u32,
}

/// The wait before a probe stops doubling at `windows_required × 2^MAX_PROBE_BACKOFF`.
pub const MAX_PROBE_BACKOFF: u32 = 5;

impl FailoverSettings {
    /// Silent windows at 100 % before the next probe.
    pub fn probe_wait(&self, failed_probes: u32) -> u32 {
        self.windows_required.max(1).saturating_mul(1 << failed_probes.min(MAX_PROBE_BACKOFF))
    }
}

/// What to do with the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SiteAction {
    Hold,
    /// Send more users away: raise the force-move percentage.
    StepDown {
        to_percent: u8,
    },
    /// Bring users back: lower the force-move percentage.
    StepUp {
        to_percent: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverDecision {
    pub action: SiteAction,
    /// The state to store for the next window.
    pub state: FailoverState,
    pub reasons: Vec<Reason>,
}

/// Decides on one new window of site totals.
pub fn decide(state: FailoverState, window: StatTotals, settings: &FailoverSettings) -> FailoverDecision {
    let mut next = FailoverState { percent: state.percent.min(100), ..state };
    let step = settings.max_step_percent.clamp(1, 100);
    let hold = |next, reason| FailoverDecision { action: SiteAction::Hold, state: next, reasons: vec![reason] };
    if let Err(e) = settings.validate() {
        return hold(next, Reason::critical("failover_settings_invalid", e));
    }
    let ratio = match window.failure_ratio() {
        Some(r) if window.total() >= settings.min_attempts => r,
        // Fully failed over: nobody is sent here, so silence is expected. Probe after a while.
        _ if next.percent == 100 => return probe(next, step, settings),
        // No evidence either way: keep the streaks as they are.
        _ => {
            return hold(
                next,
                Reason::info("failover_no_data", format!("{} attempts in the window: no decision", window.total())),
            );
        }
    };
    next.quiet_streak = 0;
    let pct = ratio * 100.0;
    if ratio >= settings.down_failure_ratio {
        next.bad_streak = next.bad_streak.saturating_add(1);
        next.good_streak = 0;
        if next.bad_streak >= settings.windows_required && next.percent < 100 {
            // Each step needs a fresh streak, so the pace is at most one step per N windows.
            next.bad_streak = 0;
            let to = next.percent.saturating_add(step).min(100);
            next.percent = to;
            if to == 100 {
                next.failed_probes = next.failed_probes.saturating_add(1);
            }
            let reason =
                Reason::warning("site_failing", format!("site fails {pct:.1} % of attempts: force-move {to} % away"));
            return FailoverDecision {
                action: SiteAction::StepDown { to_percent: to },
                state: next,
                reasons: vec![reason],
            };
        }
        return hold(next, Reason::info("site_failing_streak", format!("bad window {} ({pct:.1} %)", next.bad_streak)));
    }
    if ratio <= settings.up_failure_ratio {
        next.good_streak = next.good_streak.saturating_add(1);
        next.bad_streak = 0;
        if next.good_streak >= settings.windows_required && next.percent > 0 {
            next.good_streak = 0;
            let to = next.percent.saturating_sub(step);
            next.percent = to;
            // Real traffic recovered: the next failure starts the probe back-off afresh.
            next.failed_probes = 0;
            let reason =
                Reason::info("site_recovering", format!("site fails {pct:.1} % of attempts: force-move {to} % away"));
            return FailoverDecision {
                action: SiteAction::StepUp { to_percent: to },
                state: next,
                reasons: vec![reason],
            };
        }
        return hold(next, Reason::info("site_healthy", format!("good window {} ({pct:.1} %)", next.good_streak)));
    }
    // Inside the hysteresis band: neither direction is confirmed, so both streaks restart.
    next.bad_streak = 0;
    next.good_streak = 0;
    hold(next, Reason::info("site_in_band", format!("failure ratio {pct:.1} % is between the thresholds")))
}

/// At 100 % with no evidence: count the silent window, and let one step of users back once the
/// back-off has passed.
fn probe(mut next: FailoverState, step: u8, settings: &FailoverSettings) -> FailoverDecision {
    next.quiet_streak = next.quiet_streak.saturating_add(1);
    let wait = settings.probe_wait(next.failed_probes);
    if next.quiet_streak < wait {
        let reason = Reason::info(
            "failover_probe_wait",
            format!("site fully failed over and silent: probe after {}/{wait} quiet windows", next.quiet_streak),
        );
        return FailoverDecision { action: SiteAction::Hold, state: next, reasons: vec![reason] };
    }
    let to = 100 - step;
    next = FailoverState { percent: to, bad_streak: 0, good_streak: 0, quiet_streak: 0, ..next };
    let reason = Reason::warning(
        "failover_probe",
        format!("site silent for {wait} windows at 100 %: let {step} % of users back"),
    );
    FailoverDecision { action: SiteAction::StepUp { to_percent: to }, state: next, reasons: vec![reason] }
}

#[cfg(test)]
#[path = "failover_test.rs"]
mod tests;
