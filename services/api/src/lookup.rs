//! Resolving the names clients use (site name, backend host, tag name or id) to stored objects,
//! with the error each kind of reference deserves: a bad path parameter is 400, an unknown
//! object in the path is 404, an unknown object named in a body field is 422 on that field.

use std::collections::HashMap;

use domain::{
    Backend, BackendId, HostName, Site, SiteId, SiteName, Tag, TagId, TagName, ValidationError, ValidationKind,
};
use geodb::GeoDb;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The site named in the path.
pub async fn site(db: &dyn GeoDb, name: &str) -> ApiResult<Site> {
    let name = SiteName::parse(name).map_err(|e| ApiError::parameter(e, "site"))?;
    db.get_site_by_name(&name).await?.ok_or_else(|| ApiError::not_found(ErrorCode::SiteNotFound, "site", &name))
}

/// The backend named (by host) in the path.
pub async fn backend(db: &dyn GeoDb, host: &str) -> ApiResult<Backend> {
    let host = HostName::parse(host).map_err(|e| ApiError::parameter(e, "backend"))?;
    db.get_backend_by_host(&host)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::BackendNotFound, "backend", &host))
}

/// The tag named (by name or id) in the path.
pub async fn tag(db: &dyn GeoDb, name_or_id: &str) -> ApiResult<Tag> {
    match find_tag(db, name_or_id).await {
        Ok(Some(tag)) => Ok(tag),
        Ok(None) => Err(ApiError::not_found(ErrorCode::TagNotFound, "tag", name_or_id)),
        Err(Lookup::Invalid(e)) => Err(ApiError::parameter(e, "tag")),
        Err(Lookup::Db(e)) => Err(e),
    }
}

/// A site named in a body field.
pub async fn site_field(db: &dyn GeoDb, field: &str, name: &str) -> ApiResult<Site> {
    let parsed = SiteName::parse(name).map_err(|e| ApiError::from(e.at(field)))?;
    db.get_site_by_name(&parsed).await?.ok_or_else(|| unknown(field, "site", name))
}

/// A tag (name or id) named in a body field.
pub async fn tag_field(db: &dyn GeoDb, field: &str, name_or_id: &str) -> ApiResult<Tag> {
    match find_tag(db, name_or_id).await {
        Ok(Some(tag)) => Ok(tag),
        Ok(None) => Err(unknown(field, "tag", name_or_id)),
        Err(Lookup::Invalid(e)) => Err(e.at(field).into()),
        Err(Lookup::Db(e)) => Err(e),
    }
}

enum Lookup {
    Invalid(ValidationError),
    Db(ApiError),
}

async fn find_tag(db: &dyn GeoDb, name_or_id: &str) -> Result<Option<Tag>, Lookup> {
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return db.get_tag(TagId(id)).await.map_err(|e| Lookup::Db(e.into()));
    }
    let name = TagName::parse(name_or_id).map_err(Lookup::Invalid)?;
    db.get_tag_by_name(&name).await.map_err(|e| Lookup::Db(e.into()))
}

fn unknown(field: &str, what: &str, value: &str) -> ApiError {
    ApiError::from(ValidationError::new(field, ValidationKind::Malformed { expected: "an existing name" }))
        .with_detail(format!("{field}: no {what} named {value}"))
}

/// Host names of a site's backends, for views that show groups and users.
pub async fn backend_hosts(db: &dyn GeoDb, site: SiteId) -> ApiResult<HashMap<BackendId, HostName>> {
    Ok(db.list_backends(Some(site)).await?.into_iter().map(|b| (b.id, b.host)).collect())
}

/// Site names by id, for views that show site references.
pub async fn site_names(db: &dyn GeoDb) -> ApiResult<HashMap<SiteId, SiteName>> {
    Ok(db.list_sites().await?.into_iter().map(|s| (s.id, s.name)).collect())
}

/// Tag names by id.
pub async fn tag_names(db: &dyn GeoDb) -> ApiResult<HashMap<TagId, TagName>> {
    Ok(db.list_tags().await?.into_iter().map(|t| (t.id, t.name)).collect())
}
