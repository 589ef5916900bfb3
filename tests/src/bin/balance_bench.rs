//! The load-balancing benchmark's driver (used by `scripts/bench-balance`; not a test):
//!   balance-bench REDIS_URL QUEUE_PREFIX GEODB_SQLITE_PATH SIM_READY_FILE
//! against a paused `cluster-sim` started with `--preassign` and the workers of QUEUE_PREFIX.
//! It skews the site (heavy half of the backends holds SKEW× the groups of the light half),
//! resumes traffic, turns `load_balancing` on and runs `load_balance` itself, one run at a time,
//! until the users-per-backend spread is within TOLERANCE (then HOLD_SECS more), TIMEOUT_SECS
//! pass, or the controller reads the site as balanced QUIET_RUNS times in a row while it is not.
//!
//! Load is users per backend by GeoDB (every backend has load multiplier 1): what all three sim
//! figures (memory, CPU, metacache) follow. Spread = (max − min) / mean of it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use domain::{BackendId, Feature, FeatureState, GroupName, SiteId};
use geodb::{ConnectOptions, GeoDb, GroupFilter, MoveOutcome, PageRequest, SqliteOptions, UserFilter};
use queue::{JobRecord, JobState, NewJob, Queue, QueueConfig};
use serde_json::{Value, json};

/// Knobs from the environment, with the script's defaults.
struct Knobs {
    skew: f64,
    tolerance: f64,
    timeout: Duration,
    hold: Duration,
    settle_ticks: u64,
    warmup_ticks: u64,
    quiet_runs: u32,
    /// HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO as the workers got it, for the report.
    threshold: f64,
}

fn knob<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| anyhow::anyhow!("{name}={v} is not a valid value")),
        Err(_) => Ok(default),
    }
}

impl Knobs {
    fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            skew: knob("SKEW", 1.5)?,
            tolerance: knob("TOLERANCE", 0.05)?,
            timeout: Duration::from_secs(knob("TIMEOUT_SECS", 480)?),
            hold: Duration::from_secs(knob("HOLD_SECS", 60)?),
            settle_ticks: knob("SETTLE_TICKS", 3)?,
            warmup_ticks: knob("WARMUP_TICKS", 15)?,
            quiet_runs: knob("QUIET_RUNS", 10)?,
            threshold: knob("HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO", 1.0)?,
        })
    }
}

/// The site as the bench sees it: sim control API, GeoDB, queue.
struct Site {
    http: reqwest::Client,
    control_url: String,
    db: std::sync::Arc<dyn GeoDb>,
    site_id: SiteId,
    queue: Queue,
    /// Backend id (as the decisions print it) → host.
    hosts: BTreeMap<String, String>,
    ids: HashMap<String, BackendId>,
    /// Hosts in their number's order (b1, b2, …).
    order: Vec<String>,
    /// Users per group; group moves never change it.
    sizes: HashMap<GroupName, u64>,
}

/// One group move the controller made.
struct Move {
    group: String,
    from: String,
    to: String,
    /// Since the feature went on.
    at: Duration,
    spread_after: f64,
    /// The decision's z-score gap between source and destination.
    gap: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [redis_url, prefix, geodb_path, ready_file] = args.as_slice() else {
        bail!("usage: balance-bench REDIS_URL QUEUE_PREFIX GEODB_SQLITE_PATH SIM_READY_FILE");
    };
    let knobs = Knobs::from_env()?;
    let site = Site::open(redis_url, prefix, geodb_path, ready_file).await?;

    let before = site.skew(knobs.skew).await?;
    let initial = site.loads().await?;
    let (lower, greedy) = minimal_moves(&initial, &site.placement().await?, &site.sizes, knobs.tolerance);
    eprintln!(
        "skewed: {before} groups moved onto the heavy half; spread {:.1} %; minimal moves ≥ {lower} (greedy offline plan: {greedy})",
        spread(&initial) * 100.0
    );
    site.post("resume").await?;
    let warm = site.ticks().await?;
    site.wait_ticks(warm + knobs.warmup_ticks).await?;
    geodb::ops::set_feature_state(site.db.as_ref(), site.site_id, Feature::LoadBalancing, FeatureState::On).await?;

    let started = Instant::now();
    let (mut moves, mut runs, mut quiet, mut balanced) = (Vec::<Move>::new(), 0u32, 0u32, 0u32);
    let mut converged: Option<(Duration, usize, u32)> = None;
    let mut hold_max = 0.0_f64;
    let outcome = loop {
        let elapsed = started.elapsed();
        if let Some((at, _, _)) = converged {
            if elapsed >= at + knobs.hold {
                break "converged";
            }
        } else if elapsed >= knobs.timeout {
            break "did not converge (time limit)";
        }
        if converged.is_none() && quiet >= knobs.quiet_runs {
            break "did not converge (controller reads balanced)";
        }
        runs += 1;
        let result = site.run_balance().await?;
        let decision = &result["decision"];
        if decision["decision"] == "move" {
            quiet = 0;
            let job = result["move_job"]["id"].as_str().context("move job id")?;
            let record = site.wait_job(job, Duration::from_secs(60)).await?;
            if record.state != JobState::Succeeded {
                eprintln!("move job {job} ended {:?}: {:?}", record.state, record.error);
            }
            let tick = site.ticks().await?;
            site.wait_ticks(tick + knobs.settle_ticks).await?;
            let s = spread(&site.loads().await?);
            let text = |k: &str| decision[k].as_str().unwrap_or_default().to_owned();
            let (from, to) = (site.host(&text("from")), site.host(&text("to")));
            let gap = decision["gap"].as_f64().unwrap_or(f64::NAN);
            eprintln!(
                "{:>6.1}s move {} {from} → {to} (z gap {gap:.2}): spread {:.1} %",
                elapsed.as_secs_f64(),
                text("group"),
                s * 100.0
            );
            moves.push(Move { group: text("group"), from, to, at: started.elapsed(), spread_after: s, gap });
        } else {
            let codes: Vec<&str> = decision["reasons"]
                .as_array()
                .map(|r| r.iter().filter_map(|r| r["code"].as_str()).collect())
                .unwrap_or_default();
            let reads_balanced = codes.contains(&"balanced");
            balanced += u32::from(reads_balanced);
            quiet = if reads_balanced { quiet + 1 } else { 0 };
            let tick = site.ticks().await?;
            site.wait_ticks(tick + 1).await?;
        }
        let s = spread(&site.loads().await?);
        match converged {
            None if s <= knobs.tolerance => converged = Some((started.elapsed(), moves.len(), runs)),
            Some(_) => hold_max = hold_max.max(s),
            None => {}
        }
    };

    let last = site.loads().await?;
    report(&Report {
        knobs: &knobs,
        site: &site,
        initial: &initial,
        last: &last,
        moves: &moves,
        lower,
        greedy,
        runs,
        balanced,
        converged,
        hold_max,
        outcome,
    });
    Ok(())
}

impl Site {
    async fn open(redis_url: &str, prefix: &str, geodb_path: &str, ready_file: &str) -> anyhow::Result<Self> {
        let ready: Value = serde_json::from_str(&std::fs::read_to_string(ready_file).context("read the ready file")?)?;
        let control_url = ready["control_url"].as_str().context("control_url")?.to_owned();
        let db = geodb::connect(&ConnectOptions::Sqlite(SqliteOptions::new(geodb_path))).await?;
        let site_id: SiteId = serde_json::from_value(ready["site_id"].clone()).context("site_id")?;
        let queue = Queue::connect(redis_url, QueueConfig::new(prefix)).await?;
        let mut backends = db.list_backends(Some(site_id)).await?;
        backends.sort_by_key(|b| (host_number(b.host.as_str()), b.host.to_string()));
        let hosts = backends.iter().map(|b| (b.id.to_string(), b.host.to_string())).collect();
        let ids = backends.iter().map(|b| (b.host.to_string(), b.id)).collect();
        let order = backends.iter().map(|b| b.host.to_string()).collect();
        let http = reqwest::Client::new();
        let mut site = Self { http, control_url, db, site_id, queue, hosts, ids, order, sizes: HashMap::new() };
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let p = site.db.list_users(site_id, &UserFilter::default(), &page).await?;
            for group in p.items.into_iter().filter_map(|u| u.group) {
                *site.sizes.entry(group).or_default() += 1;
            }
            match p.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        Ok(site)
    }

    fn host(&self, id: &str) -> String {
        self.hosts.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    /// Group → host.
    async fn placement(&self) -> anyhow::Result<HashMap<GroupName, String>> {
        let mut out = HashMap::new();
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let p = self.db.list_groups(self.site_id, &GroupFilter::default(), &page).await?;
            out.extend(p.items.into_iter().map(|g| (g.name, self.host(&g.backend_id.to_string()))));
            match p.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => return Ok(out),
            }
        }
    }

    /// Users per host, every host present.
    async fn loads(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let mut loads: BTreeMap<String, u64> = self.order.iter().map(|h| (h.clone(), 0)).collect();
        for (group, host) in self.placement().await? {
            *loads.entry(host).or_default() += self.sizes.get(&group).copied().unwrap_or(0);
        }
        Ok(loads)
    }

    /// Before traffic: the first half of the backends (host order) become heavy, holding `skew`
    /// times the groups of each light one, by moving the light ones' surplus groups (highest
    /// numbers first) over with the controller's own conditional writes. Returns groups moved.
    async fn skew(&self, skew: f64) -> anyhow::Result<usize> {
        let mut placement: Vec<(GroupName, String)> = self.placement().await?.into_iter().collect();
        placement.sort_by_key(|(g, _)| std::cmp::Reverse(group_number(g)));
        let (heavy, light) = self.order.split_at(self.order.len() / 2);
        let keep = (placement.len() as f64 / (skew * heavy.len() as f64 + light.len() as f64)).round() as usize;
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (_, host) in &placement {
            *count.entry(host.as_str()).or_default() += 1;
        }
        let mut moved = 0;
        let long_ago = Utc::now() - chrono::TimeDelta::days(1);
        for (group, host) in &placement {
            if !light.contains(host) || count[host.as_str()] <= keep {
                continue;
            }
            let to =
                heavy.iter().min_by_key(|h| (count.get(h.as_str()).copied().unwrap_or(0), *h)).context("no heavy")?;
            let (from_id, to_id) = (self.ids[host], self.ids[to]);
            let marker = format!("bench-skew-{}", group.as_str());
            let start = self.db.start_group_move(self.site_id, group, from_id, to_id, &marker).await?;
            let finish = self.db.finish_group_move(self.site_id, group, &marker, long_ago).await?;
            if !matches!((start, finish), (MoveOutcome::Applied(_), MoveOutcome::Applied(_))) {
                bail!("could not place {group} on {to}");
            }
            *count.entry(host.as_str()).or_default() -= 1;
            *count.entry(to.as_str()).or_default() += 1;
            moved += 1;
        }
        Ok(moved)
    }

    async fn state(&self) -> anyhow::Result<Value> {
        Ok(self.http.get(format!("{}/state", self.control_url)).send().await?.error_for_status()?.json().await?)
    }

    async fn post(&self, path: &str) -> anyhow::Result<()> {
        self.http.post(format!("{}/{path}", self.control_url)).send().await?.error_for_status()?;
        Ok(())
    }

    async fn ticks(&self) -> anyhow::Result<u64> {
        self.state().await?["totals"]["observer_ticks"].as_u64().context("totals.observer_ticks")
    }

    /// Waits until the sim's observer finished round `at_least` (its load figures are then fresh).
    async fn wait_ticks(&self, at_least: u64) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30 + at_least.saturating_sub(self.ticks().await?) * 2);
        while self.ticks().await? < at_least {
            if Instant::now() > deadline {
                bail!("the sim's observer stalled before round {at_least}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Enqueues one `load_balance` and returns its result.
    async fn run_balance(&self) -> anyhow::Result<Value> {
        let (kind, payload) = jobs::validate("load_balance", &json!({})).map_err(|e| anyhow::anyhow!("{e}"))?;
        let job = NewJob {
            kind: kind.as_str().to_owned(),
            payload,
            priority: kind.default_priority(),
            dedup_key: None,
            max_attempts: Some(1),
            epoch: None,
        };
        let id = self.queue.enqueue(job).await?.id().to_owned();
        let record = self.wait_job(&id, Duration::from_secs(60)).await?;
        if record.state != JobState::Succeeded {
            bail!("load_balance {id} ended {:?}: {:?}", record.state, record.error);
        }
        record.result.context("load_balance without a result")
    }

    async fn wait_job(&self, id: &str, timeout: Duration) -> anyhow::Result<JobRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            let record = self.queue.get(id).await?.context("job record vanished")?;
            if matches!(record.state, JobState::Succeeded | JobState::Dead) {
                return Ok(record);
            }
            if Instant::now() > deadline {
                bail!("job {id} still {:?} after {timeout:?}", record.state);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn group_number(group: &GroupName) -> u64 {
    group.as_str().rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The `{n}` of a `b{n}.site.sim` host.
fn host_number(host: &str) -> u64 {
    host.split('.')
        .next()
        .map(|l| l.trim_start_matches(|c: char| !c.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// (max − min) / mean.
fn spread(loads: &BTreeMap<String, u64>) -> f64 {
    let (min, max) = (loads.values().min().copied().unwrap_or(0), loads.values().max().copied().unwrap_or(0));
    let mean = loads.values().sum::<u64>() as f64 / loads.len().max(1) as f64;
    if mean > 0.0 { (max - min) as f64 / mean } else { 0.0 }
}

/// Lower bound and an offline greedy plan for the group moves that bring the spread within
/// `tolerance`. Moves keep the total, so the final loads lie in a band [lo, lo + W] holding the
/// mean (W = tolerance · mean). For each such band, a backend above it must give away at least
/// as many groups as its largest groups needed to get under the top, and one below it must
/// receive at least as many as the site's largest groups needed to reach the bottom; every move
/// is one give and one receive, so max(Σ gives, Σ receives) is a bound; the minimum over the
/// bands is the bound. The greedy plan moves, from the fullest backend to the emptiest, the group
/// whose size best closes their gap, until within tolerance: what a planner seeing the true
/// sizes achieves, an upper bound on the minimum.
fn minimal_moves(
    loads: &BTreeMap<String, u64>,
    placement: &HashMap<GroupName, String>,
    sizes: &HashMap<GroupName, u64>,
    tolerance: f64,
) -> (usize, usize) {
    let total: u64 = loads.values().sum();
    let mean = total as f64 / loads.len().max(1) as f64;
    let width = tolerance * mean;
    let mut by_host: HashMap<&str, Vec<u64>> = HashMap::new();
    for (g, h) in placement {
        by_host.entry(h.as_str()).or_default().push(sizes.get(g).copied().unwrap_or(0));
    }
    for v in by_host.values_mut() {
        v.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut largest: Vec<u64> = sizes.values().copied().collect();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    let count_to = |sorted: &[u64], need: f64| {
        let mut sum = 0.0;
        sorted
            .iter()
            .take_while(|s| {
                let short = sum < need;
                sum += **s as f64;
                short
            })
            .count()
    };
    let mut lower = usize::MAX;
    let (first, last) = ((mean - width).ceil().max(0.0) as u64, mean.floor() as u64);
    for lo in first..=last.max(first) {
        let (lo, hi) = (lo as f64, lo as f64 + width);
        let (mut gives, mut receives) = (0, 0);
        for (host, load) in loads {
            let load = *load as f64;
            if load > hi {
                gives += count_to(by_host.get(host.as_str()).map_or(&[][..], |v| v), load - hi);
            } else if load < lo {
                receives += count_to(&largest, lo - load);
            }
        }
        lower = lower.min(gives.max(receives));
    }

    let mut state: HashMap<&str, (u64, Vec<u64>)> =
        loads.iter().map(|(h, l)| (h.as_str(), (*l, by_host.get(h.as_str()).cloned().unwrap_or_default()))).collect();
    let mut greedy = 0;
    while greedy < 10 * placement.len() {
        let max = state.iter().max_by_key(|(h, (l, _))| (*l, *h)).map(|(h, (l, _))| (*h, *l));
        let min = state.iter().min_by_key(|(h, (l, _))| (*l, *h)).map(|(h, (l, _))| (*h, *l));
        let (Some((hmax, lmax)), Some((hmin, lmin))) = (max, min) else { break };
        if (lmax - lmin) as f64 <= width {
            break;
        }
        let ideal = (lmax - lmin) as f64 / 2.0;
        let groups = &state[hmax].1;
        let Some((i, size)) = groups
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, s)| *s < lmax - lmin)
            .min_by(|a, b| (a.1 as f64 - ideal).abs().total_cmp(&(b.1 as f64 - ideal).abs()))
        else {
            break;
        };
        if let Some(e) = state.get_mut(hmax) {
            e.1.remove(i);
            e.0 -= size;
        }
        if let Some(e) = state.get_mut(hmin) {
            e.1.push(size);
            e.0 += size;
        }
        greedy += 1;
    }
    (lower, greedy)
}

struct Report<'a> {
    knobs: &'a Knobs,
    site: &'a Site,
    initial: &'a BTreeMap<String, u64>,
    last: &'a BTreeMap<String, u64>,
    moves: &'a [Move],
    lower: usize,
    greedy: usize,
    runs: u32,
    /// Runs that read the site as balanced.
    balanced: u32,
    converged: Option<(Duration, usize, u32)>,
    hold_max: f64,
    outcome: &'a str,
}

/// Oscillations: a group moved back onto a backend it had left before, and a move B → A after
/// an earlier A → B (any groups) between the same pair.
fn oscillations(moves: &[Move]) -> (usize, usize) {
    let mut left: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut pairs: HashSet<(&str, &str)> = HashSet::new();
    let (mut returns, mut reversals) = (0, 0);
    for m in moves {
        let gone = left.entry(m.group.as_str()).or_default();
        if gone.contains(m.to.as_str()) {
            returns += 1;
        }
        gone.insert(m.from.as_str());
        if pairs.contains(&(m.to.as_str(), m.from.as_str())) {
            reversals += 1;
        }
        pairs.insert((m.from.as_str(), m.to.as_str()));
    }
    (returns, reversals)
}

fn report(r: &Report<'_>) {
    let (returns, reversals) = oscillations(r.moves);
    let heavy: HashSet<&String> = r.site.order[..r.site.order.len() / 2].iter().collect();
    let wrong_way = r.moves.iter().filter(|m| !heavy.contains(&m.from) && heavy.contains(&m.to)).count();
    let secs = |d: Duration| (d.as_secs_f64() * 10.0).round() / 10.0;
    let (conv_secs, conv_moves, conv_runs) = match r.converged {
        Some((at, moves, runs)) => (Some(secs(at)), Some(moves), Some(runs)),
        None => (None, None, None),
    };
    let ratio = conv_moves.map(|m| m as f64 / r.lower.max(1) as f64);
    let final_spread = spread(r.last);
    let min_spread = r.moves.iter().map(|m| m.spread_after).fold(spread(r.initial), f64::min);
    let users: u64 = r.initial.values().sum();
    let mut gaps: Vec<f64> = r.moves.iter().map(|m| m.gap).filter(|g| g.is_finite()).collect();
    gaps.sort_by(f64::total_cmp);
    let (gap_min, gap_median) =
        (gaps.first().copied().unwrap_or(0.0), gaps.get(gaps.len() / 2).copied().unwrap_or(0.0));
    // The job compares the gap with the ratio times the number of metrics (3 for the sim).
    let threshold = r.knobs.threshold * 3.0;
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let opt = |x: Option<String>| x.unwrap_or_else(|| "–".to_owned());
    println!(
        "load balancing: {} backends, {} groups, {users} users, skew {}× on half the backends, target spread ≤ {}",
        r.initial.len(),
        r.site.sizes.len(),
        r.knobs.skew,
        pct(r.knobs.tolerance)
    );
    println!(
        "driver: load_balance enqueued by the bench one run at a time (no scheduler), next run {} observer ticks after a move finished",
        r.knobs.settle_ticks
    );
    let rows = [
        ("outcome", r.outcome.to_owned()),
        ("initial spread", pct(spread(r.initial))),
        ("minimal moves (lower bound)", r.lower.to_string()),
        ("offline greedy plan", format!("{} moves", r.greedy)),
        ("moves to converge", opt(conv_moves.map(|m| m.to_string()))),
        ("ratio to minimal", opt(ratio.map(|x| format!("{x:.2}")))),
        ("time to converge", opt(conv_secs.map(|s| format!("{s} s ({} load_balance runs)", conv_runs.unwrap_or(0))))),
        ("moves in total", format!("{} in {} runs ({} read balanced)", r.moves.len(), r.runs, r.balanced)),
        ("z gap at moves: min / median", format!("{gap_min:.2} / {gap_median:.2} (threshold {threshold:.2})")),
        ("last move at", opt(r.moves.last().map(|m| format!("{} s", secs(m.at))))),
        ("moves after converging", opt(conv_moves.map(|m| (r.moves.len() - m).to_string()))),
        ("max spread while holding", opt(conv_moves.map(|_| pct(r.hold_max)))),
        ("oscillations: group moved back", returns.to_string()),
        ("oscillations: pair reversed", reversals.to_string()),
        ("moves light → heavy", wrong_way.to_string()),
        ("lowest spread seen", pct(min_spread)),
        ("final spread", pct(final_spread)),
    ];
    for (name, value) in &rows {
        println!("  {name:<32} {value}");
    }
    let line = json!({
        "bench": "balance", "backends": r.initial.len(), "groups": r.site.sizes.len(), "users": users,
        "skew": r.knobs.skew, "tolerance": r.knobs.tolerance, "outcome": r.outcome,
        "converged": r.converged.is_some(), "initial_spread": spread(r.initial),
        "minimal_moves_lower_bound": r.lower, "greedy_plan_moves": r.greedy,
        "moves_to_converge": conv_moves, "ratio": ratio, "converge_secs": conv_secs, "converge_runs": conv_runs,
        "moves_total": r.moves.len(), "runs_total": r.runs, "balanced_runs": r.balanced, "threshold": threshold, "gap_min": gap_min, "gap_median": gap_median, "last_move_secs": r.moves.last().map(|m| secs(m.at)), "returns": returns, "pair_reversals": reversals,
        "light_to_heavy_moves": wrong_way, "min_spread": min_spread, "final_spread": final_spread,
        "hold_max_spread": conv_moves.map(|_| r.hold_max),
        "final_users": r.last,
    });
    println!("{line}");
}
