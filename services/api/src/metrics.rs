//! The API's own metrics: request counts and latencies labelled by route template, never by
//! raw path (no unbounded label values).

use std::time::Duration;

use actix_web::http::{Method, StatusCode};

pub const HTTP_REQUESTS_TOTAL: &str = "controller_api_http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "controller_api_http_request_duration_seconds";

pub fn record_request(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    let labels = [("method", method.as_str().to_owned()), ("route", route.to_owned())];
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => labels[0].1.clone(), "route" => labels[1].1.clone(), "status" => status.as_u16().to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, &labels).record(elapsed.as_secs_f64());
}
