//! Once a second: reads what the controller may have changed in GeoDB (backend statuses, where
//! groups live, the site's force-move percentage), ends expired sessions and advances every backend's load model. A failed read
//! keeps the previous picture; the next tick tries again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use domain::settings::FORCE_MOVE_PERCENTAGE;
use domain::{BackendId, GroupName, SettingName, SettingScope};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::load::{Capacity, Observed};
use crate::state::{Sim, lock};

pub const INTERVAL: Duration = Duration::from_secs(1);

pub async fn run(sim: Arc<Sim>, mut stop: watch::Receiver<bool>) {
    let capacity = capacity(&sim);
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = crate::state::stopped(&mut stop) => return,
        }
        let now = Instant::now();
        observe(&sim, now.duration_since(last), &capacity).await;
        last = now;
    }
}

pub fn capacity(sim: &Sim) -> Capacity {
    Capacity::for_site(sim.options.users, sim.options.rate, sim.backends.len())
}

/// One round: statuses, group placement, sessions, load.
pub async fn observe(sim: &Sim, elapsed: Duration, capacity: &Capacity) {
    match sim.db.list_backends(Some(sim.site_id)).await {
        Ok(list) => {
            let statuses = list.into_iter().map(|b| (b.id, b.status)).collect();
            *sim.statuses.write().unwrap_or_else(|e| e.into_inner()) = statuses;
        }
        Err(error) => {
            sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "cannot read backend statuses; keeping the last ones");
        }
    }
    match force_move_percent(sim).await {
        Ok(percent) => sim.force_move_percent.store(percent, Ordering::Relaxed),
        Err(error) => {
            sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "cannot read force_move_percentage; keeping the last one");
        }
    }
    let placement = match group_placement(sim).await {
        Ok(placement) => Some(placement),
        Err(error) => {
            sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "cannot read group placement; load figures keep their user counts");
            None
        }
    };
    let (users, groups) = match &placement {
        Some(placement) => per_backend(sim, placement),
        None => sim.backends.iter().map(|b| (b.load().users, b.load().groups)).unzip(),
    };
    let now = Instant::now();
    for backend in &sim.backends {
        let sessions = {
            let mut s = lock(&backend.sessions);
            s.prune(now);
            s.len() as u64
        };
        let seen = Observed {
            served: backend.served(),
            users: users[backend.index],
            groups: groups[backend.index],
            sessions,
            multiplier: backend.faults().load_multiplier,
        };
        lock(&backend.load).tick(elapsed.as_secs_f64(), &seen, capacity);
    }
    sim.totals.observer_ticks.fetch_add(1, Ordering::Relaxed);
}

/// The site-scope `force_move_percentage` (0 when unset; an unreadable value counts as 0, as a
/// proxy would not send users away on a setting it cannot parse).
async fn force_move_percent(sim: &Sim) -> geodb::Result<u8> {
    let name = SettingName::parse(FORCE_MOVE_PERCENTAGE).map_err(|e| geodb::GeoDbError::corrupt(e.to_string()))?;
    let setting = sim.db.get_setting(SettingScope::Site(sim.site_id), &name).await?;
    Ok(setting.and_then(|s| s.value.parse::<u8>().ok()).map_or(0, |p| p.min(100)))
}

/// Where every group of the site lives.
async fn group_placement(sim: &Sim) -> geodb::Result<HashMap<GroupName, BackendId>> {
    let groups = geodb::ops::all_groups(sim.db.as_ref(), sim.site_id).await?;
    Ok(groups.into_iter().map(|g| (g.name, g.backend_id)).collect())
}

/// Users (as last seen) and groups per simulated backend, by backend index.
fn per_backend(sim: &Sim, placement: &HashMap<GroupName, BackendId>) -> (Vec<u64>, Vec<u64>) {
    let mut users = vec![0; sim.backends.len()];
    let mut groups = vec![0; sim.backends.len()];
    for id in placement.values() {
        if let Some(b) = sim.backend(*id) {
            groups[b.index] += 1;
        }
    }
    for group in lock(&sim.seen_groups).iter().flatten() {
        if let Some(b) = placement.get(group).and_then(|id| sim.backend(*id)) {
            users[b.index] += 1;
        }
    }
    (users, groups)
}
