use super::*;
use proptest::prelude::*;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + Duration::seconds(1_000_000 + secs)
}

/// A proxy's running totals: one 60 s row window per backend, growing by what happened.
#[derive(Default)]
struct Rows {
    rows: BTreeMap<i64, BackendTotals>,
}

impl Rows {
    fn add(&mut self, at: DateTime<Utc>, successes: u64, failures: u64) {
        let window = at.timestamp() - at.timestamp().rem_euclid(60);
        let row = self.rows.entry(window).or_default();
        row.imap.successes += successes;
        row.imap.failures += failures;
    }
}

struct Run {
    id: BackendId,
    evidence: Evidence,
    rows: Rows,
}

impl Run {
    fn new() -> Self {
        Self { id: BackendId::random(), evidence: Evidence::default(), rows: Rows::default() }
    }

    fn observe(&mut self, now: DateTime<Utc>, settings: &EvidenceSettings) -> Assessment {
        let reading: Reading = [(self.id, self.rows.rows.clone())].into_iter().collect();
        let (next, assessments) =
            observe(&self.evidence, reading, now.timestamp() - 120, now, &HealthSettings::default(), settings);
        self.evidence = next;
        assessments[&self.id]
    }
}

#[test]
fn the_first_reading_decides_nothing_and_a_stale_window_is_not_new_evidence() {
    let mut run = Run::new();
    // A whole minute of failures before the controller's first run.
    run.rows.add(t(0), 0, 500);
    let first = run.observe(t(5), &EvidenceSettings::default());
    assert!(matches!(first.current, BackendHealth::Unknown { .. }), "{first:?}");
    // Nothing new since: still nothing to judge, though the row still says 100 % failures.
    let second = run.observe(t(10), &EvidenceSettings::default());
    assert!(matches!(second.current, BackendHealth::Unknown { .. }), "{second:?}");
}

#[test]
fn failures_that_stopped_are_recovery_even_while_the_window_still_shows_them() {
    let s = EvidenceSettings::default();
    let mut run = Run::new();
    run.observe(t(0), &s);
    for i in 1..=6 {
        run.rows.add(t(i * 5), 1, 99);
        run.observe(t(i * 5), &s);
    }
    assert!(run.observe(t(31), &s).confirmed.is_failing() || run.evidence.backends[&run.id].failing_since.is_some());
    // Recovered: the same minute's row is still mostly failures, the new attempts succeed.
    run.rows.add(t(35), 100, 0);
    let a = run.observe(t(35), &s);
    assert!(matches!(a.current, BackendHealth::Healthy { .. }), "{a:?}");
    assert!(!a.confirmed.is_failing());
    assert_eq!(run.evidence.backends[&run.id].failing_since, None);
}

#[test]
fn failing_is_acted_on_only_after_the_confirmation_period() {
    let s = EvidenceSettings { confirm: Duration::seconds(15), ..Default::default() };
    let mut run = Run::new();
    run.observe(t(0), &s);
    let mut confirmed_at = None;
    for i in 1..=8 {
        run.rows.add(t(i * 5), 2, 98);
        let a = run.observe(t(i * 5), &s);
        assert!(a.current.is_failing());
        if a.confirmed.is_failing() && confirmed_at.is_none() {
            confirmed_at = Some(i * 5);
        }
    }
    // First failing reading at 5 s, confirmed 15 s later.
    assert_eq!(confirmed_at, Some(20));
}

#[test]
fn too_few_attempts_neither_confirm_nor_break_a_streak() {
    let s = EvidenceSettings { confirm: Duration::seconds(10), window: Duration::seconds(30) };
    let mut run = Run::new();
    run.observe(t(0), &s);
    run.rows.add(t(5), 0, 50);
    let a = run.observe(t(5), &s);
    assert!(a.current.is_failing());
    // Quiet runs: the newest attempts with enough samples are still the failing ones.
    let b = run.observe(t(10), &s);
    assert!(b.current.is_failing());
    let c = run.observe(t(16), &s);
    assert!(c.confirmed.is_failing(), "{c:?}");
    // Past the window nothing is left to judge.
    let d = run.observe(t(60), &s);
    assert!(matches!(d.current, BackendHealth::Unknown { .. }), "{d:?}");
}

#[test]
fn degraded_then_failing_is_degraded_until_failing_has_held() {
    let s = EvidenceSettings { confirm: Duration::seconds(10), ..Default::default() };
    let mut run = Run::new();
    run.observe(t(0), &s);
    for i in 1..=3 {
        run.rows.add(t(i * 5), 50, 50);
        run.observe(t(i * 5), &s);
    }
    run.rows.add(t(20), 1, 99);
    let a = run.observe(t(20), &s);
    assert!(a.current.is_failing());
    assert!(matches!(a.confirmed, BackendHealth::Degraded { .. }), "{a:?}");
}

proptest! {
    /// Noisy traffic with one burst of failures shorter than the confirmation period, sampled at
    /// random run intervals: the burst is never confirmed as failing.
    #[test]
    fn a_short_burst_is_never_confirmed_failing(
        burst_start in 10i64..60,
        burst_len in 1i64..15,
        steps in proptest::collection::vec((1i64..6, 50u64..200, 0u64..10), 20..60),
    ) {
        let s = EvidenceSettings { confirm: Duration::seconds(15), window: Duration::seconds(30) };
        let mut run = Run::new();
        run.observe(t(0), &s);
        let mut now = 0;
        for (dt, attempts, noise) in steps {
            // Traffic is spread over the step second by second, so a burst covers only its part.
            for second in now + 1..=now + dt {
                let per_second = attempts / dt as u64;
                let in_burst = (burst_start..burst_start + burst_len).contains(&second);
                let failures = if in_burst { per_second * 95 / 100 } else { per_second * noise / 100 };
                run.rows.add(t(second), per_second - failures, failures);
            }
            now += dt;
            let a = run.observe(t(now), &s);
            prop_assert!(!a.confirmed.is_failing(), "burst {burst_start}+{burst_len}s confirmed at {now}: {a:?}");
        }
    }

    /// Sustained failures are confirmed within the confirmation period plus two runs.
    #[test]
    fn sustained_failures_are_confirmed(steps in proptest::collection::vec(1i64..6, 30)) {
        let s = EvidenceSettings { confirm: Duration::seconds(15), window: Duration::seconds(30) };
        let mut run = Run::new();
        run.observe(t(0), &s);
        let mut now = 0;
        let mut confirmed = None;
        for dt in steps {
            for second in now + 1..=now + dt {
                run.rows.add(t(second), 1, 19);
            }
            now += dt;
            if run.observe(t(now), &s).confirmed.is_failing() && confirmed.is_none() {
                confirmed = Some(now);
            }
        }
        if now >= 15 + 12 {
            prop_assert!(confirmed.is_some_and(|c| c <= 15 + 12), "confirmed at {confirmed:?} of {now}");
        }
    }
}
