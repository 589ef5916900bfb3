//! What every automatic move of a site consults before it moves anything: the capacity guard
//! (tripped: nothing moves), the reservation of evacuation sources (one plan per site), the
//! health evidence of the latest error-mitigation run, and the latest load shares. It builds the
//! `policy::destination::Candidate`s the pure rule chooses from, so error mitigation, evacuations,
//! plan execution and load balancing all judge a destination the same way.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use domain::{Backend, BackendId, SiteId, UserGroup};
use policy::destination::Candidate;

use super::JobError;
use super::context::{Context, queue_error};

/// How long an evacuation's source reservation lives without renewal: a dead worker's
/// reservation ends by itself, long before anyone would have to clear it by hand.
pub const RESERVATION_TTL: Duration = Duration::from_secs(60);

/// Load shares older than this are not load any more: destinations fall back to group counts.
const SHARES_MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The owner of a backend's evacuation reservation: the evacuation job's dedup key, so the
/// error-mitigation run that decides it and the job that carries it out hold the same one.
pub fn evacuation_owner(backend: BackendId) -> String {
    jobs::evacuation_key(backend)
}

/// Why automatic moves must not run in `site` now, if they must not: the guard is tripped.
pub async fn guard_refusal(ctx: &Context, site: SiteId) -> Result<Option<String>, JobError> {
    let guard = ctx.state.guard_state(site.0).await.map_err(|e| queue_error("read the capacity guard", e))?;
    Ok(guard.tripped.then(|| {
        format!(
            "the capacity guard of the site is tripped{}: no automatic move until an operator releases it",
            guard.tripped_at.map(|t| format!(" since {}", t.to_rfc3339())).unwrap_or_default()
        )
    }))
}

/// The site's backends as move destinations. `sources` are this run's own sources (never
/// destinations); backends reserved as evacuation sources by anyone are excluded too.
pub async fn candidates(
    ctx: &Context,
    site: SiteId,
    backends: &[Backend],
    groups: &[UserGroup],
    sources: &[BackendId],
) -> Result<Vec<Candidate>, JobError> {
    let now = ctx.clock.now();
    let reachability = ctx.reachability().await?;
    let reserved: HashSet<BackendId> = ctx
        .state
        .reservations(site.0)
        .await
        .map_err(|e| queue_error("read the evacuation reservations", e))?
        .into_iter()
        .map(|r| BackendId(r.backend_id))
        .collect();
    let evidence = ctx.state.evidence(site.0).await.map_err(|e| queue_error("read the health evidence", e))?;
    // Evidence of a run several windows ago is no evidence: error mitigation may be off.
    let evidence_age = chrono::TimeDelta::from_std(ctx.mitigation.window * 4).unwrap_or(chrono::TimeDelta::MAX);
    let shares = load_shares(ctx, site, now).await?;
    let mut owned: HashMap<BackendId, u64> = HashMap::new();
    let mut incoming: HashMap<BackendId, u64> = HashMap::new();
    for g in groups {
        *owned.entry(g.backend_id).or_default() += 1;
        if let (true, Some(to)) = (g.is_moving(), g.alt_backend_id) {
            *incoming.entry(to).or_default() += 1;
        }
    }
    Ok(backends
        .iter()
        .map(|b| Candidate {
            id: b.id,
            status: b.status,
            load_factor: b.load_factor,
            reachable: reachability.get(&b.id).is_none_or(|r| r.reachable),
            healthy_now: !evidence.unhealthy_now(b.id, now, evidence_age),
            source: sources.contains(&b.id) || reserved.contains(&b.id),
            groups: owned.get(&b.id).copied().unwrap_or(0),
            incoming: incoming.get(&b.id).copied().unwrap_or(0),
            load_share: shares.get(b.host.as_str()).copied(),
        })
        .collect())
}

/// host → load share of the latest balance reading, if it is recent.
async fn load_shares(
    ctx: &Context,
    site: SiteId,
    now: chrono::DateTime<Utc>,
) -> Result<HashMap<String, f64>, JobError> {
    let reading = ctx.state.balance_state(site.0).await.map_err(|e| queue_error("read the load reading", e))?;
    Ok(match reading {
        Some(r) if now - r.computed_at <= SHARES_MAX_AGE => r.shares.into_iter().collect(),
        _ => HashMap::new(),
    })
}

/// Keeps a backend reserved as an evacuation source while it lives: renewed every third of the
/// reservation's lifetime, the renewal stopped when dropped (the reservation then expires unless
/// released). Taking it fails when another owner holds the backend.
pub struct KeepReserved(tokio::task::JoinHandle<()>);

impl Drop for KeepReserved {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub async fn keep_reserved(
    ctx: &Context,
    site: SiteId,
    backend: BackendId,
    owner: &str,
) -> Result<KeepReserved, JobError> {
    let reserve = move |store: state::State, owner: String| async move {
        store.reserve_sources(site.0, &[backend.0], &owner, RESERVATION_TTL).await
    };
    match reserve(ctx.state.clone(), owner.to_owned()).await.map_err(|e| queue_error("reserve the source", e))? {
        state::Reserved::Held(_) => {}
        state::Reserved::Conflict { owner: holder, .. } => {
            return Err(JobError::Abort(format!("backend {backend} is reserved as a source by {holder}")));
        }
    }
    let (store, owner) = (ctx.state.clone(), owner.to_owned());
    Ok(KeepReserved(tokio::spawn(async move {
        let mut tick = tokio::time::interval(RESERVATION_TTL / 3);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = reserve(store.clone(), owner.clone()).await {
                tracing::warn!(%error, %backend, "cannot renew the evacuation reservation; retrying");
            }
        }
    })))
}

/// Ends `owner`'s reservation of `backend` (best effort: it expires anyway).
pub async fn release(ctx: &Context, site: SiteId, backend: BackendId, owner: &str) {
    if let Err(error) = ctx.state.release_sources(site.0, &[backend.0], owner).await {
        tracing::warn!(%error, %backend, "cannot release the evacuation reservation; it expires by itself");
    }
}
