//! Sites. A site is deleted only when empty, and takes its groups, site-scope settings,
//! reachability rows and statistics with it in the same transaction.

use domain::{Site, SiteId, SiteName};
use rusqlite::{Connection, TransactionBehavior, params};

use super::errors::{insert_unique, is_unique_violation};
use super::rows::{self, SITE_COLUMNS};
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::SiteUpdate;

pub(super) fn insert(c: &Connection, site: &Site) -> Result<()> {
    let id = site.id.to_string();
    let result = c
        .prepare_cached("INSERT INTO sites (id, name, tag_id, load_balancer, status) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut s| {
            s.execute(params![
                id,
                site.name.as_str(),
                site.tag.map(|t| t.to_string()),
                site.load_balancer.as_ref().map(|h| h.as_str()),
                site.status.as_str(),
            ])
        });
    insert_unique(result, "site", &[("sites.name", site.name.as_str()), ("sites.id", &id)])
}

pub(super) fn get(c: &Connection, id: SiteId) -> Result<Option<Site>> {
    rows::first(c, &format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = ?1"), [id.to_string()], rows::site)
}

pub(super) fn get_by_name(c: &Connection, name: &SiteName) -> Result<Option<Site>> {
    rows::first(c, &format!("SELECT {SITE_COLUMNS} FROM sites WHERE name = ?1"), [name.as_str()], rows::site)
}

pub(super) fn list(c: &Connection) -> Result<Vec<Site>> {
    rows::all(c, &format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY name"), [], rows::site)
}

pub(super) fn update(c: &mut Connection, id: SiteId, update: &SiteUpdate) -> Result<Site> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut site = get(&tx, id)?.ok_or_else(|| GeoDbError::not_found("site", id))?;
    if let Some(status) = update.status {
        site.status = status;
    }
    if let Some(load_balancer) = &update.load_balancer {
        site.load_balancer.clone_from(load_balancer);
    }
    if let Some(tag) = update.tag {
        site.tag = tag;
    }
    if let Some(name) = &update.name {
        site.name = name.clone();
    }
    let result = tx
        .prepare_cached("UPDATE sites SET name = ?2, tag_id = ?3, load_balancer = ?4, status = ?5 WHERE id = ?1")
        .and_then(|mut s| {
            s.execute(params![
                id.to_string(),
                site.name.as_str(),
                site.tag.map(|t| t.to_string()),
                site.load_balancer.as_ref().map(|h| h.as_str()),
                site.status.as_str(),
            ])
        });
    match result {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e, None) => {
            return Err(GeoDbError::already_exists("site", &site.name));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit()?;
    Ok(site)
}

pub(super) fn delete(c: &mut Connection, id: SiteId) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if get(&tx, id)?.is_none() {
        return Err(GeoDbError::not_found("site", id));
    }
    let id = id.to_string();
    let backends: i64 =
        tx.prepare_cached("SELECT COUNT(*) FROM backends WHERE site_id = ?1")?.query_row([&id], |r| r.get(0))?;
    let has_users: bool =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE site_id = ?1)")?.query_row([&id], |r| r.get(0))?;
    if backends > 0 || has_users {
        return Err(GeoDbError::Conflict(ConflictKind::SiteNotEmpty { backends: backends.unsigned_abs(), has_users }));
    }
    for sql in [
        "DELETE FROM sites WHERE id = ?1",
        "DELETE FROM user_groups WHERE site_id = ?1",
        "DELETE FROM cluster_settings WHERE scope_kind = 'site' AND scope_id = ?1",
        "DELETE FROM site_reachability WHERE src_site_id = ?1 OR dest_site_id = ?1",
        "DELETE FROM proxy_dest_stats WHERE site_id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([&id])?;
    }
    tx.commit()?;
    Ok(())
}
