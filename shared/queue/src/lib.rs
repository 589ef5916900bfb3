//! The job queue: one Redis stream per priority with one consumer group per worker pool,
//! job records, retries with backoff, a dead-letter stream, dedup keys, and fenced leases
//! for the singleton scheduler. Every multi-key change is one Redis script (see `scripts/`),
//! so a crash between two commands never leaves a job half-moved.

mod autoscale_store;
mod backoff;
mod balance_store;
mod conn;
mod consumer;
mod delivery;
mod error;
mod evacuation_heartbeat;
mod failover_store;
mod group_plan_store;
mod json_store;
mod keys;
mod lease;
mod list;
mod plans;
mod queue;
mod record;
mod schedule;
mod scripts;
mod site_guard;
pub mod state;
mod state_store;
mod submit;
pub mod types;

pub use autoscale_store::DesiredBackends;
pub use backoff::backoff;
pub use balance_store::{BalanceState, MAX_BALANCE_MOVES};
pub use consumer::Consumer;
pub use evacuation_heartbeat::{EVACUATION_HEARTBEAT, EvacuationHeartbeat};
pub use failover_store::StoredFailover;
pub use group_plan_store::StoredGroupPlan;
pub use keys::SCHEDULER_LEASE;
pub use lease::Lease;
pub use list::MAX_PAGE;
pub use plans::{DEFAULT_PLAN_MAX_AGE, MAX_PLANS_PER_SITE, PLAN_RETENTION, PlanState, StoredPlan};
pub use queue::Queue;
pub use site_guard::{Reservation, Reserved};
pub use state::*;
pub use state_store::MAX_ALERTS;
pub use types::*;
