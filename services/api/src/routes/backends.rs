//! Backends: `doveadm cluster backend add|update|status|list|remove`.

use actix_web::{HttpResponse, web};
use api_types::{BackendView, CreateBackend, UpdateBackend};
use domain::{Backend, BackendId, BackendStatus, HostName, LoadFactor, StatusChange};
use geodb::{BackendUpdate, GeoDb};
use serde::Deserialize;

use crate::auth::{Auth, Operator, Viewer};
use crate::checks::Checks;
use crate::error::ApiResult;
use crate::extract::{Body, Query};
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/backends").get(list).post(create))
        .service(web::resource("/backends/{backend}").get(get).patch(update).delete(remove));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListBackends {
    /// Only this site's backends.
    pub site: Option<String>,
}

#[utoipa::path(get, operation_id = "backends_list", path = "/api/v1/backends", tag = "backends", security(("bearer" = ["viewer"])), params(ListBackends),
    responses((status = 200, body = Vec<BackendView>)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    q: Query<ListBackends>,
) -> ApiResult<Json<Vec<BackendView>>> {
    let db = state.geodb.get()?;
    let site = match q.0.site.as_deref() {
        Some(s) => Some(lookup::site_field(&*db, "site", s).await?.id),
        None => None,
    };
    let sites = lookup::site_names(&*db).await?;
    let backends = db.list_backends(site).await?;
    Ok(Json(
        backends
            .into_iter()
            .filter_map(|b| sites.get(&b.site_id).map(|s| s.to_string()).map(|s| views::backend(b, &s)))
            .collect(),
    ))
}

#[utoipa::path(get, operation_id = "backends_get", path = "/api/v1/backends/{backend}", tag = "backends", security(("bearer" = ["viewer"])),
    params(("backend" = String, Path, description = "Backend host name")),
    responses((status = 200, body = BackendView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, host: web::Path<String>) -> ApiResult<Json<BackendView>> {
    let db = state.geodb.get()?;
    let backend = lookup::backend(&*db, &host).await?;
    Ok(Json(view(&*db, backend).await?))
}

async fn view(db: &dyn GeoDb, backend: Backend) -> ApiResult<BackendView> {
    let site = db.get_site(backend.site_id).await?;
    let site_name = site.map_or_else(|| backend.site_id.to_string(), |s| s.name.to_string());
    Ok(views::backend(backend, &site_name))
}

#[utoipa::path(post, operation_id = "backends_create", path = "/api/v1/backends", tag = "backends", security(("bearer" = ["operator"])), request_body = CreateBackend,
    responses((status = 201, body = BackendView), (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn create(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    body: Body<CreateBackend>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let req = body.0;
    let host = HostName::parse(&req.host)?;
    let site = lookup::site_field(&*db, "site", &req.site).await?;
    let backend = Backend { id: req.id.map_or_else(BackendId::random, BackendId), ..Backend::new(site.id, host) };
    db.insert_backend(&backend).await?;
    Ok(HttpResponse::Created().json(views::backend(backend, site.name.as_str())))
}

#[utoipa::path(patch, operation_id = "backends_update", path = "/api/v1/backends/{backend}", tag = "backends", security(("bearer" = ["operator"])), request_body = UpdateBackend,
    params(("backend" = String, Path, description = "Backend host name")),
    responses((status = 200, body = BackendView), (status = 404, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn update(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    host: web::Path<String>,
    body: Body<UpdateBackend>,
) -> ApiResult<Json<BackendView>> {
    let db = state.geodb.get()?;
    let backend = lookup::backend(&*db, &host).await?;
    let mut c = Checks::default();
    let status = c.take_opt("status", body.0.status.as_deref(), |s| s.parse::<BackendStatus>());
    let load_factor = match body.0.load_factor {
        None => Some(None),
        Some(v) => c.take("load_factor", LoadFactor::new(v)).map(Some),
    };
    let (Some(status), Some(load_factor)) = (status, load_factor) else {
        return Err(c.error());
    };
    let status = status.filter(|s| backend.status.change_to(*s) == StatusChange::Changed);
    let update = BackendUpdate { status, load_factor };
    let updated =
        if update == BackendUpdate::default() { backend } else { db.update_backend(backend.id, &update).await? };
    Ok(Json(view(&*db, updated).await?))
}

#[utoipa::path(delete, operation_id = "backends_remove", path = "/api/v1/backends/{backend}", tag = "backends", security(("bearer" = ["operator"])),
    params(("backend" = String, Path, description = "Backend host name")),
    responses((status = 204), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn remove(_: Auth<Operator>, state: web::Data<AppState>, host: web::Path<String>) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let backend = lookup::backend(&*db, &host).await?;
    db.delete_backend(backend.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
