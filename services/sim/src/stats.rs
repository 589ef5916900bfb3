//! One proxy's `proxy_dest_stats`: successes and failures per (window, backend, protocol),
//! written as running totals. Windows are a minute long, as proxies write them, unless the sim is
//! told otherwise (`stats_window_secs`, for tests that need evidence to age quickly). A proxy is the only writer of its rows, so writing a
//! total again is harmless, and a failed write is simply retried at the next flush.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use domain::{BackendId, HostName, Protocol, ProxyDestStat, SiteId, StatTotals};

/// Length of a statistics window as proxies write them.
pub const WINDOW_SECS: u32 = 60;

type Key = (DateTime<Utc>, BackendId, Protocol);

#[derive(Debug)]
pub struct ProxyStats {
    site: SiteId,
    proxy: HostName,
    window_secs: u32,
    totals: BTreeMap<Key, StatTotals>,
    dirty: BTreeSet<Key>,
}

/// The start of the `window_secs` window holding `at`, aligned to the epoch.
pub fn window_start(at: DateTime<Utc>, window_secs: u32) -> DateTime<Utc> {
    let secs = at.timestamp();
    let aligned = secs - secs.rem_euclid(i64::from(window_secs.max(1)));
    DateTime::from_timestamp(aligned, 0).unwrap_or(at)
}

impl ProxyStats {
    pub fn new(site: SiteId, proxy: HostName, window_secs: u32) -> Self {
        Self { site, proxy, window_secs: window_secs.max(1), totals: BTreeMap::new(), dirty: BTreeSet::new() }
    }

    pub fn window_secs(&self) -> u32 {
        self.window_secs
    }

    /// Continues from rows this proxy wrote earlier (a restarted sim in the same minute), so
    /// its next write does not replace a total with a smaller one.
    pub fn resume(&mut self, rows: &[ProxyDestStat]) {
        for row in rows.iter().filter(|r| r.site_id == self.site && r.proxy == self.proxy) {
            let entry = self.totals.entry((row.window_start, row.backend_id, row.protocol)).or_default();
            entry.successes = entry.successes.max(row.successes);
            entry.failures = entry.failures.max(row.failures);
        }
    }

    pub fn record(&mut self, at: DateTime<Utc>, backend: BackendId, protocol: Protocol, success: bool) {
        let key = (window_start(at, self.window_secs), backend, protocol);
        let entry = self.totals.entry(key).or_default();
        if success {
            entry.successes += 1;
        } else {
            entry.failures += 1;
        }
        self.dirty.insert(key);
    }

    /// The rows changed since the last call; they are clean from now on unless
    /// [`ProxyStats::unflushed`] puts them back.
    pub fn take_dirty(&mut self) -> Vec<ProxyDestStat> {
        let keys = std::mem::take(&mut self.dirty);
        keys.into_iter().filter_map(|key| self.totals.get(&key).map(|t| self.row(key, *t))).collect()
    }

    /// Marks rows whose write failed as dirty again.
    pub fn unflushed(&mut self, rows: &[ProxyDestStat]) {
        self.dirty.extend(rows.iter().map(|r| (r.window_start, r.backend_id, r.protocol)));
    }

    /// Forgets clean windows older than the previous one: they are final in GeoDB.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let keep_from = window_start(now, self.window_secs) - TimeDelta::seconds(i64::from(self.window_secs));
        let dirty = &self.dirty;
        self.totals.retain(|key, _| key.0 >= keep_from || dirty.contains(key));
    }

    fn row(&self, key: Key, totals: StatTotals) -> ProxyDestStat {
        ProxyDestStat {
            site_id: self.site,
            proxy: self.proxy.clone(),
            backend_id: key.1,
            protocol: key.2,
            window_start: key.0,
            window_secs: self.window_secs,
            successes: totals.successes,
            failures: totals.failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn totals_are_kept_per_minute_backend_and_protocol_and_written_once_per_change() {
        let (site, b) = (SiteId::random(), BackendId::random());
        let mut s = ProxyStats::new(site, HostName::parse("p1.sim.sim").unwrap(), WINDOW_SECS);
        s.record(at(120), b, Protocol::Imap, true);
        s.record(at(179), b, Protocol::Imap, false);
        s.record(at(180), b, Protocol::Lmtp, true);
        let rows = s.take_dirty();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].window_start, rows[0].successes, rows[0].failures), (at(120), 1, 1));
        assert_eq!(rows[1].window_start, at(180));
        assert!(s.take_dirty().is_empty());
        s.unflushed(&rows[..1]);
        assert_eq!(s.take_dirty(), rows[..1]);
        // Running totals: a new attempt rewrites the whole window's count.
        s.record(at(130), b, Protocol::Imap, true);
        assert_eq!(s.take_dirty()[0].successes, 2);
        s.prune(at(300));
        s.record(at(130), b, Protocol::Imap, true);
        assert_eq!(s.take_dirty()[0].successes, 1, "a pruned window starts again");
    }

    #[test]
    fn a_restarted_proxy_continues_its_own_rows_only() {
        let (site, b) = (SiteId::random(), BackendId::random());
        let me = HostName::parse("p1.sim.sim").unwrap();
        let mut earlier = ProxyStats::new(site, me.clone(), WINDOW_SECS);
        earlier.record(at(60), b, Protocol::Imap, true);
        let mut rows = earlier.take_dirty();
        rows.push(ProxyDestStat { proxy: HostName::parse("p2.sim.sim").unwrap(), successes: 50, ..rows[0].clone() });
        let mut s = ProxyStats::new(site, me, WINDOW_SECS);
        s.resume(&rows);
        s.record(at(61), b, Protocol::Imap, true);
        assert_eq!(s.take_dirty()[0].successes, 2);
        assert_eq!(window_start(at(-1), WINDOW_SECS), at(-60));
    }

    #[test]
    fn short_windows_are_aligned_and_written_with_their_length() {
        let (site, b) = (SiteId::random(), BackendId::random());
        let mut s = ProxyStats::new(site, HostName::parse("p1.sim.sim").unwrap(), 2);
        s.record(at(3), b, Protocol::Lmtp, false);
        s.record(at(4), b, Protocol::Lmtp, false);
        let rows = s.take_dirty();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].window_start, rows[0].window_secs, rows[0].failures), (at(2), 2, 1));
        assert_eq!(rows[1].window_start, at(4));
    }
}
