//! Storage of the controller state kept beside the queue (types in `state`): one hash of
//! reachability records and one of evacuation progress, keyed by backend id, and a capped list
//! of alerts. Each value is written by a single command, so a reader never sees a half-written
//! one; values are JSON, and a value that does not parse is `Corrupt`.

use redis::Value;
use uuid::Uuid;

use crate::conn::{Retry, pipe};
use crate::error::{corrupt, from_server};
use crate::record::{hash, text};
use crate::{Alert, AlertSeverity, BackendReachability, EvacuationProgress, Queue, QueueError, Result};

/// Alerts kept: enough for days of a noisy site, small enough to read in one call.
pub const MAX_ALERTS: usize = 1000;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| QueueError::Internal(format!("cannot serialise state: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("{what}: {e}")))
}

impl Queue {
    /// Stores the latest probe result of a backend, replacing the previous one.
    pub async fn put_backend_reachability(&self, record: &BackendReachability) -> Result<()> {
        let cmd = redis::cmd("HSET")
            .arg(self.keys().reachability())
            .arg(record.backend_id.to_string())
            .arg(to_json(record)?)
            .to_owned();
        // Setting the same value twice is harmless: retried after a lost reply.
        let _: i64 = self.redis().query(&cmd, Retry::Once).await?;
        Ok(())
    }

    /// Every backend's latest record, sorted by (site, host).
    pub async fn backend_reachability(&self) -> Result<Vec<BackendReachability>> {
        let map = hash(self.redis().query(redis::cmd("HGETALL").arg(self.keys().reachability()), Retry::Once).await?)?;
        let mut records = map
            .iter()
            .map(|(id, json)| from_json::<BackendReachability>(&format!("reachability of {id}"), json))
            .collect::<Result<Vec<_>>>()?;
        records.sort_by(|a, b| (a.site_id, &a.host).cmp(&(b.site_id, &b.host)));
        Ok(records)
    }

    /// Drops the record of a backend that no longer exists; `false` when there was none.
    pub async fn forget_backend_reachability(&self, backend_id: Uuid) -> Result<bool> {
        let cmd = redis::cmd("HDEL").arg(self.keys().reachability()).arg(backend_id.to_string()).to_owned();
        let removed: i64 = self.redis().query(&cmd, Retry::Once).await?;
        Ok(removed > 0)
    }

    /// Stores the progress of a backend's evacuation, replacing the previous one.
    pub async fn put_evacuation(&self, progress: &EvacuationProgress) -> Result<()> {
        let cmd = redis::cmd("HSET")
            .arg(self.keys().evacuations())
            .arg(progress.backend_id.to_string())
            .arg(to_json(progress)?)
            .to_owned();
        let _: i64 = self.redis().query(&cmd, Retry::Once).await?;
        Ok(())
    }

    /// The latest evacuation of the backend, if it was ever evacuated.
    pub async fn evacuation(&self, backend_id: Uuid) -> Result<Option<EvacuationProgress>> {
        let cmd = redis::cmd("HGET").arg(self.keys().evacuations()).arg(backend_id.to_string()).to_owned();
        let reply: Value = self.redis().query(&cmd, Retry::Once).await?;
        match text(&reply) {
            Some(json) => from_json(&format!("evacuation of {backend_id}"), &json).map(Some),
            None => Ok(None),
        }
    }

    /// The latest evacuation of every backend, most recently started first.
    pub async fn evacuations(&self) -> Result<Vec<EvacuationProgress>> {
        let map = hash(self.redis().query(redis::cmd("HGETALL").arg(self.keys().evacuations()), Retry::Once).await?)?;
        let mut all = map
            .iter()
            .map(|(id, json)| from_json::<EvacuationProgress>(&format!("evacuation of {id}"), json))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.host.cmp(&b.host)));
        Ok(all)
    }

    /// Records an alert at the head of the list, dropping the oldest beyond [`MAX_ALERTS`].
    pub async fn raise_alert(&self, alert: &Alert) -> Result<()> {
        let key = self.keys().alerts();
        let mut pipe = pipe();
        // Two commands in one round trip; a reader between them sees one alert too many, which
        // the next trim removes.
        pipe.cmd("LPUSH").arg(&key).arg(to_json(alert)?).cmd("LTRIM").arg(&key).arg(0).arg(MAX_ALERTS - 1);
        // Not repeated after a lost reply: the alert would be listed twice.
        let replies = self.redis().pipeline(&pipe, Retry::Never).await?;
        match replies.iter().find_map(|r| if let Value::ServerError(e) = r { Some(e) } else { None }) {
            Some(e) => Err(from_server(e)),
            None => Ok(()),
        }
    }

    /// Up to `limit` alerts, newest first.
    pub async fn alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let stop = i64::try_from(limit.min(MAX_ALERTS)).unwrap_or(i64::MAX) - 1;
        let cmd = redis::cmd("LRANGE").arg(self.keys().alerts()).arg(0).arg(stop).to_owned();
        let lines: Vec<String> = self.redis().query(&cmd, Retry::Once).await?;
        lines.iter().map(|line| from_json("alert", line)).collect()
    }
}

impl Alert {
    /// A new alert with a fresh time-ordered id, created now.
    pub fn new(severity: AlertSeverity, kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            id: Uuid::now_v7().to_string(),
            severity,
            kind: kind.into(),
            message: message.into(),
            site_id: None,
            created_at: chrono::Utc::now(),
            context: serde_json::Value::Null,
        }
    }

    pub fn with_site(mut self, site_id: Uuid) -> Self {
        self.site_id = Some(site_id);
        self
    }

    pub fn with_context(mut self, context: serde_json::Value) -> Self {
        self.context = context;
        self
    }
}
