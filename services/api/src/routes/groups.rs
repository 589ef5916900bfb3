//! User groups: `doveadm cluster group list|status|update`.

use actix_web::web;
use api_types::{GroupPage, GroupView, UpdateGroup};
use domain::{GroupMask, GroupName};
use geodb::{GroupFilter, GroupFlags, PageRequest};
use serde::Deserialize;

use crate::auth::{Auth, Operator, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{Body, Query};
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/groups").get(list))
        .service(web::resource("/sites/{site}/groups/{group}").get(get).patch(update));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListGroups {
    /// `*` and `?` wildcards, as `doveadm cluster group list` takes.
    #[param(value_type = Option<api_types::schema::GroupMask>)]
    pub mask: Option<String>,
    /// Only groups on this backend (host name).
    pub backend: Option<String>,
    #[param(value_type = Option<api_types::schema::Text>)]
    pub cursor: Option<String>,
    /// Default 100.
    #[param(minimum = 1, maximum = 1000)] // PageRequest::MAX_LIMIT
    pub limit: Option<u32>,
}

/// A page request from query parameters, refusing limits outside 1..=MAX.
pub fn page_request(cursor: Option<String>, limit: Option<u32>) -> ApiResult<PageRequest> {
    let limit = limit.unwrap_or(PageRequest::DEFAULT_LIMIT);
    if !(1..=PageRequest::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("limit: must be between 1 and {}", PageRequest::MAX_LIMIT),
        )
        .field("limit"));
    }
    Ok(PageRequest { cursor, limit })
}

#[utoipa::path(get, operation_id = "groups_list", path = "/api/v1/sites/{site}/groups", tag = "groups", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), ListGroups),
    responses((status = 200, body = GroupPage), (status = 404, body = api_types::Problem)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    q: Query<ListGroups>,
) -> ApiResult<Json<GroupPage>> {
    let db = state.geodb.get()?;
    let q = q.0;
    let page = page_request(q.cursor, q.limit)?;
    let mask = q
        .mask
        .as_deref()
        .map(GroupMask::parse)
        .transpose()
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).field("mask"))?;
    let site = lookup::site(&*db, &site).await?;
    let hosts = lookup::backend_hosts(&*db, site.id).await?;
    let backend = match q.backend.as_deref() {
        Some(h) => Some(lookup::backend_field(&*db, "backend", h).await?.id),
        None => None,
    };
    let result = db.list_groups(site.id, &GroupFilter { mask, backend }, &page).await?;
    Ok(Json(GroupPage {
        items: result.items.into_iter().map(|g| views::group(g, &site.name, &hosts)).collect(),
        next_cursor: result.next_cursor,
    }))
}

#[utoipa::path(get, operation_id = "groups_get", path = "/api/v1/sites/{site}/groups/{group}", tag = "groups", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), ("group" = String, Path, description = "Group name")),
    responses((status = 200, body = GroupView), (status = 404, body = api_types::Problem)))]
pub async fn get(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<Json<GroupView>> {
    let db = state.geodb.get()?;
    let (site, group) = path.into_inner();
    let site = lookup::site(&*db, &site).await?;
    let name = GroupName::parse(&group).map_err(|e| ApiError::parameter(e, "group"))?;
    let group = db
        .get_group(site.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::GroupNotFound, "group", &name))?;
    Ok(Json(views::group(group, &site.name, &lookup::backend_hosts(&*db, site.id).await?)))
}

#[utoipa::path(patch, operation_id = "groups_update", path = "/api/v1/sites/{site}/groups/{group}", tag = "groups", security(("bearer" = ["operator"])), request_body = UpdateGroup,
    params(("site" = String, Path, description = "Site name"), ("group" = String, Path, description = "Group name")),
    responses((status = 200, body = GroupView), (status = 404, body = api_types::Problem)))]
pub async fn update(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<UpdateGroup>,
) -> ApiResult<Json<GroupView>> {
    let db = state.geodb.get()?;
    let (site, group) = path.into_inner();
    let site = lookup::site(&*db, &site).await?;
    let name = GroupName::parse(&group).map_err(|e| ApiError::parameter(e, "group"))?;
    let flags = GroupFlags { sticky_users: body.0.sticky_users, sticky_backend: body.0.sticky_backend };
    let group = db.update_group_flags(site.id, &name, &flags).await?;
    Ok(Json(views::group(group, &site.name, &lookup::backend_hosts(&*db, site.id).await?)))
}
