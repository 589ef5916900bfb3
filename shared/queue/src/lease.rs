//! Fenced leases: one holder at a time, identified by a random token, with an epoch that grows
//! on every takeover so writes can be fenced. A lease is only ever extended or released by the
//! token that holds it (compare in a script); a plain DEL would let a stalled holder free its
//! successor's lease.

use std::time::Duration;

use redis::Value;

use crate::conn::{Retry, pipe};
use crate::error::corrupt;
use crate::queue::millis;
use crate::record::{int, items, text};
use crate::scripts::{Call, LEASE_ACQUIRE, LEASE_RELEASE, LEASE_RENEW, eval};
use crate::{Fence, LeaseStatus, Queue, Result};

/// One contender for a named lease. Keep one `Lease` per contender: its token is its identity.
pub struct Lease {
    queue: Queue,
    name: String,
    owner: String,
    token: String,
    ttl: Duration,
}

impl Lease {
    pub(crate) fn new(queue: Queue, name: &str, owner: String, ttl: Duration) -> Self {
        let token = uuid::Uuid::new_v4().simple().to_string();
        Self { queue, name: name.to_owned(), owner, token, ttl }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Some(fence) if we hold the lease now (newly taken: epoch incremented; or still ours:
    /// same epoch, and the lease is extended).
    pub async fn try_acquire(&self) -> Result<Option<Fence>> {
        let keys = self.queue.keys();
        let call = Call::new(&LEASE_ACQUIRE)
            .key(keys.lease(&self.name))
            .key(keys.lease_epoch(&self.name))
            .arg(&self.token)
            .arg(&self.owner)
            .arg(millis(self.ttl).max(1));
        // A repeat after a lost reply finds our own token and answers the same epoch.
        match eval(self.queue.redis(), call, Retry::Once).await? {
            Value::Nil => Ok(None),
            reply => {
                let epoch = int(&reply).and_then(|e| u64::try_from(e).ok()).ok_or_else(|| corrupt("lease epoch"))?;
                Ok(Some(Fence { token: self.token.clone(), epoch }))
            }
        }
    }

    /// Compare-and-extend; false if the lease is no longer ours.
    pub async fn renew(&self, fence: &Fence) -> Result<bool> {
        let call = Call::new(&LEASE_RENEW)
            .key(self.queue.keys().lease(&self.name))
            .arg(&fence.token)
            .arg(fence.epoch)
            .arg(millis(self.ttl).max(1));
        Ok(int(&eval(self.queue.redis(), call, Retry::Once).await?) == Some(1))
    }

    /// Compare-and-delete: releases only if `fence` still holds the lease.
    pub async fn release(&self, fence: &Fence) -> Result<()> {
        let call =
            Call::new(&LEASE_RELEASE).key(self.queue.keys().lease(&self.name)).arg(&fence.token).arg(fence.epoch);
        eval(self.queue.redis(), call, Retry::Once).await?;
        Ok(())
    }

    pub async fn status(&self) -> Result<Option<LeaseStatus>> {
        lease_status(&self.queue, &self.name).await
    }
}

pub(crate) async fn lease_status(queue: &Queue, name: &str) -> Result<Option<LeaseStatus>> {
    let key = queue.keys().lease(name);
    let mut pipe = pipe();
    pipe.cmd("HMGET").arg(&key).arg("owner").arg("epoch");
    pipe.cmd("PTTL").arg(&key);
    let replies = queue.redis().pipeline(&pipe, Retry::Once).await?;
    let [fields, ttl] = replies.as_slice() else {
        return Err(corrupt("lease status reply"));
    };
    let fields = items(fields.clone()).unwrap_or_default();
    let (Some(owner), Some(epoch)) = (fields.first().and_then(text), fields.get(1).and_then(int)) else {
        return Ok(None);
    };
    // PTTL is negative when the key vanished between the two commands.
    let expires_in_ms = int(ttl).unwrap_or(0).max(0) as u64;
    Ok(Some(LeaseStatus { owner, epoch: u64::try_from(epoch).map_err(|_| corrupt("lease epoch"))?, expires_in_ms }))
}
