//! `execute_plan`: carries out exactly the moves of a stored plan an operator approved, then marks
//! it executed. [`execute`] is also what `error_mitigation` runs when its feature is `on`, so an
//! approved dry-run plan does what the live run would have done.
//!
//! Moves are enqueued as jobs (`move_group`, `evacuate_backend`, `move_user`) under the same
//! dedup keys the API uses, so a repeated attempt, or a plan racing an operator's own request,
//! never starts a second move of the same thing. Only `SetOffline` is done inline: it is one
//! GeoDB write, made only while the backend is still empty.

use domain::{BackendId, BackendStatus, GroupName, Site, SiteId};
use geodb::{BackendUpdate, GroupFilter};
use jobs::mitigation::ExecutePlanPayload;
use jobs::moves::{EvacuateBackendPayload, MoveGroupPayload, MoveUserPayload};
use policy::destination;
use policy::plan::PlannedMove;
use queue::{Delivery, QueueError};
use serde_json::{Value, json};
use state::PlanState;

use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult, site_safety};

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: ExecutePlanPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let stored = ctx
        .state
        .plan(&payload.plan_id)
        .await
        .map_err(|e| queue_error("read the plan", e))?
        .ok_or_else(|| JobError::Abort(format!("plan {} not found (never stored, or expired)", payload.plan_id)))?;
    match stored.state {
        PlanState::Approved => {}
        // A retried attempt whose first one got this far: the moves were enqueued then.
        PlanState::Executed => return Ok(json!({ "plan_id": stored.id, "already": "executed" })),
        other => return Err(JobError::Abort(format!("plan {} is {other}: only approved plans run", stored.id))),
    }
    let site = ctx
        .db
        .get_site(stored.plan.site)
        .await
        .map_err(|e| geodb_error("read the plan's site", e))?
        .ok_or_else(|| JobError::Abort(format!("the plan's site {} no longer exists", stored.plan.site)))?;
    if let Some(why) = site_safety::guard_refusal(ctx, site.id).await? {
        return Err(JobError::Abort(format!("plan {} not executed: {why}", stored.id)));
    }
    let executed = execute(ctx, &site, &stored.plan.moves, &delivery.job_id).await?;
    match ctx.state.mark_plan_executed(&stored.id).await {
        // Another attempt marked it first; the dedup keys kept the moves single.
        Ok(()) | Err(QueueError::Conflict(_)) => {}
        Err(e) => return Err(queue_error("mark the plan executed", e)),
    }
    tracing::info!(plan_id = %stored.id, site = %site.name, moves = stored.plan.moves.len(), "approved plan executed");
    Ok(json!({ "plan_id": stored.id, "site": site.name, "executed": executed }))
}

/// Carries out `moves` in order and says what became of each (enqueued job id, duplicate of a
/// running one, done, or skipped and why). `job_id` is only for logs.
pub async fn execute(ctx: &Context, site: &Site, moves: &[PlannedMove], job_id: &str) -> Result<Vec<Value>, JobError> {
    let mut out = Vec::with_capacity(moves.len());
    for mv in moves {
        let result = match mv {
            PlannedMove::Evacuate { backend } => ctx.submit(&EvacuateBackendPayload { backend_id: *backend }).await?,
            PlannedMove::Group { group, from, to } => shed(ctx, site.id, group.as_ref(), *from, *to).await?,
            PlannedMove::SetOffline { backend } => set_offline(ctx, site.id, *backend).await?,
            PlannedMove::User { user, to, .. } => {
                let job = MoveUserPayload {
                    user: user.clone(),
                    group: to.clone(),
                    site_id: Some(site.id),
                    failover_group: None,
                };
                ctx.submit(&job).await?
            }
        };
        tracing::info!(job_id, planned = ?mv, result = %result, "planned move carried out");
        out.push(json!({ "move": mv, "result": result }));
    }
    Ok(out)
}

/// One group off `from`: the named one (to `to` when given), else one `policy::destination::
/// shed_group` allows. The destination is judged again now by the one destination rule (the
/// plan may be minutes old): a planned one that became unusable is replaced by the best usable
/// one. Nothing when a group is already moving off `from`: the last shed is still being watched,
/// and shedding faster would turn "move one and watch" into an evacuation.
async fn shed(
    ctx: &Context,
    site: SiteId,
    group: Option<&GroupName>,
    from: BackendId,
    to: Option<BackendId>,
) -> Result<Value, JobError> {
    let backends = ctx.db.list_backends(Some(site)).await.map_err(|e| geodb_error("list the backends", e))?;
    let groups = geodb::ops::all_groups(&*ctx.db, site).await.map_err(|e| geodb_error("list the groups", e))?;
    let on_source: Vec<&domain::UserGroup> = groups.iter().filter(|g| g.backend_id == from).collect();
    if group.is_none() && on_source.iter().any(|g| g.is_moving()) {
        return Ok(json!({ "skipped": "a group is already moving off the backend" }));
    }
    let residency = chrono::TimeDelta::from_std(ctx.balance.residency).unwrap_or(chrono::TimeDelta::MAX);
    let chosen = match group {
        Some(name) => on_source.iter().copied().find(|g| &g.name == name && !g.is_moving()),
        None => destination::shed_group(&on_source, ctx.clock.now(), residency),
    };
    let Some(chosen) = chosen else {
        return Ok(json!({ "skipped": "no group to move on the backend (moved, moving, pinned or gone)" }));
    };
    let candidates = site_safety::candidates(ctx, site, &backends, &groups, &[from]).await?;
    let planned =
        to.and_then(|to| candidates.iter().find(|c| c.id == to)).filter(|c| destination::refusal(c).is_none());
    let Some(destination) = planned.map(|c| c.id).or_else(|| destination::best(&candidates)) else {
        return Ok(json!({ "skipped": "no other backend of the site can take a group now" }));
    };
    let job = MoveGroupPayload {
        site_id: site,
        group: chosen.name.clone(),
        destination_backend_id: destination,
        expected_backend_id: Some(from),
    };
    ctx.submit(&job).await
}

/// Offline only while the backend holds no group: a group that arrived since the plan would
/// otherwise be served by nobody.
async fn set_offline(ctx: &Context, site: SiteId, backend: BackendId) -> Result<Value, JobError> {
    let Some(current) = ctx.backend(backend).await? else {
        return Ok(json!({ "skipped": "the backend no longer exists" }));
    };
    if current.status == BackendStatus::Offline {
        return Ok(json!({ "done": "already offline" }));
    }
    if !groups_on(ctx, site, backend).await?.is_empty() {
        return Ok(json!({ "skipped": "the backend holds groups again" }));
    }
    let update = BackendUpdate { status: Some(BackendStatus::Offline), load_factor: None };
    ctx.db.update_backend(backend, &update).await.map_err(|e| geodb_error("set the backend offline", e))?;
    tracing::warn!(backend = %current.host, "empty failing backend set offline");
    Ok(json!({ "done": "set offline" }))
}

async fn groups_on(ctx: &Context, site: SiteId, backend: BackendId) -> Result<Vec<domain::UserGroup>, JobError> {
    let filter = GroupFilter { mask: None, backend: Some(backend) };
    geodb::ops::groups_where(ctx.db.as_ref(), site, &filter).await.map_err(|e| geodb_error("list the groups", e))
}
