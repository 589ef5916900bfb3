//! Bearer-token authentication in the extractor type: a handler that takes `Auth<Operator>`
//! cannot run without an operator (or admin) token. Tokens are stored only as SHA-256 hashes.
//!
//! The token is resolved by a middleware ([`resolve`]) before any extractor runs, and `Auth`
//! only reads the outcome: actix polls a handler's extractors together, so a token looked up
//! inside the extractor could lose the race to a body error, and a caller without the right
//! token would learn how its body would have been judged.

use std::marker::PhantomData;

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Tokens this API issues start with this prefix, so leaked ones are easy to recognise.
pub const TOKEN_PREFIX: &str = "cct_";

/// The role a route requires.
pub trait RequiredRole {
    const ROLE: Role;
}

#[derive(Debug)]
pub struct Viewer;
#[derive(Debug)]
pub struct Operator;
#[derive(Debug)]
pub struct Admin;

impl RequiredRole for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl RequiredRole for Operator {
    const ROLE: Role = Role::Operator;
}
impl RequiredRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// Who made the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

/// An authenticated caller whose role includes `R`.
#[derive(Debug)]
pub struct Auth<R> {
    pub principal: Principal,
    _role: PhantomData<R>,
}

impl<R: RequiredRole + 'static> FromRequest for Auth<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = match req.extensions().get::<Authenticated>() {
            Some(Authenticated(outcome)) => outcome.clone(),
            None => Err(missing_token()),
        };
        ready(outcome.and_then(|principal| {
            if principal.role.allows(R::ROLE) {
                Ok(Auth { principal, _role: PhantomData })
            } else {
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!("this route needs the {} role; the token has {}", R::ROLE, principal.role),
                ))
            }
        }))
    }
}

/// The request's token, resolved: who sent it, or why it was refused.
struct Authenticated(Result<Principal, ApiError>);

/// Middleware: resolves the bearer token of a request that sends one, for [`Auth`] to read.
pub async fn resolve(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let outcome = match (req.app_data::<web::Data<AppState>>(), bearer_token(req.request())) {
            (Some(state), Ok(token)) => authenticate(state, &token).await,
            (None, _) => Err(ApiError::new(ErrorCode::Internal, "application state missing")),
            (_, Err(e)) => Err(e),
        };
        req.extensions_mut().insert(Authenticated(outcome));
    }
    next.call(req).await
}

fn missing_token() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "send Authorization: Bearer <token>")
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(missing_token)?;
    let value = value.to_str().map_err(|_| missing_token())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing_token)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing_token());
    }
    Ok(token.trim().to_owned())
}

async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let hash = hash_token(token);
    if let Some(bootstrap) = &state.admin_token_hash
        && bool::from(bootstrap.as_bytes().ct_eq(hash.as_bytes()))
    {
        return Ok(Principal { name: "bootstrap-admin".into(), role: Role::Admin });
    }
    if let Some(principal) = state.tokens.get(&hash) {
        return Ok(principal);
    }
    let db = state.geodb.get()?;
    match db.find_token(&hash).await? {
        Some(record) => {
            let principal = Principal { name: record.name, role: record.role };
            state.tokens.insert(hash, principal.clone());
            Ok(principal)
        }
        None => Err(ApiError::new(ErrorCode::Unauthenticated, "unknown or revoked token")),
    }
}

/// Hex SHA-256 of a token: what GeoDB stores. Tokens carry 256 random bits, so a fast hash
/// is enough (no password stretching needed).
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// A new random token.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_hex() {
        let (a, b) = (generate_token(), generate_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        let h = hash_token(&a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_token(&a));
        assert_ne!(h, hash_token(&b));
    }
}
