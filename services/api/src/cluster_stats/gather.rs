//! Reads what [`super::families`] shows for one site: GeoDB (backends, groups, proxy statistics,
//! feature states) and, when Redis answers, what the controller's jobs last stored.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, Utc};
use domain::stats::totals_by_backend;
use domain::{BackendId, Feature, Site};
use geodb::GeoDb;
use state::State;
use state::{AlertFilter, EvacuationState};

use super::{BackendSnapshot, ControllerSnapshot, STATS_WINDOW_SECS, SiteSnapshot};

/// The site's snapshot. GeoDB errors fail it; a Redis error only leaves `controller` empty, so
/// the endpoint keeps serving while the queue is down.
pub async fn site(db: &dyn GeoDb, queue: Option<&State>, site: &Site) -> geodb::Result<SiteSnapshot> {
    let mut features = Vec::with_capacity(Feature::ALL.len());
    for feature in Feature::ALL {
        features.push((feature, geodb::ops::feature_state(db, site.id, feature).await?));
    }
    let backends = db.list_backends(Some(site.id)).await?;
    let mut groups: HashMap<BackendId, (u64, u64)> = HashMap::new();
    for g in geodb::ops::all_groups(db, site.id).await? {
        let entry = groups.entry(g.backend_id).or_default();
        entry.0 += 1;
        entry.1 += u64::from(g.is_moving());
    }
    let now = Utc::now();
    let rows = db.read_stats(site.id, now - Duration::seconds(STATS_WINDOW_SECS), now).await?;
    let mut attempts: HashMap<BackendId, BTreeMap<_, _>> = HashMap::new();
    for ((backend, protocol), totals) in totals_by_backend(&rows) {
        attempts.entry(backend).or_default().insert(protocol, totals);
    }
    let ids: HashSet<BackendId> = backends.iter().map(|b| b.id).collect();
    let controller = match queue {
        Some(q) => controller(q, site, &ids)
            .await
            .inspect_err(
                |error| tracing::warn!(%error, site = %site.name, "cluster metrics without the controller's state"),
            )
            .ok(),
        None => None,
    };
    Ok(SiteSnapshot {
        site: site.name.to_string(),
        status: site.status,
        features,
        backends: backends
            .into_iter()
            .map(|b| {
                let (groups, groups_moving) = groups.get(&b.id).copied().unwrap_or_default();
                BackendSnapshot {
                    host: b.host.to_string(),
                    status: b.status,
                    load_factor: b.load_factor.get(),
                    groups,
                    groups_moving,
                    attempts: attempts.remove(&b.id).unwrap_or_default(),
                }
            })
            .collect(),
        controller,
    })
}

async fn controller(q: &State, site: &Site, backends: &HashSet<BackendId>) -> queue::Result<ControllerSnapshot> {
    let sid = site.id.0;
    let reachable = q
        .backend_reachability()
        .await?
        .into_iter()
        .filter(|r| r.site_id == sid)
        .map(|r| (r.host, r.reachable))
        .collect();
    let balance = q.balance_state(sid).await?;
    let evacuating = q
        .evacuations()
        .await?
        .into_iter()
        .filter(|e| e.state == EvacuationState::Running && backends.contains(&BackendId(e.backend_id)))
        .map(|e| (e.host, e.total.saturating_sub(e.moved)))
        .collect();
    let mut open_alerts = BTreeMap::new();
    for a in q.alerts(AlertFilter::open(state::MAX_ALERTS).with_site(sid)).await? {
        *open_alerts.entry(a.severity.as_str()).or_insert(0) += 1;
    }
    Ok(ControllerSnapshot {
        reachable,
        balancedness: balance.as_ref().map(|b| b.balancedness),
        spread: balance.as_ref().map(|b| b.spread.clone()).unwrap_or_default(),
        scores: balance.map(|b| b.combined).unwrap_or_default(),
        desired_backends: q.desired_backends(sid).await?.map(|d| d.desired),
        failover_percent: q.failover_state(sid).await?.map(|f| f.state.percent),
        evacuating,
        open_alerts,
        guard_tripped: q.guard_state(sid).await?.tripped,
    })
}
