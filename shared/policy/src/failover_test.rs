use super::*;
use proptest::prelude::*;

fn w(successes: u64, failures: u64) -> StatTotals {
    StatTotals { successes, failures }
}

#[test]
fn steps_down_after_n_bad_windows_and_never_jumps() {
    let s = FailoverSettings::default();
    let mut state = FailoverState::default();
    let mut actions = Vec::new();
    for _ in 0..6 {
        let d = decide(state, w(10, 90), &s);
        state = d.state;
        actions.push(d.action);
    }
    assert_eq!(actions[..2], [SiteAction::Hold, SiteAction::Hold]);
    assert_eq!(actions[2], SiteAction::StepDown { to_percent: 10 });
    assert_eq!(actions[5], SiteAction::StepDown { to_percent: 20 });
    // Recovery comes back the same gradual way.
    for _ in 0..3 {
        state = decide(state, w(100, 0), &s).state;
    }
    assert_eq!(state.percent, 10);
}

#[test]
fn the_band_and_missing_data_hold() {
    let s = FailoverSettings::default();
    let state = FailoverState { percent: 30, bad_streak: 2, ..Default::default() };
    let d = decide(state, w(70, 30), &s);
    assert_eq!(d.action, SiteAction::Hold);
    assert_eq!(d.state.bad_streak, 0);
    let d = decide(state, w(0, 3), &s);
    assert_eq!(d.action, SiteAction::Hold);
    assert_eq!(d.state, state);
}

#[test]
fn a_silent_site_at_100_percent_is_probed_with_growing_waits() {
    let s = FailoverSettings::default();
    // Driven all the way down: the last step counts as a failed probe.
    let mut state = FailoverState { percent: 90, bad_streak: 2, ..Default::default() };
    let d = decide(state, w(0, 100), &s);
    assert_eq!(d.action, SiteAction::StepDown { to_percent: 100 });
    state = d.state;
    assert_eq!(state.failed_probes, 1);

    let silent_windows_until_probe = |mut state: FailoverState| {
        for n in 1..=1000 {
            let d = decide(state, w(0, 0), &s);
            state = d.state;
            if d.action != SiteAction::Hold {
                assert_eq!(d.action, SiteAction::StepUp { to_percent: 90 });
                assert_eq!(d.reasons[0].code, "failover_probe");
                return (n, state);
            }
            assert_eq!(d.reasons[0].code, "failover_probe_wait");
        }
        panic!("never probed");
    };
    let (first_wait, probing) = silent_windows_until_probe(state);
    assert_eq!(first_wait, s.windows_required * 2);

    // The probe's users fail too: back to 100 %, and the next probe waits twice as long.
    state = probing;
    for _ in 0..s.windows_required {
        state = decide(state, w(5, 95), &s).state;
    }
    assert_eq!((state.percent, state.failed_probes), (100, 2));
    let (second_wait, probing) = silent_windows_until_probe(state);
    assert_eq!(second_wait, first_wait * 2);

    // This time the probe's users are served: recovery continues step by step and resets the back-off.
    state = probing;
    for _ in 0..s.windows_required {
        state = decide(state, w(100, 0), &s).state;
    }
    assert_eq!((state.percent, state.failed_probes), (80, 0));
}

#[test]
fn the_probe_wait_is_capped() {
    let s = FailoverSettings::default();
    assert_eq!(s.probe_wait(0), s.windows_required);
    assert_eq!(s.probe_wait(MAX_PROBE_BACKOFF), s.probe_wait(u32::MAX));
}

#[test]
fn settings_without_a_band_are_rejected() {
    let s = FailoverSettings { down_failure_ratio: 0.1, up_failure_ratio: 0.2, ..Default::default() };
    assert!(s.validate().is_err());
    let d = decide(FailoverState::default(), w(0, 1000), &s);
    assert_eq!(d.action, SiteAction::Hold);
}

proptest! {
    #[test]
    fn never_more_than_one_step_and_holds_in_band(
        percent in 0u8..=100, bad in 0u32..5, good in 0u32..5,
        succ in 0u64..1000, fail in 0u64..1000, step in 1u8..=100,
    ) {
        let s = FailoverSettings { max_step_percent: step, ..Default::default() };
        let state = FailoverState { percent, bad_streak: bad, good_streak: good, ..Default::default() };
        let d = decide(state, w(succ, fail), &s);
        let diff = (i16::from(d.state.percent) - i16::from(percent)).abs();
        prop_assert!(diff <= i16::from(step));
        prop_assert!(d.state.percent <= 100);
        match d.action {
            SiteAction::Hold => prop_assert_eq!(d.state.percent, percent),
            SiteAction::StepDown { to_percent } => prop_assert!(to_percent > percent && to_percent == d.state.percent),
            SiteAction::StepUp { to_percent } => prop_assert!(to_percent < percent && to_percent == d.state.percent),
        }
        let total = succ + fail;
        if total >= s.min_attempts {
            let r = fail as f64 / total as f64;
            if r > s.up_failure_ratio && r < s.down_failure_ratio {
                prop_assert_eq!(d.action, SiteAction::Hold);
            }
        }
    }
}
