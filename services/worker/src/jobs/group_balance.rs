//! Group-size balancing (`group_balancing` feature), in two kinds:
//!
//! - `group_balance_plan` (daily, low priority): for every backend of the site, lists its groups
//!   and their users and lets `policy::group_size::plan` decide which users move from the largest
//!   groups to the smallest (sticky-users groups untouched, capped per backend). The combined
//!   plan replaces the site's stored one in Redis. Off: nothing; dry run: stored with
//!   `dry_run: true`, which no pass ever executes, and also as a plan (`GET /sites/{site}/plans`)
//!   an operator may approve, which then enqueues exactly its user moves.
//! - `group_balance_pass` (every 30 min, low priority): with the feature on, enqueues a
//!   `move_user` job for each of the plan's next `GROUP_BALANCE_MAX_USER_MOVES_PER_PASS` moves
//!   (dedup key `move-user:<user>`, as the API uses) and records them as done. A user no longer
//!   in the group the plan saw it in moved meanwhile and is skipped.

use domain::{Backend, Feature, FeatureState, GroupName, Site, UserName};
use geodb::{GroupFilter, UserFilter};
use jobs::group_balance::{GroupBalancePassPayload, GroupBalancePlanPayload};
use jobs::moves::MoveUserPayload;
use policy::group_size::{self, GroupSizePlan, GroupSizeSettings, GroupUsers};
use policy::plan::Plan;
use queue::Delivery;
use serde_json::{Value, json};
use state::StoredGroupPlan;

use super::automation::{self, Begin};
use super::context::{Context, geodb_error, queue_error};
use super::{JobError, JobResult};

pub async fn run_plan(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: GroupBalancePlanPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::GroupBalancing).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };
    let settings = GroupSizeSettings {
        size_ratio_slack: ctx.balance.group_size_ratio_slack,
        max_user_moves: ctx.balance.group_max_user_moves,
    };
    let backends = ctx.db.list_backends(Some(site.id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let mut moves = Vec::new();
    let mut reasons = Vec::new();
    let mut per_backend = Vec::with_capacity(backends.len());
    for backend in &backends {
        let groups = backend_groups(ctx, &site, backend).await?;
        let plan = group_size::plan(&groups, &settings);
        per_backend.push(json!({
            "backend": backend.host,
            "groups": groups.len(),
            "moves": plan.moves.len(),
            "reasons": plan.reasons,
        }));
        moves.extend(plan.moves);
        reasons.extend(plan.reasons);
    }
    let dry_run = state == FeatureState::Dryrun;
    let now = ctx.clock.now();
    let plan_id = if dry_run && !moves.is_empty() {
        let plan = Plan::from_group_sizes(site.id, now, &GroupSizePlan { moves: moves.clone(), reasons });
        Some(ctx.state.put_plan(&plan).await.map_err(|e| queue_error("store the plan", e))?)
    } else {
        None
    };
    let stored = StoredGroupPlan { moves, created_at: now, done: 0, dry_run };
    ctx.state.put_group_plan(site.id.0, &stored).await.map_err(|e| queue_error("store the group plan", e))?;
    tracing::info!(site = %site.name, moves = stored.moves.len(), dry_run, "group-size plan stored");
    Ok(json!({
        "site": site.name,
        "feature": state.to_string(),
        "moves": stored.moves.len(),
        "dry_run": dry_run,
        "plan_id": plan_id,
        "backends": per_backend,
    }))
}

pub async fn run_pass(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: GroupBalancePassPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    let (site, state) = match automation::begin(ctx, payload.site_id, Feature::GroupBalancing).await? {
        Begin::Run(site, state) => (site, state),
        Begin::Skip(result) => return Ok(result),
    };
    if state != FeatureState::On {
        let skipped = format!("group_balancing is {state}: only the feature on executes plans");
        return Ok(json!({ "site": site.name, "feature": state.to_string(), "skipped": skipped }));
    }
    if let Some(why) = super::site_safety::guard_refusal(ctx, site.id).await? {
        return Ok(json!({ "site": site.name, "feature": "on", "skipped": why, "reason": "capacity_guard_tripped" }));
    }
    let stored = ctx.state.group_plan(site.id.0).await.map_err(|e| queue_error("read the group plan", e))?;
    let Some(stored) = stored else {
        return Ok(json!({ "site": site.name, "feature": "on", "skipped": "no group plan stored" }));
    };
    if stored.dry_run {
        return Ok(json!({ "site": site.name, "feature": "on", "skipped": "the stored plan is a dry run" }));
    }
    let done = stored.done;
    let plan = GroupSizePlan { moves: stored.moves, ..GroupSizePlan::default() };
    let slice = group_size::next_pass(&plan, done, ctx.balance.group_max_user_moves_per_pass);
    let mut results = Vec::with_capacity(slice.len());
    for mv in slice {
        let result = match still_in(ctx, &mv.user, &mv.from).await? {
            Some(why) => json!({ "skipped": why }),
            None => enqueue_move(ctx, &site, &mv.user, &mv.to).await?,
        };
        results.push(json!({ "user": mv.user, "from": mv.from, "to": mv.to, "result": result }));
    }
    let now_done = if slice.is_empty() {
        done
    } else {
        ctx.state
            .mark_group_moves_done(site.id.0, slice.len())
            .await
            .map_err(|e| queue_error("record the pass's progress", e))?
            .unwrap_or(done)
    };
    tracing::info!(site = %site.name, moves = slice.len(), done = now_done, total = plan.moves.len(), "group-size pass");
    Ok(json!({
        "site": site.name,
        "feature": "on",
        "moves": results,
        "done": now_done,
        "total": plan.moves.len(),
    }))
}

/// Why the user should not move now, if it should not: it left `from` (or is moving) since the
/// plan was made.
async fn still_in(ctx: &Context, user: &UserName, from: &GroupName) -> Result<Option<String>, JobError> {
    let found = ctx.db.get_user(user).await.map_err(|e| geodb_error("read the user", e))?;
    Ok(match found {
        None => Some("the user no longer exists".to_owned()),
        Some(u) if u.group.as_ref() != Some(from) => Some("the user left the planned group meanwhile".to_owned()),
        Some(u) if u.moving_group.is_some() => Some("the user is already moving".to_owned()),
        Some(_) => None,
    })
}

async fn enqueue_move(ctx: &Context, site: &Site, user: &UserName, to: &GroupName) -> Result<Value, JobError> {
    ctx.submit(&MoveUserPayload { user: user.clone(), group: to.clone(), site_id: Some(site.id), failover_group: None })
        .await
}

/// The backend's groups with their users, page by page.
async fn backend_groups(ctx: &Context, site: &Site, backend: &Backend) -> Result<Vec<GroupUsers>, JobError> {
    let filter = GroupFilter { backend: Some(backend.id), ..GroupFilter::default() };
    let groups = geodb::ops::groups_where(ctx.db.as_ref(), site.id, &filter)
        .await
        .map_err(|e| geodb_error("list the groups", e))?;
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        let filter = UserFilter { group: Some(group.name.clone()) };
        let users = geodb::ops::users_where(ctx.db.as_ref(), site.id, &filter)
            .await
            .map_err(|e| geodb_error("list the users", e))?
            .into_iter()
            .map(|u| u.name)
            .collect();
        out.push(GroupUsers { name: group.name, sticky_users: group.sticky_users, users });
    }
    Ok(out)
}
