//! One typed JSON value under one Redis key: what most of the controller's state is. Reads of a
//! value that does not parse are corruption (an operator must look), never a silent default.

use redis::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{QueueError, Result, State};
use queue::io::Retry;
use queue::io::corrupt;
use queue::io::text;

impl State {
    /// Replaces the value under `key`.
    pub(crate) async fn put_json<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| QueueError::Internal(format!("serialise: {e}")))?;
        let cmd = redis::cmd("SET").arg(key).arg(json).to_owned();
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
