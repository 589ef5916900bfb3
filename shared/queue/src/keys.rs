//! The key layout under the configured prefix. Every key the queue touches is named here, so
//! two controllers with different prefixes can share one Redis without ever meeting.

use crate::Priority;

/// The consumer group every worker pool reads its priority stream through.
pub(crate) const GROUP: &str = "workers";
/// The lease the scheduler's ticks are fenced by.
/// The lease the singleton scheduler holds; `emit_tick` and `publish_schedule` are fenced by it.
pub const SCHEDULER_LEASE: &str = "scheduler";

#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    pub(crate) fn stream(&self, priority: Priority) -> String {
        format!("{}:stream:{}", self.prefix, priority.as_str())
    }

    pub(crate) fn job(&self, id: &str) -> String {
        format!("{}:job:{id}", self.prefix)
    }

    /// For scripts that only learn a job id inside Redis (dedup holders, delayed members).
    pub(crate) fn job_prefix(&self) -> String {
        format!("{}:job:", self.prefix)
    }

    pub(crate) fn dedup(&self, key: &str) -> String {
        format!("{}:dedup:{key}", self.prefix)
    }

    pub(crate) fn dedup_prefix(&self) -> String {
        format!("{}:dedup:", self.prefix)
    }

    pub(crate) fn delayed(&self) -> String {
        format!("{}:delayed", self.prefix)
    }

    pub(crate) fn dead(&self) -> String {
        format!("{}:dead", self.prefix)
    }

    /// Every job id, scored by creation time in ms, for listing.
    pub(crate) fn jobs(&self) -> String {
        format!("{}:jobs", self.prefix)
    }

    pub(crate) fn lease(&self, name: &str) -> String {
        format!("{}:lease:{name}", self.prefix)
    }

    pub(crate) fn lease_epoch(&self, name: &str) -> String {
        format!("{}:lease:{name}:epoch", self.prefix)
    }

    pub(crate) fn ticks(&self) -> String {
        format!("{}:scheduler:ticks", self.prefix)
    }

    pub(crate) fn schedule_entries(&self) -> String {
        format!("{}:scheduler:entries", self.prefix)
    }
}
