//! `controller-worker`: consumes one priority's queue and runs each job's handler. The pool only
//! claims a job when a slot is free to run it, keeps the claims of running jobs alive with
//! heartbeats, and acknowledges results in batches. It never decides whether a job is retried:
//! the handler does, where its error happens.

pub mod admin;
pub mod complete;
pub mod heartbeat;
pub mod jobs;
pub mod metrics;
pub mod pool;
pub mod signals;
pub mod upkeep;

pub use pool::Pool;
