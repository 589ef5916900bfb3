//! API tokens: created by an admin, shown once, stored hashed.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use api_types::schema::TOKEN_NAME_MAX;
use api_types::{CreateToken, CreatedToken, TokenView, WhoAmI};
use chrono::Utc;
use domain::{Role, TokenRecord, ValidationError, ValidationKind};
use uuid::Uuid;

use crate::auth::{Admin, Auth, Viewer, generate_token, hash_token};
use crate::checks::Checks;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Body;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tokens").get(list).post(create))
        .service(web::resource("/tokens/{id}").delete(remove))
        .service(web::resource("/whoami").get(whoami));
}

#[utoipa::path(get, operation_id = "tokens_list", path = "/api/v1/tokens", tag = "tokens", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<TokenView>)))]
pub async fn list(_: Auth<Admin>, state: web::Data<AppState>) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = state.geodb.get()?.list_tokens().await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenView { id: t.id, name: t.name, role: t.role, created_at: t.created_at })
            .collect(),
    ))
}

#[utoipa::path(post, operation_id = "tokens_create", path = "/api/v1/tokens", tag = "tokens", security(("bearer" = ["admin"])), request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = api_types::Problem)))]
pub async fn create(auth: Auth<Admin>, state: web::Data<AppState>, body: Body<CreateToken>) -> ApiResult<HttpResponse> {
    let mut c = Checks::default();
    let role = c.take("role", body.0.role.parse::<Role>());
    // Kept as given: the document's rule (1–128 characters; the extractor refuses control
    // characters) is the whole rule.
    let name = body.0.name;
    if name.is_empty() {
        c.take::<()>("name", Err(ValidationError::new("name", ValidationKind::Empty)));
    } else if name.chars().count() > TOKEN_NAME_MAX {
        c.take::<()>("name", Err(ValidationError::new("name", ValidationKind::TooLong { max: TOKEN_NAME_MAX })));
    }
    let Some(role) = role.filter(|_| c.is_ok()) else {
        return Err(c.error());
    };
    let token = generate_token();
    let record =
        TokenRecord { id: Uuid::new_v4(), name, role, secret_hash: hash_token(&token), created_at: Utc::now() };
    state.geodb.get()?.insert_token(&record).await?;
    tracing::info!(token_id = %record.id, role = %record.role, by = %auth.principal.name, "token created");
    // The answer carries the secret: no cache on the way may keep it.
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(CreatedToken {
        id: record.id,
        name: record.name,
        role: record.role,
        created_at: record.created_at,
        token,
    }))
}

#[utoipa::path(delete, operation_id = "tokens_remove", path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Token id")), responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn remove(auth: Auth<Admin>, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::new(ErrorCode::InvalidParameter, "id: must be a token id (UUID)").field("id"))?;
    if !state.geodb.get()?.delete_token(id).await? {
        return Err(ApiError::not_found(ErrorCode::TokenNotFound, "token", id));
    }
    state.tokens.clear();
    tracing::info!(token_id = %id, by = %auth.principal.name, "token revoked");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, operation_id = "whoami_get", path = "/api/v1/whoami", tag = "tokens", security(("bearer" = ["viewer"])),
    responses((status = 200, body = WhoAmI), (status = 401, body = api_types::Problem)))]
pub async fn whoami(auth: Auth<Viewer>) -> Json<WhoAmI> {
    Json(WhoAmI { name: auth.principal.name, role: auth.principal.role })
}
