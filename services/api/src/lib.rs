//! The controller's REST API: GeoDB CRUD for operators, settings and tokens for admins, health
//! and metrics for orchestrators. Handlers are thin: extract, call one plain function, answer.
//! Nothing here decides cluster policy.

pub mod app;
pub mod auth;
pub mod checks;
pub mod cluster_stats;
pub mod error;
pub mod extract;
pub mod http_layer;
pub mod lookup;
pub mod metrics;
pub mod openapi;
pub mod openmetrics;
pub mod reply;
pub mod routes;
pub mod state;
pub mod token_cache;
pub mod views;

pub use app::{app, serve};
pub use state::{AppState, Connecting, GeoDbHandle, QueueHandle};
