//! API tokens: created by an admin, shown once, stored hashed.

use actix_web::{HttpResponse, web};
use api_types::{CreateToken, CreatedToken, TokenView, WhoAmI};
use chrono::Utc;
use domain::{Role, TokenRecord, ValidationError, ValidationKind};
use uuid::Uuid;

use crate::auth::{Admin, Auth, Viewer, generate_token, hash_token};
use crate::checks::Checks;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Body;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tokens").get(list).post(create))
        .service(web::resource("/tokens/{id}").delete(remove))
        .service(web::resource("/whoami").get(whoami));
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>)))]
pub async fn list(_: Auth<Admin>, state: web::Data<AppState>) -> ApiResult<web::Json<Vec<TokenView>>> {
    let tokens = state.geodb.get()?.list_tokens().await?;
    Ok(web::Json(
        tokens
            .into_iter()
            .map(|t| TokenView { id: t.id, name: t.name, role: t.role, created_at: t.created_at })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = api_types::Problem)))]
pub async fn create(auth: Auth<Admin>, state: web::Data<AppState>, body: Body<CreateToken>) -> ApiResult<HttpResponse> {
    let mut c = Checks::default();
    let role = c.take("role", body.0.role.parse::<Role>());
    let name = body.0.name.trim().to_owned();
    if name.is_empty() || name.len() > 128 {
        c.take::<()>("name", Err(ValidationError::new("name", ValidationKind::OutOfRange { min: 1, max: 128 })));
    }
    let Some(role) = role.filter(|_| c.is_ok()) else {
        return Err(c.error());
    };
    let token = generate_token();
    let record =
        TokenRecord { id: Uuid::new_v4(), name, role, secret_hash: hash_token(&token), created_at: Utc::now() };
    state.geodb.get()?.insert_token(&record).await?;
    tracing::info!(token_id = %record.id, role = %record.role, by = %auth.principal.name, "token created");
    Ok(HttpResponse::Created().json(CreatedToken {
        id: record.id,
        name: record.name,
        role: record.role,
        created_at: record.created_at,
        token,
    }))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Token id")), responses((status = 204), (status = 404, body = api_types::Problem)))]
pub async fn remove(auth: Auth<Admin>, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::new(ErrorCode::InvalidParameter, "id: must be a token id (UUID)").field("id"))?;
    if !state.geodb.get()?.delete_token(id).await? {
        return Err(ApiError::not_found(ErrorCode::TokenNotFound, "token", id));
    }
    tracing::info!(token_id = %id, by = %auth.principal.name, "token revoked");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/whoami", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = api_types::Problem)))]
pub async fn whoami(auth: Auth<Viewer>) -> web::Json<WhoAmI> {
    web::Json(WhoAmI { name: auth.principal.name, role: auth.principal.role })
}
