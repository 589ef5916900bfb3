//! Proxy destination statistics, partitioned by (site, hour of window_start) so a partition
//! stays bounded however many proxies write, and expiring through the tables' default TTL.
//! `proxy_dest_stats_hours` lists a site's hour partitions; it is written before the rows.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::{ProxyDestStat, SiteId};
use futures::{StreamExt, TryStreamExt};
use scylla::value::CqlTimestamp;

use super::CqlGeoDb;
use super::rows::{StatRow, to_timestamp};
use crate::error::{GeoDbError, Result};

/// Writes or hour-partition reads in flight at once.
const CONCURRENCY: usize = 16;

fn hour_of(at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    at.duration_trunc(Duration::hours(1)).map_err(|e| GeoDbError::Internal(format!("stats hour of {at}: {e}")))
}

/// Stored times are whole milliseconds: for `t >= since` and `t < until` over whole
/// milliseconds, both bounds round up.
fn ceil_millis(at: DateTime<Utc>) -> CqlTimestamp {
    let ts = to_timestamp(at);
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) { ts } else { CqlTimestamp(ts.0 + 1) }
}

fn counter(value: u64, column: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| GeoDbError::Internal(format!("{column} {value} does not fit a cql bigint")))
}

impl CqlGeoDb {
    pub(super) async fn stats_upsert(&self, rows: &[ProxyDestStat]) -> Result<()> {
        let hours =
            rows.iter().map(|row| Ok((row.site_id, hour_of(row.window_start)?))).collect::<Result<BTreeSet<_>>>()?;
        for (site, hour) in hours {
            self.run(&self.st.stat_hour_add, (site.0, to_timestamp(hour))).await?;
        }
        for chunk in rows.chunks(CONCURRENCY) {
            futures::future::try_join_all(chunk.iter().map(|row| self.stat_upsert_one(row))).await?;
        }
        Ok(())
    }

    async fn stat_upsert_one(&self, row: &ProxyDestStat) -> Result<()> {
        let window_secs = i32::try_from(row.window_secs)
            .map_err(|_| GeoDbError::Internal(format!("window_secs {} does not fit a cql int", row.window_secs)))?;
        let values = (
            row.site_id.0,
            to_timestamp(hour_of(row.window_start)?),
            to_timestamp(row.window_start),
            row.backend_id.0,
            row.protocol.as_str(),
            row.proxy.as_str(),
            window_secs,
            counter(row.successes, "successes")?,
            counter(row.failures, "failures")?,
        );
        self.run(&self.st.stat_upsert, values).await
    }

    /// The site's hour partitions that may hold windows in `[since, until)`.
    async fn stat_hours(&self, site: SiteId, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<CqlTimestamp>> {
        let values = (site.0, to_timestamp(hour_of(since)?), ceil_millis(until));
        let rows = self.scan::<(CqlTimestamp,)>(&self.st.stat_hours, values).await?;
        Ok(rows.into_iter().map(|(hour,)| hour).collect())
    }

    pub(super) async fn stats_read(
        &self,
        site: SiteId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ProxyDestStat>> {
        if since >= until {
            return Ok(Vec::new());
        }
        let hours = self.stat_hours(site, since, until).await?;
        let (since, until) = (ceil_millis(since), ceil_millis(until));
        let parts: Vec<Vec<StatRow>> = futures::stream::iter(hours)
            .map(|hour| self.scan::<StatRow>(&self.st.stat_read, (site.0, hour, since, until)))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut stats = parts.into_iter().flatten().map(StatRow::into_model).collect::<Result<Vec<_>>>()?;
        stats.sort_by(|a, b| {
            (a.window_start, a.backend_id, a.protocol, &a.proxy).cmp(&(
                b.window_start,
                b.backend_id,
                b.protocol,
                &b.proxy,
            ))
        });
        Ok(stats)
    }

    /// Drops every stats partition of the site, then the list of them.
    pub(super) async fn stats_delete_site(&self, site: SiteId) -> Result<()> {
        let hours = self.scan::<(CqlTimestamp,)>(&self.st.stat_hours_all, (site.0,)).await?;
        for (hour,) in hours {
            self.run(&self.st.stat_hour_delete, (site.0, hour)).await?;
        }
        self.run(&self.st.stat_hours_delete, (site.0,)).await
    }
}
