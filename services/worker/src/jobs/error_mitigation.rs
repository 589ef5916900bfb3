//! `error_mitigation` (every `ERROR_MITIGATION_INTERVAL_SECS` from the scheduler): judges each
//! backend of a site from the failures its proxies recorded in `proxy_dest_stats` over the last
//! `ERROR_MITIGATION_WINDOW_SECS`, plans with `policy::health`, and has the capacity guard check
//! the plan. What happens next is the site's `error_mitigation` feature state:
//!
//! - `off`: nothing is read or decided (the default: automation is opt-in per site);
//! - `dryrun`: the decision is stored as a plan (`Queue::put_plan`) for an operator to read and
//!   maybe approve; nothing else changes;
//! - `on`: the plan is carried out by [`super::execute_plan::execute`], the same code that runs an
//!   approved plan, so a dry run records exactly what a live run would do.
//!
//! A refused guard moves nothing in any state and raises a critical `capacity_guard` alert.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::stats::{Protocol, totals_by_backend};
use domain::{BackendId, Feature, FeatureState, Site};
use jobs::mitigation::ErrorMitigationPayload;
use policy::guard::{self, GuardDecision, GuardSettings};
use policy::health::{self, BackendObservation, BackendTotals, HealthSettings};
use policy::plan::Plan;
use queue::{Alert, AlertSeverity, Delivery};
use serde_json::json;

use super::context::{Context, geodb_error, queue_error};
use super::execute_plan;
use super::{JobError, JobResult};

/// Counts refusals of the capacity guard, labelled by site name (bounded by the sites).
pub const CAPACITY_GUARD_REFUSALS: &str = "controller_capacity_guard_refusals_total";

/// The longest proxy statistics window we expect (proxies write per-minute rows; ten minutes
/// leaves room for slower ones without reading hours of rows every run).
const ROW_LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

pub fn health_settings(config: &config::MitigationConfig) -> HealthSettings {
    HealthSettings {
        host_failure_ratio: config.host_failure_ratio,
        evacuate_ratio: config.evacuate_failure_ratio,
        min_samples: config.min_samples,
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

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: ErrorMitigationPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let site = match payload.site_id {
        Some(id) => ctx.db.get_site(id).await.map_err(|e| geodb_error("read the site", e))?,
        None => ctx.home_site().await?,
    };
    let Some(site) = site else {
        // The site is created by an operator; nothing to judge until then, and nothing to retry.
        return Ok(json!({ "skipped": "the site does not exist in GeoDB" }));
    };
    let state = geodb::ops::feature_state(&*ctx.db, site.id, Feature::ErrorMitigation)
        .await
        .map_err(|e| geodb_error("read the error_mitigation feature state", e))?;
    if state == FeatureState::Off {
        return Ok(json!({ "site": site.name, "skipped": "feature error_mitigation is off" }));
    }

    let (plan, decision) = decide(ctx, &site).await?;
    if let GuardDecision::Refused { would_evacuate, total, ratio, .. } = &decision {
        refuse(ctx, &site, state, *would_evacuate, *total, *ratio, &plan).await;
    }
    let reasons: Vec<&str> = plan.reasons.iter().map(|r| r.code.as_str()).collect();
    if state == FeatureState::Dryrun {
        // Only decisions worth reading are stored: an empty plan every minute would push the
        // interesting ones out of the per-site list.
        let refused = matches!(decision, GuardDecision::Refused { .. });
        let plan_id = if plan.moves.is_empty() && !refused {
            None
        } else {
            let id = ctx.queue.put_plan(&plan).await.map_err(|e| queue_error("store the plan", e))?;
            tracing::info!(site = %site.name, plan_id = %id, moves = plan.moves.len(), "dry run: error-mitigation plan stored");
            Some(id)
        };
        return Ok(
            json!({ "site": site.name, "state": "dryrun", "plan_id": plan_id, "moves": plan.moves, "reasons": reasons }),
        );
    }
    let executed = execute_plan::execute(ctx, &site, &plan.moves, &delivery.job_id).await?;
    if !plan.moves.is_empty() {
        tracing::info!(site = %site.name, moves = plan.moves.len(), "error mitigation acted");
    }
    Ok(json!({ "site": site.name, "state": "on", "moves": plan.moves, "executed": executed, "reasons": reasons }))
}

/// Reads the observations and decides: the plan (no moves when refused) and the guard's verdict.
async fn decide(ctx: &Context, site: &Site) -> Result<(Plan, GuardDecision), JobError> {
    let now = Utc::now();
    let window = chrono::TimeDelta::from_std(ctx.mitigation.window).unwrap_or(chrono::TimeDelta::minutes(5));
    let since = now - window;
    // Rows are keyed by the start of their own window (a proxy's minute, say), so a row that
    // started before `since` may still hold attempts inside it: read back one lookback further
    // and keep the rows whose window overlaps ours.
    let rows = ctx
        .db
        .read_stats(site.id, since - ROW_LOOKBACK, now)
        .await
        .map_err(|e| geodb_error("read proxy_dest_stats", e))?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| r.window_start + chrono::TimeDelta::seconds(i64::from(r.window_secs)) > since)
        .collect();
    let totals = backend_totals(&rows);
    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let counts = geodb::ops::group_counts(&*ctx.db, site.id)
        .await
        .map_err(|e| geodb_error("count the groups per backend", e))?;
    let settings = health_settings(&ctx.mitigation);
    let observations: Vec<BackendObservation> = backends
        .iter()
        .map(|b| BackendObservation {
            id: b.id,
            status: b.status,
            health: health::classify(&totals.get(&b.id).copied().unwrap_or_default(), &settings),
            groups: counts.get(&b.id).copied().unwrap_or(0),
        })
        .collect();
    let mitigation = health::plan_mitigation(&observations, &settings);
    let guard_settings = GuardSettings { capacity_guard_ratio: ctx.mitigation.capacity_guard_ratio };
    let decision = guard::check(mitigation, backends.len(), &guard_settings);
    let plan = Plan::from_mitigation(site.id, now, &decision);
    Ok((plan, decision))
}

/// The guard refused: nothing moves, and an operator must hear about it (alert, log, metric).
async fn refuse(
    ctx: &Context,
    site: &Site,
    state: FeatureState,
    would_evacuate: usize,
    total: usize,
    ratio: f64,
    plan: &Plan,
) {
    metrics::counter!(CAPACITY_GUARD_REFUSALS, "site" => site.name.to_string()).increment(1);
    let message = plan
        .reasons
        .iter()
        .find(|r| r.code == "capacity_guard")
        .map_or_else(|| "capacity guard refused error mitigation".to_owned(), |r| r.message.clone());
    let alert = Alert::new(AlertSeverity::Critical, "capacity_guard", format!("site {}: {message}", site.name))
        .with_site(site.id.0)
        .with_context(json!({
            "feature_state": state.as_str(),
            "would_evacuate": would_evacuate,
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
