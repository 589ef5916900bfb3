//! `evacuate_backend`: `doveadm cluster backend evacuate` done by the controller. The backend is
//! set standby with load factor 0 (so nothing new lands on it), then its groups move to the
//! healthy backends of its site in batches: at most one batch starts per
//! `EVACUATION_BATCH_INTERVAL_MS`, and a batch's moves finish before the next starts, so a dying
//! backend is never asked to hand over everything at once.
//!
//! Crash safety: every move's marker is `<job id>:<group>`, and each round re-reads what is still
//! on the backend. A reclaimed attempt therefore finds its own moves (and any other moves off the
//! backend) still running and watches them to the end before starting new ones; nothing is kept
//! in memory that GeoDB does not also say. Progress goes to Redis at every batch's start and end.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{Backend, BackendId, BackendStatus, GroupName, LoadFactor, SiteId, UserGroup};
use geodb::{BackendUpdate, GroupFilter};
use jobs::moves::EvacuateBackendPayload;
use queue::Delivery;
use serde_json::json;
use state::{Alert, AlertSeverity, EvacuationProgress, EvacuationState};

use policy::destination::{self, Candidate};

use super::context::{Context, geodb_error, queue_error};
use super::group_move::{self, GroupMove, Start, Watch};
use super::{JobError, JobResult, site_safety};

/// A group whose moves are abandoned by someone else (or cannot start) is tried again, but not
/// forever.
const MAX_TRIES_PER_GROUP: u32 = 3;

pub async fn run(ctx: &Context, delivery: &Delivery) -> JobResult {
    let payload: EvacuateBackendPayload = jobs::parse(&delivery.payload).map_err(JobError::abort)?;
    // Beats until `run` returns, however it returns: readers tell a stopped worker from a slow one.
    let _heartbeat = ctx.state.keep_evacuation_beating(payload.backend_id.0, &delivery.job_id);
    let started = ctx.clock.instant();
    let backend = ctx
        .backend(payload.backend_id)
        .await?
        .ok_or_else(|| JobError::Abort(format!("backend {} not found", payload.backend_id)))?;
    // One plan per site: while this holds the backend as a source, no other move of the site
    // sends groups to it. Renewed until `run` returns; released when the evacuation ends.
    let owner = site_safety::evacuation_owner(backend.id);
    let _reservation = site_safety::keep_reserved(ctx, backend.site_id, backend.id, &owner).await?;
    let mut groups = groups_on(ctx, backend.site_id, backend.id).await?;
    let mut progress = resume_or_start(ctx, delivery, &backend, groups.len() as u64).await?;
    // Refused before the drain: a standby backend whose groups cannot go anywhere would only
    // turn users away.
    if !groups.is_empty() && !destinations(ctx, &backend).await?.1.iter().any(|c| destination::refusal(c).is_none()) {
        let error = no_destination(ctx, &backend).await;
        return Err(fail(ctx, &mut progress, error).await);
    }
    drain(ctx, &backend).await?;
    let source_url = ctx.doveadm_url(&backend).await?;
    tracing::info!(backend = %backend.host, job_id = %delivery.job_id, groups = groups.len(), total = progress.total, "evacuating backend");

    let mut given_up: HashSet<GroupName> = HashSet::new();
    let mut tries: HashMap<GroupName, u32> = HashMap::new();
    let mut next_batch = ctx.clock.instant();
    loop {
        // A group still here after its tries is making no progress (its moves keep being
        // abandoned, or cannot start): given up for this attempt rather than looped on.
        for group in groups.iter().filter(|g| tries.get(&g.name).is_some_and(|n| *n >= MAX_TRIES_PER_GROUP)) {
            if given_up.insert(group.name.clone()) {
                tracing::error!(group = %group.name, tries = MAX_TRIES_PER_GROUP, "group does not leave the backend; giving up on it for this attempt");
            }
        }
        let remaining: Vec<&UserGroup> = groups.iter().filter(|g| !given_up.contains(&g.name)).collect();
        count(&mut progress, &groups, &given_up, ctx.clock.now());
        if remaining.is_empty() {
            break;
        }
        // The rate limit: a batch starts at most once per interval, however fast the last one was.
        ctx.clock.sleep_until(next_batch).await;
        next_batch = ctx.clock.instant() + ctx.moves.evacuation_batch_interval;

        let batch = pick_batch(&remaining, ctx.moves.evacuation_batch_size);
        for group in &batch {
            *tries.entry(group.name.clone()).or_default() += 1;
        }
        let moves = match plan_batch(ctx, delivery, &backend, &batch).await {
            Ok(moves) => moves,
            Err(error) => return Err(fail(ctx, &mut progress, error).await),
        };
        let mut watched = Vec::with_capacity(moves.len());
        for mv in moves {
            match group_move::start(ctx, &mv).await {
                Ok(Start::Moving(_)) => watched.push(mv),
                Ok(Start::AlreadyThere) => {}
                // Another move took the group first: the next round sees it moving and watches it.
                Err(JobError::Abort(why)) => tracing::info!(group = %mv.group, reason = %why, "group not started"),
                Err(retry) => return Err(fail(ctx, &mut progress, retry).await),
            }
        }
        progress.moving = watched.len() as u64;
        save(ctx, &mut progress).await?;

        let outcomes =
            futures::future::join_all(watched.iter().map(|mv| group_move::finish(ctx, mv, &source_url))).await;
        for (mv, outcome) in watched.iter().zip(outcomes) {
            match outcome {
                Ok(Watch::Finished) => tracing::debug!(group = %mv.group, "group moved off the backend"),
                Ok(Watch::Abandoned(why)) => {
                    tracing::warn!(group = %mv.group, reason = %why, "group move abandoned; trying again");
                }
                Ok(Watch::Stuck(why)) => {
                    tracing::error!(group = %mv.group, reason = %why, "giving up on the group for this attempt");
                    given_up.insert(mv.group.clone());
                }
                Err(error) => return Err(fail(ctx, &mut progress, error).await),
            }
        }
        groups = groups_on(ctx, backend.site_id, backend.id).await?;
        count(&mut progress, &groups, &given_up, ctx.clock.now());
        save(ctx, &mut progress).await?;
    }

    let elapsed_ms = (ctx.clock.instant() - started).as_millis() as u64;
    if !given_up.is_empty() {
        // Retry: the stuck moves keep their markers, so the next attempt watches them again.
        let mut names: Vec<&str> = given_up.iter().map(GroupName::as_str).collect();
        names.sort_unstable();
        let why = format!("{} group(s) did not finish moving off {}: {}", names.len(), backend.host, names.join(", "));
        return Err(fail(ctx, &mut progress, JobError::Retry(why)).await);
    }
    progress.state = EvacuationState::Done;
    progress.message = None;
    save(ctx, &mut progress).await?;
    site_safety::release(ctx, backend.site_id, backend.id, &owner).await;
    ctx.resolve("evacuation_no_destination", Some(backend.site_id.0), Some(&backend.id.to_string())).await;
    tracing::info!(backend = %backend.host, moved = progress.moved, elapsed_ms, "backend evacuated");
    Ok(json!({ "backend": backend.host, "total": progress.total, "moved": progress.moved, "elapsed_ms": elapsed_ms }))
}

/// Standby and load factor 0, written only when not so already.
async fn drain(ctx: &Context, backend: &Backend) -> Result<(), JobError> {
    if backend.status == BackendStatus::Standby && backend.load_factor == LoadFactor::DRAIN {
        return Ok(());
    }
    let update = BackendUpdate { status: Some(BackendStatus::Standby), load_factor: Some(LoadFactor::DRAIN) };
    ctx.db.update_backend(backend.id, &update).await.map_err(|e| geodb_error("set the backend standby", e))?;
    tracing::info!(backend = %backend.host, "backend set standby with load factor 0");
    Ok(())
}

/// Every group whose backend is `backend`, moving or not.
async fn groups_on(ctx: &Context, site: SiteId, backend: BackendId) -> Result<Vec<UserGroup>, JobError> {
    let filter = GroupFilter { mask: None, backend: Some(backend) };
    geodb::ops::groups_where(ctx.db.as_ref(), site, &filter).await.map_err(|e| geodb_error("list the groups", e))
}

/// This job's earlier progress when it is a reclaimed attempt, else a fresh record.
async fn resume_or_start(
    ctx: &Context,
    delivery: &Delivery,
    backend: &Backend,
    on_backend: u64,
) -> Result<EvacuationProgress, JobError> {
    let previous = ctx.state.evacuation(backend.id.0).await.map_err(|e| queue_error("read the progress", e))?;
    let now = ctx.clock.now();
    let mut progress = match previous {
        Some(p) if p.job_id == delivery.job_id => p,
        _ => EvacuationProgress {
            backend_id: backend.id.0,
            host: backend.host.to_string(),
            job_id: delivery.job_id.clone(),
            state: EvacuationState::Running,
            total: on_backend,
            moved: 0,
            moving: 0,
            failed: 0,
            started_at: now,
            updated_at: now,
            message: None,
            last_moved_at: Some(now),
        },
    };
    progress.state = EvacuationState::Running;
    // A record of an older worker: the stall clock of this attempt starts now.
    progress.last_moved_at.get_or_insert(now);
    progress.total = progress.total.max(on_backend);
    save(ctx, &mut progress).await?;
    Ok(progress)
}

fn count(progress: &mut EvacuationProgress, groups: &[UserGroup], given_up: &HashSet<GroupName>, now: DateTime<Utc>) {
    let moved = progress.total.saturating_sub(groups.len() as u64);
    if moved > progress.moved {
        progress.last_moved_at = Some(now);
    }
    progress.moved = moved;
    progress.moving = groups.iter().filter(|g| g.is_moving()).count() as u64;
    progress.failed = given_up.len() as u64;
}

/// Moves already running come first (they only need watching), then groups not yet moving.
fn pick_batch<'a>(remaining: &[&'a UserGroup], size: usize) -> Vec<&'a UserGroup> {
    let (moving, idle): (Vec<&UserGroup>, Vec<&UserGroup>) = remaining.iter().partition(|g| g.is_moving());
    moving.into_iter().chain(idle).take(size.max(1)).collect()
}

/// The batch's moves: running ones keep their marker and destination; new ones get a marker of
/// this job and a destination by the one destination rule (healthy, not reserved, lowest load),
/// each pick predicted on the ones before it.
async fn plan_batch(
    ctx: &Context,
    delivery: &Delivery,
    backend: &Backend,
    batch: &[&UserGroup],
) -> Result<Vec<GroupMove>, JobError> {
    let (all, candidates) = destinations(ctx, backend).await?;
    let new = batch.iter().filter(|g| g.moving.is_none()).count();
    let mut picks = destination::assign(&candidates, new).into_iter();
    let mut moves = Vec::with_capacity(batch.len());
    for group in batch {
        let (destination, marker) = match (&group.moving, group.alt_backend_id) {
            (Some(marker), Some(alt)) => (alt, marker.clone()),
            (Some(marker), None) => {
                tracing::warn!(group = %group.name, %marker, "moving group without a destination; skipped");
                continue;
            }
            (None, _) => {
                let Some(destination) = picks.next() else {
                    return Err(no_destination(ctx, backend).await);
                };
                (destination, format!("{}:{}", delivery.job_id, group.name))
            }
        };
        let destination_host =
            all.iter().find(|b| b.id == destination).map_or_else(|| destination.to_string(), |b| b.host.to_string());
        moves.push(GroupMove {
            site: backend.site_id,
            group: group.name.clone(),
            source: backend.id,
            destination,
            marker,
            source_host: backend.host.to_string(),
            destination_host,
        });
    }
    Ok(moves)
}

/// The site's backends, and all of them as destination candidates, the evacuated one a source.
async fn destinations(ctx: &Context, backend: &Backend) -> Result<(Vec<Backend>, Vec<Candidate>), JobError> {
    let all = ctx.db.list_backends(Some(backend.site_id)).await.map_err(|e| geodb_error("list the backends", e))?;
    let groups =
        geodb::ops::all_groups(&*ctx.db, backend.site_id).await.map_err(|e| geodb_error("list the groups", e))?;
    let candidates = site_safety::candidates(ctx, backend.site_id, &all, &groups, &[backend.id]).await?;
    Ok((all, candidates))
}

async fn no_destination(ctx: &Context, backend: &Backend) -> JobError {
    let message = format!(
        "cannot evacuate backend {}: no other backend of its site is online, reachable and has a load factor above 0",
        backend.host
    );
    let alert = Alert::new(AlertSeverity::Critical, "evacuation_no_destination", &message)
        .with_site(backend.site_id.0)
        .with_object(backend.id.to_string())
        .with_context(json!({ "backend_id": backend.id, "host": backend.host }));
    ctx.raise(alert).await;
    JobError::Abort(message)
}

/// Records the failure in the progress (best effort: the job's own error says the same).
async fn fail(ctx: &Context, progress: &mut EvacuationProgress, error: JobError) -> JobError {
    if let JobError::Abort(_) = error {
        // No further attempt will hold the source: let the site's other automation go on.
        let backend = domain::BackendId(progress.backend_id);
        if let Ok(Some(b)) = ctx.db.get_backend(backend).await {
            site_safety::release(ctx, b.site_id, backend, &site_safety::evacuation_owner(backend)).await;
        }
    }
    progress.state = EvacuationState::Failed;
    progress.message = Some(error.to_string());
    if let Err(e) = save(ctx, progress).await {
        tracing::warn!(error = %e, "cannot record the failed evacuation's progress");
    }
    error
}

async fn save(ctx: &Context, progress: &mut EvacuationProgress) -> Result<(), JobError> {
    progress.updated_at = ctx.clock.now();
    ctx.state.put_evacuation(progress).await.map_err(|e| queue_error("store the progress", e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "evacuate_backend_test.rs"]
mod tests;
