//! The REST API's request and response types, shared by the server, the CLI and the tests,
//! and (feature `client`) a typed client. Requests carry names as plain strings: the server
//! validates them so every error can name the field it came from.

pub mod cluster;
pub mod groups;
pub mod guard;
pub mod jobs;
pub mod moves;
pub mod patch;
pub mod problem;
pub mod schema;
pub mod settings;

#[cfg(feature = "client")]
pub mod client;

pub use cluster::*;
pub use groups::*;
pub use guard::*;
pub use jobs::*;
pub use moves::*;
pub use problem::{FieldError, Problem};
pub use settings::*;

/// Every API route lives under this prefix.
pub const API_PREFIX: &str = "/api/v1";
