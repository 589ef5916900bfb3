//! A decision as data: what a feature would do, why, and the predicted effect, so a dry run can
//! store and show exactly what a live run would execute.
//!
//! It must never carry anything a live run would not: building a plan is the same call whatever the
//! feature state; only executing it differs.

use chrono::{DateTime, Utc};
use domain::{BackendId, Feature, GroupName, SiteId, UserName};
use serde::{Deserialize, Serialize};

use crate::balance::BalanceDecision;
use crate::group_size::GroupSizePlan;
use crate::guard::GuardDecision;
use crate::reason::Reason;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlannedMove {
    /// Move a group to another backend (`to` = `None`: the executor picks a destination per batch).
    Group { group: Option<GroupName>, from: BackendId, to: Option<BackendId> },
    /// Move every group off a backend.
    Evacuate { backend: BackendId },
    /// Set an empty failing backend offline.
    SetOffline { backend: BackendId },
    /// Move a user between groups.
    User { user: UserName, from: GroupName, to: GroupName },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub feature: Feature,
    pub site: SiteId,
    pub created_at: DateTime<Utc>,
    pub moves: Vec<PlannedMove>,
    pub reasons: Vec<Reason>,
    pub score_before: Option<f64>,
    pub score_after_predicted: Option<f64>,
}

impl Plan {
    fn new(feature: Feature, site: SiteId, created_at: DateTime<Utc>) -> Self {
        Self {
            feature,
            site,
            created_at,
            moves: Vec::new(),
            reasons: Vec::new(),
            score_before: None,
            score_after_predicted: None,
        }
    }

    /// Load balancing; the scores are the best–worst gap before and predicted after: as a share
    /// of the site's mean load when the decision had relative spreads, else in z-scores.
    pub fn from_balance(site: SiteId, created_at: DateTime<Utc>, decision: &BalanceDecision) -> Self {
        let mut plan = Self::new(Feature::LoadBalancing, site, created_at);
        plan.reasons = decision.reasons().to_vec();
        if let BalanceDecision::Move {
            group,
            from,
            to,
            gap,
            predicted_gap_after,
            relative_gap,
            predicted_relative_gap_after,
            ..
        } = decision
        {
            plan.moves.push(PlannedMove::Group { group: Some(group.clone()), from: *from, to: Some(*to) });
            plan.score_before = Some(relative_gap.unwrap_or(*gap));
            plan.score_after_predicted = Some(predicted_relative_gap_after.unwrap_or(*predicted_gap_after));
        }
        plan
    }

    /// Error mitigation after the capacity guard: a refused plan has no moves.
    pub fn from_mitigation(site: SiteId, created_at: DateTime<Utc>, decision: &GuardDecision) -> Self {
        let mut plan = Self::new(Feature::ErrorMitigation, site, created_at);
        plan.reasons = decision.reasons().to_vec();
        if let GuardDecision::Proceed { plan: m } = decision {
            plan.moves.extend(m.evacuate.iter().map(|b| PlannedMove::Evacuate { backend: *b }));
            plan.moves.extend(m.shed_one_group.iter().map(|b| PlannedMove::Group { group: None, from: *b, to: None }));
            plan.moves.extend(m.set_offline.iter().map(|b| PlannedMove::SetOffline { backend: *b }));
        }
        plan
    }

    /// Group-size balancing for one backend.
    pub fn from_group_sizes(site: SiteId, created_at: DateTime<Utc>, sizes: &GroupSizePlan) -> Self {
        let mut plan = Self::new(Feature::GroupBalancing, site, created_at);
        plan.reasons = sizes.reasons.clone();
        plan.moves = sizes
            .moves
            .iter()
            .map(|m| PlannedMove::User { user: m.user.clone(), from: m.from.clone(), to: m.to.clone() })
            .collect();
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_round_trip_through_json() {
        let site = SiteId::random();
        let (a, b) = (BackendId::random(), BackendId::random());
        let decision = BalanceDecision::Move {
            group: GroupName::parse("g1").unwrap(),
            from: a,
            to: b,
            gap: 4.0,
            predicted_gap_after: 3.5,
            relative_gap: None,
            predicted_relative_gap_after: None,
            reasons: vec![Reason::info("imbalance", "x")],
        };
        let plan = Plan::from_balance(site, DateTime::UNIX_EPOCH, &decision);
        assert_eq!(plan.moves.len(), 1);
        assert_eq!(plan.score_after_predicted, Some(3.5));
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
    }

    #[test]
    fn a_refused_mitigation_plan_moves_nothing() {
        let decision = crate::guard::GuardDecision::Refused {
            refusal: crate::guard::Refusal::Tripped,
            would_evacuate: 1,
            total: 1,
            ratio: 1.0,
            reasons: vec![Reason::critical("capacity_guard", "x")],
        };
        let plan = Plan::from_mitigation(SiteId::random(), DateTime::UNIX_EPOCH, &decision);
        assert!(plan.moves.is_empty());
        assert!(crate::reason::has_code(&plan.reasons, "capacity_guard"));
    }
}
