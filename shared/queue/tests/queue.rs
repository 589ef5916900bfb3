//! Integration tests of the queue against a real `redis-server` (one per test, its own key
//! prefix too): one binary, one module per area.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod queue {
    pub mod common;
    mod dedup;
    mod lease;
    mod lifecycle;
    mod listing;
    mod perf;
    mod reclaim;
    mod restart;
    mod retry;
    mod scripts;
}
