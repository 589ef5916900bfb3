//! Authentication of the simulated doveadm HTTP API, as Dovecot does it: `X-Dovecot-API <base64
//! key>` against `doveadm_api_key`, or Basic `doveadm:<password>` against `doveadm_password`.
//! Missing (or unusable) credentials are a 401, wrong ones a 403. It lives in the [`Authorized`]
//! extractor, so a handler cannot forget it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::BackendCtx;
use crate::options::DoveadmAuth;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("authentication failed")]
    Failed,
}

/// Checks an `Authorization` header value against the configured credentials.
pub fn check(header: Option<&[u8]>, auth: &DoveadmAuth) -> Result<(), AuthError> {
    if auth.is_open() {
        return Ok(());
    }
    let header = header.and_then(|h| std::str::from_utf8(h).ok()).ok_or(AuthError::Missing)?;
    let (scheme, credentials) = header.trim().split_once(' ').ok_or(AuthError::Missing)?;
    let expected: Option<(&[u8], &str)> = if scheme.eq_ignore_ascii_case("X-Dovecot-API") {
        Some((b"", auth.api_key.as_deref().unwrap_or_default()))
    } else if scheme.eq_ignore_ascii_case("Basic") {
        Some((b"doveadm:", auth.password.as_deref().unwrap_or_default()))
    } else {
        None
    };
    let (prefix, secret) = expected.ok_or(AuthError::Missing)?;
    let decoded = STANDARD.decode(credentials.trim()).map_err(|_| AuthError::Failed)?;
    // An unset secret never matches: the empty string is refused as a key or password.
    let ok = !secret.is_empty()
        && decoded.strip_prefix(prefix).is_some_and(|given| bool::from(given.ct_eq(secret.as_bytes())));
    if ok { Ok(()) } else { Err(AuthError::Failed) }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Missing => StatusCode::UNAUTHORIZED,
            Self::Failed => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if *self == Self::Missing {
            response.insert_header((WWW_AUTHENTICATE, "Basic realm=\"doveadm\""));
        }
        response.content_type("text/plain; charset=utf-8").body(format!("{self}\n"))
    }
}

/// Proof that the request carried valid credentials.
#[derive(Debug)]
pub struct Authorized;

impl FromRequest for Authorized {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req.headers().get(AUTHORIZATION).map(|h| h.as_bytes());
        // Without the backend's context nothing is configured to check against: refuse.
        let result = match req.app_data::<web::Data<BackendCtx>>() {
            Some(ctx) => check(header, &ctx.sim.options.auth).map(|()| Authorized),
            None => Err(AuthError::Failed),
        };
        ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> DoveadmAuth {
        DoveadmAuth { api_key: Some("s3cret".into()), password: Some("pw".into()) }
    }

    fn header(scheme: &str, raw: &str) -> Vec<u8> {
        format!("{scheme} {}", STANDARD.encode(raw)).into_bytes()
    }

    #[test]
    fn api_key_and_basic_credentials_are_checked() {
        assert_eq!(check(Some(&header("X-Dovecot-API", "s3cret")), &auth()), Ok(()));
        assert_eq!(check(Some(&header("Basic", "doveadm:pw")), &auth()), Ok(()));
        assert_eq!(check(Some(&header("X-Dovecot-API", "wrong")), &auth()), Err(AuthError::Failed));
        assert_eq!(check(Some(&header("Basic", "root:pw")), &auth()), Err(AuthError::Failed));
        assert_eq!(check(Some(&header("Basic", "doveadm:s3cret")), &auth()), Err(AuthError::Failed));
        assert_eq!(check(None, &auth()), Err(AuthError::Missing));
        assert_eq!(check(Some(b"Bearer abc"), &auth()), Err(AuthError::Missing));
        assert_eq!(check(None, &DoveadmAuth::default()), Ok(()));
        let key_only = DoveadmAuth { password: None, ..auth() };
        assert_eq!(check(Some(&header("Basic", "doveadm:pw")), &key_only), Err(AuthError::Failed));
    }
}
