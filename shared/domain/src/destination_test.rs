use super::*;
use crate::model::{BackendId, SiteId};

fn setup() -> (UserGroup, Backend) {
    let site = SiteId::random();
    let mut to = Backend::new(site, HostName::parse("b2.test").unwrap());
    to.status = BackendStatus::Online;
    let group = UserGroup::new(site, GroupName::parse("g1").unwrap(), BackendId::random());
    (group, to)
}

#[test]
fn an_online_backend_of_the_site_with_capacity_may_take_the_group() {
    let (group, to) = setup();
    assert_eq!(refusal(&group, &to, Observed::default()), None);
    assert!(to.is_destination());
}

#[test]
fn each_fact_refuses_with_its_own_reason_in_a_fixed_order() {
    let (group, to) = setup();
    let other_site = Backend { site_id: SiteId::random(), ..to.clone() };
    assert_eq!(refusal(&group, &other_site, Observed::default()), Some(Refusal::OtherSite));
    let there = Backend { id: group.backend_id, ..to.clone() };
    assert_eq!(refusal(&group, &there, Observed::default()), Some(Refusal::AlreadyThere));
    let moving = UserGroup { moving: Some("job-1".into()), ..group.clone() };
    assert_eq!(refusal(&moving, &to, Observed::default()), Some(Refusal::GroupMoving("job-1")));
    let standby = Backend { status: BackendStatus::Standby, ..to.clone() };
    assert_eq!(refusal(&group, &standby, Observed::default()), Some(Refusal::NotOnline(BackendStatus::Standby)));
    assert!(!standby.is_destination());
    let drained = Backend { load_factor: LoadFactor::DRAIN, ..to.clone() };
    assert_eq!(refusal(&group, &drained, Observed::default()), Some(Refusal::Drained));
    assert!(!drained.is_destination());
    let seen = |unreachable, unhealthy, evacuating| Observed { unreachable, unhealthy, evacuating };
    assert_eq!(refusal(&group, &to, seen(Some("refused"), true, true)), Some(Refusal::Unreachable("refused")));
    assert_eq!(refusal(&group, &to, seen(None, true, true)), Some(Refusal::Evacuating));
    assert_eq!(refusal(&group, &to, seen(None, true, false)), Some(Refusal::Unhealthy));
    // A GeoDB fact wins over an observation: the status is what an operator must change.
    assert_eq!(
        refusal(&group, &standby, seen(Some("x"), true, true)),
        Some(Refusal::NotOnline(BackendStatus::Standby))
    );
}

#[test]
fn explanations_name_the_group_or_the_backend_and_the_reason() {
    let (group, to) = setup();
    let explain = |r: Refusal<'_>| r.explain(&group.name, &to.host);
    assert_eq!(explain(Refusal::AlreadyThere), "group g1 is already on b2.test");
    assert_eq!(
        explain(Refusal::NotOnline(BackendStatus::Standby)),
        "destination backend b2.test is standby: groups move only to online backends"
    );
    assert_eq!(
        explain(Refusal::Unreachable("connection refused")),
        "destination backend b2.test is unreachable: connection refused"
    );
    assert_eq!(Refusal::Drained.reason(), "load factor 0 (being drained)");
}
