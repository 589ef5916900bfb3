//! Stored tokens recently found valid, so that a busy client costs GeoDB one token lookup a second
//! instead of one a request. An entry is trusted for at most [`TOKEN_CACHE_TTL`]: a token revoked
//! through any API replica stops working everywhere within that time, and at once on the replica
//! that revoked it ([`TokenCache::clear`]). Only successes are kept, keyed by the token's hash (never
//! the token), so an unknown token is looked up every time and the cache holds at most one entry per
//! stored token, bounded by [`TOKEN_CACHE_MAX`] all the same.
//!
//! Hand-written rather than a caching crate: the expiry must follow the injectable [`Clock`], so that
//! the one-second bound is tested exactly rather than by waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use service::Clock;
use tokio::time::Instant;

use crate::auth::Principal;

/// The longest a revoked token can still be accepted by an API replica other than the revoking one.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; when full, expired ones are dropped, then everything if none had expired.
pub const TOKEN_CACHE_MAX: usize = 10_000;

#[derive(Clone)]
pub struct TokenCache {
    clock: Clock,
    entries: Arc<Mutex<HashMap<String, (Principal, Instant)>>>,
}

impl TokenCache {
    pub fn new(clock: Clock) -> Self {
        Self { clock, entries: Arc::default() }
    }

    /// Who the token with this hash belongs to, if it was found valid less than the TTL ago.
    pub fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (principal, checked) = entries.get(hash)?;
        (self.clock.instant().saturating_duration_since(*checked) < TOKEN_CACHE_TTL).then(|| principal.clone())
    }

    /// Remembers that GeoDB just found this token valid.
    pub fn insert(&self, hash: String, principal: Principal) {
        let now = self.clock.instant();
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.retain(|_, (_, checked)| now.saturating_duration_since(*checked) < TOKEN_CACHE_TTL);
            if entries.len() >= TOKEN_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(hash, (principal, now));
    }

    /// Forgets every token: this replica revoked one.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::Role;

    use super::*;

    fn alice() -> Principal {
        Principal { name: "alice".into(), role: Role::Viewer }
    }

    #[tokio::test]
    async fn an_entry_is_trusted_for_less_than_the_ttl_and_cleared_at_once() {
        let clock = Clock::manual(Utc::now());
        let cache = TokenCache::new(clock.clone());
        assert_eq!(cache.get("h"), None);
        cache.insert("h".into(), alice());
        assert_eq!(cache.get("h"), Some(alice()));
        clock.advance(TOKEN_CACHE_TTL - Duration::from_millis(1));
        assert_eq!(cache.get("h"), Some(alice()));
        clock.advance(Duration::from_millis(1));
        assert_eq!(cache.get("h"), None, "an entry as old as the TTL is looked up again");
        cache.insert("h".into(), alice());
        cache.clear();
        assert_eq!(cache.get("h"), None);
    }

    #[tokio::test]
    async fn a_full_cache_drops_expired_entries_first() {
        let clock = Clock::manual(Utc::now());
        let cache = TokenCache::new(clock.clone());
        for i in 0..TOKEN_CACHE_MAX - 1 {
            cache.insert(format!("old{i}"), alice());
        }
        clock.advance(TOKEN_CACHE_TTL);
        cache.insert("fresh".into(), alice());
        assert_eq!(cache.len(), TOKEN_CACHE_MAX);
        cache.insert("newest".into(), alice());
        assert_eq!(cache.len(), 2, "the expired entries went, the fresh one stayed");
        assert_eq!(cache.get("fresh"), Some(alice()));
    }
}
