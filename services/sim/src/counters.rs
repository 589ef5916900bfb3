//! What the simulation counts: attempts per backend by protocol and result, and the site-wide
//! counters (misroutes above all, which must stay 0). Atomics only: counting never blocks traffic.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Site-wide counters.
#[derive(Debug, Default)]
pub struct Totals {
    pub misroutes: AtomicU64,
    pub referrals: AtomicU64,
    pub geodb_errors: AtomicU64,
    pub groups_moved: AtomicU64,
    pub users_moved: AtomicU64,
    /// Completed observer rounds: a reader that saw N may wait for N + 2 to be sure the load
    /// figures reflect what it changed before.
    pub observer_ticks: AtomicU64,
    /// Attempts of users the site's `force_move_percentage` sent to other sites.
    pub forced_away: AtomicU64,
}

/// Attempts that reached one backend, by protocol and result.
#[derive(Debug, Default)]
pub struct BackendCounters {
    pub imap_successes: AtomicU64,
    pub imap_failures: AtomicU64,
    pub lmtp_successes: AtomicU64,
    pub lmtp_failures: AtomicU64,
    pub misroutes: AtomicU64,
    pub referrals: AtomicU64,
}

/// Counters as the control API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CounterView {
    pub attempts: u64,
    pub successes: u64,
    pub failures: u64,
    pub imap: ResultCounts,
    pub lmtp: ResultCounts,
    pub misroutes: u64,
    pub referrals: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ResultCounts {
    pub successes: u64,
    pub failures: u64,
}

impl BackendCounters {
    pub fn view(&self) -> CounterView {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let imap = ResultCounts { successes: get(&self.imap_successes), failures: get(&self.imap_failures) };
        let lmtp = ResultCounts { successes: get(&self.lmtp_successes), failures: get(&self.lmtp_failures) };
        let successes = imap.successes + lmtp.successes;
        let failures = imap.failures + lmtp.failures;
        CounterView {
            attempts: successes + failures,
            successes,
            failures,
            imap,
            lmtp,
            misroutes: get(&self.misroutes),
            referrals: get(&self.referrals),
        }
    }
}

/// Per-host counters summed over the site.
pub fn sum(views: &BTreeMap<String, CounterView>) -> CounterView {
    views.values().fold(CounterView::default(), |mut t, v| {
        t.attempts += v.attempts;
        t.successes += v.successes;
        t.failures += v.failures;
        t.imap.successes += v.imap.successes;
        t.imap.failures += v.imap.failures;
        t.lmtp.successes += v.lmtp.successes;
        t.lmtp.failures += v.lmtp.failures;
        t.misroutes += v.misroutes;
        t.referrals += v.referrals;
        t
    })
}
