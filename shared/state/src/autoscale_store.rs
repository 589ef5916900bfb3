//! What the `autoscale` job publishes per site (keyed by site id): the latest desired backend
//! count, for the API and whatever provisions backends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, State};

/// The latest desired backend count of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredBackends {
    pub site_id: Uuid,
    pub desired: usize,
    /// Backends the site had when it was computed.
    pub current: usize,
    /// `default` or `webhook`.
    pub policy: String,
    pub computed_at: DateTime<Utc>,
    /// `true` when the `autoscaling` feature is in dry run.
    pub dry_run: bool,
}

fn autoscale_key(q: &State, site: Uuid) -> String {
    format!("{}:autoscale:{site}", q.keys().state_prefix())
}

impl State {
    /// Replaces the site's desired backend count.
    pub async fn put_desired_backends(&self, desired: &DesiredBackends) -> Result<()> {
        self.put_json(&autoscale_key(self, desired.site_id), desired).await
    }

    /// The site's latest desired backend count, if `autoscale` ever published one.
    pub async fn desired_backends(&self, site_id: Uuid) -> Result<Option<DesiredBackends>> {
        self.get_json(&format!("desired backends of {site_id}"), &autoscale_key(self, site_id)).await
    }
}
