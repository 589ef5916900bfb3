//! What the `site_failover` job keeps per site (keyed by site id): the live failover state (the
//! force-move percentage and the streaks the next decision continues) and, separately, the state of
//! dry runs, so a dry run can show what a live run would do without touching the live state.

use chrono::{DateTime, Utc};
use policy::failover::FailoverState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, State};

/// A site's failover state after the latest decision: the policy's own state (stored as it is,
/// its fields at the top level of the JSON) and what the run recorded beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFailover {
    pub site_id: Uuid,
    #[serde(flatten)]
    pub state: FailoverState,
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
        self.put_json(&failover_key(self, state.dry_run, state.site_id), state).await
    }

    /// The site's live failover state, if `site_failover` ever ran live for it.
    pub async fn failover_state(&self, site_id: Uuid) -> Result<Option<StoredFailover>> {
        self.get_json(&format!("failover of {site_id}"), &failover_key(self, false, site_id)).await
    }

    /// The site's dry-run failover state, if `site_failover` ever ran as a dry run for it.
    pub async fn failover_dry_run(&self, site_id: Uuid) -> Result<Option<StoredFailover>> {
        self.get_json(&format!("failover dry run of {site_id}"), &failover_key(self, true, site_id)).await
    }
}
