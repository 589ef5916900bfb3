use super::*;
use crate::health::MitigationPlan;
use domain::BackendId;
use proptest::prelude::*;

fn plan(evacuate: usize, offline: usize) -> MitigationPlan {
    MitigationPlan {
        evacuate: (0..evacuate).map(|_| BackendId::random()).collect(),
        set_offline: (0..offline).map(|_| BackendId::random()).collect(),
        ..Default::default()
    }
}

#[test]
fn up_to_the_ratio_proceeds_above_it_refuses() {
    let s = GuardSettings::default();
    assert!(matches!(check(plan(3, 0), 4, &s), GuardDecision::Proceed { .. }));
    let refused = check(plan(3, 1), 4, &s);
    let GuardDecision::Refused { would_evacuate, total, ratio, reasons } = refused else { panic!("not refused") };
    assert_eq!((would_evacuate, total), (4, 4));
    assert!((ratio - 1.0).abs() < 1e-9);
    assert_eq!(reasons[0].severity, crate::Severity::Critical);
}

#[test]
fn an_empty_plan_always_proceeds() {
    assert!(matches!(check(plan(0, 0), 0, &GuardSettings::default()), GuardDecision::Proceed { .. }));
}

proptest! {
    #[test]
    fn never_more_than_the_ratio_leaves_service(e in 0usize..50, o in 0usize..50, total in 0usize..120, r in 0.0f64..1.0) {
        let s = GuardSettings { capacity_guard_ratio: r };
        match check(plan(e, o), total, &s) {
            GuardDecision::Proceed { plan } => {
                let out = plan.removed_from_service();
                prop_assert!(out == 0 || (out as f64) <= r * total as f64 + 1e-9);
            }
            GuardDecision::Refused { reasons, .. } => {
                prop_assert!(crate::reason::has_code(&reasons, "capacity_guard"));
            }
        }
    }
}
