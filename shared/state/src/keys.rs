//! The state's key layout, under the queue's prefix (`<prefix>:state…`), so that one prefix
//! still names everything of one controller.

#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(queue_prefix: &str) -> Self {
        Self { prefix: format!("{queue_prefix}:state") }
    }

    /// Hash: backend id → the last [`crate::BackendReachability`] (JSON).
    pub(crate) fn reachability(&self) -> String {
        format!("{}:reachability", self.prefix)
    }

    /// Hash: backend id → the latest [`crate::EvacuationProgress`] of that backend (JSON).
    pub(crate) fn evacuations(&self) -> String {
        format!("{}:evacuations", self.prefix)
    }

    /// Prefix of the per-site keys (`balance:<site>`, `failover:<site>`, `guard:<site>`, …).
    pub(crate) fn state_prefix(&self) -> &str {
        &self.prefix
    }

    /// Hash: alert key → the latest raise of that [`crate::Alert`] (JSON). Alert keys are the
    /// JSON array `[site, kind, object]`, so a prefix of it selects a site, or a site and kind.
    /// (`state:alerts`, a list of alert events, is what this replaced; it is no longer read.)
    pub(crate) fn alert_bodies(&self) -> String {
        format!("{}:alert:bodies", self.prefix)
    }

    /// Hash: alert key → its life (`{id, count, first, last, resolved}`, times in ms, JSON).
    pub(crate) fn alert_meta(&self) -> String {
        format!("{}:alert:meta", self.prefix)
    }

    /// Sorted set of alert keys by when they were last raised (ms).
    pub(crate) fn alerts_seen(&self) -> String {
        format!("{}:alert:seen", self.prefix)
    }

    /// Sorted set of the resolved alerts' keys by when they were resolved (ms).
    pub(crate) fn alerts_resolved(&self) -> String {
        format!("{}:alert:resolved", self.prefix)
    }

    /// Hash of one stored plan: `plan` (JSON), `site`, `state`, `stored_at` (ms).
    pub(crate) fn plan(&self, id: &str) -> String {
        format!("{}:plan:{id}", self.prefix)
    }

    /// Sorted set of a site's plan ids, scored by when they were stored (ms).
    pub(crate) fn site_plans(&self, site: &str) -> String {
        format!("{}:plans:{site}", self.prefix)
    }
}
