use super::*;
use proptest::prelude::*;

fn t(successes: u64, failures: u64) -> StatTotals {
    StatTotals { successes, failures }
}

fn obs(health: BackendHealth, groups: u64) -> BackendObservation {
    BackendObservation {
        id: BackendId::random(),
        status: BackendStatus::Online,
        health,
        current: health,
        groups,
        shed_allowed: true,
    }
}

#[test]
fn thresholds_split_healthy_degraded_failing() {
    let s = HealthSettings::default();
    assert!(matches!(classify_totals(t(90, 10), &s), BackendHealth::Healthy { .. }));
    assert!(matches!(classify_totals(t(50, 50), &s), BackendHealth::Degraded { .. }));
    // Exactly 90 % is still degraded: evacuation needs more than 90 %.
    assert!(matches!(classify_totals(t(10, 90), &s), BackendHealth::Degraded { .. }));
    assert!(matches!(classify_totals(t(5, 95), &s), BackendHealth::Failing { .. }));
}

#[test]
fn too_few_attempts_are_unknown_not_healthy() {
    let s = HealthSettings::default();
    assert_eq!(classify_totals(t(0, 0), &s), BackendHealth::Unknown { attempts: 0 });
    assert_eq!(classify_totals(t(0, 5), &s), BackendHealth::Unknown { attempts: 5 });
}

#[test]
fn the_worse_protocol_decides() {
    let s = HealthSettings::default();
    let totals = BackendTotals { imap: t(1, 99), lmtp: t(100, 0) };
    assert!(classify(&totals, &s).is_failing());
    // A protocol without data does not hide the other's failure.
    let totals = BackendTotals { imap: t(0, 0), lmtp: t(2, 98) };
    assert!(classify(&totals, &s).is_failing());
}

#[test]
fn plan_evacuates_failing_sheds_degraded_and_offlines_empty_failing() {
    let failing = obs(BackendHealth::Failing { ratio: 0.95 }, 10);
    let empty = obs(BackendHealth::Failing { ratio: 0.99 }, 0);
    let degraded = obs(BackendHealth::Degraded { ratio: 0.5 }, 10);
    let unknown = obs(BackendHealth::Unknown { attempts: 1 }, 10);
    let mut offline = obs(BackendHealth::Failing { ratio: 1.0 }, 0);
    offline.status = BackendStatus::Offline;
    let plan = plan_mitigation(&[failing, empty, degraded, unknown, offline]);
    assert_eq!(plan.evacuate, vec![failing.id]);
    assert_eq!(plan.set_offline, vec![empty.id]);
    assert_eq!(plan.shed_one_group, vec![degraded.id]);
    assert!(crate::reason::has_code(&plan.reasons, "backend_health_unknown"));
}

#[test]
fn a_degraded_backend_inside_its_watch_period_and_unconfirmed_failures_move_nothing() {
    let mut watched = obs(BackendHealth::Degraded { ratio: 0.5 }, 10);
    watched.shed_allowed = false;
    let mut unconfirmed = obs(BackendHealth::Healthy { ratio: 0.95 }, 10);
    unconfirmed.current = BackendHealth::Failing { ratio: 0.95 };
    let plan = plan_mitigation(&[watched, unconfirmed]);
    assert!(plan.is_empty(), "{plan:?}");
    assert!(crate::reason::has_code(&plan.reasons, "backend_degraded_watching"));
    assert!(crate::reason::has_code(&plan.reasons, "backend_unhealthy_unconfirmed"));
}

proptest! {
    #[test]
    fn classification_matches_the_ratio(s in 0u64..10_000, f in 0u64..10_000) {
        let settings = HealthSettings::default();
        let h = classify_totals(t(s, f), &settings);
        let total = s + f;
        if total < settings.min_samples {
            let unknown = matches!(h, BackendHealth::Unknown { .. });
            prop_assert!(unknown);
        } else {
            let r = f as f64 / total as f64;
            match h {
                BackendHealth::Failing { .. } => prop_assert!(r > 0.9),
                BackendHealth::Degraded { .. } => prop_assert!(r > settings.host_failure_ratio && r <= 0.9),
                BackendHealth::Healthy { .. } => prop_assert!(r <= settings.host_failure_ratio),
                BackendHealth::Unknown { .. } => prop_assert!(false, "known data classified unknown"),
            }
        }
    }
}
