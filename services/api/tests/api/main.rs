//! API tests: one binary, a module per feature. Each test starts the real app (the same
//! `serve` that `main` uses) on a loopback port over its own SQLite file.

// Helpers outside #[test] functions unwrap too: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used)]

mod auth;
mod backends;
mod cluster_metrics;
mod common;
mod contract;
mod errors;
mod groups;
mod guard;
mod health;
mod jobs;
mod moves;
mod openapi;
mod plans;
mod settings;
mod sites;
mod stats;
mod users;
