//! What the group-size balancing jobs keep beside the queue, per site (keyed by site id): the
//! latest plan of user moves between groups (`group_balance_plan` replaces it daily) and how many
//! of its moves `group_balance_pass` already carried out.

use chrono::{DateTime, Utc};
use policy::group_size::UserMove;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, State};

/// A site's stored group-size plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGroupPlan {
    /// Every backend's moves, in the order passes carry them out.
    pub moves: Vec<UserMove>,
    pub created_at: DateTime<Utc>,
    /// How many of `moves` passes already handled (enqueued or skipped).
    pub done: usize,
    /// Stored by a dry run: never executed.
    pub dry_run: bool,
}

fn plan_key(q: &State, site: Uuid) -> String {
    format!("{}:group_plan:{site}", q.keys().state_prefix())
}

impl State {
    /// Replaces the site's group plan.
    pub async fn put_group_plan(&self, site_id: Uuid, plan: &StoredGroupPlan) -> Result<()> {
        self.put_json(&plan_key(self, site_id), plan).await
    }

    /// The site's latest group plan, if `group_balance_plan` ever stored one.
    pub async fn group_plan(&self, site_id: Uuid) -> Result<Option<StoredGroupPlan>> {
        self.get_json(&format!("group plan of {site_id}"), &plan_key(self, site_id)).await
    }

    /// Records `n` more moves of the site's plan as handled (capped at the plan's length).
    /// Returns the new `done`, or `None` when the site has no plan.
    pub async fn mark_group_moves_done(&self, site_id: Uuid, n: usize) -> Result<Option<usize>> {
        // Read-modify-write: passes run one at a time per site (the scheduler enqueues one per
        // interval and the pass is short); a lost race only repeats deduplicated moves.
        let Some(mut plan) = self.group_plan(site_id).await? else { return Ok(None) };
        plan.done = plan.done.saturating_add(n).min(plan.moves.len());
        self.put_group_plan(site_id, &plan).await?;
        Ok(Some(plan.done))
    }
}
