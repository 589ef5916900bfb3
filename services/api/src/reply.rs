//! The answer of a route that returns one JSON value with 200. The API's own type rather than
//! actix's `web::Json`, which is also an extractor: `clippy.toml` refuses that one so that no
//! route reads a body leniently (see `extract`).

use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;

/// A 200 answer with `value` as `application/json`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: Serialize> Responder for Json<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(self.0)
    }
}
