use super::*;
use crate::health::MitigationPlan;
use domain::BackendId;
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

fn backend(groups: u64) -> GuardBackend {
    GuardBackend {
        id: BackendId::random(),
        status: BackendStatus::Online,
        load_factor: LoadFactor::MAX,
        groups,
        evacuating: false,
        healthy_now: true,
        failing_now: false,
        can_receive: true,
    }
}

fn site(n: usize) -> Vec<GuardBackend> {
    (0..n).map(|_| backend(10)).collect()
}

fn evacuating(site: &mut [GuardBackend], ids: &[usize]) -> MitigationPlan {
    for i in ids {
        site[*i].healthy_now = false;
    }
    MitigationPlan { evacuate: ids.iter().map(|i| site[*i].id).collect(), ..Default::default() }
}

#[test]
fn up_to_the_ratio_proceeds_above_it_trips() {
    let s = GuardSettings { max_growth: 100.0, ..GuardSettings::default() };
    let mut backends = site(4);
    let plan = evacuating(&mut backends, &[0, 1, 2]);
    let (state, decision) = check(&GuardState::default(), &backends, plan, t0(), &s);
    assert!(matches!(decision, GuardDecision::Proceed { .. }), "{decision:?}");
    assert!(!state.tripped);
    let plan = evacuating(&mut backends, &[0, 1, 2, 3]);
    let (state, decision) = check(&GuardState::default(), &backends, plan, t0(), &s);
    let GuardDecision::Refused { refusal, would_evacuate, total, reasons, .. } = decision else {
        panic!("not refused")
    };
    assert_eq!((refusal, would_evacuate, total), (Refusal::Tripped, 4, 4));
    assert_eq!(reasons[0].severity, crate::Severity::Critical);
    assert!(state.tripped && state.tripped_at == Some(t0()));
}

#[test]
fn backends_already_out_of_service_count_with_the_candidates() {
    // 10 backends: 6 already evacuated or standby, 2 failing now: 8 of 10 is above 75 %.
    let mut backends = site(10);
    for b in &mut backends[..3] {
        b.status = BackendStatus::Offline;
        b.groups = 0;
    }
    backends[3].status = BackendStatus::Standby;
    backends[4].load_factor = LoadFactor::DRAIN;
    backends[5].evacuating = true;
    let plan = evacuating(&mut backends, &[6, 7]);
    let (state, decision) = check(&GuardState::default(), &backends, plan, t0(), &GuardSettings::default());
    assert!(matches!(decision, GuardDecision::Refused { refusal: Refusal::Tripped, would_evacuate: 8, .. }));
    assert_eq!(state.out_of_service.len(), 8);
}

#[test]
fn backends_failing_now_but_not_yet_confirmed_count_too() {
    // A correlated failure of 4 of 5 is confirmed over several runs: a run that sees only two
    // confirmed must not evacuate them onto the two that are next.
    let s = GuardSettings { max_growth: 100.0, ..GuardSettings::default() };
    let mut backends = site(5);
    let plan = evacuating(&mut backends, &[0, 1]);
    for b in &mut backends[2..4] {
        (b.healthy_now, b.failing_now) = (false, true);
    }
    let (state, decision) = check(&GuardState::default(), &backends, plan.clone(), t0(), &s);
    assert!(matches!(decision, GuardDecision::Refused { refusal: Refusal::Tripped, would_evacuate: 4, .. }));
    assert!(state.tripped);
    // Degraded now (not failing) stays in service: two of five out proceeds.
    for b in &mut backends[2..4] {
        b.failing_now = false;
    }
    let (_, decision) = check(&GuardState::default(), &backends, plan, t0(), &s);
    assert!(matches!(decision, GuardDecision::Proceed { .. }), "{decision:?}");
}

#[test]
fn a_tripped_guard_refuses_everything_until_released() {
    let backends = site(5);
    let tripped = GuardState { tripped: true, tripped_at: Some(t0()), ..Default::default() };
    // Even an empty plan on a healthy site, a day later: still tripped without a cool-down.
    let later = t0() + Duration::days(1);
    let (state, decision) = check(&tripped, &backends, MitigationPlan::default(), later, &GuardSettings::default());
    assert!(matches!(decision, GuardDecision::Refused { refusal: Refusal::StillTripped, .. }));
    assert!(state.tripped);
    let released = release(&state, "alice", later);
    assert_eq!(released.released_by.as_deref(), Some("alice"));
    let (state, decision) = check(&released, &backends, MitigationPlan::default(), later, &GuardSettings::default());
    assert!(matches!(decision, GuardDecision::Proceed { .. }));
    assert!(!state.tripped);
}

#[test]
fn the_cool_down_releases_only_after_the_site_was_healthy_that_long() {
    let s = GuardSettings { cooldown: Some(Duration::minutes(10)), ..GuardSettings::default() };
    let mut backends = site(5);
    let tripped = GuardState { tripped: true, tripped_at: Some(t0()), ..Default::default() };
    let (state, d) = check(&tripped, &backends, MitigationPlan::default(), t0() + Duration::minutes(1), &s);
    assert!(matches!(d, GuardDecision::Refused { .. }));
    assert_eq!(state.healthy_since, Some(t0() + Duration::minutes(1)));
    // One unhealthy reading restarts the clock.
    backends[0].healthy_now = false;
    let (state, d) = check(&state, &backends, MitigationPlan::default(), t0() + Duration::minutes(5), &s);
    assert!(matches!(d, GuardDecision::Refused { .. }));
    assert_eq!(state.healthy_since, None);
    backends[0].healthy_now = true;
    let (state, _) = check(&state, &backends, MitigationPlan::default(), t0() + Duration::minutes(6), &s);
    let (state, d) = check(&state, &backends, MitigationPlan::default(), t0() + Duration::minutes(15), &s);
    assert!(matches!(d, GuardDecision::Refused { .. }), "9 minutes healthy is not 10");
    let (state, d) = check(&state, &backends, MitigationPlan::default(), t0() + Duration::minutes(16), &s);
    assert!(matches!(d, GuardDecision::Proceed { .. }));
    assert!(!state.tripped);
    assert_eq!(state.released_by.as_deref(), Some("cool-down"));
}

#[test]
fn an_evacuation_the_healthy_rest_cannot_carry_is_refused_without_tripping() {
    // 10 backends, 6 failing: 60 % passes the ratio, but 4 backends would carry 2.5× their share.
    let mut backends = site(10);
    let plan = evacuating(&mut backends, &[0, 1, 2, 3, 4, 5]);
    let s = GuardSettings { max_growth: 2.0, ..GuardSettings::default() };
    let (state, d) = check(&GuardState::default(), &backends, plan.clone(), t0(), &s);
    assert!(matches!(d, GuardDecision::Refused { refusal: Refusal::Capacity, .. }), "{d:?}");
    assert!(crate::reason::has_code(d.reasons(), "capacity_insufficient"));
    assert!(!state.tripped);
    let s = GuardSettings { max_growth: 3.0, ..s };
    assert!(matches!(check(&GuardState::default(), &backends, plan, t0(), &s).1, GuardDecision::Proceed { .. }));
}

#[test]
fn no_healthy_receiver_refuses() {
    let mut backends = site(3);
    backends[1].can_receive = false;
    backends[2].healthy_now = false;
    let plan = evacuating(&mut backends, &[0]);
    let (_, d) = check(&GuardState::default(), &backends, plan, t0(), &GuardSettings::default());
    assert!(matches!(d, GuardDecision::Refused { refusal: Refusal::Capacity, .. }));
}

#[test]
fn an_empty_plan_always_proceeds_when_not_tripped() {
    let (_, d) = check(&GuardState::default(), &[], MitigationPlan::default(), t0(), &GuardSettings::default());
    assert!(matches!(d, GuardDecision::Proceed { .. }));
}

/// One run of a random site: statuses, health and which backends the plan would evacuate.
fn run_strategy(n: usize) -> impl Strategy<Value = Vec<(u8, bool, bool)>> {
    proptest::collection::vec((0u8..5, any::<bool>(), any::<bool>()), n)
}

proptest! {
    /// Over random sequences of site states: whatever proceeds leaves at most the ratio of the
    /// site out of service, and once tripped every run refuses until the release.
    #[test]
    fn the_share_never_exceeds_the_limit_and_a_trip_holds(
        runs in proptest::collection::vec(run_strategy(8), 1..12),
        ratio in 0.1f64..1.0,
        release_at in 0usize..12,
    ) {
        let s = GuardSettings { capacity_guard_ratio: ratio, max_growth: f64::INFINITY, cooldown: None };
        let ids: Vec<BackendId> = (0..8).map(|_| BackendId::random()).collect();
        let mut state = GuardState::default();
        for (i, run) in runs.iter().enumerate() {
            if i == release_at {
                state = release(&state, "op", t0());
            }
            let was_tripped = state.tripped;
            let backends: Vec<GuardBackend> = run.iter().zip(&ids).map(|((status, healthy, _), id)| GuardBackend {
                id: *id,
                status: match status { 0 => BackendStatus::Offline, 1 => BackendStatus::Standby, _ => BackendStatus::Online },
                load_factor: LoadFactor::MAX,
                groups: 10,
                evacuating: *status == 2 && !healthy,
                healthy_now: *healthy,
                failing_now: false,
                can_receive: true,
            }).collect();
            let plan = MitigationPlan {
                evacuate: run.iter().zip(&ids).filter(|((_, _, e), _)| *e).map(|(_, id)| *id).collect(),
                ..Default::default()
            };
            let (next, decision) = check(&state, &backends, plan, t0() + Duration::minutes(i as i64), &s);
            match &decision {
                GuardDecision::Proceed { plan } => {
                    prop_assert!(!was_tripped, "a tripped guard let a plan through");
                    let (_, share) = out_of_service(&backends, plan);
                    prop_assert!(plan.removed_from_service() == 0 || share <= ratio + 1e-9);
                }
                GuardDecision::Refused { .. } => prop_assert!(next.tripped || !was_tripped),
            }
            if was_tripped {
                prop_assert!(next.tripped, "released without an operator or cool-down");
            }
            state = next;
        }
    }
}
