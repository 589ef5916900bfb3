//! User groups: inserts that never overwrite, keyset-paged listing with mask and backend
//! filters, sticky flags, and deletion refused while a move is in progress.

use domain::{GroupName, SiteId, UserGroup};
use rusqlite::{Connection, TransactionBehavior, params};

use super::rows::{self, GROUP_COLUMNS};
use crate::cursor;
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::{GroupFilter, GroupFlags, Page, PageRequest, group_cursor};

pub(super) fn insert(c: &Connection, g: &UserGroup) -> Result<bool> {
    let inserted = c
        .prepare_cached(
            "INSERT INTO user_groups (site_id, name, backend_id, alt_backend_id, moving, sticky_users, sticky_backend,
                                      last_moved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (site_id, name) DO NOTHING",
        )?
        .execute(params![
            g.site_id.to_string(),
            g.name.as_str(),
            g.backend_id.to_string(),
            g.alt_backend_id.map(|b| b.to_string()),
            g.moving,
            g.sticky_users,
            g.sticky_backend,
            g.last_moved_at.map(rows::millis),
        ])?;
    Ok(inserted == 1)
}

pub(super) fn get(c: &Connection, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>> {
    rows::first(
        c,
        &format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE site_id = ?1 AND name = ?2"),
        params![site.to_string(), name.as_str()],
        rows::group,
    )
}

pub(super) fn list(c: &Connection, site: SiteId, filter: &GroupFilter, page: &PageRequest) -> Result<Page<UserGroup>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT) as usize;
    let prefix = filter.mask.as_ref().map_or("", |m| m.literal_prefix());
    // Seek to the later of the cursor and the mask's literal prefix; the mask itself is
    // applied here, fetching more until the page is full or no name can match any more.
    let (mut strictly_after, mut bound) = match &page.cursor {
        Some(cursor) => {
            let after = cursor::decode(cursor, 1)?.pop().ok_or(GeoDbError::InvalidCursor)?;
            if after.as_str() >= prefix { (true, after) } else { (false, prefix.to_owned()) }
        }
        None => (false, prefix.to_owned()),
    };
    let backend = filter.backend.map(|b| b.to_string());
    let batch = limit + 1;
    let mut items = Vec::with_capacity(batch);
    let mut exhausted = false;
    while items.len() <= limit && !exhausted {
        let op = if strictly_after { ">" } else { ">=" };
        let fetched = rows::all(
            c,
            &format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups
                 WHERE site_id = ?1 AND name {op} ?2 AND (?3 IS NULL OR backend_id = ?3)
                 ORDER BY name LIMIT ?4"
            ),
            params![site.to_string(), bound, backend, batch as i64],
            rows::group,
        )?;
        exhausted = fetched.len() < batch;
        for group in fetched {
            if !group.name.as_str().starts_with(prefix) {
                // Names are sorted: past the prefix's range nothing can match.
                exhausted = true;
                break;
            }
            (strictly_after, bound) = (true, group.name.to_string());
            if filter.mask.as_ref().is_none_or(|m| m.matches(group.name.as_str())) {
                items.push(group);
                if items.len() > limit {
                    break;
                }
            }
        }
    }
    Ok(Page::from_overfetch(items, limit, group_cursor))
}

pub(super) fn update_flags(
    c: &mut Connection,
    site: SiteId,
    name: &GroupName,
    flags: &GroupFlags,
) -> Result<UserGroup> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE user_groups
             SET sticky_users = COALESCE(?3, sticky_users), sticky_backend = COALESCE(?4, sticky_backend)
             WHERE site_id = ?1 AND name = ?2",
        )?
        .execute(params![site.to_string(), name.as_str(), flags.sticky_users, flags.sticky_backend])?;
    if changed == 0 {
        return Err(GeoDbError::not_found("group", name));
    }
    let group = get(&tx, site, name)?.ok_or_else(|| GeoDbError::not_found("group", name))?;
    tx.commit()?;
    Ok(group)
}

pub(super) fn delete(c: &mut Connection, site: SiteId, name: &GroupName) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let group = get(&tx, site, name)?.ok_or_else(|| GeoDbError::not_found("group", name))?;
    if group.is_moving() {
        return Err(GeoDbError::Conflict(ConflictKind::GroupMoving { group: name.to_string() }));
    }
    tx.prepare_cached("DELETE FROM user_groups WHERE site_id = ?1 AND name = ?2")?
        .execute(params![site.to_string(), name.as_str()])?;
    tx.commit()?;
    Ok(())
}
