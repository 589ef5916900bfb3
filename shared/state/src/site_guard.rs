//! What keeps one site's automation to one plan at a time, in Redis: the capacity guard's memory
//! (`policy::guard::GuardState`), the current health evidence (`policy::evidence::Evidence`), and
//! the reservation of evacuation sources. A source is reserved by its owner (the evacuation's
//! dedup key) with a fencing epoch and an expiry; the owner renews it while it works and releases
//! it when done, so a dead worker's reservation ends by itself and nobody ends another's.

use chrono::{DateTime, TimeZone, Utc};
use policy::evidence::Evidence;
use policy::guard::GuardState;
use redis::Value;
use uuid::Uuid;

use queue::io::{Call, Retry, corrupt, eval, int, text};

use crate::scripts::{RESERVE, RESERVE_LIST, RESERVE_RELEASE};
use crate::{Result, State};

/// One live reservation of a backend as an evacuation's source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reservation {
    pub backend_id: Uuid,
    pub owner: String,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

/// What a reservation call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Every backend is now held by the owner, under this epoch.
    Held(i64),
    /// This backend is held by another owner: nothing was reserved.
    Conflict { backend_id: Uuid, owner: String },
}

fn key(q: &State, what: &str, site: Uuid) -> String {
    format!("{}:{what}:{site}", q.keys().state_prefix())
}

impl State {
    /// The site's guard state (default: never tripped).
    pub async fn guard_state(&self, site: Uuid) -> Result<GuardState> {
        Ok(self.get_json("guard state", &key(self, "guard", site)).await?.unwrap_or_default())
    }

    pub async fn put_guard_state(&self, site: Uuid, state: &GuardState) -> Result<()> {
        self.put_json(&key(self, "guard", site), state).await
    }

    /// The site's health evidence from the last error-mitigation run (default: none yet).
    pub async fn evidence(&self, site: Uuid) -> Result<Evidence> {
        Ok(self.get_json("evidence", &key(self, "evidence", site)).await?.unwrap_or_default())
    }

    pub async fn put_evidence(&self, site: Uuid, evidence: &Evidence) -> Result<()> {
        self.put_json(&key(self, "evidence", site), evidence).await
    }

    /// Reserves `backends` of `site` as sources of `owner` for `ttl`, all or none.
    pub async fn reserve_sources(
        &self,
        site: Uuid,
        backends: &[Uuid],
        owner: &str,
        ttl: std::time::Duration,
    ) -> Result<Reserved> {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut call = Call::new(&RESERVE)
            .key(key(self, "reservation", site))
            .key(format!("{}:epoch", key(self, "reservation", site)))
            .arg(owner)
            .arg(ttl_ms);
        for b in backends {
            call = call.arg(b.to_string());
        }
        // Repeating after a lost reply finds the owner's own entries and renews them.
        let reply = eval(self.redis(), call, Retry::Once).await?;
        let Value::Array(parts) = reply else { return Err(corrupt("reserve reply")) };
        match (parts.first().and_then(int), parts.get(1), parts.get(2)) {
            (Some(1), Some(epoch), _) => Ok(Reserved::Held(int(epoch).ok_or_else(|| corrupt("reserve epoch"))?)),
            (Some(0), Some(backend), Some(owner)) => Ok(Reserved::Conflict {
                backend_id: text(backend).and_then(|b| b.parse().ok()).ok_or_else(|| corrupt("reserve backend"))?,
                owner: text(owner).unwrap_or_default(),
            }),
            _ => Err(corrupt("reserve reply")),
        }
    }

    /// Ends `owner`'s reservation of `backends`; returns how many it held.
    pub async fn release_sources(&self, site: Uuid, backends: &[Uuid], owner: &str) -> Result<u64> {
        let mut call = Call::new(&RESERVE_RELEASE).key(key(self, "reservation", site)).arg(owner);
        for b in backends {
            call = call.arg(b.to_string());
        }
        let reply = eval(self.redis(), call, Retry::Once).await?;
        Ok(int(&reply).and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// The site's live reservations.
    pub async fn reservations(&self, site: Uuid) -> Result<Vec<Reservation>> {
        let call = Call::new(&RESERVE_LIST).key(key(self, "reservation", site));
        let reply = eval(self.redis(), call, Retry::Once).await?;
        let Value::Array(flat) = reply else { return Err(corrupt("reservation list")) };
        flat.chunks(4)
            .map(|c| {
                let bad = || corrupt("reservation entry");
                let [backend, epoch, expires, owner] = c else { return Err(bad()) };
                let expires_ms = text(expires).and_then(|e| e.parse::<i64>().ok()).ok_or_else(bad)?;
                Ok(Reservation {
                    backend_id: text(backend).and_then(|b| b.parse().ok()).ok_or_else(bad)?,
                    owner: text(owner).ok_or_else(bad)?,
                    epoch: text(epoch).and_then(|e| e.parse().ok()).ok_or_else(bad)?,
                    expires_at: Utc.timestamp_millis_opt(expires_ms).single().ok_or_else(bad)?,
                })
            })
            .collect()
    }
}
