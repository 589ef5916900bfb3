//! Pure decisions of the cluster controller: given observed state and settings, say what to do
//! and why. Every function here is deterministic; time is an input.
//!
//! This crate must never do I/O, spawn tasks, read clocks or environment variables: the jobs in
//! the worker gather the observations, call in here, and carry out (or, in dry run, record) the
//! returned decision. That split is what lets a dry run store exactly the decision a live run
//! would have executed.

pub mod autoscale;
pub mod balance;
pub mod destination;
pub mod evidence;
pub mod failover;
pub mod group_size;
pub mod guard;
pub mod health;
pub mod plan;
pub mod reason;
pub mod smooth;

pub use reason::{Reason, Severity};
