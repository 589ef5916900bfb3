//! The capacity guard of a site: read it, and release it once an operator has looked at the
//! site (the release is recorded with the token's name and the time). Releasing only lets the
//! next error-mitigation run judge the site afresh, on current evidence; it moves nothing itself.

use actix_web::web;
use api_types::GuardView;
use chrono::Utc;
use domain::{Backend, BackendId, Site};
use policy::guard::{self, GuardState};

use crate::auth::{Auth, Operator, Viewer};
use crate::error::ApiResult;
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/guard").get(get))
        .service(web::resource("/sites/{site}/guard/release").post(release));
}

#[utoipa::path(get, operation_id = "guard_get", path = "/api/v1/sites/{site}/guard", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = GuardView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, site: web::Path<String>) -> ApiResult<Json<GuardView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    let guard = state.store()?.guard_state(site.id.0).await?;
    Ok(Json(view(&state, &site, &guard).await?))
}

#[utoipa::path(post, operation_id = "guard_release", path = "/api/v1/sites/{site}/guard/release", tag = "automation", security(("bearer" = ["operator"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = GuardView, description = "Released (or was not tripped: nothing changed)"),
        (status = 404, body = api_types::Problem)))]
pub async fn release(
    auth: Auth<Operator>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<GuardView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    let store = state.store()?;
    let mut current = store.guard_state(site.id.0).await?;
    if current.tripped {
        current = guard::release(&current, &auth.principal.name, Utc::now());
        store.put_guard_state(site.id.0, &current).await?;
        store.resolve_alert("capacity_guard", Some(site.id.0), None).await?;
        tracing::warn!(site = %site.name, by = %auth.principal.name, "capacity guard released by an operator");
    }
    Ok(Json(view(&state, &site, &current).await?))
}

async fn view(state: &AppState, site: &Site, guard: &GuardState) -> ApiResult<GuardView> {
    let backends = state.geodb.get()?.list_backends(Some(site.id)).await?;
    let host = |id: BackendId| -> String {
        backends.iter().find(|b: &&Backend| b.id == id).map_or_else(|| id.to_string(), |b| b.host.to_string())
    };
    let reserved = state.store()?.reservations(site.id.0).await?;
    Ok(GuardView {
        site: site.name.to_string(),
        tripped: guard.tripped,
        tripped_at: guard.tripped_at,
        reason: guard.reason.clone(),
        out_of_service: guard.out_of_service.iter().map(|id| host(*id)).collect(),
        share: guard.share,
        healthy_since: guard.healthy_since,
        released_at: guard.released_at,
        released_by: guard.released_by.clone(),
        evacuating: reserved.into_iter().map(|r| host(BackendId(r.backend_id))).collect(),
    })
}
