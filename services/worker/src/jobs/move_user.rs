//! `move_user`: `doveadm cluster user move` by the controller. One conditional write starts the
//! move (only if the user is still in the group it was read in), `clusterUserAccess` on the
//! backend serving the user's current group finishes it, and the job watches GeoDB until it is
//! finished, sending the access again meanwhile. A user move has no marker, so an attempt that
//! finds the user already moving to the same group and site treats that move as its own: moving
//! there twice is the same move.

use domain::{SiteId, User};
use geodb::{UserMoveOutcome, UserMoveRefusal};
use jobs::moves::MoveUserPayload;
use queue::Delivery;
use serde_json::json;
use state::{Alert, AlertSeverity};

use super::context::{Context, geodb_error};
use super::group_move::STUCK_MOVE;
use super::{JobError, JobResult};
use crate::metrics;

const POLL: std::time::Duration = std::time::Duration::from_millis(200);

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: MoveUserPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let started = ctx.clock.instant();
    let name = &payload.user;
    let user = read_user(ctx, &payload).await?;
    let dest_site = payload.site_id.unwrap_or(user.site_id);
    let done = |from: &str| json!({ "user": name, "from": from, "to": payload.group, "elapsed_ms": (ctx.clock.instant() - started).as_millis() as u64 });
    let Some(from) = user.group.clone() else {
        return Err(JobError::Abort(format!("user {name} has no group: it is assigned at its next login")));
    };
    if user.is_moving() && !is_this_move(&user, dest_site, &payload) {
        let to = user.moving_group.as_ref().map_or("?", |g| g.as_str());
        return Err(JobError::Abort(format!("user {name} is already moving to group {to}")));
    }
    if !user.is_moving() {
        if user.site_id == dest_site && from == payload.group {
            // Also how a retry finds a move that was stuck and then finished.
            ctx.resolve(STUCK_MOVE, Some(dest_site.0), Some(name.as_str())).await;
            return Ok(done(from.as_str()));
        }
        if ctx.db.get_group(dest_site, &payload.group).await.map_err(|e| geodb_error("read the group", e))?.is_none() {
            return Err(JobError::Abort(format!("group {} not found in site {dest_site}", payload.group)));
        }
        let outcome = ctx
            .db
            .start_user_move(name, &from, dest_site, &payload.group, payload.failover_group.as_ref())
            .await
            .map_err(|e| geodb_error("start the user move", e))?;
        match outcome {
            UserMoveOutcome::Applied(_) => {
                tracing::info!(user = %name, %from, to = %payload.group, "user move started")
            }
            UserMoveOutcome::Refused { reason: UserMoveRefusal::UserNotFound, .. } => {
                return Err(JobError::Abort(format!("user {name} not found")));
            }
            // The user changed under us: the next attempt reads it again and decides anew.
            UserMoveOutcome::Refused { reason, .. } => {
                return Err(JobError::Retry(format!("user {name} changed while starting the move: {reason}")));
            }
        }
    }

    // The backend of the user's current group serves it until the move is finished.
    let group = ctx
        .db
        .get_group(user.site_id, &from)
        .await
        .map_err(|e| geodb_error("read the user's group", e))?
        .ok_or_else(|| JobError::Abort(format!("user {name}'s group {from} not found")))?;
    let backend = ctx
        .backend(group.backend_id)
        .await?
        .ok_or_else(|| JobError::Abort(format!("backend {} not found", group.backend_id)))?;
    let url = ctx.doveadm_url(&backend).await?;
    let watch_started = ctx.clock.instant();
    let mut last_error = access(ctx, &url, name.as_str()).await;
    let mut last_access = ctx.clock.instant();
    loop {
        let now = read_user(ctx, &payload).await?;
        if !now.is_moving() {
            if now.group.as_ref() == Some(&payload.group) && now.site_id == dest_site {
                tracing::info!(user = %name, %from, to = %payload.group, backend = %backend.host, "user move finished");
                ctx.resolve(STUCK_MOVE, Some(dest_site.0), Some(name.as_str())).await;
                return Ok(done(from.as_str()));
            }
            return Err(JobError::Abort(format!("the move of user {name} was abandoned before it finished")));
        }
        if ctx.clock.instant() - watch_started >= ctx.moves.timeout {
            let message = format!(
                "user {name} did not finish moving from group {from} to {} within {} s{}",
                payload.group,
                ctx.moves.timeout.as_secs(),
                last_error.as_deref().map(|e| format!("; last clusterUserAccess error: {e}")).unwrap_or_default()
            );
            metrics::stuck_move("user");
            let context = json!({ "user": name, "from": from, "to": payload.group, "backend": backend.host });
            let alert = Alert::new(AlertSeverity::Critical, STUCK_MOVE, &message)
                .with_site(dest_site.0)
                .with_object(name.as_str())
                .with_context(context);
            ctx.raise(alert).await;
            // Retry, as for group moves: the move stays in GeoDB and the next attempt resumes it.
            return Err(JobError::Retry(message));
        }
        if ctx.clock.instant() - last_access >= ctx.moves.access_retry {
            last_error = access(ctx, &url, name.as_str()).await;
            last_access = ctx.clock.instant();
        }
        ctx.clock.sleep(POLL).await;
    }
}

async fn read_user(ctx: &Context, payload: &MoveUserPayload) -> Result<User, JobError> {
    ctx.db
        .get_user(&payload.user)
        .await
        .map_err(|e| geodb_error("read the user", e))?
        .ok_or_else(|| JobError::Abort(format!("user {} not found", payload.user)))
}

fn is_this_move(user: &User, dest_site: SiteId, payload: &MoveUserPayload) -> bool {
    user.moving_group.as_ref() == Some(&payload.group) && user.moving_site_id.unwrap_or(user.site_id) == dest_site
}

async fn access(ctx: &Context, url: &str, user: &str) -> Option<String> {
    match ctx.doveadm.cluster_user_access(url, user).await {
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(user, url, %error, "clusterUserAccess failed; will send it again");
            Some(error.to_string())
        }
    }
}
