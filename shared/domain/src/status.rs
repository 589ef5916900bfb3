//! Site and backend statuses and the changes `doveadm cluster … update --status` allows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, ValidationKind};

/// A site's status. New sites are `online`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteStatus {
    Online,
    Offline,
    Standby,
    /// The site is being evacuated of all users.
    Evacuate,
}

/// A backend's status. New backends are `standby`; there is no `evacuate` for a backend
/// (evacuation sets it to `standby` with load factor 0).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendStatus {
    Online,
    Offline,
    Standby,
}

/// What a status update does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Same status as before: nothing is written, force-move state is kept.
    Unchanged,
    /// A new status: written, and any force-move state is reset (as doveadm does).
    Changed,
}

const SITE_STATUSES: &[&str] = &["online", "offline", "standby", "evacuate"];
const BACKEND_STATUSES: &[&str] = &["online", "offline", "standby"];

impl SiteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Standby => "standby",
            Self::Evacuate => "evacuate",
        }
    }

    /// doveadm lets an operator set any site status from any other; the only rule is that
    /// the target is a site status.
    pub fn change_to(self, to: SiteStatus) -> StatusChange {
        if self == to { StatusChange::Unchanged } else { StatusChange::Changed }
    }

    /// Whether proxies send new connections to the site.
    pub fn accepts_users(self) -> bool {
        self == Self::Online
    }
}

impl BackendStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Standby => "standby",
        }
    }

    /// Any backend status may follow any other (doveadm checks only the value).
    pub fn change_to(self, to: BackendStatus) -> StatusChange {
        if self == to { StatusChange::Unchanged } else { StatusChange::Changed }
    }

    /// Only online backends receive new connections or user groups.
    pub fn accepts_users(self) -> bool {
        self == Self::Online
    }
}

impl FromStr for SiteStatus {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "online" => Ok(Self::Online),
            "offline" => Ok(Self::Offline),
            "standby" => Ok(Self::Standby),
            "evacuate" => Ok(Self::Evacuate),
            _ => Err(ValidationError::new("status", ValidationKind::UnknownValue { allowed: SITE_STATUSES })),
        }
    }
}

impl FromStr for BackendStatus {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "online" => Ok(Self::Online),
            "offline" => Ok(Self::Offline),
            "standby" => Ok(Self::Standby),
            _ => Err(ValidationError::new("status", ValidationKind::UnknownValue { allowed: BACKEND_STATUSES })),
        }
    }
}

impl fmt::Display for SiteStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for BackendStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evacuate_is_a_site_status_but_not_a_backend_status() {
        assert_eq!("evacuate".parse::<SiteStatus>().unwrap(), SiteStatus::Evacuate);
        let err = "evacuate".parse::<BackendStatus>().unwrap_err();
        assert_eq!(err.field, "status");
        assert_eq!(err.kind, ValidationKind::UnknownValue { allowed: BACKEND_STATUSES });
        assert!("ONLINE".parse::<SiteStatus>().is_err());
    }

    #[test]
    fn only_a_different_status_is_a_change() {
        assert_eq!(BackendStatus::Online.change_to(BackendStatus::Online), StatusChange::Unchanged);
        assert_eq!(BackendStatus::Standby.change_to(BackendStatus::Online), StatusChange::Changed);
        assert_eq!(SiteStatus::Online.change_to(SiteStatus::Evacuate), StatusChange::Changed);
        assert!(!BackendStatus::Standby.accepts_users() && BackendStatus::Online.accepts_users());
    }

    #[test]
    fn statuses_round_trip_as_lowercase_words() {
        for s in ["online", "offline", "standby", "evacuate"] {
            let parsed: SiteStatus = s.parse().unwrap();
            assert_eq!(parsed.as_str(), s);
        }
    }
}
