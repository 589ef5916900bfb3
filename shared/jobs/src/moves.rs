//! Payloads of the move kinds: a group to another backend, a backend evacuated, a user to
//! another group, a user kicked, and the periodic reachability probe. Ids are UUIDs and names go
//! through the domain's parsers, so a worker never sees a name GeoDB would refuse. Whether the
//! named objects exist is the job's business: it reads GeoDB when it runs.

use domain::{BackendId, GroupName, SiteId, UserName, ValidationError, ValidationKind};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;
use crate::site::SitePayload;

/// `move_group`: move one group of a site to another backend of that site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveGroupPayload {
    pub site_id: SiteId,
    pub group: GroupName,
    pub destination_backend_id: BackendId,
    /// Only move if the group is still on this backend (what the requester saw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_backend_id: Option<BackendId>,
}

impl Payload for MoveGroupPayload {
    const FIELDS: &'static [&'static str] = &["site_id", "group", "destination_backend_id", "expected_backend_id"];

    fn expected(field: &str) -> &'static str {
        match field {
            "site_id" | "destination_backend_id" | "expected_backend_id" => "a UUID",
            "group" => "a group name: up to 128 characters, no whitespace, control characters or '/'",
            _ => "a JSON object with site_id, group and destination_backend_id",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        if self.expected_backend_id == Some(self.destination_backend_id) {
            let kind = ValidationKind::Malformed { expected: "another backend than expected_backend_id" };
            return Err(ValidationError::new("payload.destination_backend_id", kind));
        }
        Ok(())
    }
}

/// `evacuate_backend`: move every group off a backend, which is set to standby first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvacuateBackendPayload {
    pub backend_id: BackendId,
}

impl Payload for EvacuateBackendPayload {
    const FIELDS: &'static [&'static str] = &["backend_id"];

    fn expected(field: &str) -> &'static str {
        match field {
            "backend_id" => "a UUID",
            _ => "a JSON object with backend_id",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// `move_user`: move a user to another group (`doveadm cluster user move`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveUserPayload {
    pub user: UserName,
    pub group: GroupName,
    /// The destination site; the user's own site when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_group: Option<GroupName>,
}

impl Payload for MoveUserPayload {
    const FIELDS: &'static [&'static str] = &["user", "group", "site_id", "failover_group"];

    fn expected(field: &str) -> &'static str {
        match field {
            "user" => "a user name of up to 255 characters",
            "group" | "failover_group" => {
                "a group name: up to 128 characters, no whitespace, control characters or '/'"
            }
            "site_id" => "a UUID",
            _ => "a JSON object with user and group",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// `kick`: disconnect a user from the backend serving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KickPayload {
    pub user: UserName,
}

impl Payload for KickPayload {
    const FIELDS: &'static [&'static str] = &["user"];

    fn expected(field: &str) -> &'static str {
        match field {
            "user" => "a user name of up to 255 characters",
            _ => "a JSON object with user",
        }
    }

    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// `reachability`: probe every backend of the home site; it takes no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachabilityPayload {}

impl Payload for ReachabilityPayload {
    const FIELDS: &'static [&'static str] = &[];

    fn expected(_field: &str) -> &'static str {
        "an empty JSON object"
    }

    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// `load_balance`: balance one site's backends; the worker's home site when absent.
pub type LoadBalancePayload = SitePayload;
