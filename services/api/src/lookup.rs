//! Resolving the references clients use to stored objects: a site, tag or backend is named by
//! its id (a UUID) or by its name (host for a backend), in the path, the query and the body
//! alike, so an object created with an explicit id is reachable by it. A reference that names
//! no object is 404 wherever it is (with the field, outside the path); one that cannot name an
//! object is 400 in the path (the address is malformed) and 422 in a query or body field (a
//! value that breaks its rule), as every other refused value is.

use std::collections::HashMap;

use domain::{Backend, BackendId, HostName, Site, SiteId, SiteName, Tag, TagId, TagName, ValidationError};
use geodb::GeoDb;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The site named (by name or id) in the path.
pub async fn site(db: &dyn GeoDb, name_or_id: &str) -> ApiResult<Site> {
    match find_site(db, name_or_id).await {
        Ok(Some(site)) => Ok(site),
        Ok(None) => Err(ApiError::not_found(ErrorCode::SiteNotFound, "site", name_or_id)),
        Err(Lookup::Invalid(e)) => Err(ApiError::parameter(e, "site")),
        Err(Lookup::Db(e)) => Err(e),
    }
}

/// The backend named (by host or id) in the path.
pub async fn backend(db: &dyn GeoDb, host_or_id: &str) -> ApiResult<Backend> {
    let found = match Uuid::parse_str(host_or_id) {
        Ok(id) => db.get_backend(BackendId(id)).await?,
        Err(_) => {
            let host = HostName::parse(host_or_id).map_err(|e| ApiError::parameter(e, "backend"))?;
            db.get_backend_by_host(&host).await?
        }
    };
    found.ok_or_else(|| ApiError::not_found(ErrorCode::BackendNotFound, "backend", host_or_id))
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

/// A site (name or id) named in a query or body field.
pub async fn site_field(db: &dyn GeoDb, field: &str, name_or_id: &str) -> ApiResult<Site> {
    match find_site(db, name_or_id).await {
        Ok(Some(site)) => Ok(site),
        Ok(None) => Err(unknown(ErrorCode::SiteNotFound, field, "site", name_or_id)),
        Err(Lookup::Invalid(e)) => Err(e.at(field).into()),
        Err(Lookup::Db(e)) => Err(e),
    }
}

/// A tag (name or id) named in a query or body field.
pub async fn tag_field(db: &dyn GeoDb, field: &str, name_or_id: &str) -> ApiResult<Tag> {
    match find_tag(db, name_or_id).await {
        Ok(Some(tag)) => Ok(tag),
        Ok(None) => Err(unknown(ErrorCode::TagNotFound, field, "tag", name_or_id)),
        Err(Lookup::Invalid(e)) => Err(e.at(field).into()),
        Err(Lookup::Db(e)) => Err(e),
    }
}

enum Lookup {
    Invalid(ValidationError),
    Db(ApiError),
}

async fn find_site(db: &dyn GeoDb, name_or_id: &str) -> Result<Option<Site>, Lookup> {
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return db.get_site(SiteId(id)).await.map_err(|e| Lookup::Db(e.into()));
    }
    let name = SiteName::parse(name_or_id).map_err(Lookup::Invalid)?;
    db.get_site_by_name(&name).await.map_err(|e| Lookup::Db(e.into()))
}

async fn find_tag(db: &dyn GeoDb, name_or_id: &str) -> Result<Option<Tag>, Lookup> {
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return db.get_tag(TagId(id)).await.map_err(|e| Lookup::Db(e.into()));
    }
    let name = TagName::parse(name_or_id).map_err(Lookup::Invalid)?;
    db.get_tag_by_name(&name).await.map_err(|e| Lookup::Db(e.into()))
}

/// The backend (host or id) named in a query or body field.
pub async fn backend_field(db: &dyn GeoDb, field: &str, host_or_id: &str) -> ApiResult<Backend> {
    let found = match Uuid::parse_str(host_or_id) {
        Ok(id) => db.get_backend(BackendId(id)).await?,
        Err(_) => {
            let host = HostName::parse(host_or_id).map_err(|e| ApiError::from(e.at(field)))?;
            db.get_backend_by_host(&host).await?
        }
    };
    found.ok_or_else(|| unknown(ErrorCode::BackendNotFound, field, "backend", host_or_id))
}

fn unknown(code: ErrorCode, field: &str, what: &str, value: &str) -> ApiError {
    ApiError::new(code, format!("{field}: no {what} named {value}")).field(field)
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
