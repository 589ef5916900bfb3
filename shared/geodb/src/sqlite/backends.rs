//! Backends. Host names are unique across all sites; a backend that groups live on or move to
//! cannot be deleted.

use domain::{Backend, BackendId, HostName, SiteId};
use rusqlite::{Connection, TransactionBehavior, params};

use super::errors::insert_unique;
use super::rows::{self, BACKEND_COLUMNS};
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::BackendUpdate;

pub(super) fn insert(c: &mut Connection, backend: &Backend) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if super::sites::get(&tx, backend.site_id)?.is_none() {
        return Err(GeoDbError::not_found("site", backend.site_id));
    }
    let id = backend.id.to_string();
    let result = tx
        .prepare_cached("INSERT INTO backends (id, site_id, host, status, load_factor) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut s| {
            s.execute(params![
                id,
                backend.site_id.to_string(),
                backend.host.as_str(),
                backend.status.as_str(),
                backend.load_factor.get(),
            ])
        });
    insert_unique(result, "backend", &[("backends.host", backend.host.as_str()), ("backends.id", &id)])?;
    tx.commit()?;
    Ok(())
}

pub(super) fn get(c: &Connection, id: BackendId) -> Result<Option<Backend>> {
    rows::first(c, &format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE id = ?1"), [id.to_string()], rows::backend)
}

pub(super) fn get_by_host(c: &Connection, host: &HostName) -> Result<Option<Backend>> {
    rows::first(c, &format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE host = ?1"), [host.as_str()], rows::backend)
}

pub(super) fn list(c: &Connection, site: Option<SiteId>) -> Result<Vec<Backend>> {
    match site {
        Some(site) => rows::all(
            c,
            &format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE site_id = ?1 ORDER BY host"),
            [site.to_string()],
            rows::backend,
        ),
        None => rows::all(c, &format!("SELECT {BACKEND_COLUMNS} FROM backends ORDER BY host"), [], rows::backend),
    }
}

pub(super) fn update(c: &mut Connection, id: BackendId, update: &BackendUpdate) -> Result<Backend> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut backend = get(&tx, id)?.ok_or_else(|| GeoDbError::not_found("backend", id))?;
    if let Some(status) = update.status {
        backend.status = status;
    }
    if let Some(load_factor) = update.load_factor {
        backend.load_factor = load_factor;
    }
    tx.prepare_cached("UPDATE backends SET status = ?2, load_factor = ?3 WHERE id = ?1")?.execute(params![
        id.to_string(),
        backend.status.as_str(),
        backend.load_factor.get(),
    ])?;
    tx.commit()?;
    Ok(backend)
}

pub(super) fn delete(c: &mut Connection, id: BackendId) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if get(&tx, id)?.is_none() {
        return Err(GeoDbError::not_found("backend", id));
    }
    let id = id.to_string();
    // alt_backend_id keeps the previous backend after a finished move, so it counts only while
    // the group is still moving.
    let groups: i64 = tx
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM user_groups WHERE backend_id = ?1)
                  + (SELECT COUNT(*) FROM user_groups
                     WHERE moving IS NOT NULL AND alt_backend_id = ?1 AND backend_id <> ?1)",
        )?
        .query_row([&id], |r| r.get(0))?;
    if groups > 0 {
        return Err(GeoDbError::Conflict(ConflictKind::BackendInUse { groups: groups.unsigned_abs() }));
    }
    tx.prepare_cached("DELETE FROM backends WHERE id = ?1")?.execute([&id])?;
    tx.prepare_cached("DELETE FROM cluster_settings WHERE scope_kind = 'backend' AND scope_id = ?1")?.execute([&id])?;
    tx.commit()?;
    Ok(())
}
