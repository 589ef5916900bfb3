//! Sites: `doveadm cluster site add|update|status|list|init|remove`.

use actix_web::{HttpResponse, web};
use api_types::{CreateSite, InitReport, InitSite, SiteView, UpdateSite};
use domain::{HostName, Site, SiteId, SiteName, SiteStatus, StatusChange};
use geodb::{GeoDb, SiteUpdate};

use crate::auth::{Auth, Operator, Viewer};
use crate::checks::Checks;
use crate::error::ApiResult;
use crate::extract::Body;
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites").get(list).post(create))
        .service(web::resource("/sites/{site}").get(get).patch(update).delete(remove))
        .service(web::resource("/sites/{site}/init").post(init));
}

#[utoipa::path(get, operation_id = "sites_list", path = "/api/v1/sites", tag = "sites", security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<SiteView>)))]
pub async fn list(_: Auth<Viewer>, state: web::Data<AppState>) -> ApiResult<Json<Vec<SiteView>>> {
    let db = state.geodb.get()?;
    let tags = lookup::tag_names(&*db).await?;
    Ok(Json(db.list_sites().await?.into_iter().map(|s| views::site(s, &tags)).collect()))
}

#[utoipa::path(get, operation_id = "sites_get", path = "/api/v1/sites/{site}", tag = "sites", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = SiteView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, site: web::Path<String>) -> ApiResult<Json<SiteView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    Ok(Json(views::site(site, &lookup::tag_names(&*db).await?)))
}

#[utoipa::path(post, operation_id = "sites_create", path = "/api/v1/sites", tag = "sites", security(("bearer" = ["operator"])), request_body = CreateSite,
    responses((status = 201, body = SiteView), (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn create(_: Auth<Operator>, state: web::Data<AppState>, body: Body<CreateSite>) -> ApiResult<HttpResponse> {
    let view = create_site(&*state.geodb.get()?, body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Adds a site, online, as `doveadm cluster site add` does.
pub async fn create_site(db: &dyn GeoDb, req: CreateSite) -> ApiResult<SiteView> {
    let mut c = Checks::default();
    let name = c.take("name", SiteName::parse(&req.name));
    let load_balancer = c.take_opt("load_balancer", req.load_balancer.as_deref(), HostName::parse);
    let (Some(name), Some(load_balancer)) = (name, load_balancer) else {
        return Err(c.error());
    };
    let tag = match req.tag.as_deref() {
        Some(t) => Some(lookup::tag_field(db, "tag", t).await?.id),
        None => None,
    };
    let site = Site { id: req.id.map_or_else(SiteId::random, SiteId), tag, load_balancer, ..Site::new(name) };
    db.insert_site(&site).await?;
    Ok(views::site(site, &lookup::tag_names(db).await?))
}

#[utoipa::path(patch, operation_id = "sites_update", path = "/api/v1/sites/{site}", tag = "sites", security(("bearer" = ["operator"])), request_body = UpdateSite,
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = SiteView), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn update(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    body: Body<UpdateSite>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(update_site(&*state.geodb.get()?, &site, body.0).await?))
}

/// Changes a site's status, load balancer, tag or name; a status equal to the current one is
/// not written.
pub async fn update_site(db: &dyn GeoDb, site: &str, req: UpdateSite) -> ApiResult<SiteView> {
    let site = lookup::site(db, site).await?;
    let mut c = Checks::default();
    let status = c.take_opt("status", req.status.as_deref(), |s| s.parse::<SiteStatus>());
    let name = c.take_opt("name", req.name.as_deref(), SiteName::parse);
    let load_balancer = match req.load_balancer {
        None => Some(None),
        Some(None) => Some(Some(None)),
        Some(Some(lb)) => c.take("load_balancer", HostName::parse(&lb)).map(|h| Some(Some(h))),
    };
    let (Some(status), Some(name), Some(load_balancer)) = (status, name, load_balancer) else {
        return Err(c.error());
    };
    let tag = match req.tag {
        None => None,
        Some(None) => Some(None),
        Some(Some(t)) => Some(Some(lookup::tag_field(db, "tag", &t).await?.id)),
    };
    let status = status.filter(|s| site.status.change_to(*s) == StatusChange::Changed);
    let update = SiteUpdate { status, load_balancer, tag, name };
    let updated = if update == SiteUpdate::default() { site } else { db.update_site(site.id, &update).await? };
    Ok(views::site(updated, &lookup::tag_names(db).await?))
}

#[utoipa::path(delete, operation_id = "sites_remove", path = "/api/v1/sites/{site}", tag = "sites", security(("bearer" = ["operator"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 204), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn remove(_: Auth<Operator>, state: web::Data<AppState>, site: web::Path<String>) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    db.delete_site(site.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, operation_id = "sites_init", path = "/api/v1/sites/{site}/init", tag = "sites", security(("bearer" = ["operator"])), request_body = InitSite,
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = InitReport), (status = 409, body = api_types::Problem)))]
pub async fn init(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    body: Body<InitSite>,
) -> ApiResult<Json<InitReport>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    let report = geodb::ops::init_site(&*db, site.id, body.0.update).await?;
    tracing::info!(site = %site.name, update = body.0.update, created = report.created, deleted = report.deleted, "site initialised");
    Ok(Json(InitReport { created: report.created, deleted: report.deleted, users_unassigned: report.users_unassigned }))
}
