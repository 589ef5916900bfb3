//! "May group G move to backend B now?": the one rule every move checks, whoever starts it (an
//! operator through the API, `move_group`, an evacuation, an approved plan, load balancing, the
//! placement of a new group). GeoDB's facts come first (same site, not already there, not moving,
//! online, load factor above 0); then what the controller observed (reachable, and for automatic
//! moves: healthy now and not an evacuation's source). Callers without an observation pass
//! [`Observed::default`].

use crate::model::{Backend, UserGroup};
use crate::names::{GroupName, HostName, LoadFactor};
use crate::status::BackendStatus;

/// What the controller observed of a destination, beyond GeoDB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed<'a> {
    /// The latest probe failed, and why (see `BackendReachability::unreachable_because`).
    pub unreachable: Option<&'a str>,
    /// Failing or degraded in the current evidence (automatic moves only).
    pub unhealthy: bool,
    /// Reserved as the source of an evacuation, or a source of the deciding run.
    pub evacuating: bool,
}

/// Why a group may not move to a backend now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal<'a> {
    OtherSite,
    AlreadyThere,
    /// The group is moving under another move (its marker).
    GroupMoving(&'a str),
    NotOnline(BackendStatus),
    Drained,
    Unreachable(&'a str),
    Evacuating,
    Unhealthy,
}

impl Refusal<'_> {
    /// A few words, for reasons and logs that name the backend elsewhere.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::OtherSite => "not in the group's site",
            Self::AlreadyThere => "the group's current backend",
            Self::GroupMoving(_) => "the group is moving",
            Self::NotOnline(_) => "not online",
            Self::Drained => "load factor 0 (being drained)",
            Self::Unreachable(_) => "unreachable",
            Self::Evacuating => "being evacuated",
            Self::Unhealthy => "failing or degraded now",
        }
    }

    /// The sentence an operator reads (API problem detail, job error).
    pub fn explain(&self, group: &GroupName, host: &HostName) -> String {
        match self {
            Self::OtherSite => format!("destination backend {host} is not in the site of group {group}"),
            Self::AlreadyThere => format!("group {group} is already on {host}"),
            Self::GroupMoving(marker) => format!("group {group} is moving (move {marker})"),
            Self::NotOnline(status) => {
                format!("destination backend {host} is {status}: groups move only to online backends")
            }
            Self::Drained => format!("destination backend {host} has load factor 0: it is being drained"),
            Self::Unreachable(why) => format!("destination backend {host} is unreachable: {why}"),
            Self::Evacuating => format!("destination backend {host} is being evacuated"),
            Self::Unhealthy => format!("destination backend {host} is failing or degraded now"),
        }
    }
}

/// Why a backend with `status` and `load_factor` may not take any group now, if it may not.
pub fn backend_refusal(status: BackendStatus, load_factor: LoadFactor, observed: Observed<'_>) -> Option<Refusal<'_>> {
    if !status.accepts_users() {
        Some(Refusal::NotOnline(status))
    } else if load_factor == LoadFactor::DRAIN {
        Some(Refusal::Drained)
    } else if let Some(why) = observed.unreachable {
        Some(Refusal::Unreachable(why))
    } else if observed.evacuating {
        Some(Refusal::Evacuating)
    } else if observed.unhealthy {
        Some(Refusal::Unhealthy)
    } else {
        None
    }
}

/// Why `group` may not move to `destination` now, if it may not.
pub fn refusal<'a>(group: &'a UserGroup, destination: &Backend, observed: Observed<'a>) -> Option<Refusal<'a>> {
    if destination.site_id != group.site_id {
        Some(Refusal::OtherSite)
    } else if destination.id == group.backend_id {
        Some(Refusal::AlreadyThere)
    } else if let Some(marker) = &group.moving {
        Some(Refusal::GroupMoving(marker.as_str()))
    } else {
        backend_refusal(destination.status, destination.load_factor, observed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "destination_test.rs"]
mod tests;
