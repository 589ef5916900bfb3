//! What the `site_failover` job keeps per site (keyed by site id): the live failover state (the
//! force-move percentage and the streaks the next decision continues) and, separately, the state of
//! dry runs, so a dry run can show what a live run would do without touching the live state.

use chrono::{DateTime, Utc};
use redis::Value;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{QueueError, Result, State};
use queue::io::Retry;
use queue::io::corrupt;
use queue::io::text;

/// A site's failover state after the latest decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFailover {
    pub site_id: Uuid,
    /// Force-move percentage: 0 = the site serves all its users, 100 = none.
    pub percent: u8,
    pub bad_streak: u32,
    pub good_streak: u32,
    /// Silent windows at 100 % towards the next probe (see `policy::failover`).
    #[serde(default)]
    pub quiet_streak: u32,
    /// Returns to 100 % since the last recovery step.
    #[serde(default)]
    pub failed_probes: u32,
    /// The latest decision's action: `hold`, `step_down` or `step_up`.
    pub last_action: String,
    /// `true`: computed by a dry run and stored apart from the live state.
    pub dry_run: bool,
    pub updated_at: DateTime<Utc>,
}

fn failover_key(q: &State, dry_run: bool, site: Uuid) -> String {
    let kind = if dry_run { "failover_dry_run" } else { "failover" };
    format!("{}:{kind}:{site}", q.keys().state_prefix())
}

impl State {
    /// Replaces the site's live state, or its dry-run state when `state.dry_run`.
    pub async fn put_failover_state(&self, state: &StoredFailover) -> Result<()> {
        let json = serde_json::to_string(state).map_err(|e| QueueError::Internal(format!("serialise: {e}")))?;
        let cmd = redis::cmd("SET").arg(failover_key(self, state.dry_run, state.site_id)).arg(json).to_owned();
        let _: Value = self.redis().query(&cmd, Retry::Once).await?;
        Ok(())
    }

    /// The site's live failover state, if `site_failover` ever ran live for it.
    pub async fn failover_state(&self, site_id: Uuid) -> Result<Option<StoredFailover>> {
        self.read_failover(false, site_id).await
    }

    /// The site's dry-run failover state, if `site_failover` ever ran as a dry run for it.
    pub async fn failover_dry_run(&self, site_id: Uuid) -> Result<Option<StoredFailover>> {
        self.read_failover(true, site_id).await
    }

    async fn read_failover(&self, dry_run: bool, site_id: Uuid) -> Result<Option<StoredFailover>> {
        let cmd = redis::cmd("GET").arg(failover_key(self, dry_run, site_id)).to_owned();
        let reply: Value = self.redis().query(&cmd, Retry::Once).await?;
        match text(&reply) {
            Some(json) => {
                serde_json::from_str(&json).map(Some).map_err(|e| corrupt(format!("failover of {site_id}: {e}")))
            }
            None => Ok(None),
        }
    }
}
