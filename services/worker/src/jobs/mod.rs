//! The registry of job kinds: every [`JobKind`] maps to its handler in [`Registry::run`], an
//! exhaustive match, so a new kind does not compile until it has one. Handlers return a
//! [`JobError`] that says, where the error happened, whether another attempt can help.

pub mod automation;
pub mod autoscale;
pub mod context;
pub mod error_mitigation;
pub mod evacuate_backend;
pub mod execute_plan;
pub mod group_balance;
pub mod group_move;
pub mod kick;
pub mod load_balance;
pub mod move_group;
pub mod move_user;
pub mod probe;
pub mod reachability;
pub mod site_failover;
pub mod site_safety;

use std::fmt;

use jobs::JobKind;
use queue::{Delivery, Outcome};

/// How a job attempt failed (pict-rs style): the handler knows whether the cause is passing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A passing cause (Redis, GeoDB or a backend unavailable): try again after a backoff.
    #[error("{0}")]
    Retry(String),
    /// Another attempt would fail the same way (a bad payload, a refused change): dead letter.
    #[error("{0}")]
    Abort(String),
}

impl JobError {
    pub fn retry(cause: impl fmt::Display) -> Self {
        Self::Retry(cause.to_string())
    }

    pub fn abort(cause: impl fmt::Display) -> Self {
        Self::Abort(cause.to_string())
    }
}

/// What handlers return on success: the job record's result.
pub type JobResult = Result<serde_json::Value, JobError>;

/// The handlers, one per kind, with what they need to run.
#[derive(Debug, Clone)]
pub struct Registry {
    probe: probe::Probe,
    /// GeoDB, the state store and the doveadm client, for the move kinds.
    context: context::Context,
}

impl Registry {
    pub fn new(probe: probe::Probe, context: context::Context) -> Self {
        Self { probe, context }
    }

    /// Runs one attempt. An unknown kind is aborted: no worker of this build can run it, and
    /// retrying would only delay the dead letter an operator needs to see.
    pub async fn run(&self, delivery: &Delivery) -> Outcome {
        let Ok(kind) = delivery.kind.parse::<JobKind>() else {
            return Outcome::Abort(format!("unknown job kind {:?}", delivery.kind));
        };
        let result = match kind {
            JobKind::Probe => self.probe.run(delivery).await,
            JobKind::MoveGroup => move_group::run(&self.context, delivery).await,
            JobKind::EvacuateBackend => evacuate_backend::run(&self.context, delivery).await,
            JobKind::MoveUser => move_user::run(&self.context, delivery).await,
            JobKind::Kick => kick::run(&self.context, delivery).await,
            JobKind::Reachability => reachability::run(&self.context, delivery).await,
            JobKind::LoadBalance => load_balance::run(&self.context, delivery).await,
            JobKind::ErrorMitigation => error_mitigation::run(&self.context, delivery).await,
            JobKind::ExecutePlan => execute_plan::run(&self.context, delivery).await,
            JobKind::GroupBalancePlan => group_balance::run_plan(&self.context, delivery).await,
            JobKind::GroupBalancePass => group_balance::run_pass(&self.context, delivery).await,
            JobKind::SiteFailover => site_failover::run(&self.context, delivery).await,
            JobKind::Autoscale => autoscale::run(&self.context, delivery).await,
        };
        match result {
            Ok(value) => Outcome::Succeeded(value),
            Err(JobError::Retry(message)) => Outcome::Retry(message),
            Err(JobError::Abort(message)) => Outcome::Abort(message),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "registry_test.rs"]
mod tests;
