//! A payload that knows its job: the kind, the pool it runs in by default, and the key that keeps
//! it single. Code that enqueues builds the typed payload and hands it to `Queue::submit`: no
//! kind names, JSON payloads or dedup keys spelled by hand.

use domain::{BackendId, Priority};

use crate::kind::JobKind;
use crate::mitigation::ExecutePlanPayload;
use crate::moves::{EvacuateBackendPayload, KickPayload, MoveGroupPayload, MoveUserPayload};
use crate::payload::Payload;

pub trait Job: Payload {
    const KIND: JobKind;

    /// While a job with this key is queued, running or waiting for a retry, another is not
    /// enqueued (the caller gets the existing job's id).
    fn dedup_key(&self) -> Option<String>;

    fn priority(&self) -> Priority {
        Self::KIND.default_priority()
    }
}

/// The dedup key of a backend's evacuation: one at a time per backend, and the owner of its
/// source reservation.
pub fn evacuation_key(backend: BackendId) -> String {
    format!("evacuate:{backend}")
}

impl Job for MoveGroupPayload {
    const KIND: JobKind = JobKind::MoveGroup;
    /// One move per group at a time, whoever asks (an operator, balancing, a plan).
    fn dedup_key(&self) -> Option<String> {
        Some(format!("move:{}:{}", self.site_id, self.group))
    }
}

impl Job for EvacuateBackendPayload {
    const KIND: JobKind = JobKind::EvacuateBackend;
    fn dedup_key(&self) -> Option<String> {
        Some(evacuation_key(self.backend_id))
    }
}

impl Job for MoveUserPayload {
    const KIND: JobKind = JobKind::MoveUser;
    /// One move per user at a time.
    fn dedup_key(&self) -> Option<String> {
        Some(format!("move-user:{}", self.user))
    }
}

impl Job for KickPayload {
    const KIND: JobKind = JobKind::Kick;
    fn dedup_key(&self) -> Option<String> {
        Some(format!("kick:{}", self.user))
    }
}

impl Job for ExecutePlanPayload {
    const KIND: JobKind = JobKind::ExecutePlan;
    /// One execution per plan at a time.
    fn dedup_key(&self) -> Option<String> {
        Some(format!("execute_plan:{}", self.plan_id))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use domain::{GroupName, SiteId, UserName};

    /// A typed payload is what `validate` stores for its kind: typed and generic enqueues agree.
    fn round_trips<J: Job + std::fmt::Debug + PartialEq>(job: &J) {
        let json = serde_json::to_value(job).unwrap();
        let (kind, stored) = crate::validate(J::KIND.as_str(), &json).unwrap();
        assert_eq!(kind, J::KIND);
        assert_eq!(&crate::parse::<J>(&stored).unwrap(), job);
    }

    #[test]
    fn each_typed_job_has_its_kind_and_the_key_that_keeps_it_single() {
        let (site, backend) = (SiteId::random(), BackendId::random());
        let group = GroupName::parse("g1").unwrap();
        let user = UserName::parse("alice").unwrap();
        let mv = MoveGroupPayload {
            site_id: site,
            group: group.clone(),
            destination_backend_id: backend,
            expected_backend_id: None,
        };
        round_trips(&mv);
        assert_eq!(mv.dedup_key(), Some(format!("move:{site}:g1")));
        let evacuate = EvacuateBackendPayload { backend_id: backend };
        round_trips(&evacuate);
        assert_eq!(evacuate.dedup_key(), Some(evacuation_key(backend)));
        let move_user = MoveUserPayload { user: user.clone(), group, site_id: Some(site), failover_group: None };
        round_trips(&move_user);
        assert_eq!(move_user.dedup_key().as_deref(), Some("move-user:alice"));
        assert_eq!(move_user.priority(), Priority::High);
        let kick = KickPayload { user };
        round_trips(&kick);
        assert_eq!(kick.dedup_key().as_deref(), Some("kick:alice"));
        let plan = "0190e1b2-7c3d-7a4e-9f10-2b3c4d5e6f70";
        let execute = ExecutePlanPayload { plan_id: plan.into() };
        round_trips(&execute);
        assert_eq!(execute.dedup_key(), Some(format!("execute_plan:{plan}")));
    }
}
