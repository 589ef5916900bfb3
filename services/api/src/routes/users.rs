//! Users: `doveadm cluster user status|delete`, and a paginated listing per site.

use actix_web::{HttpResponse, web};
use api_types::{UserPage, UserView};
use domain::{GroupName, User, UserName};
use geodb::{GeoDb, UserFilter};
use serde::Deserialize;

use crate::auth::{Auth, Operator, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Query;
use crate::reply::Json;
use crate::routes::groups::page_request;
use crate::state::AppState;
use crate::{lookup, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/users").get(list))
        .service(web::resource("/users/{user}").get(get).delete(remove));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    /// Only this group's users.
    pub group: Option<String>,
    #[param(value_type = Option<api_types::schema::Text>)]
    pub cursor: Option<String>,
    /// Default 100.
    #[param(minimum = 1, maximum = 1000)] // PageRequest::MAX_LIMIT
    pub limit: Option<u32>,
}

#[utoipa::path(get, operation_id = "users_list", path = "/api/v1/sites/{site}/users", tag = "users", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), ListUsers),
    responses((status = 200, body = UserPage), (status = 404, body = api_types::Problem)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    q: Query<ListUsers>,
) -> ApiResult<Json<UserPage>> {
    let db = state.geodb.get()?;
    let q = q.0;
    let page = page_request(q.cursor, q.limit)?;
    let group = q
        .group
        .as_deref()
        .map(GroupName::parse)
        .transpose()
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).field("group"))?;
    let site = lookup::site(&*db, &site).await?;
    let sites = [(site.id, site.name.clone())].into_iter().collect();
    let result = db.list_users(site.id, &UserFilter { group }, &page).await?;
    Ok(Json(UserPage {
        items: result.items.into_iter().map(|u| views::user(u, &sites, None)).collect(),
        next_cursor: result.next_cursor,
    }))
}

#[utoipa::path(get, operation_id = "users_get", path = "/api/v1/users/{user}", tag = "users", security(("bearer" = ["viewer"])),
    params(("user" = String, Path, description = "User name")),
    responses((status = 200, body = UserView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, user: web::Path<String>) -> ApiResult<Json<UserView>> {
    let db = state.geodb.get()?;
    let user = find(&*db, &user).await?;
    let backend = match &user.group {
        Some(g) => match db.get_group(user.site_id, g).await? {
            Some(group) => Some(views::host_of(&lookup::backend_hosts(&*db, user.site_id).await?, group.backend_id)),
            None => None,
        },
        None => None,
    };
    Ok(Json(views::user(user, &lookup::site_names(&*db).await?, backend)))
}

async fn find(db: &dyn GeoDb, name: &str) -> ApiResult<User> {
    let name = UserName::parse(name).map_err(|e| ApiError::parameter(e, "user"))?;
    db.get_user(&name).await?.ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "user", &name))
}

#[utoipa::path(delete, operation_id = "users_remove", path = "/api/v1/users/{user}", tag = "users", security(("bearer" = ["operator"])),
    params(("user" = String, Path, description = "User name")),
    responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn remove(_: Auth<Operator>, state: web::Data<AppState>, user: web::Path<String>) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let user = find(&*db, &user).await?;
    if !db.delete_user(&user.name).await? {
        return Err(ApiError::not_found(ErrorCode::UserNotFound, "user", &user.name));
    }
    Ok(HttpResponse::NoContent().finish())
}
