//! The JSON the control API shows: the whole simulation (`GET /state`) and one backend. Built
//! from atomics and short locks, so reading it never stalls traffic.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use domain::{BackendId, SiteId};
use serde::Serialize;

use crate::faults::Faults;
use crate::load::LoadSnapshot;
use crate::state::{CounterView, Sim, SimBackend, sum};

#[derive(Debug, Serialize)]
pub struct StateView {
    pub site: String,
    pub site_id: SiteId,
    pub paused: bool,
    pub site_down: bool,
    pub force_move_percent: u8,
    /// Configured attempts per second for the whole site.
    pub rate: f64,
    pub proxies: Vec<String>,
    pub totals: TotalsView,
    pub backends: BTreeMap<String, BackendView>,
}

/// Attempts summed over the backends, and the site-wide counters. `misroutes` and `referrals`
/// are site-wide: they include users sent to backends this sim does not simulate.
#[derive(Debug, Serialize)]
pub struct TotalsView {
    #[serde(flatten)]
    pub counters: CounterView,
    pub geodb_errors: u64,
    pub groups_moved: u64,
    pub users_moved: u64,
    pub observer_ticks: u64,
    pub forced_away: u64,
}

#[derive(Debug, Serialize)]
pub struct BackendView {
    pub id: BackendId,
    pub doveadm_url: String,
    /// As GeoDB last said; `null` before the first read.
    pub status: Option<&'static str>,
    pub faults: Faults,
    pub counters: CounterView,
    pub load: LoadSnapshot,
}

pub fn backend(sim: &Sim, b: &SimBackend) -> BackendView {
    BackendView {
        id: b.id,
        doveadm_url: b.doveadm_url.clone(),
        status: sim.status(b.id).map(|s| s.as_str()),
        faults: b.faults(),
        counters: b.counters.view(),
        load: b.load(),
    }
}

pub fn state(sim: &Sim) -> StateView {
    let backends: BTreeMap<String, BackendView> =
        sim.backends.iter().map(|b| (b.host.to_string(), backend(sim, b))).collect();
    let per_host: BTreeMap<String, CounterView> = backends.iter().map(|(h, v)| (h.clone(), v.counters)).collect();
    let mut counters = sum(&per_host);
    counters.referrals = sim.totals.referrals.load(Ordering::Relaxed);
    counters.misroutes = sim.totals.misroutes.load(Ordering::Relaxed);
    StateView {
        site: sim.options.site.to_string(),
        site_id: sim.site_id,
        paused: sim.is_paused(),
        site_down: sim.site_down.load(Ordering::Relaxed),
        force_move_percent: sim.force_move_percent.load(Ordering::Relaxed),
        rate: sim.options.rate,
        proxies: sim.options.proxy_hosts.iter().map(ToString::to_string).collect(),
        totals: TotalsView {
            counters,
            geodb_errors: sim.totals.geodb_errors.load(Ordering::Relaxed),
            groups_moved: sim.totals.groups_moved.load(Ordering::Relaxed),
            users_moved: sim.totals.users_moved.load(Ordering::Relaxed),
            observer_ticks: sim.totals.observer_ticks.load(Ordering::Relaxed),
            forced_away: sim.totals.forced_away.load(Ordering::Relaxed),
        },
        backends,
    }
}
