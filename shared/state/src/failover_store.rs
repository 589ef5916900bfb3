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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    /// A record written before the policy's state was stored as it is (and before the probe
    /// fields existed) still reads, and is written back in the same shape.
    #[test]
    fn records_of_older_builds_read_and_keep_their_shape() {
        let old = r#"{"site_id":"0190e1b2-7c3d-7a4e-9f10-2b3c4d5e6f70","percent":30,"bad_streak":2,"good_streak":0,"last_action":"step_down","dry_run":false,"updated_at":"2026-12-01T10:00:00Z"}"#;
        let record: StoredFailover = serde_json::from_str(old).unwrap();
        assert_eq!(record.state, FailoverState { percent: 30, bad_streak: 2, ..FailoverState::default() });
        let written: serde_json::Value = serde_json::to_value(&record).unwrap();
        for field in ["percent", "bad_streak", "good_streak", "quiet_streak", "failed_probes", "last_action"] {
            assert!(written.get(field).is_some(), "{field} missing at the top level: {written}");
        }
        assert!(written.get("state").is_none(), "{written}");
    }
}
