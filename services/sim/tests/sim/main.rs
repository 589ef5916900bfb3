//! End-to-end tests of the real `cluster-sim` binary over a fresh SQLite GeoDB each: one test
//! binary, a module per feature.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod doveadm_api;
mod harness;
mod load_metrics;
mod moves;
mod setup;
mod traffic;
