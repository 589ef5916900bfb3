//! Payloads of the group-size balancing kinds: `group_balance_plan` (daily: decide which users
//! move between a backend's groups and store the plan) and `group_balance_pass` (every 30 min:
//! carry out the next bounded slice of that plan).

use domain::{SiteId, ValidationError};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// `group_balance_plan`: plan user moves between one site's groups; the worker's home site when
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBalancePlanPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
}

impl Payload for GroupBalancePlanPayload {
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

/// `group_balance_pass`: enqueue the next moves of the site's stored group plan; the worker's
/// home site when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBalancePassPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
}

impl Payload for GroupBalancePassPayload {
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

/// The dedup key of a user move, as the API and plan execution use it: one move per user.
pub fn move_user_dedup_key(user: &domain::UserName) -> String {
    format!("move-user:{user}")
}
