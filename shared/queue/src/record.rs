//! Reading what Redis holds: job record hashes into [`JobRecord`], script replies into plain
//! values, millisecond timestamps into `DateTime`. A value that does not parse is `Corrupt`,
//! never silently defaulted.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use redis::Value;

use crate::error::corrupt;
use crate::{JobRecord, Result};

/// A reply item as text (bulk or status string, or an integer).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Okay => Some("OK".into()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        other => text(other)?.parse().ok(),
    }
}

pub fn items(v: Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(items) | Value::Set(items) => Some(items),
        _ => None,
    }
}

pub fn time_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(format!("timestamp {ms} out of range")))
}

/// A hash (HGETALL reply) as a map; an empty map means the record does not exist.
pub fn hash(v: Value) -> Result<HashMap<String, String>> {
    redis::from_redis_value(v).map_err(|e| corrupt(format!("job record: {e}")))
}

struct Fields<'a> {
    id: &'a str,
    map: &'a HashMap<String, String>,
}

impl Fields<'_> {
    fn opt(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    fn req(&self, name: &str) -> Result<&str> {
        self.opt(name).ok_or_else(|| corrupt(format!("job {}: missing {name}", self.id)))
    }

    fn parse<T: FromStr>(&self, name: &str, raw: &str) -> Result<T> {
        raw.parse().map_err(|_| corrupt(format!("job {}: bad {name} {raw:?}", self.id)))
    }

    fn num<T: FromStr>(&self, name: &str) -> Result<T> {
        self.parse(name, self.req(name)?)
    }

    fn opt_num<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.opt(name).map(|raw| self.parse(name, raw)).transpose()
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        time_ms(self.num(name)?)
    }

    fn opt_time(&self, name: &str) -> Result<Option<DateTime<Utc>>> {
        self.opt_num(name)?.map(time_ms).transpose()
    }

    fn json(&self, name: &str, raw: &str) -> Result<serde_json::Value> {
        serde_json::from_str(raw).map_err(|e| corrupt(format!("job {}: bad {name}: {e}", self.id)))
    }
}

/// Builds a record from its hash; `None` when the hash is empty (no such job, or expired).
pub(crate) fn parse_record(map: &HashMap<String, String>) -> Result<Option<JobRecord>> {
    let Some(id) = map.get("id") else {
        return if map.is_empty() { Ok(None) } else { Err(corrupt("job record without id")) };
    };
    let f = Fields { id, map };
    Ok(Some(JobRecord {
        id: id.clone(),
        kind: f.req("kind")?.to_owned(),
        payload: f.json("payload", f.req("payload")?)?,
        priority: f.num("priority")?,
        dedup_key: f.opt("dedup_key").map(str::to_owned),
        state: f.num("state")?,
        attempts: f.num("attempts")?,
        max_attempts: f.num("max_attempts")?,
        epoch: f.opt_num("epoch")?,
        created_at: f.time("created_at")?,
        enqueued_at: f.time("enqueued_at")?,
        started_at: f.opt_time("started_at")?,
        finished_at: f.opt_time("finished_at")?,
        worker: f.opt("worker").map(str::to_owned),
        result: f.opt("result").map(|raw| f.json("result", raw)).transpose()?,
        error: f.opt("error").map(str::to_owned),
        next_attempt_at: f.opt_time("next_attempt_at")?,
    }))
}
