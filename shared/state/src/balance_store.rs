//! What the `load_balance` job keeps beside the queue, per site (keyed by site id): the latest
//! balance reading (what `GET /api/v1/sites/{site}/balance` shows), a capped list of when
//! balancing started group moves (the moves-per-hour budget must survive worker restarts and be
//! shared by every worker), for direct scraping, a per-host count of successful scrapes (the
//! warm-up must not restart with every job run), and the smoothed load figures the next decision
//! continues from.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use redis::Value;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use policy::smooth::Smoothed;

use queue::io::{Retry, corrupt, from_server, pipe};

use crate::{Result, State};

/// Balancing moves remembered per site: far more than any sane hourly budget.
pub const MAX_BALANCE_MOVES: usize = 1000;

/// The latest balance reading of a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceState {
    pub site_id: Uuid,
    /// 100 is perfectly even: from each host's share of the site mean when the source gives the
    /// metrics' spreads (`policy::balance::relative_balancedness`), else `100 / (1 + σ)` of the
    /// combined z-scores.
    pub balancedness: f64,
    /// metric → population standard deviation of its z-scores over the hosts.
    pub spread: BTreeMap<String, f64>,
    /// host → metric → z-score.
    pub scores: BTreeMap<String, BTreeMap<String, f64>>,
    /// host → combined score (only hosts that report every metric).
    pub combined: BTreeMap<String, f64>,
    /// host → load as a share of the site's mean (1.0 = average), when the source gives the
    /// metrics' spreads; what evacuations and sheds choose destinations by.
    #[serde(default)]
    pub shares: BTreeMap<String, f64>,
    pub computed_at: DateTime<Utc>,
}

fn balance_key(q: &State, kind: &str, site: Uuid) -> String {
    format!("{}:{kind}:{site}", q.keys().state_prefix())
}

impl State {
    /// Replaces the site's balance reading.
    pub async fn put_balance_state(&self, state: &BalanceState) -> Result<()> {
        self.put_json(&balance_key(self, "balance", state.site_id), state).await
    }

    /// The site's latest balance reading, if `load_balance` ever ran for it.
    pub async fn balance_state(&self, site_id: Uuid) -> Result<Option<BalanceState>> {
        self.get_json(&format!("balance of {site_id}"), &balance_key(self, "balance", site_id)).await
    }

    /// Replaces the site's smoothed load figures.
    pub async fn put_balance_smoothing(&self, site_id: Uuid, smoothed: &Smoothed) -> Result<()> {
        self.put_json(&balance_key(self, "balance_smooth", site_id), smoothed).await
    }

    /// The site's smoothed load figures; empty before the first reading.
    pub async fn balance_smoothing(&self, site_id: Uuid) -> Result<Smoothed> {
        let key = balance_key(self, "balance_smooth", site_id);
        Ok(self.get_json(&format!("smoothing of {site_id}"), &key).await?.unwrap_or_default())
    }

    /// Remembers that balancing started a group move in the site at `at`.
    pub async fn record_balance_move(&self, site_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let key = balance_key(self, "balance_moves", site_id);
        let mut p = pipe();
        p.cmd("LPUSH").arg(&key).arg(at.to_rfc3339()).cmd("LTRIM").arg(&key).arg(0).arg(MAX_BALANCE_MOVES - 1);
        // Not repeated after a lost reply: the move would count twice against the budget.
        let replies = self.redis().pipeline(&p, Retry::Never).await?;
        match replies.iter().find_map(|r| if let Value::ServerError(e) = r { Some(e) } else { None }) {
            Some(e) => Err(from_server(e)),
            None => Ok(()),
        }
    }

    /// When balancing started the site's remembered group moves, newest first.
    pub async fn balance_moves(&self, site_id: Uuid) -> Result<Vec<DateTime<Utc>>> {
        let cmd = redis::cmd("LRANGE").arg(balance_key(self, "balance_moves", site_id)).arg(0).arg(-1).to_owned();
        let lines: Vec<String> = self.redis().query(&cmd, Retry::Once).await?;
        lines
            .iter()
            .map(|l| {
                DateTime::parse_from_rfc3339(l)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| corrupt(format!("balance move time {l:?}: {e}")))
            })
            .collect()
    }

    /// Counts one more successful scrape of each of `hosts` and returns every host's count.
    pub async fn add_balance_samples(&self, site_id: Uuid, hosts: &[String]) -> Result<HashMap<String, u64>> {
        let key = balance_key(self, "balance_samples", site_id);
        let mut p = pipe();
        for host in hosts {
            p.cmd("HINCRBY").arg(&key).arg(host).arg(1);
        }
        p.cmd("HGETALL").arg(&key);
        // Not repeated after a lost reply: a double count would only shorten the warm-up by one
        // scrape, but a failed job run is the honest answer.
        let replies = self.redis().pipeline(&p, Retry::Never).await?;
        if let Some(e) = replies.iter().find_map(|r| if let Value::ServerError(e) = r { Some(e) } else { None }) {
            return Err(from_server(e));
        }
        let all = replies.last().cloned().ok_or_else(|| corrupt("no HGETALL reply"))?;
        let map: HashMap<String, u64> =
            redis::from_redis_value(all).map_err(|e| corrupt(format!("balance samples of {site_id}: {e}")))?;
        Ok(map)
    }
}
