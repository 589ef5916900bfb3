//! Proxy destination statistics of a site over a time window (read-only).

use actix_web::web;
use api_types::{StatRowView, StatTotalsView, StatsView};
use chrono::{DateTime, Duration, Utc};
use domain::stats::totals_by_backend;
use serde::Deserialize;

use crate::auth::{Auth, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Query;
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

/// Default window when the client gives none.
const DEFAULT_WINDOW: Duration = Duration::minutes(5);
/// Longest window one request may read: protects GeoDB from scanning weeks of rows.
const MAX_WINDOW: Duration = Duration::hours(24);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/stats").get(get));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Start of the window (RFC 3339), default five minutes before `until`.
    pub since: Option<DateTime<Utc>>,
    /// End of the window (RFC 3339, exclusive), default now.
    pub until: Option<DateTime<Utc>>,
    /// Only this backend (host name).
    pub backend: Option<String>,
}

#[utoipa::path(get, operation_id = "stats_get", path = "/api/v1/sites/{site}/stats", tag = "stats", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), StatsQuery),
    responses((status = 200, body = StatsView), (status = 400, body = api_types::Problem), (status = 404, body = api_types::Problem)))]
pub async fn get(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    q: Query<StatsQuery>,
) -> ApiResult<Json<StatsView>> {
    let db = state.geodb.get()?;
    let q = q.0;
    let until = q.until.unwrap_or_else(Utc::now);
    let since = q.since.unwrap_or(until - DEFAULT_WINDOW);
    if since >= until {
        return Err(ApiError::new(ErrorCode::InvalidField, "since: must be before until").field("since"));
    }
    if until - since > MAX_WINDOW {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "since: the window may span at most 24 hours").field("since")
        );
    }
    let site = lookup::site(&*db, &site).await?;
    let backend = match q.backend.as_deref() {
        Some(h) => Some(lookup::backend_field(&*db, "backend", h).await?.id),
        None => None,
    };
    let hosts = lookup::backend_hosts(&*db, site.id).await?;
    let mut rows = db.read_stats(site.id, since, until).await?;
    rows.retain(|r| backend.is_none_or(|b| r.backend_id == b));
    let totals = totals_by_backend(&rows)
        .into_iter()
        .map(|((backend, protocol), t)| StatTotalsView {
            backend: views::host_of(&hosts, backend),
            protocol,
            successes: t.successes,
            failures: t.failures,
            failure_ratio: t.failure_ratio(),
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| StatRowView {
            proxy: r.proxy.into(),
            backend: views::host_of(&hosts, r.backend_id),
            protocol: r.protocol,
            window_start: r.window_start,
            window_secs: r.window_secs,
            successes: r.successes,
            failures: r.failures,
        })
        .collect();
    Ok(Json(StatsView { site: site.name.into(), since, until, rows, totals }))
}
