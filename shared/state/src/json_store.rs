//! One typed JSON value under one Redis key: what most of the controller's state is. Reads of a
//! value that does not parse are corruption (an operator must look), never a silent default.

use std::time::Duration;

use redis::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use queue::io::{Retry, corrupt, millis, text};

use crate::{QueueError, Result, State};

impl State {
    /// Replaces the value under `key`.
    pub(crate) async fn put_json<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.set_json(key, value, None).await
    }

    /// Replaces the value under `key`; it expires after `ttl`.
    pub(crate) async fn put_json_for<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<()> {
        self.set_json(key, value, Some(ttl)).await
    }

    async fn set_json<T: Serialize>(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| QueueError::Internal(format!("serialise: {e}")))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(json);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        // Setting the same value twice is harmless: retried after a lost reply.
        let _: Value = self.redis().query(&cmd, Retry::Once).await?;
        Ok(())
    }

    /// The value under `key`, if any.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, what: &str, key: &str) -> Result<Option<T>> {
        let cmd = redis::cmd("GET").arg(key).to_owned();
        let value: Value = self.redis().query(&cmd, Retry::Once).await?;
        match text(&value) {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| corrupt(format!("{what}: {e}"))),
        }
    }
}
