//! Storage of decisions as plans (`policy::Plan`): what a dry run would have done, kept so an
//! operator can read it and approve it for execution. One hash per plan (the plan as JSON, its
//! site, state and storage time) and one sorted set of plan ids per site, newest last.
//!
//! State changes are single scripts that check the current state first, so two approvals (or an
//! approval racing an execution) can never both win. The plan itself is never rewritten: what was
//! approved is exactly what was recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};
use policy::plan::Plan;
use redis::Value;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use queue::io::{Retry, corrupt, hash, text, time_ms};

use crate::{QueueError, Result, State};

/// Plans kept per site: older ones are dropped from the index (and their hashes expire).
pub const MAX_PLANS_PER_SITE: usize = 500;
/// How long a stored plan is kept at all: a plan is only worth approving while fresh.
pub const PLAN_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// A suggested freshness limit for approvals: older observations no longer describe the site.
pub const DEFAULT_PLAN_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// Where a stored plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanState {
    Pending,
    Approved,
    Executed,
    /// Someone tried to approve it after it was no longer fresh.
    Expired,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Executed => "executed",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Executed, Self::Expired].into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for PlanState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPlan {
    pub id: String,
    pub plan: Plan,
    pub stored_at: DateTime<Utc>,
    pub state: PlanState,
}

/// Moves a plan between states atomically; see the script's header.
const TRANSITION: &str = include_str!("../scripts/plan_transition.lua");

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl State {
    /// Stores `plan` as pending and returns its id (time-ordered, so ids sort like plans).
    pub async fn put_plan(&self, plan: &Plan) -> Result<String> {
        let id = Uuid::now_v7().to_string();
        let json =
            serde_json::to_string(plan).map_err(|e| QueueError::Internal(format!("cannot serialise a plan: {e}")))?;
        let now = Utc::now().timestamp_millis();
        let key = self.keys().plan(&id);
        let index = self.keys().site_plans(&plan.site.to_string());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(&key)
            .arg("plan")
            .arg(json)
            .arg("site")
            .arg(plan.site.to_string())
            .arg("state")
            .arg(PlanState::Pending.as_str())
            .arg("stored_at")
            .arg(now)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(millis(PLAN_RETENTION))
            .ignore()
            .cmd("ZADD")
            .arg(&index)
            .arg(now)
            .arg(&id)
            .ignore()
            // Keeps the newest MAX_PLANS_PER_SITE; ranks are ascending by time.
            .cmd("ZREMRANGEBYRANK")
            .arg(&index)
            .arg(0)
            .arg(-(MAX_PLANS_PER_SITE as i64) - 1)
            .ignore();
        // A fresh id per call: repeating after a lost reply could only store the same plan twice
        // under two ids, so it is not repeated.
        self.redis().pipeline(&pipe, Retry::Never).await?;
        Ok(id)
    }

    /// The plan stored under `id`, if it is still kept.
    pub async fn plan(&self, id: &str) -> Result<Option<StoredPlan>> {
        let reply: Value = self.redis().query(redis::cmd("HGETALL").arg(self.keys().plan(id)), Retry::Once).await?;
        let map = hash(reply)?;
        if map.is_empty() {
            return Ok(None);
        }
        let field = |name: &str| map.get(name).ok_or_else(|| corrupt(format!("plan {id} has no {name}")));
        let plan: Plan = serde_json::from_str(field("plan")?).map_err(|e| corrupt(format!("plan {id}: {e}")))?;
        let state = PlanState::parse(field("state")?).ok_or_else(|| corrupt(format!("plan {id}: unknown state")))?;
        let stored_ms: i64 = field("stored_at")?.parse().map_err(|_| corrupt(format!("plan {id}: stored_at")))?;
        Ok(Some(StoredPlan { id: id.to_owned(), plan, stored_at: time_ms(stored_ms)?, state }))
    }

    /// Up to `limit` plans of `site` (a site id), newest first; ids whose plan expired are skipped.
    pub async fn plans(&self, site: &str, limit: usize) -> Result<Vec<StoredPlan>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let stop = i64::try_from(limit.min(MAX_PLANS_PER_SITE)).unwrap_or(i64::MAX) - 1;
        let cmd = redis::cmd("ZREVRANGE").arg(self.keys().site_plans(site)).arg(0).arg(stop).to_owned();
        let ids: Vec<String> = self.redis().query(&cmd, Retry::Once).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(plan) = self.plan(&id).await? {
                out.push(plan);
            }
        }
        Ok(out)
    }

    /// Approves a pending plan stored at most `max_age` ago. `NotFound` when there is no such
    /// plan; `Conflict` when it is not pending, or too old (it is then marked expired: the
    /// observations it was built from no longer describe the site).
    pub async fn approve_plan(&self, id: &str, max_age: Duration) -> Result<StoredPlan> {
        let Some(stored) = self.plan(id).await? else {
            return Err(QueueError::NotFound(format!("plan {id}")));
        };
        let age = (Utc::now() - stored.stored_at).to_std().unwrap_or_default();
        if age > max_age {
            self.transition(id, PlanState::Pending, PlanState::Expired).await?;
            return Err(QueueError::Conflict(format!(
                "plan {id} was stored {}s ago, more than the {}s a plan may be approved within",
                age.as_secs(),
                max_age.as_secs()
            )));
        }
        self.transition(id, PlanState::Pending, PlanState::Approved).await?;
        Ok(StoredPlan { state: PlanState::Approved, ..stored })
    }

    /// Marks an approved plan executed (`execute_plan` does, once it enqueued the moves).
    /// `Conflict` when it is not approved (never approved, or already executed).
    pub async fn mark_plan_executed(&self, id: &str) -> Result<()> {
        self.transition(id, PlanState::Approved, PlanState::Executed).await
    }

    async fn transition(&self, id: &str, from: PlanState, to: PlanState) -> Result<()> {
        let cmd = redis::cmd("EVAL")
            .arg(TRANSITION)
            .arg(1)
            .arg(self.keys().plan(id))
            .arg(from.as_str())
            .arg(to.as_str())
            .to_owned();
        // Repeating after a lost reply finds the state already changed and reports a conflict,
        // which is the honest answer: the caller cannot know whether its call won.
        let reply: Value = self.redis().query(&cmd, Retry::Never).await?;
        let found = text(&reply).unwrap_or_default();
        if found.is_empty() {
            return Err(QueueError::NotFound(format!("plan {id}")));
        }
        if found != from.as_str() {
            return Err(QueueError::Conflict(format!("plan {id} is {found}, not {from}")));
        }
        Ok(())
    }
}
