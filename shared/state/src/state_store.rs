//! Storage of the controller state kept beside the queue (types in `state`): one hash of
//! reachability records and one of evacuation progress, keyed by backend id, and the alerts, one
//! per key (kind, site, object), bounded. Each value is written by a single command or script,
//! so a reader never sees a half-written one; values are JSON, and one that does not parse is
//! `Corrupt`.

use std::sync::LazyLock;

use chrono::{SubsecRound, Utc};
use redis::{Script, Value};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use queue::io::{Call, Retry, corrupt, eval, hash, int, items, text, time_ms};

use crate::scripts::{ALERT_LIST, ALERT_RAISE, ALERT_RESOLVE};
use crate::{
    Alert, AlertFilter, AlertSeverity, AlertState, BackendReachability, EvacuationProgress, QueueError,
    RESOLVED_ALERT_RETENTION, Result, State,
};

/// Alert keys kept: enough for days of a noisy site, small enough to read in one call.
pub const MAX_ALERTS: usize = 1000;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| QueueError::Internal(format!("cannot serialise state: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("{what}: {e}")))
}

impl State {
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

    /// Raises an alert: upserts the alert of its key (kind, site, object) in one script. A new
    /// key opens an alert with count 1 and this alert's id; an open one gets count + 1, and a
    /// resolved one is reopened (count + 1, `resolved_at` cleared). Either way the message,
    /// severity and context become this raise's and `last_seen` its `last_seen`; the id and
    /// `created_at` (first seen) of the first raise are kept. Beyond [`MAX_ALERTS`] keys the
    /// oldest resolved alerts are dropped first, then the oldest open ones.
    pub async fn raise_alert(&self, alert: &Alert) -> Result<()> {
        let call = self
            .alert_call(&ALERT_RAISE)
            .arg(alert_key(alert.site_id, &alert.kind, alert.object.as_deref()))
            .arg(to_json(alert)?)
            .arg(&alert.id)
            .arg(alert.last_seen.timestamp_millis())
            .arg(MAX_ALERTS)
            .arg(retention_cutoff_ms());
        // Not repeated after a lost reply: the raise would be counted twice.
        eval(self.redis(), call, Retry::Never).await?;
        Ok(())
    }

    /// Marks the open alert of the key (kind, site, object) resolved now; `false` when there is
    /// none (never raised, or already resolved).
    pub async fn resolve_alert(&self, kind: &str, site_id: Option<Uuid>, object: Option<&str>) -> Result<bool> {
        Ok(self.resolve("key", alert_key(site_id, kind, object)).await? > 0)
    }

    /// Marks every open alert of the kind and site resolved now, whatever its object (a
    /// site-level condition cleared); returns how many were open.
    pub async fn resolve_alerts(&self, kind: &str, site_id: Option<Uuid>) -> Result<u64> {
        self.resolve("prefix", alert_prefix(&json!([site_id, kind]))).await
    }

    async fn resolve(&self, mode: &str, key_or_prefix: String) -> Result<u64> {
        let keys = self.keys();
        let call = Call::new(&ALERT_RESOLVE)
            .key(keys.alert_meta())
            .key(keys.alerts_seen())
            .key(keys.alerts_resolved())
            .arg(Utc::now().timestamp_millis())
            .arg(mode)
            .arg(key_or_prefix);
        // A repeat after a lost reply finds the alerts resolved and changes nothing.
        let reply = eval(self.redis(), call, Retry::Once).await?;
        int(&reply).and_then(|n| u64::try_from(n).ok()).ok_or_else(|| corrupt("alert resolve reply"))
    }

    /// Up to `filter.limit` alerts of the filter's state and site, newest `last_seen` first.
    /// Resolved alerts are listed for [`RESOLVED_ALERT_RETENTION`] after they were resolved.
    pub async fn alerts(&self, filter: AlertFilter) -> Result<Vec<Alert>> {
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        let call = self
            .alert_call(&ALERT_LIST)
            .arg(filter.state.map_or("all", AlertState::as_str))
            .arg(filter.site_id.map(|site| alert_prefix(&json!([site]))).unwrap_or_default())
            .arg(filter.limit.min(MAX_ALERTS))
            .arg(retention_cutoff_ms());
        let reply = eval(self.redis(), call, Retry::Once).await?;
        items(reply).ok_or_else(|| corrupt("alert list reply"))?.into_iter().map(parse_alert).collect()
    }

    /// A call of a script that takes the four alert keys.
    fn alert_call(&self, script: &'static LazyLock<Script>) -> Call {
        let keys = self.keys();
        Call::new(script)
            .key(keys.alert_bodies())
            .key(keys.alert_meta())
            .key(keys.alerts_seen())
            .key(keys.alerts_resolved())
    }
}

/// The life of an alert as the scripts keep it, beside the latest raise's JSON. Times in ms;
/// `resolved` is 0 while the alert is open.
#[derive(Deserialize)]
struct AlertMeta {
    id: String,
    count: u64,
    first: i64,
    last: i64,
    resolved: i64,
}

/// The stored key of an alert: the JSON array `[site, kind, object]`. Site first, so that a
/// prefix selects a site, or a site and a kind (see [`alert_prefix`]).
fn alert_key(site_id: Option<Uuid>, kind: &str, object: Option<&str>) -> String {
    json!([site_id, kind, object]).to_string()
}

/// The prefix shared by the keys whose array starts with `parts`: `["site","kind"]` gives
/// `["site","kind",`. Unambiguous, since every element is a whole JSON string (or null).
fn alert_prefix(parts: &serde_json::Value) -> String {
    let mut prefix = parts.to_string();
    prefix.pop();
    prefix.push(',');
    prefix
}

fn retention_cutoff_ms() -> i64 {
    let retention = i64::try_from(RESOLVED_ALERT_RETENTION.as_millis()).unwrap_or(i64::MAX);
    Utc::now().timestamp_millis().saturating_sub(retention)
}

/// One `{meta, alert}` pair of the list script: the latest raise, with its life from the meta.
fn parse_alert(pair: Value) -> Result<Alert> {
    let pair = items(pair).unwrap_or_default();
    let (Some(meta), Some(body)) = (pair.first().and_then(text), pair.get(1).and_then(text)) else {
        return Err(corrupt("an alert without its record"));
    };
    let meta: AlertMeta = from_json("alert meta", &meta)?;
    let mut alert: Alert = from_json("alert", &body)?;
    alert.id = meta.id;
    alert.count = meta.count;
    alert.created_at = time_ms(meta.first)?;
    alert.last_seen = time_ms(meta.last)?;
    alert.resolved_at = if meta.resolved == 0 { None } else { Some(time_ms(meta.resolved)?) };
    Ok(alert)
}

impl Alert {
    /// A new alert raised once, now, with a fresh time-ordered id (kept if its key is new).
    pub fn new(severity: AlertSeverity, kind: impl Into<String>, message: impl Into<String>) -> Self {
        // Stored times are milliseconds: a listed alert then compares equal to the one raised.
        let now = Utc::now().trunc_subsecs(3);
        Self {
            id: Uuid::now_v7().to_string(),
            severity,
            kind: kind.into(),
            message: message.into(),
            site_id: None,
            object: None,
            count: 1,
            created_at: now,
            last_seen: now,
            resolved_at: None,
            context: serde_json::Value::Null,
        }
    }

    /// What the alert is about within its kind and site (part of its key).
    pub fn with_object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
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
