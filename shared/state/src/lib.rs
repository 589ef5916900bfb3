//! The controller's state, kept in Redis beside the job queue and sharing its connection
//! (`queue::io`): backend reachability, evacuation progress and heartbeats, alerts, balance
//! smoothing, failover state, autoscale readings, group-size plans, approvable plans, and the
//! capacity guard's memory with the evidence and source reservations it keeps. Written by jobs,
//! read by the API. Values are `policy` and `domain` types stored as JSON; one that does not
//! parse is `Corrupt`, never a silent default.

mod autoscale_store;
mod balance_store;
mod evacuation_heartbeat;
mod failover_store;
mod group_plan_store;
mod json_store;
mod keys;
mod plans;
mod scripts;
mod site_guard;
mod state_store;
pub mod types;

pub use autoscale_store::DesiredBackends;
pub use balance_store::{BalanceState, MAX_BALANCE_MOVES};
pub use evacuation_heartbeat::{EVACUATION_HEARTBEAT, EvacuationHeartbeat};
pub use failover_store::StoredFailover;
pub use group_plan_store::StoredGroupPlan;
pub use plans::{DEFAULT_PLAN_MAX_AGE, MAX_PLANS_PER_SITE, PLAN_RETENTION, PlanState, StoredPlan};
pub use queue::{QueueError, Result};
pub use site_guard::{Reservation, Reserved};
pub use state_store::MAX_ALERTS;
pub use types::*;

use queue::Queue;
use queue::io::Redis;

/// A handle on one controller's state (the queue's key prefix). Cheap to clone; it shares the
/// queue's connections.
#[derive(Clone)]
pub struct State {
    queue: Queue,
    keys: keys::Keys,
}

impl State {
    pub fn new(queue: &Queue) -> Self {
        Self { queue: queue.clone(), keys: keys::Keys::new(&queue.config().prefix) }
    }

    pub(crate) fn redis(&self) -> &Redis {
        self.queue.redis()
    }

    pub(crate) fn keys(&self) -> &keys::Keys {
        &self.keys
    }
}
