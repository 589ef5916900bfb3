//! Body and query extractors whose errors name the field at fault, as problem+json. Every body
//! and query of the API goes through these: actix's own `Json`, `Query` and `Form` extractors
//! are refused by clippy (`clippy.toml`), so no route can read input leniently by accident.

mod strict;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use self::strict::Strict;
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

/// Parses a body strictly (see [`strict`]): exactly one JSON value, objects where the type has
/// fields, no undeclared field, nothing after the value. The error names the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(Strict(&mut de)).map_err(|err| {
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(ErrorCode::InvalidJson, inner.to_string())
        } else {
            field_error(ErrorCode::InvalidBody, &err.path().to_string(), &inner.to_string())
        }
    })?;
    de.end().map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("data after the JSON value: {e}")))?;
    Ok(value)
}

/// The answer to a value that did not deserialize: 422 for a value of the right type that is
/// refused (an integer out of its range, a control character), as for every other refused
/// value; `code` otherwise. Named by field where there is one.
fn field_error(code: ErrorCode, path: &str, message: &str) -> ApiError {
    let field = field_of(path, message);
    let code = if message.starts_with(strict::INVALID_VALUE) { ErrorCode::InvalidField } else { code };
    let e = ApiError::new(code, if field.is_empty() { message.to_owned() } else { format!("{field}: {message}") });
    if field.is_empty() { e } else { e.field(field) }
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
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string strictly: a parameter the type does not declare is refused.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(Strict(de))
        .map_err(|err| field_error(ErrorCode::InvalidQuery, &err.path().to_string(), &err.inner().to_string()))
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

    /// Declares no `deny_unknown_fields`: the extractor refuses unknown fields all the same.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Lenient {
        percent: Option<u8>,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        n: i64,
    }

    fn lenient(json: &str) -> Result<Lenient, (String, Option<String>)> {
        parse_json::<Lenient>(json.as_bytes()).map_err(|e| (e.code.code().to_owned(), e.field))
    }

    #[test]
    fn exactly_one_value_is_read() {
        assert_eq!(err(r#"{"name":"a"}{"name":"b"}"#).0, "invalid_json");
        assert_eq!(err(r#"{"name":"a"} DROP TABLE"#).0, "invalid_json");
        assert!(parse_json::<Sample>(b" {\"name\":\"a\"} \n").is_ok(), "white space around the value is fine");
    }

    #[test]
    fn structs_are_read_from_objects_only_at_every_depth() {
        assert_eq!(err(r#"["a", null]"#).0, "invalid_body");
        assert_eq!(lenient(r#"[5, []]"#).unwrap_err().0, "invalid_body");
        assert_eq!(lenient(r#"{"items": [[5]]}"#).unwrap_err(), ("invalid_body".into(), Some("items[0]".into())));
        let ok = lenient(r#"{"items": [{"n": 5}]}"#).unwrap();
        assert_eq!(ok, Lenient { percent: None, items: vec![Item { n: 5 }] });
    }

    #[test]
    fn undeclared_fields_are_refused_at_every_depth() {
        assert_eq!(lenient(r#"{"bogus": 1}"#).unwrap_err(), ("invalid_body".into(), Some("bogus".into())));
        assert_eq!(
            lenient(r#"{"items": [{"n": 1, "extra": true}]}"#).unwrap_err(),
            ("invalid_body".into(), Some("items[0].extra".into()))
        );
    }

    #[test]
    fn integers_follow_json_schema_and_out_of_range_is_a_field_error() {
        assert_eq!(lenient(r#"{"percent": 84.0}"#).unwrap().percent, Some(84));
        assert_eq!(lenient(r#"{"items": [{"n": -3.0}]}"#).unwrap().items, vec![Item { n: -3 }]);
        assert_eq!(lenient(r#"{"percent": 84.5}"#).unwrap_err(), ("invalid_body".into(), Some("percent".into())));
        assert_eq!(lenient(r#"{"percent": 300}"#).unwrap_err(), ("invalid_field".into(), Some("percent".into())));
        assert_eq!(lenient(r#"{"percent": -1}"#).unwrap_err(), ("invalid_field".into(), Some("percent".into())));
        assert_eq!(lenient(r#"{"percent": 1e30}"#).unwrap_err(), ("invalid_field".into(), Some("percent".into())));
        assert_eq!(
            lenient(r#"{"items": [{"n": 99999999999999999999}]}"#).unwrap_err(),
            ("invalid_field".into(), Some("items[0].n".into()))
        );
    }

    #[test]
    fn control_characters_are_refused_in_every_string() {
        assert_eq!(err("{\"name\": \"a\\u0000b\"}"), ("invalid_field".into(), Some("name".into())));
        assert_eq!(err("{\"name\": \"a\\nb\"}"), ("invalid_field".into(), Some("name".into())));
        assert_eq!(err("{\"name\": \"a\\u001b[31m\"}"), ("invalid_field".into(), Some("name".into())));
        let e = parse_query::<Page>("site=a%00b").unwrap_err();
        assert_eq!((e.code.code(), e.field.as_deref()), ("invalid_field", Some("site")));
        assert!(
            parse_json::<Sample>("{\"name\": \"caf\u{e9} \u{2603}\"}".as_bytes()).is_ok(),
            "non-ASCII text is fine"
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Page {
        limit: Option<u16>,
        site: Option<String>,
    }

    #[test]
    fn queries_are_read_strictly() {
        let page: Page = parse_query("limit=5&site=a").unwrap();
        assert_eq!(page, Page { limit: Some(5), site: Some("a".into()) });
        let e = parse_query::<Page>("limit=5&sort=name").unwrap_err();
        assert_eq!((e.code.code(), e.field.as_deref()), ("invalid_query", Some("sort")));
        let e = parse_query::<Page>("limit=70000").unwrap_err();
        assert_eq!((e.code.code(), e.field.as_deref()), ("invalid_field", Some("limit")));
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
        assert_eq!(err(r#"{"name":"a","inner":{"count":-1}}"#), ("invalid_field".into(), Some("inner.count".into())));
        assert_eq!(err(r#"{"name":"a","inner":{}}"#), ("invalid_body".into(), Some("inner.count".into())));
        assert_eq!(err(r#"{"name": "#), ("invalid_json".into(), None));
    }
}
