//! The closed list of job kinds. A kind's name is stored in every job record, so names never
//! change once released; a new kind is a new variant here and a new handler in the worker.

use std::fmt;
use std::str::FromStr;

use domain::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// A synthetic job that sleeps and succeeds, fails or aborts on request: a canary for the
    /// whole pipeline and the tool of the queue's end-to-end tests.
    Probe,
    /// Move one group to another backend of its site (the GeoDB move protocol).
    MoveGroup,
    /// Set a backend standby with load factor 0 and move all its groups away, in batches.
    EvacuateBackend,
    /// Move one user to another group.
    MoveUser,
    /// Disconnect a user from its backend.
    Kick,
    /// Probe every backend of the home site's doveadm API: moves avoid unreachable ones.
    Reachability,
    /// Compare the site's backends' load z-scores and move at most one group (`load_balancing`).
    LoadBalance,
    /// Judge a site's backends from the proxies' failures; evacuate, shed or record a plan.
    ErrorMitigation,
    /// Carry out the moves of an approved stored plan.
    ExecutePlan,
    /// Plan user moves between each backend's groups so group sizes converge (`group_balancing`).
    GroupBalancePlan,
    /// Carry out the next bounded slice of the stored group-size plan.
    GroupBalancePass,
    /// Step a failing site's force-move percentage up or down (`site_failover`).
    SiteFailover,
    /// Publish how many backends a site should have (`autoscaling`).
    Autoscale,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job kind (known: {})", JobKind::NAMES.join(", "))]
pub struct UnknownJobKind;

impl JobKind {
    pub const ALL: &'static [JobKind] = &[
        Self::Probe,
        Self::MoveGroup,
        Self::EvacuateBackend,
        Self::MoveUser,
        Self::Kick,
        Self::Reachability,
        Self::LoadBalance,
        Self::ErrorMitigation,
        Self::ExecutePlan,
        Self::GroupBalancePlan,
        Self::GroupBalancePass,
        Self::SiteFailover,
        Self::Autoscale,
    ];
    /// The names of [`JobKind::ALL`], in the same order (for error messages).
    pub const NAMES: &'static [&'static str] = &[
        "probe",
        "move_group",
        "evacuate_backend",
        "move_user",
        "kick",
        "reachability",
        "load_balance",
        "error_mitigation",
        "execute_plan",
        "group_balance_plan",
        "group_balance_pass",
        "site_failover",
        "autoscale",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Probe => "probe",
            Self::MoveGroup => "move_group",
            Self::EvacuateBackend => "evacuate_backend",
            Self::MoveUser => "move_user",
            Self::Kick => "kick",
            Self::Reachability => "reachability",
            Self::LoadBalance => "load_balance",
            Self::ErrorMitigation => "error_mitigation",
            Self::ExecutePlan => "execute_plan",
            Self::GroupBalancePlan => "group_balance_plan",
            Self::GroupBalancePass => "group_balance_pass",
            Self::SiteFailover => "site_failover",
            Self::Autoscale => "autoscale",
        }
    }

    /// The pool that runs this kind unless the caller asks for another.
    pub fn default_priority(self) -> Priority {
        match self {
            // Balancing is an optimisation: it waits behind anything that keeps users reachable.
            Self::Probe | Self::LoadBalance => Priority::Low,
            // Group-size balancing is an optimisation too; the user moves it starts are high.
            Self::GroupBalancePlan | Self::GroupBalancePass => Priority::Low,
            // Moves, evacuations and reachability keep users reachable: they never wait behind
            // balancing or housekeeping.
            Self::MoveGroup | Self::EvacuateBackend | Self::MoveUser | Self::Kick | Self::Reachability => {
                Priority::High
            }
            // Mitigation gets users off failing backends: as urgent as the moves it starts.
            Self::ErrorMitigation | Self::ExecutePlan => Priority::High,
            // Failover keeps users reachable when a whole site fails; autoscaling only publishes.
            Self::SiteFailover => Priority::High,
            Self::Autoscale => Priority::Low,
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = UnknownJobKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|kind| kind.as_str() == s).ok_or(UnknownJobKind)
    }
}
