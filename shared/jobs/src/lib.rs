//! The controller's job kinds and their payloads: what the API and the scheduler may enqueue and
//! what a worker knows how to run. Payloads are validated (and normalised, defaults written out)
//! before they reach the queue, so a worker only sees payloads it can parse. No I/O here.

pub mod automation;
pub mod group_balance;
mod job;
mod kind;
pub mod mitigation;
pub mod moves;
mod payload;
pub mod probe;
pub mod site;

pub use job::{Job, evacuation_key};
pub use kind::{JobKind, UnknownJobKind};
pub use payload::{Payload, TICK_AT, parse, tick_at, with_tick_at};

use domain::{ValidationError, ValidationKind};

/// Checks `payload` against `kind`'s schema and returns the kind and the payload as it should be
/// stored (defaults written out). Errors name the field: `kind` for an unknown kind,
/// `payload.<field>` for a bad payload field. A `null` payload is read as `{}`.
pub fn validate(kind: &str, payload: &serde_json::Value) -> Result<(JobKind, serde_json::Value), ValidationError> {
    let kind: JobKind = kind
        .parse()
        .map_err(|_| ValidationError::new("kind", ValidationKind::UnknownValue { allowed: JobKind::NAMES }))?;
    let normalised = match kind {
        JobKind::Probe => payload::normalise::<probe::ProbePayload>(payload)?,
        JobKind::MoveGroup => payload::normalise::<moves::MoveGroupPayload>(payload)?,
        JobKind::EvacuateBackend => payload::normalise::<moves::EvacuateBackendPayload>(payload)?,
        JobKind::MoveUser => payload::normalise::<moves::MoveUserPayload>(payload)?,
        JobKind::Kick => payload::normalise::<moves::KickPayload>(payload)?,
        JobKind::Reachability => payload::normalise::<moves::ReachabilityPayload>(payload)?,
        JobKind::LoadBalance => payload::normalise::<moves::LoadBalancePayload>(payload)?,
        JobKind::ErrorMitigation => payload::normalise::<mitigation::ErrorMitigationPayload>(payload)?,
        JobKind::ExecutePlan => payload::normalise::<mitigation::ExecutePlanPayload>(payload)?,
        JobKind::GroupBalancePlan => payload::normalise::<group_balance::GroupBalancePlanPayload>(payload)?,
        JobKind::GroupBalancePass => payload::normalise::<group_balance::GroupBalancePassPayload>(payload)?,
        JobKind::SiteFailover => payload::normalise::<automation::SiteFailoverPayload>(payload)?,
        JobKind::Autoscale => payload::normalise::<automation::AutoscalePayload>(payload)?,
    };
    Ok((kind, normalised))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "lib_test.rs"]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "moves_test.rs"]
mod moves_tests;
