//! The payload of every job that judges one whole site (error mitigation, balancing, failover,
//! group sizes, autoscaling): just which site, the worker's home site when absent.

use domain::{SiteId, ValidationError};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
}

impl Payload for SitePayload {
    const FIELDS: &'static [&'static str] = &["site_id"];

    fn expected(field: &str) -> &'static str {
        match field {
            "site_id" => "a UUID",
            _ => "a JSON object with an optional site_id",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}
