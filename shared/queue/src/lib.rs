//! The job queue: one Redis stream per priority with one consumer group per worker pool,
//! job records, retries with backoff, a dead-letter stream, dedup keys, and fenced leases
//! for the singleton scheduler. Every multi-key change is one Redis script (see `scripts/`),
//! so a crash between two commands never leaves a job half-moved.

pub mod types;

pub use types::*;
