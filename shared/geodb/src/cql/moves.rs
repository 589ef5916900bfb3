//! The group move protocol's conditional writes, each one lightweight transaction on the group
//! row. Finishing and aborting read the row through Paxos first (they must know the backends)
//! and condition the write on everything they read, re-reading when they lose a race.

use chrono::{DateTime, Utc};
use domain::{BackendId, GroupName, SiteId, UserGroup};

use super::CqlGeoDb;
use super::exec::{MAX_RACES, contention};
use super::rows::{from_timestamp, to_timestamp};
use crate::error::{GeoDbError, Result};
use crate::store::{MoveOutcome, MoveRefusal};

fn refused(reason: MoveRefusal, current: Option<UserGroup>) -> MoveOutcome {
    MoveOutcome::Refused { reason, current }
}

/// Why finishing or aborting `marker`'s move cannot proceed on `current`, if it cannot.
fn owner_refusal(current: &UserGroup, marker: &str) -> Option<MoveRefusal> {
    match current.moving.as_deref() {
        None => Some(MoveRefusal::NotMoving),
        Some(moving) if moving != marker => Some(MoveRefusal::MarkerMismatch),
        Some(_) => None,
    }
}

impl CqlGeoDb {
    pub(super) async fn move_start(
        &self,
        site: SiteId,
        name: &GroupName,
        expected_backend: BackendId,
        destination: BackendId,
        marker: &str,
    ) -> Result<MoveOutcome> {
        // `backend_id = ?` is false on a missing row, so this never creates a group, while
        // `moving = null` alone would hold there and upsert one.
        let values = (destination.0, marker, site.0, name.as_str(), expected_backend.0);
        let answer = self.lwt(&self.st.group_move_start, values).await?;
        if answer.applied {
            let current = self.group_get_serial(site, name).await?;
            return current
                .map(MoveOutcome::Applied)
                .ok_or_else(|| GeoDbError::Internal(format!("group {name} vanished after its move started")));
        }
        // Cassandra returns the condition columns only when the row exists; ScyllaDB returns
        // them as nulls for a missing row. A group always has a backend, so no backend_id
        // means no group.
        let Some(backend) = answer.uuid("backend_id")? else {
            return Ok(refused(MoveRefusal::GroupNotFound, None));
        };
        let reason = if answer.text("moving")?.is_some_and(|m| !m.is_empty()) {
            MoveRefusal::AlreadyMoving
        } else if backend != expected_backend.0 {
            MoveRefusal::NotOnExpectedBackend
        } else {
            // Only an empty-string marker, which reads as "not moving", gets here.
            MoveRefusal::AlreadyMoving
        };
        Ok(refused(reason, self.group_get_serial(site, name).await?))
    }

    pub(super) async fn move_finish(
        &self,
        site: SiteId,
        name: &GroupName,
        marker: &str,
        at: DateTime<Utc>,
    ) -> Result<MoveOutcome> {
        let at = to_timestamp(at);
        for _ in 0..MAX_RACES {
            let Some(current) = self.group_get_serial(site, name).await? else {
                return Ok(refused(MoveRefusal::GroupNotFound, None));
            };
            if let Some(reason) = owner_refusal(&current, marker) {
                return Ok(refused(reason, Some(current)));
            }
            let destination = current
                .alt_backend_id
                .ok_or_else(|| GeoDbError::corrupt(format!("group {name} is moving without alt_backend_id")))?;
            let source = current.backend_id;
            let values = (destination.0, source.0, at, site.0, name.as_str(), marker, source.0, destination.0);
            if self.lwt(&self.st.group_move_finish, values).await?.applied {
                return Ok(MoveOutcome::Applied(UserGroup {
                    backend_id: destination,
                    alt_backend_id: Some(source),
                    moving: None,
                    last_moved_at: Some(from_timestamp(at, "user_groups.last_moved_at")?),
                    ..current
                }));
            }
        }
        Err(contention("finish group move"))
    }

    pub(super) async fn move_abort(&self, site: SiteId, name: &GroupName, marker: &str) -> Result<MoveOutcome> {
        for _ in 0..MAX_RACES {
            let Some(current) = self.group_get_serial(site, name).await? else {
                return Ok(refused(MoveRefusal::GroupNotFound, None));
            };
            if let Some(reason) = owner_refusal(&current, marker) {
                return Ok(refused(reason, Some(current)));
            }
            if self.lwt(&self.st.group_move_abort, (site.0, name.as_str(), marker)).await?.applied {
                return Ok(MoveOutcome::Applied(UserGroup { moving: None, alt_backend_id: None, ..current }));
            }
        }
        Err(contention("abort group move"))
    }
}
