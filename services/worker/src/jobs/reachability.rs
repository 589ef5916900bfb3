//! `reachability` (every 10 s from the scheduler): probes the doveadm API of every backend of
//! the home site with `clusterBackendStatus`, a few at a time, and stores one record per backend.
//! Any error marks a backend unreachable at once, except a host name that does not resolve,
//! which is tolerated for `BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS`
//! from its first failure (DNS hiccups are common and brief); one success clears the mark. Move
//! destinations are checked against these records. The rule is [`next_record`], a pure function.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Backend;
use doveadm::DoveadmError;
use futures::StreamExt;
use queue::Delivery;
use serde_json::json;
use state::BackendReachability;

use super::JobResult;
use super::context::{Context, geodb_error, queue_error};
use crate::metrics;

/// Probes in flight at once: enough for a large site within the 10 s period, few enough not to
/// burst the worker's sockets.
const CONCURRENT_PROBES: usize = 16;

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Answered,
    NameResolution(String),
    Failed(String),
}

impl Probe {
    fn from_result(result: Result<serde_json::Value, DoveadmError>) -> Self {
        match result {
            Ok(_) => Self::Answered,
            // A server without the cluster plugin answered, which is all a probe asks.
            Err(DoveadmError::UnknownCommand(_)) => Self::Answered,
            Err(e @ DoveadmError::NameResolution(_)) => Self::NameResolution(e.to_string()),
            Err(e) => Self::Failed(e.to_string()),
        }
    }
}

/// The backend's new record, from its previous one and this probe.
pub fn next_record(
    backend: &Backend,
    previous: Option<&BackendReachability>,
    probe: Probe,
    now: DateTime<Utc>,
    grace: Duration,
) -> BackendReachability {
    let was_reachable = previous.is_none_or(|p| p.reachable);
    let (reachable, last_error, name_failure_since) = match probe {
        Probe::Answered => (true, None, None),
        Probe::Failed(error) => (false, Some(error), None),
        Probe::NameResolution(error) => {
            let since = previous.and_then(|p| p.name_failure_since).unwrap_or(now);
            let failing_for = (now - since).to_std().unwrap_or_default();
            // Within the grace period the backend keeps whatever it was before the failures.
            let reachable = was_reachable && failing_for < grace;
            (reachable, Some(error), Some(since))
        }
    };
    let since = match previous {
        Some(p) if p.reachable == reachable => p.since,
        _ => now,
    };
    BackendReachability {
        backend_id: backend.id.0,
        site_id: backend.site_id.0,
        host: backend.host.to_string(),
        reachable,
        checked_at: now,
        since,
        last_error,
        name_failure_since,
    }
}

pub async fn run(ctx: &Context, _delivery: &Delivery) -> JobResult {
    let Some(site) = ctx.home_site().await? else {
        // Not an error of this job: the site is created by an operator. Recorded, not retried.
        tracing::warn!(site = %ctx.home_site, "home site not in geodb; no backend to probe");
        return Ok(json!({ "site": ctx.home_site, "skipped": "the home site does not exist in GeoDB" }));
    };
    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let previous = ctx.reachability().await?;
    let probes: Vec<(Backend, Probe)> = futures::stream::iter(backends.iter().cloned())
        .map(|backend| async move {
            let probe = match ctx.doveadm_url(&backend).await {
                Ok(url) => Probe::from_result(ctx.doveadm.backend_status(&url).await),
                Err(error) => Probe::Failed(error.to_string()),
            };
            (backend, probe)
        })
        .buffer_unordered(CONCURRENT_PROBES)
        .collect()
        .await;

    let now = ctx.clock.now();
    let mut unreachable = Vec::new();
    for (backend, probe) in probes {
        let record = next_record(&backend, previous.get(&backend.id), probe, now, ctx.moves.name_resolution_grace);
        let was = previous.get(&backend.id).map(|p| p.reachable);
        if was != Some(record.reachable) {
            tracing::info!(backend = %backend.host, reachable = record.reachable, error = ?record.last_error, "backend reachability changed");
        }
        metrics::backend_reachable(site.name.as_str(), backend.host.as_str(), record.reachable);
        if !record.reachable {
            unreachable.push(backend.host.to_string());
        }
        ctx.state.put_backend_reachability(&record).await.map_err(|e| queue_error("store reachability", e))?;
    }
    // Records of this site's backends that were removed would otherwise linger forever.
    for (id, record) in &previous {
        if record.site_id == site.id.0 && !backends.iter().any(|b| b.id == *id) {
            ctx.state.forget_backend_reachability(id.0).await.map_err(|e| queue_error("forget reachability", e))?;
        }
    }
    unreachable.sort();
    Ok(json!({ "site": site.name, "backends": backends.len(), "unreachable": unreachable }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "reachability_test.rs"]
mod tests;
