//! Payloads of the site automation kinds: `site_failover` (move a share of a failing site's users
//! away, step by step) and `autoscale` (publish how many backends the site should have).

use domain::{SiteId, ValidationError};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// `site_failover`: judge one site as a whole; the worker's home site when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFailoverPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
}

impl Payload for SiteFailoverPayload {
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

/// `autoscale`: publish the desired backend count of one site; the worker's home site when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalePayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
}

impl Payload for AutoscalePayload {
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
