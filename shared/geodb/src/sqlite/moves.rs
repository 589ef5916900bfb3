//! The conditional writes of the group move protocol. Each is one guarded UPDATE; when the
//! guard does not hold, the row is read in the same transaction to say why.

use chrono::{DateTime, Utc};
use domain::{BackendId, GroupName, SiteId, UserGroup};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::groups;
use super::rows;
use crate::error::{GeoDbError, Result};
use crate::store::{MoveOutcome, MoveRefusal};

pub(super) fn start(
    c: &mut Connection,
    site: SiteId,
    name: &GroupName,
    expected: BackendId,
    destination: BackendId,
    marker: &str,
) -> Result<MoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE user_groups SET alt_backend_id = ?4, moving = ?5
             WHERE site_id = ?1 AND name = ?2 AND moving IS NULL AND backend_id = ?3",
        )?
        .execute(params![site.to_string(), name.as_str(), expected.to_string(), destination.to_string(), marker])?;
    outcome(tx, site, name, changed, |g| {
        Ok(if g.is_moving() { MoveRefusal::AlreadyMoving } else { MoveRefusal::NotOnExpectedBackend })
    })
}

pub(super) fn finish(
    c: &mut Connection,
    site: SiteId,
    name: &GroupName,
    marker: &str,
    at: DateTime<Utc>,
) -> Result<MoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // SET expressions read the row as it was, so the two backends swap in one step.
    let changed = tx
        .prepare_cached(
            "UPDATE user_groups
             SET backend_id = alt_backend_id, alt_backend_id = backend_id, moving = NULL, last_moved_at = ?4
             WHERE site_id = ?1 AND name = ?2 AND moving = ?3 AND alt_backend_id IS NOT NULL",
        )?
        .execute(params![site.to_string(), name.as_str(), marker, rows::millis(at)])?;
    outcome(tx, site, name, changed, |g| marker_refusal(g, marker))
}

pub(super) fn abort(c: &mut Connection, site: SiteId, name: &GroupName, marker: &str) -> Result<MoveOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx
        .prepare_cached(
            "UPDATE user_groups SET moving = NULL, alt_backend_id = NULL
             WHERE site_id = ?1 AND name = ?2 AND moving = ?3",
        )?
        .execute(params![site.to_string(), name.as_str(), marker])?;
    outcome(tx, site, name, changed, |g| marker_refusal(g, marker))
}

fn marker_refusal(group: &UserGroup, marker: &str) -> Result<MoveRefusal> {
    match group.moving.as_deref() {
        None => Ok(MoveRefusal::NotMoving),
        Some(m) if m != marker => Ok(MoveRefusal::MarkerMismatch),
        // Moving under this marker but without a destination: finish has nowhere to go.
        Some(_) => Err(GeoDbError::corrupt(format!("group {} is moving without a destination", group.name))),
    }
}

fn outcome(
    tx: Transaction<'_>,
    site: SiteId,
    name: &GroupName,
    changed: usize,
    refusal: impl FnOnce(&UserGroup) -> Result<MoveRefusal>,
) -> Result<MoveOutcome> {
    let current = groups::get(&tx, site, name)?;
    tx.commit()?;
    match (changed, current) {
        (0, None) => Ok(MoveOutcome::Refused { reason: MoveRefusal::GroupNotFound, current: None }),
        (0, Some(group)) => Ok(MoveOutcome::Refused { reason: refusal(&group)?, current: Some(group) }),
        (_, Some(group)) => Ok(MoveOutcome::Applied(group)),
        (_, None) => Err(GeoDbError::Internal(format!("group {name} vanished inside its own transaction"))),
    }
}
