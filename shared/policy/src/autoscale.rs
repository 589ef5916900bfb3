//! Autoscaling: how many backends the site should have. The default keeps the current count; a
//! pluggable policy (a webhook, called by the worker) receives a [`LoadSummary`].
//!
//! It must never call out itself and never return fewer than 0 or a count it cannot explain.

use domain::SiteId;
use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// What an external autoscaling policy is told about the site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    pub site: SiteId,
    pub backends_total: usize,
    pub backends_online: usize,
    /// Online, reachable, load factor > 0.
    pub backends_accepting: usize,
    pub groups_total: usize,
    /// Mean combined z-score of ranked backends, `None` when none is known.
    pub mean_score: Option<f64>,
    pub max_score: Option<f64>,
    /// See [`crate::balance::balancedness`].
    pub balancedness: Option<f64>,
    pub failing_backends: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoscaleDecision {
    pub current: usize,
    pub desired: usize,
    pub reasons: Vec<Reason>,
}

/// The built-in policy: keep what is there.
pub fn desired_backends_default(current: usize) -> usize {
    current
}

/// The default decision with its reason.
pub fn decide_default(summary: &LoadSummary) -> AutoscaleDecision {
    let current = summary.backends_total;
    AutoscaleDecision {
        current,
        desired: desired_backends_default(current),
        reasons: vec![Reason::info("autoscale_default", "default policy keeps the current backend count")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_keeps_the_count() {
        for n in [0, 1, 7, 1000] {
            assert_eq!(desired_backends_default(n), n);
        }
        let summary = LoadSummary {
            site: SiteId::random(),
            backends_total: 5,
            backends_online: 4,
            backends_accepting: 4,
            groups_total: 500,
            mean_score: Some(0.0),
            max_score: Some(1.2),
            balancedness: Some(80.0),
            failing_backends: 0,
        };
        let d = decide_default(&summary);
        assert_eq!((d.current, d.desired), (5, 5));
        let json = serde_json::to_string(&summary).unwrap();
        assert_eq!(serde_json::from_str::<LoadSummary>(&json).unwrap(), summary);
    }
}
