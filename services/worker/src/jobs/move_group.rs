//! `move_group`: moves one group to another backend of its site. The job id is the move's
//! marker, so a reclaimed attempt recognises a move it started and carries on watching it. The
//! destination is checked before the start only: once the move runs, the source backend owns
//! it and the job's part is to ask it to finish and to watch.
//!
//! A move stuck past `MOVE_TIMEOUT_SECS` raises the `stuck_move` alert and fails with Retry,
//! not Abort: GeoDB still says the group moves under this job's marker, so the next attempt (or
//! a redrive of the dead job) resumes the same move instead of leaving it orphaned; the move is
//! never cleared behind the source backend's back.

use jobs::moves::MoveGroupPayload;
use queue::Delivery;
use serde_json::json;

use super::context::{Context, geodb_error};
use super::group_move::{self, GroupMove, Start, Watch};
use super::{JobError, JobResult};

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: MoveGroupPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let started = ctx.clock.instant();
    let (site, name, marker) = (payload.site_id, &payload.group, delivery.job_id.as_str());
    let group = ctx
        .db
        .get_group(site, name)
        .await
        .map_err(|e| geodb_error("read the group", e))?
        .ok_or_else(|| JobError::Abort(format!("group {name} not found in site {site}")))?;
    let destination = ctx
        .backend(payload.destination_backend_id)
        .await?
        .ok_or_else(|| JobError::Abort(format!("destination backend {} not found", payload.destination_backend_id)))?;
    let done = |from, moved: bool| json!({ "group": name, "from": from, "to": destination.host, "moved": moved, "elapsed_ms": (ctx.clock.instant() - started).as_millis() as u64 });

    let ours = group.moving.as_deref() == Some(marker);
    if !ours {
        if group.backend_id == destination.id && !group.is_moving() {
            return Ok(done(destination.host.to_string(), false));
        }
        if let Some(expected) = payload.expected_backend_id
            && expected != group.backend_id
        {
            return Err(JobError::Abort(format!(
                "group {name} is on backend {}, not on the expected backend {expected}",
                group.backend_id
            )));
        }
        refuse_destination(ctx, &group, &destination).await?;
    }

    let source = ctx
        .backend(group.backend_id)
        .await?
        .ok_or_else(|| JobError::Abort(format!("source backend {} not found", group.backend_id)))?;
    let mv = GroupMove {
        site,
        group: name.clone(),
        source: source.id,
        destination: destination.id,
        marker: marker.to_owned(),
        source_host: source.host.to_string(),
        destination_host: destination.host.to_string(),
    };
    match group_move::start(ctx, &mv).await? {
        Start::AlreadyThere => return Ok(done(source.host.to_string(), false)),
        Start::Moving(_) => {}
    }
    let source_url = ctx.doveadm_url(&source).await?;
    match group_move::finish(ctx, &mv, &source_url).await? {
        Watch::Finished => {
            tracing::info!(group = %name, from = %source.host, to = %destination.host, "group move finished");
            Ok(done(source.host.to_string(), true))
        }
        Watch::Abandoned(why) => Err(JobError::Abort(why)),
        Watch::Stuck(why) => Err(JobError::Retry(why)),
    }
}

/// The refusals the brief lists (`domain::destination`), each naming its reason, checked against
/// GeoDB and the latest reachability record.
async fn refuse_destination(
    ctx: &Context,
    group: &domain::UserGroup,
    destination: &domain::Backend,
) -> Result<(), JobError> {
    let reachability = ctx.reachability().await?;
    let unreachable = reachability.get(&destination.id).and_then(|r| r.unreachable_because());
    let observed = domain::destination::Observed { unreachable, ..Default::default() };
    match domain::destination::refusal(group, destination, observed) {
        Some(refusal) => Err(JobError::Abort(refusal.explain(&group.name, &destination.host))),
        None => Ok(()),
    }
}
