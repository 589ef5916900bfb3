//! The group move protocol, shared by `move_group` and `evacuate_backend`: one conditional start
//! in GeoDB under a marker, `clusterGroupAccess` on the source backend, then watching GeoDB until
//! the source finished it, re-sending the access meanwhile. Every step can be repeated: a
//! reclaimed attempt that finds the group moving under its own marker simply carries on. It never
//! clears a move it did not finish: a stuck move stays visible (and alerted) for an operator.

use std::time::Duration;

use domain::{BackendId, GroupName, SiteId, UserGroup};
use geodb::{MoveOutcome, MoveRefusal};
use serde_json::json;
use state::{Alert, AlertSeverity};

use super::JobError;
use super::context::{Context, geodb_error};
use crate::metrics;

/// How often GeoDB is read while a move is watched: the source finishes a move in seconds.
const POLL: Duration = Duration::from_millis(200);
/// The alert kind of a move that did not finish in time; its object is the group (or user) name.
pub const STUCK_MOVE: &str = "stuck_move";

/// One group move, identified by its marker (the job id, or job id and group for evacuations).
#[derive(Debug, Clone)]
pub struct GroupMove {
    pub site: SiteId,
    pub group: GroupName,
    pub source: BackendId,
    pub destination: BackendId,
    pub marker: String,
    /// Host names, for messages an operator reads (ids are in the alert's context).
    pub source_host: String,
    pub destination_host: String,
}

/// What the conditional start found.
#[derive(Debug, Clone)]
pub enum Start {
    /// The group moves under our marker (just started, or by an earlier attempt of ours).
    Moving(UserGroup),
    /// The group already lives on the destination and is not moving: nothing to do.
    AlreadyThere,
}

/// How watching a started move ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watch {
    Finished,
    /// The move was cleared (or taken over) by someone else before it finished.
    Abandoned(String),
    /// Not finished within `MOVE_TIMEOUT_SECS`; the alert is raised.
    Stuck(String),
}

/// Sets `alt_backend_id` and `moving` if the group is on `mv.source` and not moving.
pub async fn start(ctx: &Context, mv: &GroupMove) -> Result<Start, JobError> {
    let outcome = ctx
        .db
        .start_group_move(mv.site, &mv.group, mv.source, mv.destination, &mv.marker)
        .await
        .map_err(|e| geodb_error("start the group move", e))?;
    let (reason, current) = match outcome {
        MoveOutcome::Applied(group) => {
            tracing::info!(group = %mv.group, marker = %mv.marker, from = %mv.source_host, to = %mv.destination_host, "group move started");
            return Ok(Start::Moving(group));
        }
        MoveOutcome::Refused { reason, current } => (reason, current),
    };
    let group = &mv.group;
    match (reason, current) {
        (MoveRefusal::AlreadyMoving, Some(g)) if g.moving.as_deref() == Some(mv.marker.as_str()) => {
            tracing::info!(%group, marker = %mv.marker, "group already moving under this job's marker; resuming");
            Ok(Start::Moving(g))
        }
        (MoveRefusal::AlreadyMoving, Some(g)) => Err(JobError::Abort(format!(
            "group {group} is moving under another move (marker {})",
            g.moving.as_deref().unwrap_or("?")
        ))),
        (MoveRefusal::NotOnExpectedBackend, Some(g)) if g.backend_id == mv.destination && !g.is_moving() => {
            // Also how a retry finds a move that was stuck and then finished: not stuck any more.
            ctx.resolve(STUCK_MOVE, Some(mv.site.0), Some(group.as_str())).await;
            Ok(Start::AlreadyThere)
        }
        (MoveRefusal::NotOnExpectedBackend, Some(g)) => Err(JobError::Abort(format!(
            "group {group} is on backend {}, not on the expected backend {}",
            g.backend_id, mv.source
        ))),
        (MoveRefusal::GroupNotFound, _) | (_, None) => Err(JobError::Abort(format!("group {group} not found"))),
        (reason, Some(_)) => Err(JobError::Abort(format!("cannot start moving group {group}: {reason}"))),
    }
}

/// Asks the source backend to finish the move. A failure is only logged: the move may still
/// finish through a user's own access, and the watch sends the access again.
pub async fn access(ctx: &Context, source_url: &str, group: &GroupName) -> Option<String> {
    match ctx.doveadm.cluster_group_access(source_url, group.as_str()).await {
        Ok(()) => None,
        Err(error) => {
            tracing::warn!(%group, url = source_url, %error, retryable = error.is_retryable(), "clusterGroupAccess failed; will send it again");
            Some(error.to_string())
        }
    }
}

/// Sends the access and watches GeoDB until the move finished, was abandoned or timed out.
/// A timeout raises the critical `stuck_move` alert (Redis, log, metric) before returning.
pub async fn finish(ctx: &Context, mv: &GroupMove, source_url: &str) -> Result<Watch, JobError> {
    let started = ctx.clock.instant();
    let mut last_error = access(ctx, source_url, &mv.group).await;
    let mut last_access = ctx.clock.instant();
    loop {
        let group = ctx
            .db
            .get_group(mv.site, &mv.group)
            .await
            .map_err(|e| geodb_error("watch the group move", e))?
            .ok_or_else(|| JobError::Abort(format!("group {} disappeared while moving", mv.group)))?;
        match group.moving.as_deref() {
            None if group.backend_id == mv.destination => {
                // An earlier attempt of this move may have raised it.
                ctx.resolve(STUCK_MOVE, Some(mv.site.0), Some(mv.group.as_str())).await;
                return Ok(Watch::Finished);
            }
            None => {
                return Ok(Watch::Abandoned(format!(
                    "the move of group {} was abandoned: it is not moving and still on backend {}",
                    mv.group, group.backend_id
                )));
            }
            Some(marker) if marker != mv.marker => {
                return Ok(Watch::Abandoned(format!("group {} now moves under another move ({marker})", mv.group)));
            }
            Some(_) => {}
        }
        if ctx.clock.instant() - started >= ctx.moves.timeout {
            let message = stuck_message(mv, ctx.moves.timeout, last_error.as_deref());
            metrics::stuck_move("group");
            let context = json!({
                "site_id": mv.site, "group": mv.group, "source_backend_id": mv.source,
                "destination_backend_id": mv.destination, "marker": mv.marker, "last_access_error": last_error,
            });
            let alert = Alert::new(AlertSeverity::Critical, STUCK_MOVE, &message)
                .with_site(mv.site.0)
                .with_object(mv.group.as_str())
                .with_context(context);
            ctx.raise(alert).await;
            return Ok(Watch::Stuck(message));
        }
        if ctx.clock.instant() - last_access >= ctx.moves.access_retry {
            last_error = access(ctx, source_url, &mv.group).await;
            last_access = ctx.clock.instant();
        }
        ctx.clock.sleep(POLL).await;
    }
}

fn stuck_message(mv: &GroupMove, timeout: Duration, last_error: Option<&str>) -> String {
    let mut message = format!(
        "group {} did not finish moving from backend {} to {} within {} s (marker {})",
        mv.group,
        mv.source_host,
        mv.destination_host,
        timeout.as_secs(),
        mv.marker,
    );
    if let Some(error) = last_error {
        message.push_str(&format!("; last clusterGroupAccess error: {error}"));
    }
    message
}
