//! How a simulated proxy routes one login or delivery, as pure decisions: the proxy's choice of
//! backend from what it read (maybe cached), the backend's verdict on that choice against GeoDB
//! as it is now, and whether the attempt succeeds. A proxy must never send a user to a move's
//! destination before the move finished: that is a misroute, counted and never expected.

use domain::{BackendId, BackendStatus, UserGroup};
use serde::Serialize;

use crate::faults::Faults;

/// Where a proxy sends a user of `group`: `backend_id`, which while the group moves is still
/// the source (the destination is `alt_backend_id` and takes over only when the move finished).
pub fn target(group: &UserGroup) -> BackendId {
    group.backend_id
}

/// What the chosen backend finds when the user arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The backend holds the group (or is the source of its ongoing move).
    Holds,
    /// The backend was the source of a move that has finished since the proxy looked: like
    /// Dovecot's source, which remembers moves, it refers the proxy to the destination.
    Referral { to: BackendId },
    /// The user reached a backend that does not hold the group: a move's destination before
    /// the move finished, or a backend the group left more than one move ago.
    Misroute,
    /// The group no longer exists (`site init --update`): the proxy must look the user up again.
    GroupGone,
}

/// The backend's verdict on `chosen`, given the group as GeoDB has it now. `moved_away` says
/// whether `chosen` itself finished moving the group away recently: like Dovecot's source,
/// which remembers its moves for an hour, it then refers the proxy on.
pub fn deliver(chosen: BackendId, now: Option<&UserGroup>, moved_away: bool) -> Delivery {
    let Some(group) = now else {
        return Delivery::GroupGone;
    };
    if group.backend_id == chosen {
        return Delivery::Holds;
    }
    // After a finished move `alt_backend_id` is the previous backend (the source); during a
    // move it is the destination, which must not see the user yet.
    let previous_source = group.alt_backend_id == Some(chosen) && !group.is_moving();
    if previous_source || moved_away { Delivery::Referral { to: group.backend_id } } else { Delivery::Misroute }
}

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The whole site is down (fault injection).
    SiteDown,
    /// The group lives on a backend this sim does not simulate.
    UnknownBackend,
    /// The backend is offline in GeoDB: proxies do not connect to it.
    Offline,
    /// The backend cannot be reached (fault injection).
    Unreachable,
    /// The backend failed the login or delivery (its injected failure ratio).
    Injected,
    /// The user was sent where its group is not.
    Misrouted,
}

/// What a proxy knows of a backend when it connects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackendView {
    pub status: BackendStatus,
    pub faults: Faults,
}

/// Whether an attempt at `backend` succeeds. `roll` is uniform in `[0, 1)`; the attempt fails
/// when it falls below the failure ratio (so 0 never fails and 1 always does). Online and
/// standby backends serve the groups they hold (standby only takes no new ones); offline fails.
pub fn outcome(site_down: bool, backend: Option<&BackendView>, roll: f64) -> Result<(), Failure> {
    if site_down {
        return Err(Failure::SiteDown);
    }
    let view = backend.ok_or(Failure::UnknownBackend)?;
    if view.status == BackendStatus::Offline {
        return Err(Failure::Offline);
    }
    if view.faults.unreachable {
        return Err(Failure::Unreachable);
    }
    if roll < view.faults.failure_ratio {
        return Err(Failure::Injected);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use domain::{GroupName, SiteId};

    use super::*;

    fn group(on: BackendId) -> UserGroup {
        UserGroup::new(SiteId::random(), GroupName::default_n(1), on)
    }

    #[test]
    fn a_moving_group_is_routed_to_its_source_until_the_move_finished() {
        let (a, b) = (BackendId::random(), BackendId::random());
        let moving = UserGroup { alt_backend_id: Some(b), moving: Some("job-1".into()), ..group(a) };
        assert_eq!(target(&moving), a);
        assert_eq!(deliver(a, Some(&moving), false), Delivery::Holds);
        // The destination before the move finished: the one thing that must never happen.
        assert_eq!(deliver(b, Some(&moving), false), Delivery::Misroute);

        let finished = UserGroup { backend_id: b, alt_backend_id: Some(a), moving: None, ..moving };
        assert_eq!(target(&finished), b);
        assert_eq!(deliver(b, Some(&finished), false), Delivery::Holds);
        // A proxy that still routes to the source is referred, not lost.
        assert_eq!(deliver(a, Some(&finished), false), Delivery::Referral { to: b });
        // Even once the group moves on (b to a, or b to c): the old source remembers.
        let back = UserGroup { alt_backend_id: Some(a), moving: Some("job-2".into()), ..finished.clone() };
        assert_eq!(deliver(a, Some(&back), true), Delivery::Referral { to: b });
    }

    #[test]
    fn backends_the_group_never_or_no_longer_lived_on_are_misroutes() {
        let (a, b, c) = (BackendId::random(), BackendId::random(), BackendId::random());
        let twice_moved = UserGroup { backend_id: c, alt_backend_id: Some(b), ..group(c) };
        assert_eq!(deliver(a, Some(&twice_moved), false), Delivery::Misroute);
        assert_eq!(deliver(a, None, true), Delivery::GroupGone);
    }

    #[test]
    fn attempts_fail_for_the_site_the_status_and_the_injected_faults() {
        let online = BackendView { status: BackendStatus::Online, faults: Faults::default() };
        assert_eq!(outcome(false, Some(&online), 0.0), Ok(()));
        assert_eq!(outcome(true, Some(&online), 0.99), Err(Failure::SiteDown));
        assert_eq!(outcome(false, None, 0.5), Err(Failure::UnknownBackend));
        let standby = BackendView { status: BackendStatus::Standby, ..online };
        assert_eq!(outcome(false, Some(&standby), 0.5), Ok(()));
        let offline = BackendView { status: BackendStatus::Offline, ..online };
        assert_eq!(outcome(false, Some(&offline), 0.5), Err(Failure::Offline));
        let unreachable = BackendView { faults: Faults { unreachable: true, ..Faults::default() }, ..online };
        assert_eq!(outcome(false, Some(&unreachable), 0.5), Err(Failure::Unreachable));
        let failing = |r| BackendView { faults: Faults { failure_ratio: r, ..Faults::default() }, ..online };
        assert_eq!(outcome(false, Some(&failing(1.0)), 0.999_999), Err(Failure::Injected));
        assert_eq!(outcome(false, Some(&failing(0.3)), 0.29), Err(Failure::Injected));
        assert_eq!(outcome(false, Some(&failing(0.3)), 0.31), Ok(()));
    }
}
