//! `error_mitigation` (every `ERROR_MITIGATION_INTERVAL_SECS` from the scheduler): judges each
//! backend of a site on current evidence (`policy::evidence`: the attempts its proxies recorded in
//! `proxy_dest_stats` since the previous runs, acted on only once a verdict has held for
//! `ERROR_MITIGATION_CONFIRM_SECS`), plans with `policy::health`, and has the capacity guard judge
//! the plan against the whole site and its own memory (`policy::guard`). What happens next is the
//! site's `error_mitigation` feature state:
//!
//! - `off`: nothing is read or decided (the default: automation is opt-in per site);
//! - `dryrun`: the decision is stored as a plan (`Queue::put_plan`) for an operator to read and
//!   maybe approve; no move starts. The evidence and the guard's memory are kept as in a live
//!   run, so the plan is the one a live run would make;
//! - `on`: the evacuations' sources are reserved for the site (one plan per site) and the plan is
//!   carried out by [`super::execute_plan::execute`], the same code that runs an approved plan.
//!
//! A refusing guard moves nothing in any state and keeps the `capacity_guard` (or
//! `capacity_insufficient`) alert open; it resolves when the guard lets a plan through again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::stats::{Protocol, totals_by_backend};
use domain::{Backend, BackendId, Feature, FeatureState, Site, UserGroup};
use jobs::mitigation::ErrorMitigationPayload;
use policy::evidence::{self, Assessment, Evidence, EvidenceSettings, Reading};
use policy::guard::{self, GuardBackend, GuardDecision, GuardSettings, Refusal};
use policy::health::{self, BackendObservation, BackendTotals, HealthSettings};
use policy::plan::{Plan, PlannedMove};
use policy::{Reason, destination};
use queue::Delivery;
use serde_json::json;
use state::{Alert, AlertSeverity, Reserved};

use super::automation::{self, Begin};
use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult, execute_plan, site_safety};

/// Counts refusals of the capacity guard, labelled by site name (bounded by the sites).
pub const CAPACITY_GUARD_REFUSALS: &str = "controller_capacity_guard_refusals_total";

/// The rows compared each run: those whose window may still grow (proxies write per-minute rows,
/// and flush late), with room for a late flush. Older rows are final and were compared already.
const READ_BACK: chrono::TimeDelta = chrono::TimeDelta::minutes(3);

pub fn health_settings(config: &controller_config::MitigationConfig) -> HealthSettings {
    HealthSettings {
        host_failure_ratio: config.host_failure_ratio,
        evacuate_ratio: config.evacuate_failure_ratio,
        min_samples: config.min_samples,
    }
}

fn evidence_settings(config: &controller_config::MitigationConfig) -> EvidenceSettings {
    let secs = |d: std::time::Duration| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
    EvidenceSettings { window: secs(config.window), confirm: secs(config.confirm) }
}

pub fn guard_settings(config: &controller_config::MitigationConfig) -> GuardSettings {
    GuardSettings {
        capacity_guard_ratio: config.capacity_guard_ratio,
        max_growth: config.max_growth,
        cooldown: config.guard_cooldown.and_then(|d| chrono::TimeDelta::from_std(d).ok()),
    }
}

/// Per backend, the IMAP and LMTP totals the health rules judge (other protocols are not
/// judged: Palomar's failure ratio is about logins and deliveries).
pub fn backend_totals(rows: &[domain::stats::ProxyDestStat]) -> BTreeMap<BackendId, BackendTotals> {
    let mut out: BTreeMap<BackendId, BackendTotals> = BTreeMap::new();
    for ((backend, protocol), totals) in totals_by_backend(rows) {
        let entry = out.entry(backend).or_default();
        match protocol {
            Protocol::Imap => entry.imap = totals,
            Protocol::Lmtp => entry.lmtp = totals,
            Protocol::Pop3 | Protocol::Submission | Protocol::Sieve => {}
        }
    }
    out
}

/// The rows as the evidence compares them: per backend and row window, summed over proxies.
fn reading(rows: &[domain::stats::ProxyDestStat]) -> Reading {
    let mut by_window: BTreeMap<i64, Vec<domain::stats::ProxyDestStat>> = BTreeMap::new();
    for row in rows {
        by_window.entry(row.window_start.timestamp()).or_default().push(row.clone());
    }
    let mut out = Reading::new();
    for (window, rows) in by_window {
        for (backend, totals) in backend_totals(&rows) {
            out.entry(backend).or_default().insert(window, totals);
        }
    }
    out
}

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: ErrorMitigationPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::ErrorMitigation).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };

    let now = ctx.clock.now();
    let mut site_view = observe(ctx, &site, now).await?;
    let (plan, decision) = decide(ctx, &site, &site_view, now).await?;
    let codes: Vec<&str> = plan.reasons.iter().map(|r| r.code.as_str()).collect();
    let refused = matches!(decision, GuardDecision::Refused { .. });
    let result = if state == FeatureState::Dryrun {
        // Only decisions worth reading are stored: an empty plan every run would push the
        // interesting ones out of the per-site list.
        let plan_id = if plan.moves.is_empty() && !refused {
            None
        } else {
            let id = ctx.state.put_plan(&plan).await.map_err(|e| queue_error("store the plan", e))?;
            tracing::info!(site = %site.name, plan_id = %id, moves = plan.moves.len(), "dry run: error-mitigation plan stored");
            Some(id)
        };
        json!({ "site": site.name, "state": "dryrun", "plan_id": plan_id, "moves": plan.moves, "reasons": codes })
    } else {
        let moves = reserve(ctx, &site, plan.moves.clone()).await?;
        let executed = execute_plan::execute(ctx, &site, &moves, &delivery.job_id).await?;
        for mv in &moves {
            if let PlannedMove::Group { from, .. } = mv
                && let Some(b) = site_view.evidence.backends.get_mut(from)
            {
                b.last_shed_at = Some(now);
            }
        }
        if !moves.is_empty() {
            tracing::info!(site = %site.name, moves = moves.len(), "error mitigation acted");
        }
        json!({ "site": site.name, "state": "on", "moves": moves, "executed": executed, "reasons": codes })
    };
    ctx.state.put_evidence(site.id.0, &site_view.evidence).await.map_err(|e| queue_error("store the evidence", e))?;
    Ok(result)
}

/// What one run saw of the site.
struct SiteView {
    backends: Vec<Backend>,
    groups: Vec<UserGroup>,
    assessments: BTreeMap<BackendId, Assessment>,
    /// The evidence after this run's reading, to be stored at the end of the run.
    evidence: Evidence,
}

/// Reads the site and folds the newest statistics into its evidence.
async fn observe(ctx: &Context, site: &Site, now: DateTime<Utc>) -> Result<SiteView, JobError> {
    // Running totals are compared per window, so only windows that may still grow are read.
    let (rows, read_from) = ctx.stats_covering(site.id, now - READ_BACK, now, domain::stats::NO_LOOKBACK).await?;
    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let groups = geodb::ops::all_groups(&*ctx.db, site.id).await.map_err(|e| geodb_error("list the groups", e))?;
    let mut previous = ctx.state.evidence(site.id.0).await.map_err(|e| queue_error("read the evidence", e))?;
    // Backends removed from the site are forgotten.
    previous.backends.retain(|id, _| backends.iter().any(|b| b.id == *id));
    let settings = health_settings(&ctx.mitigation);
    let (mut evidence, assessments) = evidence::observe(
        &previous,
        reading(&rows),
        read_from.timestamp(),
        now,
        &settings,
        &evidence_settings(&ctx.mitigation),
    );
    evidence.backends.retain(|id, _| backends.iter().any(|b| b.id == *id));
    Ok(SiteView { backends, groups, assessments, evidence })
}

/// Plans on the confirmed evidence and has the guard judge the plan; stores the guard's memory,
/// raises or resolves its alert, and names the group and destination of each shed.
async fn decide(
    ctx: &Context,
    site: &Site,
    view: &SiteView,
    now: DateTime<Utc>,
) -> Result<(Plan, GuardDecision), JobError> {
    let watch = chrono::TimeDelta::from_std(ctx.mitigation.watch).unwrap_or(chrono::TimeDelta::MAX);
    let assessment = |id: &BackendId| view.assessments.get(id).copied();
    let counts = group_counts(&view.groups);
    let observations: Vec<BackendObservation> = view
        .backends
        .iter()
        .map(|b| {
            let a = assessment(&b.id);
            let unknown = health::BackendHealth::Unknown { attempts: 0 };
            BackendObservation {
                id: b.id,
                status: b.status,
                health: a.map_or(unknown, |a| a.confirmed),
                current: a.map_or(unknown, |a| a.current),
                groups: counts.get(&b.id).copied().unwrap_or(0),
                shed_allowed: view
                    .evidence
                    .backends
                    .get(&b.id)
                    .and_then(|e| e.last_shed_at)
                    .is_none_or(|t| now - t >= watch),
            }
        })
        .collect();
    let mitigation = health::plan_mitigation(&observations);
    let sources: Vec<BackendId> =
        mitigation.evacuate.iter().chain(&mitigation.set_offline).chain(&mitigation.shed_one_group).copied().collect();
    let candidates = site_safety::candidates(ctx, site.id, &view.backends, &view.groups, &sources).await?;
    let reserved: Vec<BackendId> =
        candidates.iter().filter(|c| c.source && !sources.contains(&c.id)).map(|c| c.id).collect();
    let guard_backends: Vec<GuardBackend> = view
        .backends
        .iter()
        .zip(&candidates)
        .map(|(b, c)| GuardBackend {
            id: b.id,
            status: b.status,
            load_factor: b.load_factor,
            groups: c.groups,
            evacuating: reserved.contains(&b.id),
            healthy_now: assessment(&b.id).is_none_or(|a| a.healthy_now()),
            failing_now: assessment(&b.id).is_some_and(|a| a.current.is_failing()),
            can_receive: destination::refusal(&policy::destination::Candidate { source: false, ..*c }).is_none(),
        })
        .collect();
    let before = ctx.state.guard_state(site.id.0).await.map_err(|e| queue_error("read the capacity guard", e))?;
    let (after, decision) = guard::check(&before, &guard_backends, mitigation, now, &guard_settings(&ctx.mitigation));
    if after != before {
        ctx.state.put_guard_state(site.id.0, &after).await.map_err(|e| queue_error("store the capacity guard", e))?;
    }
    let mut plan = Plan::from_mitigation(site.id, now, &decision);
    match &decision {
        GuardDecision::Refused { refusal, would_evacuate, total, ratio, .. } => {
            refuse(ctx, site, *refusal, *would_evacuate, *total, *ratio, &plan).await;
        }
        GuardDecision::Proceed { .. } => {
            ctx.resolve("capacity_guard", Some(site.id.0), None).await;
            ctx.resolve("capacity_insufficient", Some(site.id.0), None).await;
            name_sheds(ctx, &mut plan, view, &candidates, now);
        }
    }
    Ok((plan, decision))
}

fn group_counts(groups: &[UserGroup]) -> BTreeMap<BackendId, u64> {
    let mut out = BTreeMap::new();
    for g in groups {
        *out.entry(g.backend_id).or_default() += 1;
    }
    out
}

/// Gives each "move one group away" its group and destination, so a dry-run plan names them and
/// a live run moves exactly that; a shed with no group or no healthy destination is dropped with
/// its reason.
fn name_sheds(
    ctx: &Context,
    plan: &mut Plan,
    view: &SiteView,
    candidates: &[policy::destination::Candidate],
    now: DateTime<Utc>,
) {
    let residency = chrono::TimeDelta::from_std(ctx.balance.residency).unwrap_or(chrono::TimeDelta::MAX);
    let mut reasons = Vec::new();
    plan.moves.retain_mut(|mv| {
        let PlannedMove::Group { group, from, to } = mv else { return true };
        let on_source: Vec<&UserGroup> = view.groups.iter().filter(|g| g.backend_id == *from).collect();
        if on_source.iter().any(|g| g.is_moving()) {
            reasons.push(Reason::info("shed_watching", format!("a group is still moving off backend {from}")));
            return false;
        }
        let Some(chosen) = destination::shed_group(&on_source, now, residency) else {
            reasons.push(Reason::info(
                "shed_no_group",
                format!("backend {from} has no group that may move (moving, pinned or moved within its residency)"),
            ));
            return false;
        };
        let Some(best) = destination::best(candidates) else {
            reasons.push(Reason::warning(
                "no_healthy_destination",
                format!("no healthy backend of the site can take a group from backend {from}"),
            ));
            return false;
        };
        *group = Some(chosen.name.clone());
        *to = Some(best);
        true
    });
    plan.reasons.extend(reasons);
}

/// Reserves every evacuation's source for the site before anything moves, so no other move of
/// the site sends groups to it. An evacuation whose source another owner holds is left out.
async fn reserve(ctx: &Context, site: &Site, moves: Vec<PlannedMove>) -> Result<Vec<PlannedMove>, JobError> {
    let mut out = Vec::with_capacity(moves.len());
    for mv in moves {
        if let PlannedMove::Evacuate { backend } = &mv {
            let owner = site_safety::evacuation_owner(*backend);
            let reserved = ctx
                .state
                .reserve_sources(site.id.0, &[backend.0], &owner, site_safety::RESERVATION_TTL)
                .await
                .map_err(|e| queue_error("reserve the evacuation's source", e))?;
            if let Reserved::Conflict { owner: holder, .. } = reserved {
                tracing::warn!(backend = %backend, holder, "evacuation source reserved by another owner; not evacuating it now");
                continue;
            }
        }
        out.push(mv);
    }
    Ok(out)
}

/// The guard refused: nothing moves, and an operator must hear about it (one open alert per
/// site and kind, its count and last-seen time updated every run; log; metric).
async fn refuse(
    ctx: &Context,
    site: &Site,
    refusal: Refusal,
    would_evacuate: usize,
    total: usize,
    ratio: f64,
    plan: &Plan,
) {
    metrics::counter!(CAPACITY_GUARD_REFUSALS, "site" => site.name.to_string()).increment(1);
    let kind = match refusal {
        Refusal::Tripped | Refusal::StillTripped => "capacity_guard",
        Refusal::Capacity => "capacity_insufficient",
    };
    let message = plan
        .reasons
        .iter()
        .find(|r| r.code == kind)
        .map_or_else(|| "capacity guard refused error mitigation".to_owned(), |r| r.message.clone());
    let alert = Alert::new(AlertSeverity::Critical, kind, format!("site {}: {message}", site.name))
        .with_site(site.id.0)
        .with_context(json!({
            "refusal": refusal,
            "out_of_service": would_evacuate,
            "backends": total,
            "ratio": ratio,
            "reasons": plan.reasons,
        }));
    ctx.raise(alert).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use domain::stats::ProxyDestStat;
    use domain::{HostName, SiteId};

    #[test]
    fn totals_keep_imap_and_lmtp_apart_and_ignore_other_protocols() {
        let (site, b) = (SiteId::random(), BackendId::random());
        let row = |protocol, successes, failures| ProxyDestStat {
            site_id: site,
            proxy: HostName::parse("p1").unwrap(),
            backend_id: b,
            protocol,
            window_start: Utc::now(),
            window_secs: 60,
            successes,
            failures,
        };
        let rows = [row(Protocol::Imap, 5, 95), row(Protocol::Lmtp, 10, 0), row(Protocol::Pop3, 0, 100)];
        let totals = backend_totals(&rows);
        assert_eq!(totals[&b].imap.failures, 95);
        assert_eq!(totals[&b].lmtp.successes, 10);
        let settings = HealthSettings::default();
        assert!(health::classify(&totals[&b], &settings).is_failing());
    }
}
