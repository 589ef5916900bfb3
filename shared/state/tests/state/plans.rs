//! Stored plans: listed newest first per site, approved once and only while fresh (a stale one
//! is marked expired), executed only once approved.

use std::time::Duration;

use chrono::Utc;
use domain::{BackendId, SiteId};
use policy::guard::GuardDecision;
use policy::health::MitigationPlan;
use policy::plan::{Plan, PlannedMove};
use queue::QueueError;
use state::PlanState;

use super::common::env;

fn plan(site: SiteId, backend: BackendId) -> Plan {
    let mitigation = MitigationPlan { evacuate: vec![backend], ..Default::default() };
    Plan::from_mitigation(site, Utc::now(), &GuardDecision::Proceed { plan: mitigation })
}

#[tokio::test]
async fn plans_are_listed_newest_first_per_site_and_round_trip() {
    let env = env("plans-list").await;
    let (site, other) = (SiteId::random(), SiteId::random());
    let (b1, b2) = (BackendId::random(), BackendId::random());
    let first = env.state.put_plan(&plan(site, b1)).await.unwrap();
    let second = env.state.put_plan(&plan(site, b2)).await.unwrap();
    env.state.put_plan(&plan(other, b1)).await.unwrap();

    let listed = env.state.plans(&site.to_string(), 10).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec![second.as_str(), first.as_str()]);
    assert_eq!(listed[1].plan.moves, vec![PlannedMove::Evacuate { backend: b1 }]);
    assert!(listed.iter().all(|p| p.state == PlanState::Pending));
    assert_eq!(env.state.plans(&site.to_string(), 1).await.unwrap().len(), 1);
    assert!(env.state.plan("no-such-plan").await.unwrap().is_none());
}

#[tokio::test]
async fn a_plan_is_approved_once_while_fresh_then_executed_once() {
    let env = env("plans-approve").await;
    let id = env.state.put_plan(&plan(SiteId::random(), BackendId::random())).await.unwrap();
    // Not approved yet: cannot be marked executed.
    assert!(matches!(env.state.mark_plan_executed(&id).await, Err(QueueError::Conflict(_))));

    let approved = env.state.approve_plan(&id, Duration::from_secs(60)).await.unwrap();
    assert_eq!(approved.state, PlanState::Approved);
    assert!(matches!(env.state.approve_plan(&id, Duration::from_secs(60)).await, Err(QueueError::Conflict(_))));
    env.state.mark_plan_executed(&id).await.unwrap();
    assert_eq!(env.state.plan(&id).await.unwrap().unwrap().state, PlanState::Executed);
    assert!(matches!(env.state.mark_plan_executed(&id).await, Err(QueueError::Conflict(_))));
    assert!(matches!(env.state.approve_plan("missing", Duration::from_secs(60)).await, Err(QueueError::NotFound(_))));
}

#[tokio::test]
async fn a_stale_plan_is_refused_and_marked_expired() {
    let env = env("plans-stale").await;
    let id = env.state.put_plan(&plan(SiteId::random(), BackendId::random())).await.unwrap();
    // Any plan is older than zero: a Redis round trip lies between storing and approving it.
    let refused = env.state.approve_plan(&id, Duration::ZERO).await;
    assert!(matches!(refused, Err(QueueError::Conflict(_))), "{refused:?}");
    assert_eq!(env.state.plan(&id).await.unwrap().unwrap().state, PlanState::Expired);
    // Expired is final: a later approval within a longer limit still fails.
    assert!(matches!(env.state.approve_plan(&id, Duration::from_secs(3600)).await, Err(QueueError::Conflict(_))));
}
