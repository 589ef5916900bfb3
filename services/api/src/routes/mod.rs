//! Route registration: one module per resource, each with thin handlers.

pub mod alerts;
pub mod automation;
pub mod backends;
pub mod cluster_metrics;
pub mod groups;
pub mod guard;
pub mod health;
pub mod jobs;
pub mod moves;
pub mod plans;
pub mod reachability;
pub mod settings;
pub mod sites;
pub mod stats;
pub mod tags;
pub mod tokens;
pub mod users;

use actix_web::web;

/// Everything under `/api/v1`.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    sites::configure(cfg);
    tags::configure(cfg);
    backends::configure(cfg);
    groups::configure(cfg);
    users::configure(cfg);
    settings::configure(cfg);
    reachability::configure(cfg);
    stats::configure(cfg);
    tokens::configure(cfg);
    jobs::configure(cfg);
    moves::configure(cfg);
    alerts::configure(cfg);
    plans::configure(cfg);
    automation::configure(cfg);
    guard::configure(cfg);
    cluster_metrics::configure(cfg);
}
