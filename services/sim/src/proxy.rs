//! A simulated proxy: logins and deliveries for random users at its share of the site's rate,
//! routed through GeoDB as Dovecot proxies do (user, assigned on first login, then group, then
//! the group's `backend_id`), with results counted per backend and written to
//! `proxy_dest_stats`. It stops on the shutdown signal after a last flush of its statistics.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use domain::{BackendId, GroupName, HostName, Protocol, User, UserGroup};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::cache::TtlCache;
use crate::moves;
use crate::routing::{self, Delivery};
use crate::state::{Sim, lock};
use crate::stats::{self, ProxyStats};

/// How often a proxy wakes up to send its share of attempts.
const TICK: Duration = Duration::from_millis(50);
/// At most this much traffic is caught up after a stall, so a slow GeoDB is not hammered later.
const MAX_BACKLOG_SECS: f64 = 1.0;
/// Repeated errors are logged at most this often per proxy.
const WARN_EVERY: Duration = Duration::from_secs(5);

pub struct Proxy {
    sim: Arc<Sim>,
    host: HostName,
    rng: StdRng,
    users: TtlCache<usize, User>,
    groups: TtlCache<GroupName, UserGroup>,
    stats: ProxyStats,
    carry: f64,
    last_warning: Option<Instant>,
}

/// Whether user number `index` is among the `percent` % a force-moved site sends elsewhere: a
/// stable choice, so the same users stay away while the percentage holds.
pub fn forced_away(index: usize, percent: u8) -> bool {
    index % 100 < usize::from(percent)
}

/// Starts every proxy; each returns after the shutdown signal and its last flush.
pub fn spawn_all(sim: &Arc<Sim>, stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    (0..sim.options.proxy_hosts.len()).map(|i| tokio::spawn(Proxy::new(sim.clone(), i).run(stop.clone()))).collect()
}

impl Proxy {
    pub fn new(sim: Arc<Sim>, index: usize) -> Self {
        let host = sim.options.proxy_hosts[index].clone();
        let ttl = sim.options.route_cache;
        // Each proxy has its own stream of choices, derived from the seed and its number.
        let rng =
            StdRng::seed_from_u64(sim.options.seed.wrapping_add(index as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        Self {
            stats: ProxyStats::new(sim.site_id, host.clone(), sim.options.stats_window_secs),
            sim,
            host,
            rng,
            users: TtlCache::new(ttl),
            groups: TtlCache::new(ttl),
            carry: 0.0,
            last_warning: None,
        }
    }

    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        self.resume_stats().await;
        let mut traffic = tokio::time::interval(TICK);
        traffic.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut flush = tokio::time::interval(self.sim.options.stats_flush);
        flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = traffic.tick() => {
                    let now = Instant::now();
                    self.generate(now.duration_since(last).as_secs_f64()).await;
                    last = now;
                }
                _ = flush.tick() => self.flush().await,
                () = crate::state::stopped(&mut stop) => break,
            }
        }
        self.flush().await;
        tracing::debug!(proxy = %self.host, "proxy stopped");
    }

    async fn resume_stats(&mut self) {
        let now = Utc::now();
        let window = self.stats.window_secs();
        let since = stats::window_start(now, window);
        match self.sim.db.read_stats(self.sim.site_id, since, since + TimeDelta::seconds(i64::from(window))).await {
            Ok(rows) => self.stats.resume(&rows),
            Err(error) => self.warn("cannot read this minute's statistics; counting from zero", &error),
        }
    }

    async fn generate(&mut self, elapsed_secs: f64) {
        let sim = self.sim.clone();
        let Some(_batch) = sim.enter_batch() else {
            self.carry = 0.0;
            return;
        };
        let share = self.sim.options.rate / self.sim.options.proxy_hosts.len() as f64;
        self.carry = (self.carry + share * elapsed_secs).min(share * MAX_BACKLOG_SECS + 1.0);
        let due = self.carry.floor();
        self.carry -= due;
        for _ in 0..due as u64 {
            self.attempt().await;
        }
    }

    async fn attempt(&mut self) {
        let index = self.rng.random_range(0..self.sim.users.len());
        if forced_away(index, self.sim.force_move_percent.load(Ordering::Relaxed)) {
            self.sim.totals.forced_away.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let protocol =
            if self.rng.random::<f64>() < self.sim.options.lmtp_share { Protocol::Lmtp } else { Protocol::Imap };
        let roll: f64 = self.rng.random();
        if let Err(error) = self.route(index, protocol, roll).await {
            self.sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            self.warn("geodb lookup failed; attempt dropped", &error);
        }
    }

    /// Routes one attempt. A second pass happens only when the group vanished under a cached
    /// lookup (`site init --update`), as a proxy looks the user up again.
    async fn route(&mut self, index: usize, protocol: Protocol, roll: f64) -> geodb::Result<()> {
        for _ in 0..2 {
            let user = self.user(index).await?;
            if user.site_id != self.sim.site_id {
                return Ok(()); // served by another site's proxies
            }
            let Some(group_name) = user.group.clone() else {
                self.users.remove(&index);
                continue;
            };
            let Some(group) = self.group(&group_name).await? else {
                self.users.remove(&index);
                continue;
            };
            let chosen = routing::target(&group);
            // The backend checks what it is sent against GeoDB as it is now.
            let current = self.sim.db.get_group(self.sim.site_id, &group_name).await?;
            let moved_away = self.sim.backend(chosen).is_some_and(|b| b.moved_away(&group_name));
            let target = match routing::deliver(chosen, current.as_ref(), moved_away) {
                Delivery::Holds => chosen,
                Delivery::Referral { to } => {
                    // The referral tells the proxy where the group went.
                    if let Some(now) = &current {
                        self.groups.put(group_name.clone(), now.clone(), Instant::now());
                    }
                    self.sim.totals.referrals.fetch_add(1, Ordering::Relaxed);
                    if let Some(b) = self.sim.backend(chosen) {
                        b.counters.referrals.fetch_add(1, Ordering::Relaxed);
                    }
                    to
                }
                Delivery::Misroute => {
                    self.misrouted(&user, &group, chosen, protocol);
                    return Ok(());
                }
                Delivery::GroupGone => {
                    self.users.remove(&index);
                    self.groups.remove(&group_name);
                    continue;
                }
            };
            let result =
                routing::outcome(self.sim.site_down.load(Ordering::Relaxed), self.sim.view(target).as_ref(), roll);
            self.record(target, protocol, result.is_ok());
            if result.is_ok()
                && let (Some(backend), Some(now)) = (self.sim.backend(target), &current)
            {
                if protocol == Protocol::Imap {
                    let until = Instant::now() + self.sim.options.session;
                    lock(&backend.sessions).login(&user.name, &group_name, until);
                }
                if self.sim.options.finish_moves_on_traffic {
                    moves::on_group_access(&self.sim, backend.index, now);
                    if user.is_moving() && moves::finish_user(&self.sim, &user.name).await?.is_some() {
                        self.users.remove(&index);
                    }
                }
            }
            return Ok(());
        }
        Ok(())
    }

    /// The user's record: cached, else read, else assigned (first login).
    async fn user(&mut self, index: usize) -> geodb::Result<User> {
        if let Some(user) = self.users.get(&index, Instant::now()) {
            return Ok(user);
        }
        let name = &self.sim.users[index];
        let user = match self.sim.db.get_user(name).await? {
            Some(user) if user.group.is_some() => user,
            _ => geodb::ops::assign_user(self.sim.db.as_ref(), self.sim.site_id, name).await?,
        };
        if let Some(group) = &user.group {
            self.sim.note_group(index, group);
        }
        self.users.put(index, user.clone(), Instant::now());
        Ok(user)
    }

    async fn group(&mut self, name: &GroupName) -> geodb::Result<Option<UserGroup>> {
        if let Some(group) = self.groups.get(name, Instant::now()) {
            return Ok(Some(group));
        }
        let group = self.sim.db.get_group(self.sim.site_id, name).await?;
        if let Some(g) = &group {
            self.groups.put(name.clone(), g.clone(), Instant::now());
        }
        Ok(group)
    }

    fn misrouted(&mut self, user: &User, group: &UserGroup, chosen: BackendId, protocol: Protocol) {
        self.sim.totals.misroutes.fetch_add(1, Ordering::Relaxed);
        if let Some(b) = self.sim.backend(chosen) {
            b.counters.misroutes.fetch_add(1, Ordering::Relaxed);
        }
        self.groups.remove(&group.name);
        tracing::warn!(proxy = %self.host, user = %user.name, group = %group.name, backend = %chosen,
            "misroute: user sent to a backend that does not hold its group");
        self.record(chosen, protocol, false);
    }

    fn record(&mut self, backend: BackendId, protocol: Protocol, success: bool) {
        self.stats.record(Utc::now(), backend, protocol, success);
        if let Some(b) = self.sim.backend(backend) {
            b.record(protocol, success);
        }
    }

    async fn flush(&mut self) {
        let rows = self.stats.take_dirty();
        if rows.is_empty() {
            return;
        }
        if let Err(error) = self.sim.db.upsert_stats(&rows).await {
            self.stats.unflushed(&rows);
            self.sim.totals.geodb_errors.fetch_add(1, Ordering::Relaxed);
            self.warn("cannot write proxy_dest_stats; retrying at the next flush", &error);
        }
        self.stats.prune(Utc::now());
    }

    fn warn(&mut self, consequence: &'static str, error: &geodb::GeoDbError) {
        if self.last_warning.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            self.last_warning = Some(Instant::now());
            tracing::warn!(proxy = %self.host, %error, consequence, "proxy geodb error");
        }
    }
}
