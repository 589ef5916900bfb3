//! Payloads of the error-mitigation kinds: the periodic `error_mitigation` run for a site, and
//! `execute_plan`, which carries out a plan an operator approved.

use domain::{ValidationError, ValidationKind};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;
use crate::site::SitePayload;

/// `error_mitigation`: judge a site's backends from the proxies' failures and act on them.
pub type ErrorMitigationPayload = SitePayload;

/// `execute_plan`: run exactly the moves of an approved stored plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutePlanPayload {
    pub plan_id: String,
}

/// Plan ids are UUIDs; anything longer is not one of ours (and would bloat Redis keys).
const MAX_PLAN_ID: usize = 64;

impl Payload for ExecutePlanPayload {
    const FIELDS: &'static [&'static str] = &["plan_id"];

    fn expected(field: &str) -> &'static str {
        match field {
            "plan_id" => "a plan id",
            _ => "a JSON object with plan_id",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        if self.plan_id.is_empty() {
            return Err(ValidationError::new("payload.plan_id", ValidationKind::Empty));
        }
        if self.plan_id.len() > MAX_PLAN_ID {
            return Err(ValidationError::new("payload.plan_id", ValidationKind::TooLong { max: MAX_PLAN_ID }));
        }
        if !self.plan_id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let kind = ValidationKind::Malformed { expected: "a plan id (a UUID)" };
            return Err(ValidationError::new("payload.plan_id", kind));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use serde_json::json;

    use crate::{JobKind, validate};

    #[test]
    fn error_mitigation_takes_an_optional_site() {
        let (kind, payload) = validate("error_mitigation", &json!({})).unwrap();
        assert_eq!((kind, payload), (JobKind::ErrorMitigation, json!({})));
        let site = domain::SiteId::random();
        assert!(validate("error_mitigation", &json!({ "site_id": site })).is_ok());
        assert_eq!(validate("error_mitigation", &json!({ "site_id": "x" })).unwrap_err().field, "payload.site_id");
        assert_eq!(JobKind::ErrorMitigation.default_priority(), domain::Priority::High);
    }

    #[test]
    fn execute_plan_needs_a_plan_id() {
        let id = "0195f2a4-7b3c-7d2e-9a1b-2c3d4e5f6a7b";
        assert!(validate("execute_plan", &json!({ "plan_id": id })).is_ok());
        assert!(validate("execute_plan", &json!({})).is_err());
        assert_eq!(validate("execute_plan", &json!({ "plan_id": "" })).unwrap_err().field, "payload.plan_id");
        assert_eq!(validate("execute_plan", &json!({ "plan_id": "a b" })).unwrap_err().field, "payload.plan_id");
    }
}
