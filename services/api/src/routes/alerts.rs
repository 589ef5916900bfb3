//! What the controller wants an operator to look at: alerts (stuck moves, refused evacuations…)
//! and the latest doveadm reachability of each backend.

use actix_web::web;
use api_types::{AlertView, BackendReachabilityView};
use domain::SiteId;
use serde::Deserialize;
use state::AlertFilter;

use crate::auth::{Auth, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Query;
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

/// Alerts kept in Redis are capped; a page never needs more.
const MAX_ALERTS: u32 = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/alerts").get(alerts))
        .service(web::resource("/sites/{site}/backend-reachability").get(backend_reachability));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListAlerts {
    /// Resolved alerts are kept for a day after they cleared.
    #[param(value_type = Option<api_types::schema::AlertFilter>)]
    pub state: Option<String>,
    /// Site name: only that site's alerts.
    pub site: Option<String>,
    /// Newest (last seen) first, default 100.
    #[param(minimum = 1, maximum = 1000)] // MAX_ALERTS
    pub limit: Option<u32>,
}

#[utoipa::path(get, operation_id = "alerts_list", path = "/api/v1/alerts", tag = "moves", security(("bearer" = ["viewer"])), params(ListAlerts),
    responses((status = 200, body = Vec<AlertView>), (status = 400, body = api_types::Problem),
        (status = 404, body = api_types::Problem)))]
pub async fn alerts(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    q: Query<ListAlerts>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let q = q.0;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_ALERTS).contains(&limit) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, format!("limit: must be between 1 and {MAX_ALERTS}")).field("limit")
        );
    }
    let mut filter = match q.state.as_deref().unwrap_or("all") {
        "all" => AlertFilter::all(limit as usize),
        "open" => AlertFilter::open(limit as usize),
        "resolved" => AlertFilter::resolved(limit as usize),
        _ => {
            return Err(ApiError::new(ErrorCode::InvalidField, "state: must be open, resolved or all").field("state"));
        }
    };
    let sites = match state.geodb.get() {
        Ok(db) => {
            if let Some(name) = &q.site {
                filter = filter.with_site(lookup::site_field(&*db, "site", name).await?.id.0);
            }
            lookup::site_names(&*db).await.unwrap_or_default()
        }
        // Without GeoDB a site name cannot be resolved; the unfiltered list still can be served.
        Err(e) if q.site.is_some() => return Err(e),
        Err(_) => Default::default(),
    };
    let alerts = state.store()?.alerts(filter).await?;
    Ok(Json(
        alerts
            .into_iter()
            .map(|a| AlertView {
                state: a.state().as_str().to_owned(),
                id: a.id,
                severity: a.severity.as_str().to_owned(),
                kind: a.kind,
                message: a.message,
                site: a.site_id.map(|id| sites.get(&SiteId(id)).map_or_else(|| id.to_string(), ToString::to_string)),
                object: a.object,
                count: a.count,
                created_at: a.created_at,
                last_seen: a.last_seen,
                resolved_at: a.resolved_at,
                context: a.context,
            })
            .collect(),
    ))
}

#[utoipa::path(get, operation_id = "backend_reachability_list", path = "/api/v1/sites/{site}/backend-reachability", tag = "moves", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = Vec<BackendReachabilityView>), (status = 404, body = api_types::Problem)))]
pub async fn backend_reachability(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<Vec<BackendReachabilityView>>> {
    let (db, store) = (state.geodb.get()?, state.store()?);
    let site = lookup::site(&*db, &site).await?;
    let hosts = lookup::backend_hosts(&*db, site.id).await?;
    let mut rows: Vec<_> = store
        .backend_reachability()
        .await?
        .into_iter()
        .filter(|r| r.site_id == site.id.0)
        .map(|r| BackendReachabilityView {
            backend: views::host_of(&hosts, domain::BackendId(r.backend_id)),
            site: site.name.to_string(),
            reachable: r.reachable,
            checked_at: r.checked_at,
            since: r.since,
            last_error: r.last_error,
        })
        .collect();
    rows.sort_by(|a, b| a.backend.cmp(&b.backend));
    Ok(Json(rows))
}
