//! `site_failover` (every `SITE_FAILOVER_INTERVAL_SECS` from the scheduler, high priority): sums
//! the site's `proxy_dest_stats` over `SITE_FAILOVER_WINDOW_SECS` into one total and lets
//! `policy::failover::decide` move the site's force-move percentage by at most one step. The
//! feature state `site_failover` says what happens: off, nothing; dry run, the decision is stored
//! in the failover store apart from the live state (flagged `dry_run`; a plan has no way to
//! express a percentage); on, the new percentage is stored and written to the site-scope GeoDB
//! setting `force_move_percentage`, which the proxies act on.

use chrono::Utc;
use domain::stats::ProxyDestStat;
use domain::{Feature, FeatureState, Setting, SettingName, SettingScope, StatTotals};
use jobs::automation::SiteFailoverPayload;
use policy::failover::{self, FailoverSettings, SiteAction};
use queue::Delivery;
use serde_json::json;
use state::StoredFailover;

use super::automation::{self, Begin};
use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult};
use crate::metrics;

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: SiteFailoverPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::SiteFailover).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };
    let dry_run = state == FeatureState::Dryrun;

    let now = ctx.clock.now();
    let window = chrono::TimeDelta::from_std(ctx.automation.failover_window).unwrap_or(chrono::TimeDelta::minutes(2));
    let since = now - window;
    let (rows, _) = ctx.stats_covering(site.id, since, now, domain::stats::ROW_LOOKBACK).await?;
    let totals = site_totals(&rows, since);

    let stored =
        if dry_run { ctx.state.failover_dry_run(site.id.0).await } else { ctx.state.failover_state(site.id.0).await }
            .map_err(|e| queue_error("read the failover state", e))?;
    let previous = stored.map(|s| s.state).unwrap_or_default();
    let decision = failover::decide(previous, totals, &settings(ctx));
    let action = action_name(decision.action);
    let record = StoredFailover {
        site_id: site.id.0,
        state: decision.state,
        last_action: action.to_owned(),
        dry_run,
        updated_at: now,
    };

    if !dry_run && decision.state.percent != previous.percent {
        // The setting first: a state stored ahead of it would never be written again.
        let name = SettingName::parse(domain::settings::FORCE_MOVE_PERCENTAGE)
            .map_err(|e| JobError::abort(format!("setting name: {e}")))?;
        let setting = Setting { scope: SettingScope::Site(site.id), name, value: decision.state.percent.to_string() };
        ctx.db.put_setting(&setting).await.map_err(|e| geodb_error("set force_move_percentage", e))?;
        tracing::warn!(site = %site.name, from = previous.percent, to = decision.state.percent, "site failover: force-move percentage changed");
    }
    ctx.state.put_failover_state(&record).await.map_err(|e| queue_error("store the failover state", e))?;
    if !dry_run {
        metrics::site_failover_percent(site.name.as_str(), decision.state.percent);
    }
    Ok(json!({
        "site": site.name,
        "feature": state.to_string(),
        "dry_run": dry_run,
        "totals": totals,
        "action": decision.action,
        "percent": decision.state.percent,
        "reasons": decision.reasons,
    }))
}

/// The policy settings from the worker's configuration.
pub fn settings(ctx: &Context) -> FailoverSettings {
    let a = &ctx.automation;
    FailoverSettings {
        down_failure_ratio: a.failover_down_ratio,
        up_failure_ratio: a.failover_up_ratio,
        windows_required: a.failover_streak,
        max_step_percent: a.failover_max_step,
        min_attempts: a.failover_min_samples,
    }
}

/// Sums every row (all proxies, backends and protocols) whose window overlaps `since..`.
pub fn site_totals(rows: &[ProxyDestStat], since: chrono::DateTime<Utc>) -> StatTotals {
    rows.iter().filter(|r| r.overlaps(since)).fold(StatTotals::default(), |acc, r| StatTotals {
        successes: acc.successes.saturating_add(r.successes),
        failures: acc.failures.saturating_add(r.failures),
    })
}

fn action_name(action: SiteAction) -> &'static str {
    match action {
        SiteAction::Hold => "hold",
        SiteAction::StepDown { .. } => "step_down",
        SiteAction::StepUp { .. } => "step_up",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use domain::stats::Protocol;
    use domain::{BackendId, HostName, SiteId};

    fn row(start: chrono::DateTime<Utc>, successes: u64, failures: u64) -> ProxyDestStat {
        ProxyDestStat {
            site_id: SiteId::random(),
            proxy: HostName::parse("proxy1").unwrap(),
            backend_id: BackendId::random(),
            protocol: Protocol::Imap,
            window_start: start,
            window_secs: 60,
            successes,
            failures,
        }
    }

    #[test]
    fn totals_sum_every_overlapping_row_and_skip_older_ones() {
        let now = Utc::now();
        let since = now - chrono::TimeDelta::seconds(120);
        let rows = [
            row(now - chrono::TimeDelta::seconds(30), 10, 5),
            row(now - chrono::TimeDelta::seconds(150), 1, 2), // ends 90 s ago: overlaps
            row(now - chrono::TimeDelta::seconds(400), 100, 100), // ended long before
        ];
        assert_eq!(site_totals(&rows, since), StatTotals { successes: 11, failures: 7 });
        assert_eq!(action_name(SiteAction::StepDown { to_percent: 10 }), "step_down");
    }
}
