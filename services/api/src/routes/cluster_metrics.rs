//! Aggregated cluster statistics in OpenMetrics, for Prometheus: one site, or every site whose
//! `cluster_metrics` feature is not off. Viewer token, so a scrape config can carry a read-only
//! credential. `dryrun` serves like `on`: a read-only endpoint has nothing to hold back.

use actix_web::{HttpResponse, web};
use domain::{Feature, FeatureState};

use crate::auth::{Auth, Viewer};
use crate::cluster_stats::{families, gather};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::lookup;
use crate::openmetrics::{CONTENT_TYPE, render};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/metrics").get(site_metrics))
        .service(web::resource("/cluster/metrics").get(cluster_metrics));
}

#[utoipa::path(get, operation_id = "site_metrics_get", path = "/api/v1/sites/{site}/metrics", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, description = "OpenMetrics text (application/openmetrics-text)"),
        (status = 404, description = "No such site, or its cluster_metrics feature is off", body = api_types::Problem)))]
pub async fn site_metrics(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    if geodb::ops::feature_state(&*db, site.id, Feature::ClusterMetrics).await? == FeatureState::Off {
        return Err(ApiError::new(
            ErrorCode::FeatureOff,
            format!(
                "cluster_metrics is off for site {}; turn it on with PUT /api/v1/sites/{}/features/cluster_metrics",
                site.name, site.name
            ),
        ));
    }
    let queue = state.store().ok();
    let snapshot = gather::site(&*db, queue.as_ref(), &site).await?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(render(&families(&[snapshot]))))
}

#[utoipa::path(get, operation_id = "cluster_metrics_get", path = "/api/v1/cluster/metrics", tag = "automation", security(("bearer" = ["viewer"])),
    responses((status = 200, description = "OpenMetrics text of every site whose cluster_metrics feature is not off")))]
pub async fn cluster_metrics(_: Auth<Viewer>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let queue = state.store().ok();
    let mut snapshots = Vec::new();
    for site in db.list_sites().await? {
        if geodb::ops::feature_state(&*db, site.id, Feature::ClusterMetrics).await? != FeatureState::Off {
            snapshots.push(gather::site(&*db, queue.as_ref(), &site).await?);
        }
    }
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(render(&families(&snapshots))))
}
