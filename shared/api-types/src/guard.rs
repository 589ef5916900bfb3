//! The capacity guard of a site and the evacuation sources it holds reserved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /sites/{site}/guard`, and the answer of `POST /sites/{site}/guard/release`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GuardView {
    pub site: String,
    /// Tripped: no automatic move in the site until released.
    pub tripped: bool,
    pub tripped_at: Option<DateTime<Utc>>,
    /// Why it tripped.
    pub reason: Option<String>,
    /// Backends (host names) out of service, or about to be, when it tripped.
    pub out_of_service: Vec<String>,
    /// Their share of the site's backends when it tripped (0–1).
    pub share: Option<f64>,
    /// While tripped with a cool-down configured: since when the site has looked healthy.
    pub healthy_since: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    /// A token's name, or `cool-down`.
    pub released_by: Option<String>,
    /// Backends (host names) reserved now as evacuation sources.
    pub evacuating: Vec<String>,
}
