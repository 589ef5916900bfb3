//! The one table of API error codes, and the error type every handler returns. Each answer is
//! `application/problem+json` with a stable `code`; client mistakes are 4xx, never 500.
//!
//! One status for one kind of mistake:
//! - 400: the request cannot be read as the document's types: not one JSON value, a body of the
//!   wrong shape or type, an undeclared or missing field, a query parameter that does not parse,
//!   a path that cannot name an object.
//! - 404: a reference (in the path, a query filter or a body field) names no object.
//! - 409: the request conflicts with the current state.
//! - 422: the request reads well but a value is refused: out of range, breaking a name's rule,
//!   not in its closed set, holding a control character, a cursor this API did not give out,
//!   a combination the route does not take.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use api_types::problem::PROBLEM_CONTENT_TYPE;
use api_types::{FieldError, Problem};
use domain::ValidationError;
use geodb::{ConflictKind, GeoDbError, MoveRefusal};
use queue::QueueError;

macro_rules! error_codes {
    ($($variant:ident => $status:ident, $code:literal, $title:literal;)*) => {
        /// Every error the API can answer with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn status(self) -> StatusCode {
                match self { $(Self::$variant => StatusCode::$status),* }
            }

            /// The stable machine-readable code.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }

            pub fn title(self) -> &'static str {
                match self { $(Self::$variant => $title),* }
            }
        }
    };
}

error_codes! {
    InvalidJson          => BAD_REQUEST, "invalid_json", "The request body is not valid JSON";
    InvalidBody          => BAD_REQUEST, "invalid_body", "A field of the request body has the wrong type or is missing";
    InvalidQuery         => BAD_REQUEST, "invalid_query", "A query parameter is invalid";
    InvalidParameter     => BAD_REQUEST, "invalid_parameter", "A path parameter is invalid";
    MalformedHttp        => BAD_REQUEST, "malformed_http", "The request could not be parsed as HTTP/1.1";
    InvalidCursor        => UNPROCESSABLE_ENTITY, "invalid_cursor", "The pagination cursor is not one this API gave out";
    Unauthenticated      => UNAUTHORIZED, "unauthenticated", "A valid bearer token is required";
    Forbidden            => FORBIDDEN, "forbidden", "The token's role does not allow this";
    RouteNotFound        => NOT_FOUND, "route_not_found", "No such route";
    SiteNotFound         => NOT_FOUND, "site_not_found", "No such site";
    TagNotFound          => NOT_FOUND, "tag_not_found", "No such tag";
    BackendNotFound      => NOT_FOUND, "backend_not_found", "No such backend";
    GroupNotFound        => NOT_FOUND, "group_not_found", "No such user group";
    UserNotFound         => NOT_FOUND, "user_not_found", "No such user";
    SettingNotFound      => NOT_FOUND, "setting_not_found", "No such setting";
    TokenNotFound        => NOT_FOUND, "token_not_found", "No such token";
    JobNotFound          => NOT_FOUND, "job_not_found", "No such job";
    PlanNotFound         => NOT_FOUND, "plan_not_found", "No such plan";
    NoReading            => NOT_FOUND, "no_reading", "Nothing has been measured for this yet";
    FeatureOff           => NOT_FOUND, "feature_off", "The feature is off for this site";
    MethodNotAllowed     => METHOD_NOT_ALLOWED, "method_not_allowed", "The route does not accept this method";
    AlreadyExists        => CONFLICT, "already_exists", "An object with this name or id already exists";
    SiteNotEmpty         => CONFLICT, "site_not_empty", "The site still has backends or users";
    BackendInUse         => CONFLICT, "backend_in_use", "User groups still live on the backend";
    TagInUse             => CONFLICT, "tag_in_use", "Sites still use the tag";
    GroupMoving          => CONFLICT, "group_moving", "The user group is moving";
    NoDestinationBackend => CONFLICT, "no_destination_backend", "No online backend can take user groups";
    MoveRefused          => CONFLICT, "move_refused", "The conditional group move did not apply";
    JobConflict          => CONFLICT, "job_conflict", "The job is not in a state that allows this";
    DestinationUnusable  => CONFLICT, "destination_unusable", "The destination backend cannot take user groups now";
    UserMoving           => CONFLICT, "user_moving", "The user is moving";
    PayloadTooLarge      => PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large";
    HeadersTooLarge      => REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "The request head is too large";
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "The request body must be application/json";
    InvalidField         => UNPROCESSABLE_ENTITY, "invalid_field", "A field has an invalid value";
    GeodbUnavailable     => SERVICE_UNAVAILABLE, "geodb_unavailable", "GeoDB cannot be reached; retry later";
    QueueUnavailable     => SERVICE_UNAVAILABLE, "queue_unavailable", "The job queue (Redis) cannot be reached; retry later";
    Internal             => INTERNAL_SERVER_ERROR, "internal", "Internal error";
}

/// An error answer: a code from the table, a human detail, and the field at fault if any.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub field: Option<String>,
    pub errors: Vec<FieldError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), field: None, errors: Vec::new() }
    }

    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same error with another human-readable detail.
    #[must_use]
    pub fn with_detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    pub fn not_found(code: ErrorCode, what: &str, key: impl std::fmt::Display) -> Self {
        Self::new(code, format!("{what} {key} does not exist"))
    }

    /// A path parameter that does not parse as the name it stands for.
    pub fn parameter(err: ValidationError, param: &str) -> Self {
        Self::new(ErrorCode::InvalidParameter, format!("{param}: {}", err.kind)).field(param)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:cluster-controller:problem:{}", self.code.code()),
            title: self.code.title().to_owned(),
            status: self.code.status().as_u16(),
            detail: self.detail.clone(),
            code: self.code.code().to_owned(),
            field: self.field.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.code(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.code.status());
        resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE)));
        match self.code {
            ErrorCode::GeodbUnavailable | ErrorCode::QueueUnavailable => {
                resp.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ErrorCode::Unauthenticated => {
                resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            _ => {}
        }
        resp.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// A body field that breaks a model rule: 422 naming the field.
impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        let detail = err.to_string();
        Self::new(ErrorCode::InvalidField, detail).field(err.field)
    }
}

impl From<GeoDbError> for ApiError {
    fn from(err: GeoDbError) -> Self {
        match err {
            GeoDbError::NotFound { entity, key } => {
                let code = match entity {
                    "site" => ErrorCode::SiteNotFound,
                    "tag" => ErrorCode::TagNotFound,
                    "backend" => ErrorCode::BackendNotFound,
                    "group" => ErrorCode::GroupNotFound,
                    "user" => ErrorCode::UserNotFound,
                    "token" => ErrorCode::TokenNotFound,
                    "setting" => ErrorCode::SettingNotFound,
                    _ => ErrorCode::RouteNotFound,
                };
                Self::not_found(code, entity, key)
            }
            GeoDbError::AlreadyExists { entity, key } => {
                Self::new(ErrorCode::AlreadyExists, format!("{entity} {key} already exists"))
            }
            GeoDbError::Conflict(kind) => {
                let code = match &kind {
                    ConflictKind::SiteNotEmpty { .. } => ErrorCode::SiteNotEmpty,
                    ConflictKind::BackendInUse { .. } => ErrorCode::BackendInUse,
                    ConflictKind::TagInUse { .. } => ErrorCode::TagInUse,
                    ConflictKind::GroupMoving { .. } => ErrorCode::GroupMoving,
                    ConflictKind::NoDestinationBackend => ErrorCode::NoDestinationBackend,
                };
                Self::new(code, kind.to_string())
            }
            GeoDbError::Unavailable(reason) => {
                tracing::warn!(%reason, "geodb unavailable");
                Self::new(ErrorCode::GeodbUnavailable, "GeoDB cannot be reached; retry later")
            }
            GeoDbError::InvalidCursor => {
                Self::new(ErrorCode::InvalidCursor, "the cursor is not one this API gave out").field("cursor")
            }
            err @ (GeoDbError::Corrupt(_) | GeoDbError::Internal(_)) => {
                tracing::error!(error = %err, "geodb error");
                Self::new(ErrorCode::Internal, "internal error; see the server log")
            }
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::Unavailable(reason) => {
                tracing::warn!(%reason, "queue unavailable");
                Self::new(ErrorCode::QueueUnavailable, "the job queue cannot be reached; retry later")
            }
            QueueError::NotFound(id) => Self::not_found(ErrorCode::JobNotFound, "job", id),
            QueueError::Conflict(reason) => Self::new(ErrorCode::JobConflict, reason),
            QueueError::InvalidCursor => {
                Self::new(ErrorCode::InvalidCursor, "the cursor is not one this API gave out").field("cursor")
            }
            err @ (QueueError::Corrupt(_) | QueueError::Internal(_)) => {
                tracing::error!(error = %err, "queue error");
                Self::new(ErrorCode::Internal, "internal error; see the server log")
            }
        }
    }
}

impl From<MoveRefusal> for ApiError {
    fn from(reason: MoveRefusal) -> Self {
        Self::new(ErrorCode::MoveRefused, reason.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_client_mistakes_are_never_5xx() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {}", code.code());
            let server_side =
                matches!(code, ErrorCode::GeodbUnavailable | ErrorCode::QueueUnavailable | ErrorCode::Internal);
            assert_eq!(code.status().is_server_error(), server_side, "{}", code.code());
        }
    }

    #[test]
    fn validation_errors_become_422_naming_the_field() {
        let err: ApiError = domain::LoadFactor::new(101).unwrap_err().into();
        let p = err.problem();
        assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (422, "invalid_field", Some("load_factor")));
    }
}
