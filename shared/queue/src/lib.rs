//! The job queue: one Redis stream per priority with one consumer group per worker pool,
//! job records, retries with backoff, a dead-letter stream, dedup keys, and fenced leases
//! for the singleton scheduler. Nothing else: the controller's state lives in `state`, which
//! shares this crate's connection layer ([`io`]). Every multi-key change is one Redis script (see `scripts/`),
//! so a crash between two commands never leaves a job half-moved.

mod backoff;
mod conn;
mod consumer;
mod delivery;
mod error;
mod keys;
mod lease;
mod list;
mod queue;
mod record;
mod schedule;
mod scripts;
mod submit;
pub mod types;

/// The connection and script layer, for crates that keep their own data in the queue's Redis
/// (`state`): one connection set-up, one retry rule, one way to send scripts.
pub mod io {
    pub use crate::conn::{Redis, Retry, pipe};
    pub use crate::error::{corrupt, from_server};
    pub use crate::queue::millis;
    pub use crate::record::{hash, int, items, text, time_ms};
    pub use crate::scripts::{Call, eval};
}

pub use backoff::backoff;
pub use consumer::Consumer;
pub use keys::SCHEDULER_LEASE;
pub use lease::Lease;
pub use list::MAX_PAGE;
pub use queue::Queue;
pub use types::*;
