//! The simulation's shared state: the site, its backends with their faults, counters, sessions
//! and load, the proxies' switches, and what the observer last read from GeoDB. Locks are held
//! for a few field updates only, never across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use domain::{BackendId, BackendStatus, GroupName, HostName, Protocol, SiteId, UserName};
use geodb::GeoDb;

pub use crate::counters::{BackendCounters, CounterView, ResultCounts, Totals, sum};
use crate::faults::Faults;
use crate::load::{LoadModel, LoadSnapshot};
use crate::options::SimOptions;
use crate::routing::BackendView;
use crate::sessions::Sessions;

/// Everything the proxies, the doveadm listeners, the observer and the control API share.
#[derive(Debug)]
pub struct Sim {
    pub options: SimOptions,
    pub db: Arc<dyn GeoDb>,
    pub site_id: SiteId,
    pub backends: Vec<SimBackend>,
    by_id: HashMap<BackendId, usize>,
    pub users: Vec<UserName>,
    /// The group each user was last seen in (by a proxy or the pre-assignment), by user index:
    /// the load model counts users per backend from it.
    pub seen_groups: Mutex<Vec<Option<GroupName>>>,
    /// Backend statuses as set-up or the observer last read them.
    pub statuses: RwLock<HashMap<BackendId, BackendStatus>>,
    pub site_down: AtomicBool,
    /// The site's `force_move_percentage` as the observer last read it: users whose number
    /// modulo 100 is below it are sent to other sites, so this site sees none of their traffic.
    pub force_move_percent: AtomicU8,
    paused: AtomicBool,
    /// Proxies inside a batch of attempts; see [`Sim::pause`].
    in_flight: AtomicUsize,
    pub totals: Totals,
}

/// One simulated backend.
#[derive(Debug)]
pub struct SimBackend {
    pub index: usize,
    pub host: HostName,
    pub id: BackendId,
    pub doveadm_url: String,
    pub port: u16,
    faults: Mutex<Faults>,
    pub counters: BackendCounters,
    pub sessions: Mutex<Sessions>,
    pub load: Mutex<LoadModel>,
    /// (group, marker) of the moves this backend is finishing, so repeated accesses schedule once.
    pub finishing: Mutex<std::collections::HashSet<(GroupName, String)>>,
    /// Groups this backend moved away, and when: it refers stale proxies for [`MOVE_MEMORY`].
    moved_away: Mutex<HashMap<GroupName, Instant>>,
}

/// How long a source backend remembers a finished move, as Dovecot's does.
pub const MOVE_MEMORY: Duration = Duration::from_secs(3600);

/// A backend as set-up left it: identity and where its doveadm listener is.
#[derive(Debug, Clone)]
pub struct BackendSpec {
    pub host: HostName,
    pub id: BackendId,
    pub status: BackendStatus,
    pub port: u16,
}

/// Resolves once the shutdown signal is `true` (or its sender is gone).
pub async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, not in the caller's select.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Locks a mutex, carrying on with the data if a panicking thread poisoned it: the sim's state
/// stays usable and a panic is already logged.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    pub fn new(options: SimOptions, db: Arc<dyn GeoDb>, site_id: SiteId, specs: Vec<BackendSpec>) -> Self {
        let seed = options.seed;
        let statuses = specs.iter().map(|s| (s.id, s.status)).collect();
        let backends: Vec<SimBackend> = specs
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                let mut faults = Faults::default();
                if let Some(patch) = options.faults.get(&spec.host) {
                    patch.apply(&mut faults);
                }
                SimBackend {
                    index,
                    doveadm_url: format!("http://127.0.0.1:{}", spec.port),
                    port: spec.port,
                    host: spec.host,
                    id: spec.id,
                    faults: Mutex::new(faults),
                    counters: BackendCounters::default(),
                    sessions: Mutex::new(Sessions::default()),
                    // Each backend draws its own noise, so adding one does not shift the others.
                    load: Mutex::new(LoadModel::new(
                        seed ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                        options.metrics_noise,
                    )),
                    finishing: Mutex::new(Default::default()),
                    moved_away: Mutex::new(HashMap::new()),
                }
            })
            .collect();
        let by_id = backends.iter().map(|b| (b.id, b.index)).collect();
        let users = options.user_names();
        let seen_groups = Mutex::new(vec![None; users.len()]);
        Self {
            site_down: AtomicBool::new(options.site_down),
            force_move_percent: AtomicU8::new(0),
            paused: AtomicBool::new(options.paused),
            in_flight: AtomicUsize::new(0),
            options,
            db,
            site_id,
            backends,
            by_id,
            users,
            seen_groups,
            statuses: RwLock::new(statuses),
            totals: Totals::default(),
        }
    }

    pub fn backend(&self, id: BackendId) -> Option<&SimBackend> {
        self.by_id.get(&id).map(|i| &self.backends[*i])
    }

    pub fn backend_by_host(&self, host: &str) -> Option<&SimBackend> {
        self.backends.iter().find(|b| b.host.as_str() == host)
    }

    pub fn status(&self, id: BackendId) -> Option<BackendStatus> {
        self.statuses.read().unwrap_or_else(|e| e.into_inner()).get(&id).copied()
    }

    /// What a proxy knows of the backend; `None` for a backend this sim does not simulate.
    pub fn view(&self, id: BackendId) -> Option<BackendView> {
        let backend = self.backend(id)?;
        // Not yet seen by the observer: set-up made it, so it serves.
        let status = self.status(id).unwrap_or(BackendStatus::Online);
        Some(BackendView { status, faults: backend.faults() })
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Pauses traffic and returns once no proxy is inside a batch, so the counters stand still
    /// when it returns (tests compare them with GeoDB). Gives up waiting after `patience`.
    pub async fn pause(&self, patience: std::time::Duration) {
        self.paused.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + patience;
        while self.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    /// Enters a batch of attempts unless paused: announce first, then check, so that
    /// [`Sim::pause`] either sees the batch or the batch sees the pause (both `SeqCst`).
    pub fn enter_batch(&self) -> Option<BatchGuard<'_>> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = BatchGuard(self);
        (!self.is_paused()).then_some(guard)
    }

    pub fn note_group(&self, user_index: usize, group: &GroupName) {
        if let Some(slot) = lock(&self.seen_groups).get_mut(user_index)
            && slot.as_ref() != Some(group)
        {
            *slot = Some(group.clone());
        }
    }
}

/// Leaves the batch when dropped.
#[derive(Debug)]
pub struct BatchGuard<'a>(&'a Sim);

impl Drop for BatchGuard<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SimBackend {
    pub fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    /// Replaces the faults; returns the previous ones.
    pub fn set_faults(&self, faults: Faults) -> Faults {
        std::mem::replace(&mut *lock(&self.faults), faults)
    }

    pub fn record(&self, protocol: Protocol, success: bool) {
        let c = &self.counters;
        let counter = match (protocol, success) {
            (Protocol::Lmtp, true) => &c.lmtp_successes,
            (Protocol::Lmtp, false) => &c.lmtp_failures,
            (_, true) => &c.imap_successes,
            (_, false) => &c.imap_failures,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Attempts this backend served successfully, all protocols.
    pub fn served(&self) -> u64 {
        self.counters.imap_successes.load(Ordering::Relaxed) + self.counters.lmtp_successes.load(Ordering::Relaxed)
    }

    /// Remembers that the group's move away from here finished.
    pub fn remember_move(&self, group: &GroupName) {
        let mut moved = lock(&self.moved_away);
        moved.retain(|_, at| at.elapsed() < MOVE_MEMORY);
        moved.insert(group.clone(), Instant::now());
    }

    pub fn moved_away(&self, group: &GroupName) -> bool {
        lock(&self.moved_away).get(group).is_some_and(|at| at.elapsed() < MOVE_MEMORY)
    }

    pub fn load(&self) -> LoadSnapshot {
        lock(&self.load).latest
    }
}
