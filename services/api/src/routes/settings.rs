//! Cluster settings (admin writes, viewer reads) and per-site feature switches.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, web};
use api_types::{EffectiveSettingView, FeaturesView, PutFeature, PutSetting, SettingView};
use domain::{Feature, FeatureState, Setting, SettingName, SettingScope, Site};
use geodb::GeoDb;
use serde::Deserialize;

use crate::auth::{Admin, Auth, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{Body, Query};
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/settings").get(list))
        .service(web::resource("/settings/global/{name}").put(put_global).delete(delete_global))
        .service(web::resource("/sites/{site}/settings/{name}").put(put_site).delete(delete_site))
        .service(web::resource("/sites/{site}/settings/{name}/effective").get(effective))
        .service(web::resource("/backends/{backend}/settings/{name}").put(put_backend).delete(delete_backend))
        .service(web::resource("/sites/{site}/features").get(features))
        .service(web::resource("/sites/{site}/features/{feature}").put(put_feature));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListSettings {
    /// Only this site's settings (site scope).
    pub site: Option<String>,
    /// Only this backend's settings (backend scope).
    pub backend: Option<String>,
    #[param(value_type = Option<api_types::schema::SettingScopeFilter>)]
    pub scope: Option<String>,
}

#[utoipa::path(get, operation_id = "settings_list", path = "/api/v1/settings", tag = "settings", security(("bearer" = ["viewer"])), params(ListSettings),
    responses((status = 200, body = Vec<SettingView>)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    q: Query<ListSettings>,
) -> ApiResult<Json<Vec<SettingView>>> {
    let db = state.geodb.get()?;
    let q = q.0;
    // Each filter given must hold, so filters for two scopes select nothing.
    let mut wanted = Vec::new();
    match q.scope.as_deref() {
        None => {}
        Some("global") => wanted.push(SettingScope::Global),
        Some(_) => return Err(ApiError::new(ErrorCode::InvalidField, "scope: must be global").field("scope")),
    }
    if let Some(site) = q.site.as_deref() {
        wanted.push(SettingScope::Site(lookup::site_field(&*db, "site", site).await?.id));
    }
    if let Some(backend) = q.backend.as_deref() {
        wanted.push(SettingScope::Backend(lookup::backend_field(&*db, "backend", backend).await?.id));
    }
    wanted.dedup();
    let settings = match wanted.as_slice() {
        [] => db.list_settings(None).await?,
        [scope] => db.list_settings(Some(*scope)).await?,
        _ => Vec::new(),
    };
    Ok(Json(views(&*db, settings).await?))
}

async fn views(db: &dyn GeoDb, settings: Vec<Setting>) -> ApiResult<Vec<SettingView>> {
    let sites = lookup::site_names(db).await?;
    let hosts: HashMap<_, _> = db.list_backends(None).await?.into_iter().map(|b| (b.id, b.host)).collect();
    Ok(settings
        .into_iter()
        .map(|s| {
            let (site, backend) = match s.scope {
                SettingScope::Global => (None, None),
                SettingScope::Site(id) => {
                    (Some(sites.get(&id).map_or_else(|| id.to_string(), ToString::to_string)), None)
                }
                SettingScope::Backend(id) => {
                    (None, Some(hosts.get(&id).map_or_else(|| id.to_string(), ToString::to_string)))
                }
            };
            SettingView { scope: s.scope.kind().to_owned(), site, backend, name: s.name.into(), value: s.value }
        })
        .collect())
}

fn setting_name(name: &str) -> ApiResult<SettingName> {
    SettingName::parse(name).map_err(|e| ApiError::parameter(e, "name"))
}

/// Writes one setting after checking the value of the settings the controller knows.
async fn put(db: &dyn GeoDb, scope: SettingScope, name: &str, value: String) -> ApiResult<HttpResponse> {
    let name = setting_name(name)?;
    domain::settings::validate_value(&name, &value)?;
    let setting = Setting { scope, name, value };
    db.put_setting(&setting).await?;
    tracing::info!(scope = scope.kind(), name = %setting.name, "setting written");
    Ok(HttpResponse::Ok().json(views(db, vec![setting]).await?.pop()))
}

async fn delete(db: &dyn GeoDb, scope: SettingScope, name: &str) -> ApiResult<HttpResponse> {
    let name = setting_name(name)?;
    if db.delete_setting(scope, &name).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(ErrorCode::SettingNotFound, "setting", &name))
    }
}

#[utoipa::path(put, operation_id = "global_settings_put", path = "/api/v1/settings/global/{name}", tag = "settings", security(("bearer" = ["admin"])), request_body = PutSetting,
    params(("name" = String, Path, description = "Setting name")),
    responses((status = 200, body = SettingView), (status = 422, body = api_types::Problem)))]
pub async fn put_global(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: Body<PutSetting>,
) -> ApiResult<HttpResponse> {
    put(&*state.geodb.get()?, SettingScope::Global, &name, body.0.value).await
}

#[utoipa::path(delete, operation_id = "global_settings_delete", path = "/api/v1/settings/global/{name}", tag = "settings", security(("bearer" = ["admin"])),
    params(("name" = String, Path, description = "Setting name")), responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn delete_global(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> ApiResult<HttpResponse> {
    delete(&*state.geodb.get()?, SettingScope::Global, &name).await
}

#[utoipa::path(put, operation_id = "site_settings_put", path = "/api/v1/sites/{site}/settings/{name}", tag = "settings", security(("bearer" = ["admin"])), request_body = PutSetting,
    params(("site" = String, Path, description = "Site name"), ("name" = String, Path, description = "Setting name")),
    responses((status = 200, body = SettingView), (status = 404, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn put_site(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<PutSetting>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &path.0).await?;
    put(&*db, SettingScope::Site(site.id), &path.1, body.0.value).await
}

#[utoipa::path(delete, operation_id = "site_settings_delete", path = "/api/v1/sites/{site}/settings/{name}", tag = "settings", security(("bearer" = ["admin"])),
    params(("site" = String, Path, description = "Site name"), ("name" = String, Path, description = "Setting name")),
    responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn delete_site(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &path.0).await?;
    delete(&*db, SettingScope::Site(site.id), &path.1).await
}

#[utoipa::path(put, operation_id = "backend_settings_put", path = "/api/v1/backends/{backend}/settings/{name}", tag = "settings", security(("bearer" = ["admin"])), request_body = PutSetting,
    params(("backend" = String, Path, description = "Backend host name"), ("name" = String, Path, description = "Setting name")),
    responses((status = 200, body = SettingView), (status = 404, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn put_backend(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<PutSetting>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let backend = lookup::backend(&*db, &path.0).await?;
    put(&*db, SettingScope::Backend(backend.id), &path.1, body.0.value).await
}

#[utoipa::path(delete, operation_id = "backend_settings_delete", path = "/api/v1/backends/{backend}/settings/{name}", tag = "settings", security(("bearer" = ["admin"])),
    params(("backend" = String, Path, description = "Backend host name"), ("name" = String, Path, description = "Setting name")),
    responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn delete_backend(
    _: Auth<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let backend = lookup::backend(&*db, &path.0).await?;
    delete(&*db, SettingScope::Backend(backend.id), &path.1).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EffectiveQuery {
    /// Resolve for this backend of the site (backend settings override site settings).
    pub backend: Option<String>,
}

#[utoipa::path(get, operation_id = "effective_settings_get", path = "/api/v1/sites/{site}/settings/{name}/effective", tag = "settings", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), ("name" = String, Path, description = "Setting name"), EffectiveQuery),
    responses((status = 200, body = EffectiveSettingView), (status = 404, body = api_types::Problem)))]
pub async fn effective(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: Query<EffectiveQuery>,
) -> ApiResult<Json<EffectiveSettingView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &path.0).await?;
    let name = setting_name(&path.1)?;
    let backend = match q.0.backend.as_deref() {
        Some(h) => {
            let b = lookup::backend_field(&*db, "backend", h).await?;
            if b.site_id != site.id {
                return Err(ApiError::new(
                    ErrorCode::InvalidField,
                    format!("backend {h} is not in site {}", site.name),
                )
                .field("backend"));
            }
            Some(b.id)
        }
        None => None,
    };
    let found = geodb::ops::effective_setting(&*db, Some(site.id), backend, &name).await?;
    Ok(Json(EffectiveSettingView {
        name: name.into(),
        scope: found.as_ref().map_or("default", |s| s.scope.kind()).to_owned(),
        value: found.map(|s| s.value),
    }))
}

#[utoipa::path(get, operation_id = "features_list", path = "/api/v1/sites/{site}/features", tag = "features", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = FeaturesView), (status = 404, body = api_types::Problem)))]
pub async fn features(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<FeaturesView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &site).await?;
    Ok(Json(features_of(&*db, site).await?))
}

/// Every feature's state for the site (off when never set).
pub async fn features_of(db: &dyn GeoDb, site: Site) -> ApiResult<FeaturesView> {
    let mut features = BTreeMap::new();
    for feature in Feature::ALL {
        features.insert(feature.as_str().to_owned(), geodb::ops::feature_state(db, site.id, feature).await?);
    }
    Ok(FeaturesView { site: site.name.into(), features })
}

#[utoipa::path(put, operation_id = "features_put", path = "/api/v1/sites/{site}/features/{feature}", tag = "features", security(("bearer" = ["admin"])), request_body = PutFeature,
    params(("site" = String, Path, description = "Site name"), ("feature" = String, Path, description = "Feature name")),
    responses((status = 200, body = FeaturesView), (status = 404, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn put_feature(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<PutFeature>,
) -> ApiResult<Json<FeaturesView>> {
    let db = state.geodb.get()?;
    let site = lookup::site(&*db, &path.0).await?;
    let feature: Feature = path.1.parse().map_err(|e| ApiError::parameter(e, "feature"))?;
    let feature_state: FeatureState = body.0.state.parse()?;
    geodb::ops::set_feature_state(&*db, site.id, feature, feature_state).await?;
    tracing::info!(site = %site.name, %feature, state = %feature_state, by = %auth.principal.name, "feature switched");
    Ok(Json(features_of(&*db, site).await?))
}
