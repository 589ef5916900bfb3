//! The backend's side of the move protocols. An access to a moving group on its source
//! backend (doveadm `clusterGroupAccess`, or a login or delivery) makes the source finish the
//! move after the configured delay, with the conditional `finish_group_move` under the marker
//! it saw: repeating it, or racing an abort, changes nothing. User moves finish on access.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use domain::{BackendStatus, GroupName, User, UserGroup, UserName};
use geodb::{MoveOutcome, UserMoveOutcome};

use crate::state::{Sim, lock};

/// What an access to a group finds on a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The group lives here and is not moving.
    Here,
    /// The group is moving away from here; finishing is scheduled (or already was).
    Finishing,
    /// The group does not live here.
    NotHere,
}

/// An access to `group` (as just read from GeoDB) on simulated backend `backend`.
pub fn on_group_access(sim: &Arc<Sim>, backend: usize, group: &UserGroup) -> Access {
    let me = &sim.backends[backend];
    if group.backend_id != me.id {
        return Access::NotHere;
    }
    let Some(marker) = &group.moving else {
        return Access::Here;
    };
    // A source that is offline or standby finishes at once, as Dovecot's does: every proxy
    // already knows the destination (`alt_backend_id`), so nobody is lost.
    let delay = match sim.status(me.id) {
        Some(BackendStatus::Offline | BackendStatus::Standby) => Duration::ZERO,
        _ => sim.options.move_finish_delay,
    };
    schedule_group_finish(sim, backend, group.name.clone(), marker.clone(), delay);
    Access::Finishing
}

/// Finishes the move owned by `marker` after `delay`; a second call while one is pending does
/// nothing.
fn schedule_group_finish(sim: &Arc<Sim>, backend: usize, group: GroupName, marker: String, delay: Duration) {
    let key = (group, marker);
    if !lock(&sim.backends[backend].finishing).insert(key.clone()) {
        return;
    }
    tracing::info!(group = %key.0, marker = %key.1, backend = %sim.backends[backend].host,
        delay_ms = delay.as_millis() as u64, "group move finishing");
    let sim = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        finish_group(&sim, backend, &key.0, &key.1).await;
        // Forgotten after the attempt: an access after a failed write schedules it again.
        lock(&sim.backends[backend].finishing).remove(&key);
    });
}

async fn finish_group(sim: &Sim, backend: usize, group: &GroupName, marker: &str) {
    let source = &sim.backends[backend];
    match sim.db.finish_group_move(sim.site_id, group, marker, Utc::now()).await {
        Ok(MoveOutcome::Applied(now)) => {
            sim.totals.groups_moved.fetch_add(1, Ordering::Relaxed);
            source.remember_move(group);
            // The group's users now live on the destination: their sessions here end.
            let ended = lock(&source.sessions).end_group(group);
            let destination =
                sim.backend(now.backend_id).map_or_else(|| now.backend_id.to_string(), |b| b.host.to_string());
            tracing::info!(%group, %marker, from = %source.host, to = %destination, sessions_ended = ended,
                "group move finished");
        }
        Ok(MoveOutcome::Refused { reason, .. }) => {
            // Finished by an earlier access, or aborted: nothing left to do.
            tracing::debug!(%group, %marker, %reason, "group move not finished here");
        }
        Err(error) => {
            sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%group, %marker, %error, "cannot finish the group move; the next access retries");
        }
    }
}

/// Finishes the user's move if one is in progress; returns the user as it is afterwards
/// (`None` for an unknown user).
pub async fn finish_user(sim: &Sim, user: &UserName) -> geodb::Result<Option<User>> {
    match sim.db.finish_user_move(user).await? {
        UserMoveOutcome::Applied(now) => {
            sim.totals.users_moved.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%user, group = ?now.group.as_ref().map(GroupName::as_str), "user move finished");
            Ok(Some(now))
        }
        UserMoveOutcome::Refused { current, .. } => Ok(current),
    }
}
