//! Proxy destination statistics: what each proxy saw when it sent users to a backend.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, ValidationKind};
use crate::model::{BackendId, SiteId};
use crate::names::HostName;

/// The protocol a proxy spoke to the backend.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Lmtp,
    Submission,
    Sieve,
}

const PROTOCOLS: &[&str] = &["imap", "pop3", "lmtp", "submission", "sieve"];

impl Protocol {
    pub const ALL: [Protocol; 5] = [Self::Imap, Self::Pop3, Self::Lmtp, Self::Submission, Self::Sieve];

    pub fn as_str(self) -> &'static str {
        PROTOCOLS[self as usize]
    }
}

impl FromStr for Protocol {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ValidationError::new("protocol", ValidationKind::UnknownValue { allowed: PROTOCOLS }))
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One proxy's counts for one backend, protocol and time window. A proxy is the only writer of
/// its rows and writes running totals, so an upsert is idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyDestStat {
    pub site_id: SiteId,
    pub proxy: HostName,
    pub backend_id: BackendId,
    pub protocol: Protocol,
    pub window_start: DateTime<Utc>,
    pub window_secs: u32,
    pub successes: u64,
    pub failures: u64,
}

/// Which rows a reader of `[since, until)` gets, the one rule error mitigation and site failover
/// read by: proxies key a row by the start of their own window, which may begin before `since`,
/// so a reader asks GeoDB for rows starting from `since - lookback` and keeps those that
/// [`ProxyDestStat::overlaps`] `since`. A reader that sums whole windows (site failover) looks
/// back [`ROW_LOOKBACK`], the longest window a proxy writes; one that compares running totals of
/// windows that may still grow (error mitigation) looks back [`NO_LOOKBACK`].
pub const ROW_LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
pub const NO_LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::zero();

impl ProxyDestStat {
    /// Where a read of the rows covering `since` onwards starts.
    pub fn read_from(since: DateTime<Utc>, lookback: chrono::TimeDelta) -> DateTime<Utc> {
        since - lookback
    }

    /// Whether the row's window reaches past `since`.
    pub fn overlaps(&self, since: DateTime<Utc>) -> bool {
        self.window_start + chrono::TimeDelta::seconds(i64::from(self.window_secs)) > since
    }
}

/// Summed successes and failures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatTotals {
    pub successes: u64,
    pub failures: u64,
}

impl StatTotals {
    pub fn total(self) -> u64 {
        self.successes.saturating_add(self.failures)
    }

    /// Failures over attempts; `None` with no attempts (unknown is not healthy).
    pub fn failure_ratio(self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| self.failures as f64 / total as f64)
    }

    fn add(&mut self, row: &ProxyDestStat) {
        self.successes = self.successes.saturating_add(row.successes);
        self.failures = self.failures.saturating_add(row.failures);
    }
}

/// Sums rows per (backend, protocol) over all proxies and windows given.
pub fn totals_by_backend<'a>(
    rows: impl IntoIterator<Item = &'a ProxyDestStat>,
) -> BTreeMap<(BackendId, Protocol), StatTotals> {
    let mut totals: BTreeMap<(BackendId, Protocol), StatTotals> = BTreeMap::new();
    for row in rows {
        totals.entry((row.backend_id, row.protocol)).or_default().add(row);
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_over_proxies_and_windows_per_backend_and_protocol() {
        let site = SiteId::random();
        let (b1, b2) = (BackendId::random(), BackendId::random());
        let row = |proxy: &str, backend, protocol, s, f| ProxyDestStat {
            site_id: site,
            proxy: HostName::parse(proxy).unwrap(),
            backend_id: backend,
            protocol,
            window_start: Utc::now(),
            window_secs: 60,
            successes: s,
            failures: f,
        };
        let rows = [
            row("p1", b1, Protocol::Imap, 90, 10),
            row("p2", b1, Protocol::Imap, 5, 95),
            row("p1", b1, Protocol::Lmtp, 7, 0),
            row("p1", b2, Protocol::Imap, 0, 0),
        ];
        let totals = totals_by_backend(&rows);
        let imap = totals[&(b1, Protocol::Imap)];
        assert_eq!(imap, StatTotals { successes: 95, failures: 105 });
        assert_eq!(imap.failure_ratio(), Some(105.0 / 200.0));
        assert_eq!(totals[&(b1, Protocol::Lmtp)].failure_ratio(), Some(0.0));
        assert_eq!(totals[&(b2, Protocol::Imap)].failure_ratio(), None);
    }

    #[test]
    fn protocols_parse_from_their_names_only() {
        for p in Protocol::ALL {
            assert_eq!(p.as_str().parse::<Protocol>().unwrap(), p);
        }
        assert_eq!("smtp".parse::<Protocol>().unwrap_err().field, "protocol");
    }

    #[test]
    fn a_row_covers_a_read_while_its_window_reaches_past_the_start() {
        let start = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let row = ProxyDestStat {
            site_id: SiteId::random(),
            proxy: HostName::parse("p1").unwrap(),
            backend_id: BackendId::random(),
            protocol: Protocol::Imap,
            window_start: start,
            window_secs: 60,
            successes: 1,
            failures: 0,
        };
        assert!(row.overlaps(start + chrono::TimeDelta::seconds(59)));
        assert!(!row.overlaps(start + chrono::TimeDelta::seconds(60)));
        // A window longer than the read's still counts when it started before the read.
        assert!(ProxyDestStat::read_from(start + chrono::TimeDelta::seconds(30), ROW_LOOKBACK) <= start);
        assert_eq!(ProxyDestStat::read_from(start, NO_LOOKBACK), start);
    }
}
