//! Body and query extractors whose errors name the field at fault, as problem+json.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// Largest accepted request body; every request type of the API is far smaller.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON request body.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send Content-Type: application/json"));
            }
            let bytes = body.await.map_err(|e| {
                ApiError::new(ErrorCode::PayloadTooLarge, format!("{e}; at most {MAX_BODY_BYTES} bytes"))
            })?;
            parse_json(&bytes).map(Body)
        })
    }
}

/// Parses a body, naming the field where the first error was found.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let field = field_of(&err.path().to_string(), &err.inner().to_string());
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(ErrorCode::InvalidJson, inner.to_string())
        } else {
            let e = ApiError::new(ErrorCode::InvalidBody, format!("{field}: {inner}"));
            if field.is_empty() { e } else { e.field(field) }
        }
    })
}

/// The field an error concerns: serde's path, or for a missing or unknown field (reported at
/// the parent) the name it quotes in backticks.
fn field_of(path: &str, message: &str) -> String {
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"));
    match (path, quoted) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => String::new(),
        // An unknown field is already the last segment of the path.
        (p, Some(name)) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (p, None) => p.to_owned(),
    }
}

/// Query parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_parse(req.query_string()));
        std::future::ready(serde_path_to_error::deserialize(de).map(Query).map_err(|err| {
            let field = field_of(&err.path().to_string(), &err.inner().to_string());
            let e = ApiError::new(ErrorCode::InvalidQuery, format!("{field}: {}", err.inner()));
            if field.is_empty() { e } else { e.field(field) }
        }))
    }
}

fn form_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // fields are read only through Debug in these tests
    struct Sample {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn err(json: &str) -> (String, Option<String>) {
        let e = parse_json::<Sample>(json.as_bytes()).unwrap_err();
        (e.code.code().to_owned(), e.field)
    }

    #[test]
    fn body_errors_name_the_field() {
        assert_eq!(err(r#"{"name": 5}"#), ("invalid_body".into(), Some("name".into())));
        assert_eq!(err(r#"{}"#), ("invalid_body".into(), Some("name".into())));
        assert_eq!(err(r#"{"name":"a","bogus":1}"#), ("invalid_body".into(), Some("bogus".into())));
        assert_eq!(err(r#"{"name":"a","inner":{"count":-1}}"#), ("invalid_body".into(), Some("inner.count".into())));
        assert_eq!(err(r#"{"name":"a","inner":{}}"#), ("invalid_body".into(), Some("inner.count".into())));
        assert_eq!(err(r#"{"name": "#), ("invalid_json".into(), None));
    }
}
