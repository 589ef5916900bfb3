//! Integration tests of the controller's state against a real `redis-server` (one per test, its
//! own key prefix too): one binary, one module per area.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod state {
    mod alerts;
    pub mod common;
    mod plans;
    mod records;
    mod site_guard;
}
