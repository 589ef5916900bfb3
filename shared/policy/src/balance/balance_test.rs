use super::*;
use proptest::prelude::*;

fn backend(lf: i64) -> BalanceBackend {
    BalanceBackend {
        id: BackendId::random(),
        status: BackendStatus::Online,
        load_factor: LoadFactor::new(lf).unwrap(),
        reachable: true,
    }
}

fn groups_on(b: &BalanceBackend, n: usize, prefix: &str) -> Vec<UserGroup> {
    (0..n)
        .map(|i| UserGroup::new(domain::SiteId::random(), GroupName::parse(&format!("{prefix}{i}")).unwrap(), b.id))
        .collect()
}

fn z(pairs: &[(&BalanceBackend, &[(&str, f64)])]) -> HashMap<BackendId, HashMap<String, f64>> {
    pairs.iter().map(|(b, m)| (b.id, m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())).collect()
}

fn warm(backends: &[BalanceBackend]) -> HashMap<BackendId, u64> {
    backends.iter().map(|b| (b.id, 5000)).collect()
}

fn now() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + Duration::days(100)
}

#[test]
fn moves_one_group_from_worst_to_best() {
    let (a, b, c) = (backend(100), backend(100), backend(100));
    let zs = z(&[
        (&a, &[("cpu", 2.0), ("mem", 1.5)]),
        (&b, &[("cpu", -1.0), ("mem", -1.0)]),
        (&c, &[("cpu", 0.0), ("mem", 0.0)]),
    ]);
    let backends = [a, b, c];
    let groups = [groups_on(&a, 10, "a"), groups_on(&b, 10, "b")].concat();
    let samples = warm(&backends);
    let input = BalanceInput {
        zscores: &zs,
        samples: &samples,
        backends: &backends,
        groups: &groups,
        now: now(),
        recent_moves: &[],
        relative_spread: &HashMap::new(),
    };
    let d = decide(&input, &BalanceSettings::default());
    let BalanceDecision::Move { group, from, to, gap, predicted_gap_after, .. } = d else { panic!("{d:?}") };
    assert_eq!((from, to), (a.id, b.id));
    assert_eq!(group.as_str(), "a0");
    assert!((gap - 5.5).abs() < 1e-9);
    assert!(predicted_gap_after < gap);
}

#[test]
fn a_missing_metric_never_makes_a_host_the_destination() {
    let (a, b, idle_looking) = (backend(100), backend(100), backend(100));
    let zs = z(&[
        (&a, &[("cpu", 3.0), ("mem", 3.0)]),
        (&b, &[("cpu", 0.0), ("mem", 0.0)]),
        (&idle_looking, &[("cpu", -5.0)]),
    ]);
    let backends = [a, b, idle_looking];
    let groups = groups_on(&a, 10, "a");
    let samples = warm(&backends);
    let input = BalanceInput {
        zscores: &zs,
        samples: &samples,
        backends: &backends,
        groups: &groups,
        now: now(),
        recent_moves: &[],
        relative_spread: &HashMap::new(),
    };
    let BalanceDecision::Move { to, .. } = decide(&input, &BalanceSettings::default()) else { panic!("no move") };
    assert_eq!(to, b.id);
}

#[test]
fn load_factor_zero_is_only_a_source_and_half_load_factor_looks_loaded() {
    let (drain, full) = (backend(0), backend(100));
    let zs = z(&[(&drain, &[("cpu", 0.0)]), (&full, &[("cpu", 0.0)])]);
    let backends = [drain, full];
    let groups = groups_on(&drain, 5, "d");
    let samples = warm(&backends);
    let input = BalanceInput {
        zscores: &zs,
        samples: &samples,
        backends: &backends,
        groups: &groups,
        now: now(),
        recent_moves: &[],
        relative_spread: &HashMap::new(),
    };
    let settings = BalanceSettings { score_delta_threshold_ratio: 0.5, ..Default::default() };
    let BalanceDecision::Move { from, to, .. } = decide(&input, &settings) else { panic!("no move") };
    assert_eq!((from, to), (drain.id, full.id));

    let scores: HashMap<BackendId, f64> = [(drain.id, 0.0), (full.id, 0.0)].into();
    let half = BalanceBackend { load_factor: LoadFactor::new(50).unwrap(), ..drain };
    let adj = adjusted_scores(&scores, &[half, full], 1, 1.0);
    assert!(adj[&half.id] > adj[&full.id]);
}

#[test]
fn limits_block_moves() {
    let (a, b) = (backend(100), backend(100));
    let zs = z(&[(&a, &[("cpu", 3.0)]), (&b, &[("cpu", -3.0)])]);
    let backends = [a, b];
    let groups = groups_on(&a, 3, "a");
    let mut pinned = groups.clone();
    let samples = warm(&backends);
    let recent = [now() - Duration::minutes(10)];
    let input = BalanceInput {
        zscores: &zs,
        samples: &samples,
        backends: &backends,
        groups: &groups,
        now: now(),
        recent_moves: &recent,
        relative_spread: &HashMap::new(),
    };
    let d = decide(&input, &BalanceSettings::default());
    assert!(crate::reason::has_code(d.reasons(), "move_budget_spent"));

    pinned[0].sticky_backend = true;
    pinned[1].last_moved_at = Some(now() - Duration::minutes(30));
    pinned[2].moving = Some("job".into());
    let input = BalanceInput { groups: &pinned, recent_moves: &[], ..input };
    let d = decide(&input, &BalanceSettings::default());
    assert!(crate::reason::has_code(d.reasons(), "no_movable_group"), "{d:?}");

    let cold: HashMap<BackendId, u64> = [(a.id, 10), (b.id, 10)].into();
    let input = BalanceInput { samples: &cold, ..input };
    assert!(matches!(decide(&input, &BalanceSettings::default()), BalanceDecision::NoMove { .. }));
}

#[test]
fn balancedness_is_100_when_even_and_falls_with_spread() {
    let (a, b) = (BackendId::random(), BackendId::random());
    assert_eq!(balancedness(&[(a, 1.0), (b, 1.0)].into()), 100.0);
    assert!((balancedness(&[(a, 1.0), (b, -1.0)].into()) - 50.0).abs() < 1e-9);
    assert!(balancedness(&[(a, 3.0), (b, -3.0)].into()) < 50.0);
    let zs: HashMap<BackendId, HashMap<String, f64>> =
        [(a, [("cpu".to_owned(), 1.0)].into()), (b, [("cpu".to_owned(), -1.0), ("mem".to_owned(), 0.0)].into())].into();
    let spread = metric_spread(&zs);
    assert!((spread["cpu"] - 1.0).abs() < 1e-9);
    assert_eq!(spread["mem"], 0.0);
}

#[test]
fn euclidean_keeps_the_sign() {
    let a = BackendId::random();
    let zs: HashMap<BackendId, HashMap<String, f64>> =
        [(a, [("x".to_owned(), -3.0), ("y".to_owned(), -4.0)].into())].into();
    let s = combined_scores(&zs, &["x", "y"], Combine::Euclidean);
    assert!((s[&a] + 5.0).abs() < 1e-9);
}

/// `n` hosts of 30 groups each with the same z-score shape (one hot, one cold, the rest even).
type ZScoreMap = HashMap<BackendId, HashMap<String, f64>>;

fn shaped(n: usize) -> (Vec<BalanceBackend>, ZScoreMap, Vec<UserGroup>) {
    let backends: Vec<BalanceBackend> = (0..n).map(|_| backend(100)).collect();
    let mut zs = HashMap::new();
    for (i, b) in backends.iter().enumerate() {
        let z = match i {
            0 => 3.0,
            1 => -3.0,
            _ => 0.0,
        };
        zs.insert(b.id, [("cpu".to_owned(), z), ("mem".to_owned(), z)].into());
    }
    let groups = backends.iter().enumerate().flat_map(|(i, b)| groups_on(b, 30, &format!("h{i}g"))).collect();
    (backends, zs, groups)
}

#[test]
fn the_same_z_scores_move_only_when_the_load_really_differs() {
    let settings = BalanceSettings { min_samples: 0, ..Default::default() };
    let (backends, zs, groups) = shaped(20);
    let samples = warm(&backends);
    let decide_at = |spread: f64| {
        let relative_spread: HashMap<String, f64> = [("cpu".to_owned(), spread), ("mem".to_owned(), spread)].into();
        let input = BalanceInput {
            zscores: &zs,
            samples: &samples,
            backends: &backends,
            groups: &groups,
            now: now(),
            recent_moves: &[],
            relative_spread: &relative_spread,
        };
        decide(&input, &settings)
    };
    // z gap 12 either way; at 0.5 % spread the hosts differ by 3 % of the mean: balanced.
    let d = decide_at(0.005);
    assert!(crate::reason::has_code(d.reasons(), "balanced"), "{d:?}");
    // At 5 % spread they differ by 30 %: one group (about 1/30 of a host) moves.
    let BalanceDecision::Move { from, to, relative_gap, predicted_relative_gap_after, .. } = decide_at(0.05) else {
        panic!("no move")
    };
    assert_eq!((from, to), (backends[0].id, backends[1].id));
    let (rel, after) = (relative_gap.unwrap(), predicted_relative_gap_after.unwrap());
    assert!((rel - 0.30).abs() < 1e-9, "{rel}");
    assert!((after - (0.30 - 2.0 * 1.15 / 30.0)).abs() < 1e-9, "{after}");
}

#[test]
fn a_group_bigger_than_the_difference_stays() {
    let settings = BalanceSettings { min_samples: 0, ..Default::default() };
    let (backends, zs, all) = shaped(3);
    // Two groups on the hot host: each is about half its load, far more than a 12 % difference.
    let groups: Vec<UserGroup> =
        all.into_iter().filter(|g| g.backend_id != backends[0].id).chain(groups_on(&backends[0], 2, "big")).collect();
    let samples = warm(&backends);
    let relative_spread: HashMap<String, f64> = [("cpu".to_owned(), 0.02), ("mem".to_owned(), 0.02)].into();
    let input = BalanceInput {
        zscores: &zs,
        samples: &samples,
        backends: &backends,
        groups: &groups,
        now: now(),
        recent_moves: &[],
        relative_spread: &relative_spread,
    };
    let d = decide(&input, &settings);
    assert!(crate::reason::has_code(d.reasons(), "move_would_not_help"), "{d:?}");
    // Without spreads the same reading falls back to z-scores, says so, and its cruder model moves.
    let input = BalanceInput { relative_spread: &HashMap::new(), ..input };
    let d = decide(&input, &settings);
    assert!(crate::reason::has_code(d.reasons(), "relative_spread_unknown"), "{d:?}");
    assert!(matches!(d, BalanceDecision::Move { relative_gap: None, .. }), "{d:?}");
}

#[test]
fn relative_balancedness_reads_as_the_mean_distance_from_target() {
    let (a, b) = (BackendId::random(), BackendId::random());
    assert_eq!(relative_balancedness(&HashMap::new()), 100.0);
    assert_eq!(relative_balancedness(&[(a, 0.0), (b, 0.0)].into()), 100.0);
    assert!((relative_balancedness(&[(a, 0.1), (b, -0.1)].into()) - 90.0).abs() < 1e-9);
    assert_eq!(relative_balancedness(&[(a, 3.0), (b, -3.0)].into()), 0.0);
}

#[derive(Debug, Clone)]
struct Host {
    status: u8,
    lf: i64,
    reachable: bool,
    metrics: Vec<Option<f64>>,
    samples: u64,
    groups: Vec<(bool, Option<i64>, bool)>,
}

fn host() -> impl Strategy<Value = Host> {
    (
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        prop_oneof![Just(0i64), Just(50), Just(100), 0i64..=100],
        proptest::bool::weighted(0.85),
        proptest::collection::vec(proptest::option::weighted(0.95, -4.0f64..4.0), 2),
        prop_oneof![1 => Just(0u64), 6 => Just(5000u64)],
        proptest::collection::vec(
            (proptest::bool::weighted(0.2), proptest::option::of(0i64..180), proptest::bool::weighted(0.1)),
            0..6,
        ),
    )
        .prop_map(|(status, lf, reachable, metrics, samples, groups)| Host {
            status,
            lf,
            reachable,
            metrics,
            samples,
            groups,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn a_move_respects_every_rule(
        hosts in proptest::collection::vec(host(), 2..8),
        recent in proptest::collection::vec(0i64..240, 0..2),
        per_hour in prop_oneof![1 => Just(0u32), 4 => 1u32..3],
        combine in prop_oneof![Just(Combine::SignedSum), Just(Combine::Euclidean)],
        spreads in proptest::option::of(proptest::collection::vec(0.0f64..0.5, 2)),
    ) {
        let relative_spread: HashMap<String, f64> =
            spreads.iter().flatten().enumerate().map(|(k, v)| (format!("m{k}"), *v)).collect();
        let settings = BalanceSettings { max_moves_per_hour: per_hour, combine, score_delta_threshold_ratio: 0.3, ..Default::default() };
        let site = domain::SiteId::random();
        let mut backends = Vec::new();
        let mut zs = HashMap::new();
        let mut samples = HashMap::new();
        let mut groups = Vec::new();
        for (i, h) in hosts.iter().enumerate() {
            let status = [BackendStatus::Online, BackendStatus::Standby, BackendStatus::Offline][h.status as usize];
            let b = BalanceBackend { id: BackendId::random(), status, load_factor: LoadFactor::new(h.lf).unwrap(), reachable: h.reachable };
            let m: HashMap<String, f64> =
                h.metrics.iter().enumerate().filter_map(|(k, v)| v.map(|v| (format!("m{k}"), v))).collect();
            zs.insert(b.id, m);
            samples.insert(b.id, h.samples);
            for (j, (sticky, moved_min_ago, moving)) in h.groups.iter().enumerate() {
                let mut g = UserGroup::new(site, GroupName::parse(&format!("h{i}g{j}")).unwrap(), b.id);
                g.sticky_backend = *sticky;
                g.last_moved_at = moved_min_ago.map(|m| now() - Duration::minutes(m));
                g.moving = moving.then(|| "x".to_owned());
                groups.push(g);
            }
            backends.push(b);
        }
        let recent: Vec<DateTime<Utc>> = recent.iter().map(|m| now() - Duration::minutes(*m)).collect();
        let input = BalanceInput { zscores: &zs, samples: &samples, backends: &backends, groups: &groups, now: now(), recent_moves: &recent, relative_spread: &relative_spread };
        if let BalanceDecision::Move { group, from, to, gap, predicted_gap_after, relative_gap, predicted_relative_gap_after, .. } = decide(&input, &settings) {
            let g = groups.iter().find(|g| g.name == group).unwrap();
            prop_assert_eq!(g.backend_id, from);
            prop_assert!(!g.sticky_backend && !g.is_moving());
            prop_assert!(g.last_moved_at.is_none_or(|t| now() - t >= settings.residency));
            let dest = backends.iter().find(|b| b.id == to).unwrap();
            prop_assert!(dest.status == BackendStatus::Online && dest.reachable && dest.load_factor.get() > 0);
            // Every metric known for both ends, and both warmed up.
            let names = metric_names(&zs);
            for id in [from, to] {
                prop_assert!(names.iter().all(|n| zs[&id].contains_key(*n)));
                prop_assert!(samples[&id] >= settings.min_samples);
            }
            prop_assert!(gap > 0.0);
            match (relative_gap, predicted_relative_gap_after) {
                // In units: beyond the minimum, and the group is smaller than the difference.
                (Some(rel), Some(after)) => {
                    prop_assert!(spreads.is_some());
                    prop_assert!(rel > settings.min_relative_gap && after < rel);
                }
                (None, None) => prop_assert!(predicted_gap_after < gap),
                other => prop_assert!(false, "half a relative reading: {:?}", other),
            }
            let last_hour = recent.iter().filter(|t| **t > now() - Duration::hours(1)).count();
            prop_assert!(last_hour < per_hour as usize);
            // From worse to better by the same scores the decision used.
            let mut scores = combined_scores(&zs, &names, combine);
            scores.retain(|id, _| samples[id] >= settings.min_samples);
            let adj = adjusted_scores(&scores, &backends, names.len(), settings.load_factor_weight);
            prop_assert!(adj[&from] > adj[&to]);
        }
    }
}
