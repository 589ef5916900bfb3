//! Site reachability: whether one site's proxies can reach another site.

use actix_web::web;
use api_types::{PutReachability, ReachabilityView};
use chrono::Utc;
use domain::{SiteId, SiteReachability};
use serde::Deserialize;

use crate::auth::{Auth, Operator, Viewer};
use crate::error::ApiResult;
use crate::extract::{Body, Query};
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reachability").get(list)).service(web::resource("/reachability/{src}/{dest}").put(put));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListReachability {
    /// Source site name.
    pub src: Option<String>,
    /// Destination site name.
    pub dest: Option<String>,
}

#[utoipa::path(get, operation_id = "reachability_list", path = "/api/v1/reachability", tag = "sites", security(("bearer" = ["viewer"])), params(ListReachability),
    responses((status = 200, body = Vec<ReachabilityView>)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    q: Query<ListReachability>,
) -> ApiResult<Json<Vec<ReachabilityView>>> {
    let db = state.geodb.get()?;
    let src = match q.0.src.as_deref() {
        Some(s) => Some(lookup::site_field(&*db, "src", s).await?.id),
        None => None,
    };
    let dest = match q.0.dest.as_deref() {
        Some(s) => Some(lookup::site_field(&*db, "dest", s).await?.id),
        None => None,
    };
    let names = lookup::site_names(&*db).await?;
    let name = |id: SiteId| names.get(&id).map_or_else(|| id.to_string(), ToString::to_string);
    let rows = db.list_site_reachability(src, dest).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ReachabilityView {
                src: name(r.src_site_id),
                dest: name(r.dest_site_id),
                reachable: r.reachable,
                updated_at: r.updated_at,
            })
            .collect(),
    ))
}

#[utoipa::path(put, operation_id = "reachability_put", path = "/api/v1/reachability/{src}/{dest}", tag = "sites", security(("bearer" = ["operator"])), request_body = PutReachability,
    params(("src" = String, Path, description = "Source site name"), ("dest" = String, Path, description = "Destination site name")),
    responses((status = 200, body = ReachabilityView), (status = 404, body = api_types::Problem)))]
pub async fn put(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<PutReachability>,
) -> ApiResult<Json<ReachabilityView>> {
    let db = state.geodb.get()?;
    let src = lookup::site(&*db, &path.0).await.map_err(|e| e.field("src"))?;
    let dest = lookup::site(&*db, &path.1).await.map_err(|e| e.field("dest"))?;
    let row = SiteReachability {
        src_site_id: src.id,
        dest_site_id: dest.id,
        reachable: body.0.reachable,
        updated_at: Utc::now(),
    };
    db.put_site_reachability(&row).await?;
    Ok(Json(ReachabilityView {
        src: src.name.into(),
        dest: dest.name.into(),
        reachable: row.reachable,
        updated_at: row.updated_at,
    }))
}
