//! Tags: `doveadm cluster tag create|update|delete|list`.

use actix_web::{HttpResponse, web};
use api_types::{CreateTag, TagView, UpdateTag};
use domain::{Tag, TagId, TagName};

use crate::auth::{Auth, Operator, Viewer};
use crate::error::ApiResult;
use crate::extract::Body;
use crate::reply::Json;
use crate::state::AppState;
use crate::{lookup, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tags").get(list).post(create))
        .service(web::resource("/tags/{tag}").get(get).patch(update).delete(remove));
}

#[utoipa::path(get, operation_id = "tags_list", path = "/api/v1/tags", tag = "tags", security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<TagView>)))]
pub async fn list(_: Auth<Viewer>, state: web::Data<AppState>) -> ApiResult<Json<Vec<TagView>>> {
    let tags = state.geodb.get()?.list_tags().await?;
    Ok(Json(tags.into_iter().map(views::tag).collect()))
}

#[utoipa::path(get, operation_id = "tags_get", path = "/api/v1/tags/{tag}", tag = "tags", security(("bearer" = ["viewer"])),
    params(("tag" = String, Path, description = "Tag name or id")),
    responses((status = 200, body = TagView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, tag: web::Path<String>) -> ApiResult<Json<TagView>> {
    Ok(Json(views::tag(lookup::tag(&*state.geodb.get()?, &tag).await?)))
}

#[utoipa::path(post, operation_id = "tags_create", path = "/api/v1/tags", tag = "tags", security(("bearer" = ["operator"])), request_body = CreateTag,
    responses((status = 201, body = TagView), (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn create(_: Auth<Operator>, state: web::Data<AppState>, body: Body<CreateTag>) -> ApiResult<HttpResponse> {
    let tag = Tag { id: body.0.id.map_or_else(TagId::random, TagId), name: TagName::parse(&body.0.name)? };
    state.geodb.get()?.insert_tag(&tag).await?;
    Ok(HttpResponse::Created().json(views::tag(tag)))
}

#[utoipa::path(patch, operation_id = "tags_update", path = "/api/v1/tags/{tag}", tag = "tags", security(("bearer" = ["operator"])), request_body = UpdateTag,
    params(("tag" = String, Path, description = "Tag name or id")),
    responses((status = 200, body = TagView), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn update(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    tag: web::Path<String>,
    body: Body<UpdateTag>,
) -> ApiResult<Json<TagView>> {
    let db = state.geodb.get()?;
    let name = TagName::parse(&body.0.name)?;
    let tag = lookup::tag(&*db, &tag).await?;
    Ok(Json(views::tag(db.rename_tag(tag.id, &name).await?)))
}

#[utoipa::path(delete, operation_id = "tags_remove", path = "/api/v1/tags/{tag}", tag = "tags", security(("bearer" = ["operator"])),
    params(("tag" = String, Path, description = "Tag name or id")),
    responses((status = 204), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn remove(_: Auth<Operator>, state: web::Data<AppState>, tag: web::Path<String>) -> ApiResult<HttpResponse> {
    let db = state.geodb.get()?;
    let tag = lookup::tag(&*db, &tag).await?;
    db.delete_tag(tag.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
