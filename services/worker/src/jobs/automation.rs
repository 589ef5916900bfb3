//! The start every automation job shares (`load_balance`, `error_mitigation`, `site_failover`,
//! `autoscale`, `group_balance_plan`, `group_balance_pass`): resolve the site (the payload's, else
//! the worker's home site), read the feature's state there, and stop with a `skipped` result when
//! the site does not exist or the feature is off.

use domain::{Feature, FeatureState, Site, SiteId};
use serde_json::{Value, json};

use super::JobError;
use super::context::{Context, geodb_error};

/// How an automation job begins.
pub enum Begin {
    /// Go on: the site and the feature's state there (`dryrun` or `on`).
    Run(Site, FeatureState),
    /// Stop: the job's result.
    Skip(Value),
}

pub async fn begin(ctx: &Context, site_id: Option<SiteId>, feature: Feature) -> Result<Begin, JobError> {
    let site = match site_id {
        Some(id) => ctx.db.get_site(id).await.map_err(|e| geodb_error("read the site", e))?,
        None => ctx.home_site().await?,
    };
    let Some(site) = site else {
        // The site is created by an operator; nothing to judge until then, and nothing to retry.
        tracing::warn!(site = ?site_id, home = %ctx.home_site, %feature, "site not in geodb; automation not run");
        return Ok(Begin::Skip(json!({ "skipped": "the site does not exist in GeoDB" })));
    };
    let state = geodb::ops::feature_state(ctx.db.as_ref(), site.id, feature)
        .await
        .map_err(|e| geodb_error(&format!("read the {feature} feature state"), e))?;
    if state == FeatureState::Off {
        return Ok(Begin::Skip(json!({ "site": site.name, "feature": "off", "skipped": format!("{feature} is off") })));
    }
    Ok(Begin::Run(site, state))
}
