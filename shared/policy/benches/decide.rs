//! Benchmark (not a test): one error-mitigation + capacity-guard + load-balancing decision for a
//! site, at 100 / 1 000 / 5 000 backends with 100 groups each (1 000 backends = 100 000 groups,
//! goal ≤ 50 ms). Run with `scripts/bench-policy`.

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use domain::{BackendId, BackendStatus, GroupName, LoadFactor, SiteId, StatTotals, UserGroup};
use policy::balance::{self, BalanceBackend, BalanceInput, BalanceSettings};
use policy::guard::{self, GuardBackend, GuardSettings, GuardState};
use policy::health::{self, BackendObservation, BackendTotals, HealthSettings};

struct Site {
    backends: Vec<BalanceBackend>,
    totals: Vec<BackendTotals>,
    zscores: HashMap<BackendId, HashMap<String, f64>>,
    samples: HashMap<BackendId, u64>,
    groups: Vec<UserGroup>,
    now: DateTime<Utc>,
    relative_spread: HashMap<String, f64>,
}

fn site(n: usize) -> Site {
    let site_id = SiteId::random();
    let now = DateTime::UNIX_EPOCH + Duration::days(100);
    let mut s = Site {
        backends: Vec::with_capacity(n),
        totals: Vec::with_capacity(n),
        zscores: HashMap::with_capacity(n),
        samples: HashMap::with_capacity(n),
        groups: Vec::with_capacity(n * 100),
        now,
        relative_spread: ["cpu", "memused", "metacache"].iter().map(|m| ((*m).to_owned(), 0.2)).collect(),
    };
    for i in 0..n {
        let b = BalanceBackend {
            id: BackendId::random(),
            status: BackendStatus::Online,
            load_factor: LoadFactor::MAX,
            reachable: true,
        };
        // A deterministic spread of loads and a few unhealthy backends.
        let x = ((i * 7919) % 1000) as f64 / 250.0 - 2.0;
        let metrics = ["cpu", "memused", "metacache"].iter().map(|m| ((*m).to_owned(), x)).collect();
        s.zscores.insert(b.id, metrics);
        s.samples.insert(b.id, 5000);
        let failures = if i % 50 == 0 { 95 } else { 2 };
        let t = StatTotals { successes: 100 - failures, failures };
        s.totals.push(BackendTotals { imap: t, lmtp: t });
        for g in 0..100 {
            let name = GroupName::parse(&format!("b{i}-g{g}")).unwrap_or_else(|_| GroupName::default_n(1));
            let mut group = UserGroup::new(site_id, name, b.id);
            group.last_moved_at = (g % 3 == 0).then(|| now - Duration::minutes(g as i64));
            s.groups.push(group);
        }
        s.backends.push(b);
    }
    s
}

fn decide(s: &Site) -> (usize, bool) {
    let hs = HealthSettings::default();
    let observations: Vec<BackendObservation> = s
        .backends
        .iter()
        .zip(&s.totals)
        .map(|(b, t)| {
            let health = health::classify(t, &hs);
            BackendObservation { id: b.id, status: b.status, health, current: health, groups: 100, shed_allowed: true }
        })
        .collect();
    let plan = health::plan_mitigation(&observations);
    let site: Vec<GuardBackend> = s
        .backends
        .iter()
        .map(|b| GuardBackend {
            id: b.id,
            status: b.status,
            load_factor: b.load_factor,
            groups: 100,
            evacuating: false,
            healthy_now: true,
            failing_now: false,
            can_receive: true,
        })
        .collect();
    let (_, verdict) = guard::check(&GuardState::default(), &site, plan, s.now, &GuardSettings::default());
    let input = BalanceInput {
        zscores: &s.zscores,
        samples: &s.samples,
        backends: &s.backends,
        groups: &s.groups,
        now: s.now,
        recent_moves: &[],
        relative_spread: &s.relative_spread,
    };
    let decision = balance::decide(&input, &BalanceSettings::default());
    (verdict.reasons().len(), matches!(decision, balance::BalanceDecision::Move { .. }))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("health+guard+balance");
    group.sample_size(20);
    for n in [100, 1_000, 5_000] {
        let s = site(n);
        group.bench_with_input(BenchmarkId::new("backends", format!("{n}x100groups")), &s, |b, s| {
            b.iter(|| black_box(decide(black_box(s))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
