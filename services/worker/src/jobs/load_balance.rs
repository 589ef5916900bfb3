//! `load_balance` (every `LOAD_BALANCE_INTERVAL_SECS` from the scheduler, low priority): reads the
//! site's per-host load z-scores, publishes how balanced the site is, and lets
//! `policy::balance::decide` pick at most one group move. The feature state `load_balancing`
//! says what happens to that decision: off, nothing (not even a reading, so an idle feature costs
//! no scrapes); dry run, it is stored as a plan; on, a `move_group` job is enqueued.
//!
//! Z-scores come from Prometheus when `PROMETHEUS_URL` is set, else from scraping every backend's
//! `/metrics` at its doveadm API address. In direct mode the warm-up count is kept in Redis per
//! host, because each job run builds a fresh scraper and an in-process count would restart at 1.
//! The job's result names the source it read (`source`: `prometheus` or `direct`). The decision
//! sees each host's figures smoothed over `HOST_LOAD_BALANCE_SMOOTHING_SECS` (`policy::smooth`),
//! kept in Redis between runs; a move it starts is applied to them at once.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::Utc;
use domain::{Backend, BackendId, Feature, FeatureState, Site};
use jobs::moves::{LoadBalancePayload, MoveGroupPayload};
use metrics_source::{DirectSource, MetricsSource, PrometheusSource, ZScores};
use policy::balance::{self, BalanceBackend, BalanceDecision, BalanceInput, BalanceSettings};
use policy::smooth::{self, Smoothed};
use queue::Delivery;
use serde_json::json;
use state::BalanceState;

use super::automation::{self, Begin};
use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult, site_safety};
use crate::metrics;

/// Bounds one metrics query or scrape: a slow backend must not hold the whole run.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: LoadBalancePayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::LoadBalancing).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };
    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    if let Some(skipped) = blocked(ctx, &site, state, &backends).await? {
        return Ok(skipped);
    }
    let now = ctx.clock.now();
    let settings = settings(ctx);
    let mut seen = read(ctx, &site, backends, now, &settings).await?;
    let decision = balance::decide(&seen.input(now), &settings);
    let mut result = json!({
        "site": site.name,
        "feature": state.to_string(),
        "source": seen.source,
        "balancedness": seen.balancedness,
        "decision": decision,
    });
    apply(ctx, &site, state, &decision, &mut seen, now, &mut result).await?;
    Ok(result)
}

/// One plan per site: nothing moves while the guard is tripped, and balancing does not run into
/// a backend an evacuation is draining or filling. `Some`: the job's skipped result.
async fn blocked(
    ctx: &Context,
    site: &Site,
    state: FeatureState,
    backends: &[Backend],
) -> Result<Option<serde_json::Value>, JobError> {
    if let Some(why) = site_safety::guard_refusal(ctx, site.id).await? {
        return Ok(Some(
            json!({ "site": site.name, "feature": state.to_string(), "skipped": why, "reason": "capacity_guard_tripped" }),
        ));
    }
    let reserved = ctx.state.reservations(site.id.0).await.map_err(|e| queue_error("read the reservations", e))?;
    if reserved.is_empty() {
        return Ok(None);
    }
    let hosts: Vec<String> =
        reserved.iter().filter_map(|r| host(backends, BackendId(r.backend_id)).map(str::to_owned)).collect();
    Ok(Some(json!({
        "site": site.name, "feature": state.to_string(), "reason": "evacuation_in_progress",
        "skipped": format!("evacuation in progress ({}): balancing waits until it ends", hosts.join(", ")),
    })))
}

fn settings(ctx: &Context) -> BalanceSettings {
    BalanceSettings {
        score_delta_threshold_ratio: ctx.balance.score_delta_threshold_ratio,
        min_samples: ctx.balance.min_samples,
        residency: chrono::Duration::from_std(ctx.balance.residency).unwrap_or(chrono::Duration::MAX),
        max_moves_per_hour: ctx.balance.max_moves_per_hour,
        min_relative_gap: ctx.balance.min_relative_gap,
        ..BalanceSettings::default()
    }
}

/// What one run read of the site: the decision's inputs, and what the run writes back.
struct Seen {
    backends: Vec<Backend>,
    groups: Vec<domain::UserGroup>,
    zscores: HashMap<BackendId, HashMap<String, f64>>,
    samples: HashMap<BackendId, u64>,
    relative_spread: HashMap<String, f64>,
    balance_backends: Vec<BalanceBackend>,
    recent_moves: Vec<chrono::DateTime<Utc>>,
    smoothed: Option<Smoothed>,
    source: &'static str,
    balancedness: f64,
}

impl Seen {
    fn input(&self, now: chrono::DateTime<Utc>) -> BalanceInput<'_> {
        BalanceInput {
            zscores: &self.zscores,
            samples: &self.samples,
            backends: &self.balance_backends,
            groups: &self.groups,
            now,
            recent_moves: &self.recent_moves,
            relative_spread: &self.relative_spread,
        }
    }
}

/// Reads the load figures (smoothed), publishes the reading, and gathers the groups, the
/// destinations' health and the recent moves.
async fn read(
    ctx: &Context,
    site: &Site,
    backends: Vec<Backend>,
    now: chrono::DateTime<Utc>,
    settings: &BalanceSettings,
) -> Result<Seen, JobError> {
    let (raw, source) = read_zscores(ctx, site, &backends).await?;
    let (reading, smoothed) = smooth(ctx, site, raw, now).await?;
    let by_host: HashMap<&str, BackendId> = backends.iter().map(|b| (b.host.as_str(), b.id)).collect();
    let zscores: HashMap<BackendId, HashMap<String, f64>> =
        reading.per_host.iter().filter_map(|(host, z)| by_host.get(host.as_str()).map(|id| (*id, z.clone()))).collect();
    let samples: HashMap<BackendId, u64> =
        reading.samples.iter().filter_map(|(host, n)| by_host.get(host.as_str()).map(|id| (*id, *n))).collect();
    let relative_spread = reading.relative_spread();
    let published = publish(ctx, site, &reading, &zscores, &backends, settings).await?;
    let groups =
        geodb::ops::all_groups(ctx.db.as_ref(), site.id).await.map_err(|e| geodb_error("list the groups", e))?;
    let candidates = site_safety::candidates(ctx, site.id, &backends, &groups, &[]).await?;
    let balance_backends: Vec<BalanceBackend> = backends
        .iter()
        .zip(&candidates)
        .map(|(b, c)| BalanceBackend {
            id: b.id,
            status: b.status,
            load_factor: b.load_factor,
            // Reachable and healthy in the current evidence: the one destination rule's inputs
            // beyond status and load factor, which the balancer checks itself.
            reachable: c.reachable && c.healthy_now,
        })
        .collect();
    let recent_moves = ctx.state.balance_moves(site.id.0).await.map_err(|e| queue_error("read balancing moves", e))?;
    Ok(Seen {
        backends,
        groups,
        zscores,
        samples,
        relative_spread,
        balance_backends,
        recent_moves,
        smoothed,
        source,
        balancedness: published.balancedness,
    })
}

/// Carries out the decision: a dry run stores it as a plan; a move is enqueued, recorded and
/// taken into the smoothed figures at once; the smoothing is stored either way.
async fn apply(
    ctx: &Context,
    site: &Site,
    state: FeatureState,
    decision: &BalanceDecision,
    seen: &mut Seen,
    now: chrono::DateTime<Utc>,
    result: &mut serde_json::Value,
) -> Result<(), JobError> {
    let codes: Vec<&str> = decision.reasons().iter().map(|r| r.code.as_str()).collect();
    match (decision, state) {
        (_, FeatureState::Dryrun) => {
            let plan = policy::plan::Plan::from_balance(site.id, now, decision);
            let id = ctx.state.put_plan(&plan).await.map_err(|e| queue_error("store the plan", e))?;
            tracing::info!(site = %site.name, plan = %id, reasons = ?codes, "load balancing dry run: plan stored");
            result["plan_id"] = json!(id);
        }
        (BalanceDecision::Move { group, from, to, .. }, _) => {
            let move_payload = MoveGroupPayload {
                site_id: site.id,
                group: group.clone(),
                destination_backend_id: *to,
                // The decision saw the group there; a group moved meanwhile must not move again.
                expected_backend_id: Some(*from),
            };
            let outcome =
                ctx.queue.submit(&move_payload).await.map_err(|e| queue_error("enqueue the group move", e))?;
            // A duplicate is a move of this group already under way: not ours, not counted.
            if let queue::EnqueueOutcome::Enqueued(id) = &outcome {
                ctx.state.record_balance_move(site.id.0, now).await.map_err(|e| queue_error("record the move", e))?;
                // The smoothed figures take the move at once: waiting for readings to show it
                // would make the same excess look unsolved and invite a second move.
                if let (Some(smoothed), Some(f), Some(t)) =
                    (seen.smoothed.as_mut(), host(&seen.backends, *from), host(&seen.backends, *to))
                {
                    let on_source = seen.groups.iter().filter(|g| g.backend_id == *from).count();
                    smooth::apply_move(smoothed, f, t, on_source);
                }
                tracing::info!(site = %site.name, group = %group, from = %from, to = %to, job = %id, "load balancing: group move enqueued");
            }
            result["move_job"] = json!(outcome);
        }
        (BalanceDecision::NoMove { .. }, _) => {
            tracing::debug!(site = %site.name, reasons = ?codes, "load balancing: no move");
        }
    }
    if let Some(smoothed) = &seen.smoothed {
        ctx.state
            .put_balance_smoothing(site.id.0, smoothed)
            .await
            .map_err(|e| queue_error("store the smoothing", e))?;
    }
    Ok(())
}

/// The site's z-scores from the configured source, and that source's name for the job's result
/// (`prometheus` or `direct`). No backend answering is passing (a restart, a network blip): retried.
async fn read_zscores(ctx: &Context, site: &Site, backends: &[Backend]) -> Result<(ZScores, &'static str), JobError> {
    let source = match &ctx.balance.prometheus_url {
        Some(url) => MetricsSource::Prometheus(PrometheusSource::new(url, SCRAPE_TIMEOUT).map_err(JobError::abort)?),
        None => {
            let mut targets = Vec::with_capacity(backends.len());
            for backend in backends {
                targets.push((backend.host.to_string(), ctx.doveadm_url(backend).await?));
            }
            MetricsSource::Direct(DirectSource::new(targets, SCRAPE_TIMEOUT).map_err(JobError::abort)?)
        }
    };
    let mut reading = source.zscores(site.name.as_str()).await.map_err(JobError::retry)?;
    if let MetricsSource::Prometheus(_) = source {
        return Ok((reading, "prometheus"));
    }
    let scraped: Vec<String> = reading.samples.keys().cloned().collect();
    let counts =
        ctx.state.add_balance_samples(site.id.0, &scraped).await.map_err(|e| queue_error("count scrapes", e))?;
    reading.samples = scraped.into_iter().map(|h| (h.clone(), counts.get(&h).copied().unwrap_or(0))).collect();
    Ok((reading, "direct"))
}

/// Publishes balancedness and per-metric spread on `/metrics` and in Redis (for the API).
async fn publish(
    ctx: &Context,
    site: &Site,
    reading: &ZScores,
    zscores: &HashMap<BackendId, HashMap<String, f64>>,
    backends: &[Backend],
    settings: &BalanceSettings,
) -> Result<BalanceState, JobError> {
    let names = balance::metric_names(zscores);
    let combined = balance::combined_scores(zscores, &names, settings.combine);
    let spread = balance::metric_spread(zscores);
    // In units of load when the source gives the spreads; z-scores alone read the same at any scale.
    let relative = balance::relative_scores(zscores, &names, &reading.relative_spread());
    let balancedness = match &relative {
        Some(shares) => balance::relative_balancedness(&balance::adjusted_scores(
            shares,
            &policy_backends(backends),
            1,
            settings.load_factor_weight,
        )),
        None => balance::balancedness(&combined),
    };
    // Signed shares of the mean, as load shares (1.0 = average) by host.
    let shares: BTreeMap<String, f64> =
        backends.iter().filter_map(|b| relative.as_ref()?.get(&b.id).map(|s| (b.host.to_string(), 1.0 + s))).collect();
    metrics::site_balance(site.name.as_str(), balancedness, &spread);
    let state = BalanceState {
        site_id: site.id.0,
        balancedness,
        spread,
        scores: reading
            .per_host
            .iter()
            .map(|(h, z)| (h.clone(), z.iter().map(|(m, v)| (m.clone(), *v)).collect()))
            .collect(),
        combined: backends
            .iter()
            .filter_map(|b| combined.get(&b.id).map(|s| (b.host.to_string(), *s)))
            .collect::<BTreeMap<_, _>>(),
        shares,
        computed_at: ctx.clock.now(),
    };
    ctx.state.put_balance_state(&state).await.map_err(|e| queue_error("store the balance reading", e))?;
    Ok(state)
}

/// The reading to decide on: `raw` folded into the site's smoothed figures (returned, to be
/// stored after the decision), or `raw` itself when smoothing is off or the source gives no site
/// statistics to recover the figures from.
async fn smooth(
    ctx: &Context,
    site: &Site,
    raw: ZScores,
    now: chrono::DateTime<Utc>,
) -> Result<(ZScores, Option<Smoothed>), JobError> {
    let tau = chrono::Duration::from_std(ctx.balance.smoothing).unwrap_or(chrono::Duration::zero());
    if tau <= chrono::Duration::zero() || raw.site_stats.is_empty() {
        return Ok((raw, None));
    }
    let previous = ctx.state.balance_smoothing(site.id.0).await.map_err(|e| queue_error("read the smoothing", e))?;
    let smoothed = smooth::update(&previous, &raw.figures(), now, tau);
    Ok((ZScores::from_figures(&smoothed.figures, raw.samples), Some(smoothed)))
}

fn host(backends: &[Backend], id: BackendId) -> Option<&str> {
    backends.iter().find(|b| b.id == id).map(|b| b.host.as_str())
}

/// The backends as the policy's load-factor adjustment sees them (status and reachability do not
/// enter it).
fn policy_backends(backends: &[Backend]) -> Vec<BalanceBackend> {
    backends
        .iter()
        .map(|b| BalanceBackend { id: b.id, status: b.status, load_factor: b.load_factor, reachable: true })
        .collect()
}
