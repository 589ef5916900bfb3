//! What the site-level automations last decided: the failover percentage and the desired number
//! of backends. Read-only; the jobs write them.

use actix_web::web;
use api_types::{AutoscaleView, FailoverView};

use crate::auth::{Auth, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/failover").get(failover))
        .service(web::resource("/sites/{site}/autoscale").get(autoscale));
}

#[utoipa::path(get, operation_id = "failover_get", path = "/api/v1/sites/{site}/failover", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = FailoverView), (status = 404, body = api_types::Problem)))]
pub async fn failover(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<FailoverView>> {
    let site = lookup::site(&*state.geodb.get()?, &site).await?;
    let store = state.store()?;
    let live = store.failover_state(site.id.0).await?;
    let dry = store.failover_dry_run(site.id.0).await?;
    let Some(current) = live.clone().or(dry.clone()) else {
        return Err(ApiError::new(
            ErrorCode::NoReading,
            format!("site failover has not run for site {} (is site_failover off?)", site.name),
        ));
    };
    Ok(Json(FailoverView {
        site: site.name.into(),
        percent: live.as_ref().map_or(0, |l| l.state.percent),
        bad_streak: current.state.bad_streak,
        good_streak: current.state.good_streak,
        quiet_streak: current.state.quiet_streak,
        failed_probes: current.state.failed_probes,
        last_action: current.last_action,
        updated_at: current.updated_at,
        dry_run_percent: dry.map(|d| d.state.percent),
    }))
}

#[utoipa::path(get, operation_id = "autoscale_get", path = "/api/v1/sites/{site}/autoscale", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = AutoscaleView), (status = 404, body = api_types::Problem)))]
pub async fn autoscale(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<AutoscaleView>> {
    let site = lookup::site(&*state.geodb.get()?, &site).await?;
    let desired = state.store()?.desired_backends(site.id.0).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoReading,
            format!("autoscaling has not run for site {} (is autoscaling off?)", site.name),
        )
    })?;
    Ok(Json(AutoscaleView {
        site: site.name.into(),
        desired: desired.desired,
        current: desired.current,
        policy: desired.policy,
        dry_run: desired.dry_run,
        computed_at: desired.computed_at,
    }))
}
