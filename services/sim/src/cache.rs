//! A proxy's short-lived lookup cache. Proxies may reuse a user or group lookup for about a
//! second; correctness during moves comes from routing to `backend_id`, which only becomes the
//! destination once the move finished, not from the cache being fresh.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: HashMap<K, (Instant, V)>,
    inserts_since_prune: usize,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: HashMap::new(), inserts_since_prune: 0 }
    }

    /// The value if it was stored less than the TTL before `now`.
    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        let (stored, value) = self.entries.get(key)?;
        (now.saturating_duration_since(*stored) < self.ttl).then(|| value.clone())
    }

    pub fn put(&mut self, key: K, value: V, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        self.entries.insert(key, (now, value));
        self.inserts_since_prune += 1;
        // Expired entries are dropped now and then, so the map stays the size of a TTL's traffic.
        if self.inserts_since_prune >= 1024 {
            self.inserts_since_prune = 0;
            let ttl = self.ttl;
            self.entries.retain(|_, (stored, _)| now.saturating_duration_since(*stored) < ttl);
        }
    }

    pub fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_the_ttl_only_and_a_zero_ttl_caches_nothing() {
        let now = Instant::now();
        let mut c = TtlCache::new(Duration::from_millis(100));
        c.put("g", 1, now);
        assert_eq!(c.get(&"g", now + Duration::from_millis(99)), Some(1));
        assert_eq!(c.get(&"g", now + Duration::from_millis(100)), None);
        c.remove(&"g");
        assert!(c.is_empty());
        let mut c = TtlCache::new(Duration::from_millis(100));
        for i in 0..1023 {
            c.put("old", i, now);
        }
        c.put("new", 0, now + Duration::from_secs(1));
        assert_eq!(c.len(), 1, "expired entries are pruned");
        let mut off = TtlCache::new(Duration::ZERO);
        off.put("g", 1, now);
        assert_eq!(off.get(&"g", now), None);
    }
}
