//! Completes every operation of the document by the API's conventions, so that the spec says
//! what the server does without each handler repeating it: the errors every route of a kind can
//! answer (400 for a malformed request, body, query or path; 431 for a head too large; 401 without a token; 403 below the route's
//! role; 404 for an unknown object named anywhere; 413 and 415 for bodies; 422 for a refused
//! value; 503 when GeoDB or Redis is away), all as `application/problem+json` with the
//! `Problem` schema. The role a route needs is the scope of its `bearer` requirement (`viewer`, `operator`,
//! `admin`), which the tests check against the server.

use actix_web::http::StatusCode;
use std::collections::BTreeMap;

use api_types::problem::PROBLEM_CONTENT_TYPE;
use api_types::{API_PREFIX, schema};
use domain::Role;
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use crate::error::ErrorCode;

pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut used = BTreeMap::new();
        for (path, item) in &mut openapi.paths.paths {
            for op in operations(item) {
                complete(path, op);
                for param in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(param) = param
                        && let Some((name, schema)) = schema::reference(&param.name)
                    {
                        param.schema = Some(RefOr::Ref(Ref::from_schema_name(name)));
                        used.insert(name, schema);
                    }
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in used {
            components.schemas.insert(name.to_owned(), schema);
        }
        for (name, schema) in schema::components() {
            components.schemas.entry(name).or_insert(schema);
        }
    }
}

/// The operations of a path, whatever their method.
pub fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
}

/// The role an operation's `bearer` requirement names, if it has one.
pub fn required_role(op: &Operation) -> Option<Role> {
    let security = serde_json::to_value(op.security.as_ref()?).ok()?;
    let scope = security.get(0)?.get("bearer")?.get(0)?.as_str()?.to_owned();
    scope.parse().ok()
}

fn complete(path: &str, op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |kind: ParameterIn| params.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == kind));
    let (in_path, in_query, body) = (has(ParameterIn::Path), has(ParameterIn::Query), op.request_body.is_some());
    // An object named in the path, in a query filter or in a body field may not exist.
    let names_object =
        in_path || body || params.iter().any(|p| matches!(p, RefOr::T(p) if schema::reference(&p.name).is_some()));
    let role = required_role(op);
    // Any request can be one the HTTP layer cannot parse (`http_layer`): 400 and 431.
    let mut statuses = vec![StatusCode::BAD_REQUEST, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE];
    if role.is_some() {
        statuses.push(StatusCode::UNAUTHORIZED);
    }
    if role.is_some_and(|r| r != Role::Viewer) {
        statuses.push(StatusCode::FORBIDDEN);
    }
    if names_object {
        statuses.push(StatusCode::NOT_FOUND);
    }
    if body {
        statuses.extend([StatusCode::PAYLOAD_TOO_LARGE, StatusCode::UNSUPPORTED_MEDIA_TYPE]);
    }
    if body || in_query {
        statuses.push(StatusCode::UNPROCESSABLE_ENTITY);
    }
    if path.starts_with(API_PREFIX) {
        statuses.push(StatusCode::SERVICE_UNAVAILABLE);
    }
    let responses = &mut op.responses.responses;
    for status in statuses {
        responses.entry(status.as_str().to_owned()).or_insert_with(|| RefOr::T(problem(status)));
    }
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response
            && status.as_str() >= "400"
        {
            response.content.clear();
            response.content.insert(PROBLEM_CONTENT_TYPE.to_owned(), RefOr::T(problem_content()));
        }
    }
}

/// An error answer described by the codes of the error table that have its status.
fn problem(status: StatusCode) -> Response {
    let codes: Vec<&str> = ErrorCode::ALL.iter().filter(|c| c.status() == status).map(|c| c.code()).collect();
    let mut response =
        Response::new(format!("{}; code: {}", status.canonical_reason().unwrap_or("error"), codes.join(", ")));
    response.content.insert(PROBLEM_CONTENT_TYPE.to_owned(), RefOr::T(problem_content()));
    response
}

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name("Problem")))
}
