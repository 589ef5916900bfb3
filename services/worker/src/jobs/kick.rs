//! `kick`: disconnects a user from the backend that serves its group (`doveadm kick` there).
//! Kicking a user with no session is success: the caller wanted the user gone.

use domain::User;
use jobs::moves::KickPayload;
use queue::Delivery;
use serde_json::json;

use super::context::{Context, geodb_error};
use super::{JobError, JobResult};

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: KickPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let name = &payload.user;
    let user: User = ctx
        .db
        .get_user(name)
        .await
        .map_err(|e| geodb_error("read the user", e))?
        .ok_or_else(|| JobError::Abort(format!("user {name} not found")))?;
    let Some(group_name) = &user.group else {
        return Err(JobError::Abort(format!("user {name} has no group, so no backend serves it")));
    };
    let group = ctx
        .db
        .get_group(user.site_id, group_name)
        .await
        .map_err(|e| geodb_error("read the user's group", e))?
        .ok_or_else(|| JobError::Abort(format!("user {name}'s group {group_name} not found")))?;
    let backend = ctx
        .backend(group.backend_id)
        .await?
        .ok_or_else(|| JobError::Abort(format!("backend {} not found", group.backend_id)))?;
    let url = ctx.doveadm_url(&backend).await?;
    match ctx.doveadm.kick(&url, name.as_str()).await {
        Ok(kicked) => {
            tracing::info!(user = %name, backend = %backend.host, kicked, "user kicked");
            Ok(json!({ "user": name, "backend": backend.host, "kicked": kicked }))
        }
        Err(e) if e.is_retryable() => Err(JobError::Retry(format!("kick {name} on {}: {e}", backend.host))),
        Err(e) => Err(JobError::Abort(format!("kick {name} on {}: {e}", backend.host))),
    }
}
