//! `autoscale` (every `AUTOSCALE_INTERVAL_SECS` from the scheduler, low priority): builds the
//! site's [`LoadSummary`] and publishes how many backends it should have. The built-in policy
//! keeps the current count; with `AUTOSCALE_WEBHOOK_URL` set the summary is POSTed there and the
//! answer `{"desired_backends": n}` (0 to 10000) is published instead, falling back to the default
//! (with a warning) on any error. The feature state `autoscaling`: off, nothing; dry run and on
//! both publish (autoscaling only publishes a number), the record's `dry_run` flag tells them apart.

use std::time::Duration;

use domain::{Feature, FeatureState};
use jobs::automation::AutoscalePayload;
use policy::autoscale::{self, LoadSummary};
use queue::Delivery;
use serde_json::json;
use state::DesiredBackends;

use super::automation::{self, Begin};
use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult};
use crate::metrics;

/// The most a webhook may ask for: anything above is a bug on its side.
pub const MAX_DESIRED_BACKENDS: u64 = 10_000;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: AutoscalePayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::Autoscaling).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };

    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let reachability = ctx.reachability().await?;
    let counts = geodb::ops::group_counts(&*ctx.db, site.id).await.map_err(|e| geodb_error("count the groups", e))?;
    let balance = ctx.state.balance_state(site.id.0).await.map_err(|e| queue_error("read the balance state", e))?;
    let scores: Vec<f64> = balance.as_ref().map(|b| b.combined.values().copied().collect()).unwrap_or_default();
    let reachable = |id| reachability.get(&id).is_none_or(|r| r.reachable);
    let summary = LoadSummary {
        site: site.id,
        backends_total: backends.len(),
        backends_online: backends.iter().filter(|b| b.status.accepts_users()).count(),
        backends_accepting: backends
            .iter()
            .filter(|b| b.status.accepts_users() && b.load_factor.get() > 0 && reachable(b.id))
            .count(),
        groups_total: counts.values().copied().map(|n| n as usize).sum(),
        mean_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        max_score: scores.iter().copied().reduce(f64::max),
        balancedness: balance.as_ref().map(|b| b.balancedness),
        failing_backends: backends.iter().filter(|b| !reachable(b.id)).count(),
    };

    let default = autoscale::decide_default(&summary);
    let (desired, policy) = match &ctx.automation.autoscale_webhook_url {
        None => (default.desired, "default"),
        Some(url) => match ask_webhook(url, &summary).await {
            Ok(n) => (n, "webhook"),
            Err(error) => {
                tracing::warn!(site = %site.name, %error, "autoscale webhook failed; keeping the default policy");
                (default.desired, "default")
            }
        },
    };
    let record = DesiredBackends {
        site_id: site.id.0,
        desired,
        current: summary.backends_total,
        policy: policy.to_owned(),
        computed_at: ctx.clock.now(),
        dry_run: state == FeatureState::Dryrun,
    };
    ctx.state.put_desired_backends(&record).await.map_err(|e| queue_error("store the desired backends", e))?;
    metrics::desired_backends(site.name.as_str(), desired);
    tracing::info!(site = %site.name, desired, current = summary.backends_total, policy, "autoscale: desired backends published");
    Ok(json!({ "site": site.name, "feature": state.to_string(), "summary": summary, "published": record }))
}

/// POSTs the summary and reads `desired_backends` from the answer.
async fn ask_webhook(url: &str, summary: &LoadSummary) -> Result<usize, String> {
    let client = reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).build().map_err(|e| e.to_string())?;
    let response = client.post(url).json(summary).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the webhook answered {status}"));
    }
    let body: serde_json::Value = response.json().await.map_err(|e| format!("not JSON: {e}"))?;
    parse_answer(&body)
}

/// `{"desired_backends": n}` with `n` in `0..=MAX_DESIRED_BACKENDS`.
pub fn parse_answer(body: &serde_json::Value) -> Result<usize, String> {
    let n = body
        .get("desired_backends")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("no non-negative integer desired_backends in {body}"))?;
    if n > MAX_DESIRED_BACKENDS {
        return Err(format!("desired_backends {n} is above {MAX_DESIRED_BACKENDS}"));
    }
    usize::try_from(n).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_answer_is_validated() {
        assert_eq!(parse_answer(&json!({"desired_backends": 7})), Ok(7));
        assert_eq!(parse_answer(&json!({"desired_backends": 0})), Ok(0));
        assert_eq!(parse_answer(&json!({"desired_backends": 10_000})), Ok(10_000));
        assert!(parse_answer(&json!({"desired_backends": 10_001})).is_err());
        assert!(parse_answer(&json!({"desired_backends": -1})).is_err());
        assert!(parse_answer(&json!({"desired_backends": 2.5})).is_err());
        assert!(parse_answer(&json!({"other": 3})).is_err());
    }
}
