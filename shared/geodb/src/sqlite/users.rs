//! Users, listed per site by (group, name) with unassigned users first: they are stored with
//! group '' so one keyset comparison over (group_name, name) pages through all of them.
//! User moves are guarded UPDATEs in `BEGIN IMMEDIATE` transactions; when the guard does not
//! hold, the row is read in the same transaction to say why.

use domain::{GroupName, SiteId, User, UserName};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::rows::{self, USER_COLUMNS};
use crate::cursor;
use crate::error::{GeoDbError, Result};
use crate::store::{Page, PageRequest, UserFilter, UserMoveOutcome, UserMoveRefusal, user_cursor};

pub(super) fn insert(c: &Connection, u: &User) -> Result<bool> {
    let inserted = c
        .prepare_cached(
            "INSERT INTO users (name, site_id, group_name, failover_group, moving_site_id, moving_group,
                                moving_failover_group)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![
            u.name.as_str(),
            u.site_id.to_string(),
            u.group.as_ref().map_or("", |g| g.as_str()),
            u.failover_group.as_ref().map(|g| g.as_str()),
            u.moving_site_id.map(|s| s.to_string()),
            u.moving_group.as_ref().map(|g| g.as_str()),
            u.moving_failover_group.as_ref().map(|g| g.as_str()),
        ])?;
    Ok(inserted == 1)
}

pub(super) fn get(c: &Connection, name: &UserName) -> Result<Option<User>> {
    rows::first(c, &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"), [name.as_str()], rows::user)
}

pub(super) fn list(c: &Connection, site: SiteId, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT) as usize;
    // No user has an empty name, so ('', '') is below every row.
    let (after_group, after_name) = match &page.cursor {
        Some(cursor) => {
            let mut parts = cursor::decode(cursor, 2)?;
            let name = parts.pop().ok_or(GeoDbError::InvalidCursor)?;
            (parts.pop().ok_or(GeoDbError::InvalidCursor)?, name)
        }
        None => (String::new(), String::new()),
    };
    let fetch = limit as i64 + 1;
    let items = match &filter.group {
        None => rows::all(
            c,
            &format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE site_id = ?1 AND (group_name, name) > (?2, ?3)
                 ORDER BY group_name, name LIMIT ?4"
            ),
            params![site.to_string(), after_group, after_name, fetch],
            rows::user,
        )?,
        Some(group) => {
            if page.cursor.is_some() && after_group != group.as_str() {
                // A cursor from another group's listing would silently skip or repeat users.
                return Err(GeoDbError::InvalidCursor);
            }
            rows::all(
                c,
                &format!(
                    "SELECT {USER_COLUMNS} FROM users
                     WHERE site_id = ?1 AND group_name = ?2 AND name > ?3
                     ORDER BY name LIMIT ?4"
                ),
                params![site.to_string(), group.as_str(), after_name, fetch],
                rows::user,
            )?
        }
    };
    let page = Page::from_overfetch(items, limit, user_cursor);
    Ok(page)
}

pub(super) fn delete(c: &Connection, name: &UserName) -> Result<bool> {
    let deleted = c.prepare_cached("DELETE FROM users WHERE name = ?1")?.execute([name.as_str()])?;
    Ok(deleted > 0)
}

pub(super) fn set_group(c: &Connection, name: &UserName, group: Option<&GroupName>) -> Result<()> {
    let changed = c
        .prepare_cached(
            "UPDATE users SET group_name = ?2, moving_site_id = NULL, moving_group = NULL, moving_failover_group = NULL
             WHERE name = ?1",
        )?
        .execute(params![name.as_str(), group.map_or("", |g| g.as_str())])?;
    if changed == 0 {
        return Err(GeoDbError::not_found("user", name));
    }
    Ok(())
}

pub(super) fn start_move(
    c: &mut Connection,
    name: &UserName,
    expected_group: &GroupName,
    dest_site: SiteId,
    dest_group: &GroupName,
    dest_failover_group: Option<&GroupName>,
) -> Result<UserMoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE users SET moving_site_id = ?3, moving_group = ?4, moving_failover_group = ?5
             WHERE name = ?1 AND moving_group IS NULL AND moving_site_id IS NULL AND group_name = ?2",
        )?
        .execute(params![
            name.as_str(),
            expected_group.as_str(),
            dest_site.to_string(),
            dest_group.as_str(),
            dest_failover_group.map(|g| g.as_str()),
        ])?;
    move_outcome(tx, name, changed, |u| {
        Ok(if u.is_moving() { UserMoveRefusal::AlreadyMoving } else { UserMoveRefusal::NotInExpectedGroup })
    })
}

pub(super) fn finish_move(c: &mut Connection, name: &UserName) -> Result<UserMoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE users
             SET site_id = moving_site_id, group_name = moving_group, failover_group = moving_failover_group,
                 moving_site_id = NULL, moving_group = NULL, moving_failover_group = NULL
             WHERE name = ?1 AND moving_site_id IS NOT NULL AND moving_group IS NOT NULL",
        )?
        .execute([name.as_str()])?;
    move_outcome(tx, name, changed, |u| {
        if u.is_moving() {
            // Moving, but without both a destination site and group: finish has nowhere to go.
            Err(GeoDbError::corrupt(format!("user {} is moving without a destination site and group", u.name)))
        } else {
            Ok(UserMoveRefusal::NotMoving)
        }
    })
}

pub(super) fn abort_move(c: &mut Connection, name: &UserName) -> Result<UserMoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE users SET moving_site_id = NULL, moving_group = NULL, moving_failover_group = NULL
             WHERE name = ?1 AND (moving_site_id IS NOT NULL OR moving_group IS NOT NULL)",
        )?
        .execute([name.as_str()])?;
    move_outcome(tx, name, changed, |_| Ok(UserMoveRefusal::NotMoving))
}

fn move_outcome(
    tx: Transaction<'_>,
    name: &UserName,
    changed: usize,
    refusal: impl FnOnce(&User) -> Result<UserMoveRefusal>,
) -> Result<UserMoveOutcome> {
    let current = get(&tx, name)?;
    tx.commit()?;
    match (changed, current) {
        (0, None) => Ok(UserMoveOutcome::Refused { reason: UserMoveRefusal::UserNotFound, current: None }),
        (0, Some(user)) => Ok(UserMoveOutcome::Refused { reason: refusal(&user)?, current: Some(user) }),
        (_, Some(user)) => Ok(UserMoveOutcome::Applied(user)),
        (_, None) => Err(GeoDbError::Internal(format!("user {name} vanished inside its own transaction"))),
    }
}
