//! `cluster-sim`: a simulated site that behaves like the documented one. Backends speak the
//! doveadm HTTP API and export load metrics; proxies route users through GeoDB exactly like
//! Dovecot proxies and write `proxy_dest_stats`; faults are injected through a control API.
//! It never routes a user to a move's destination before the move finished.

pub mod cache;
pub mod control;
pub mod counters;
pub mod doveadm;
pub mod faults;
pub mod load;
pub mod metrics;
pub mod moves;
pub mod observer;
pub mod options;
pub mod proxy;
pub mod ready;
pub mod routing;
pub mod sessions;
pub mod setup;
pub mod state;
pub mod stats;
pub mod view;
