//! The queue handle producers and the API use: enqueue (one job or a pipeline of many), read
//! records, redrive dead jobs, count depths. Every state change is one script, so a job is never
//! half-enqueued, and an enqueue is never applied twice (scripts are idempotent per job id).

use std::sync::Arc;
use std::time::Duration;

use redis::Value;

use crate::conn::{Redis, Retry, pipe};
use crate::error::{corrupt, from_server};
use crate::keys::{GROUP, Keys};
use crate::record::{hash, int, items, parse_record, text};
use crate::scripts::{Call, ENQUEUE, REDRIVE, SCRIPT_BATCH, eval, eval_many};
use crate::{
    Consumer, EnqueueOutcome, Fence, JobRecord, Lease, NewJob, Priority, PriorityDepth, QueueConfig, QueueDepths,
    QueueError, Result,
};

/// Jobs per round trip in `enqueue_many`: bounds the memory of one request and reply.
const ENQUEUE_PIPELINE: usize = 4096;

pub(crate) struct Inner {
    pub(crate) redis: Redis,
    pub(crate) keys: Keys,
    pub(crate) config: QueueConfig,
}

/// A handle on one queue (one key prefix). Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Queue {
    pub(crate) inner: Arc<Inner>,
}

/// A fenced enqueue: only for the lease holder, at most once per entry and tick.
pub(crate) struct Tick<'a> {
    pub(crate) fence: &'a Fence,
    pub(crate) entry: &'a str,
    pub(crate) tick_ms: i64,
}

/// What the enqueue script answered.
pub(crate) enum Enqueued {
    Outcome(EnqueueOutcome),
    Fenced,
    AlreadyEmitted,
}

pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Queue {
    /// Validates the URL and sets up the connections; Redis is first contacted on use (and
    /// reconnected after failures), so a queue can be created while Redis is still starting.
    pub async fn connect(redis_url: &str, config: QueueConfig) -> Result<Queue> {
        let redis = Redis::open(redis_url)?;
        let keys = Keys::new(&config.prefix);
        Ok(Queue { inner: Arc::new(Inner { redis, keys, config }) })
    }

    pub fn config(&self) -> &QueueConfig {
        &self.inner.config
    }

    /// The connection, for crates that keep their own data beside the queue (`state`).
    pub fn redis(&self) -> &Redis {
        &self.inner.redis
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    pub async fn ping(&self) -> Result<()> {
        let _: String = self.redis().query(&redis::cmd("PING"), Retry::Once).await?;
        Ok(())
    }

    pub async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome> {
        let mut outcomes = self.enqueue_many(vec![job]).await?;
        outcomes.pop().ok_or_else(|| corrupt("no enqueue reply"))
    }

    /// One pipeline for many jobs (benchmarks, bulk). Jobs are enqueued in order, so of several
    /// jobs with one dedup key only the first is enqueued.
    pub async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<EnqueueOutcome>> {
        let mut outcomes = Vec::with_capacity(jobs.len());
        for round in jobs.chunks(ENQUEUE_PIPELINE) {
            let calls =
                round.chunks(SCRIPT_BATCH).map(|batch| self.enqueue_call(batch, None)).collect::<Result<Vec<_>>>()?;
            for reply in eval_many(self.redis(), &calls, Retry::Once).await? {
                for item in items(reply).ok_or_else(|| corrupt("enqueue reply is not a list"))? {
                    match parse_enqueued(item)? {
                        Enqueued::Outcome(outcome) => outcomes.push(outcome),
                        _ => return Err(corrupt("unfenced enqueue answered as fenced")),
                    }
                }
            }
        }
        if outcomes.len() != jobs.len() {
            return Err(corrupt(format!("enqueue answered {} of {} jobs", outcomes.len(), jobs.len())));
        }
        Ok(outcomes)
    }

    /// The enqueue script call for `jobs` under new ids, optionally fenced by a scheduler tick.
    pub(crate) fn enqueue_call(&self, jobs: &[NewJob], tick: Option<&Tick<'_>>) -> Result<Call> {
        let keys = self.keys();
        let config = self.config();
        let horizon = millis(config.retention.max(config.dead_retention));
        let (token, epoch, entry, tick_ms) = match tick {
            Some(t) => (t.fence.token.as_str(), t.fence.epoch.to_string(), t.entry, t.tick_ms),
            None => ("", String::new(), "", 0),
        };
        let mut call = Call::new(&ENQUEUE)
            .key(keys.jobs())
            .key(keys.lease(crate::keys::SCHEDULER_LEASE))
            .key(keys.ticks())
            .arg(horizon)
            .arg(keys.job_prefix())
            .arg(token)
            .arg(epoch)
            .arg(entry)
            .arg(tick_ms);
        for job in jobs {
            // Time-ordered ids keep jobs created in the same millisecond in creation order.
            let id = uuid::Uuid::now_v7().to_string();
            let payload = serde_json::to_string(&job.payload).map_err(|e| QueueError::Internal(e.to_string()))?;
            let dedup = job.dedup_key.as_deref().unwrap_or("");
            call = call
                .key(keys.stream(job.priority))
                .key(keys.job(&id))
                .key(keys.dedup(dedup))
                .arg(&id)
                .arg(&job.kind)
                .arg(payload)
                .arg(job.priority.as_str())
                .arg(dedup)
                .arg(job.max_attempts.unwrap_or(config.max_attempts).max(1))
                .arg(job.epoch.map(|e| e.to_string()).unwrap_or_default());
        }
        Ok(call)
    }

    pub async fn get(&self, id: &str) -> Result<Option<JobRecord>> {
        let map = hash(self.redis().query(redis::cmd("HGETALL").arg(self.keys().job(id)), Retry::Once).await?)?;
        parse_record(&map)
    }

    /// dead → queued with attempts reset. NotFound / Conflict (not dead, or its dedup key is
    /// held by another live job).
    pub async fn redrive(&self, id: &str) -> Result<JobRecord> {
        let keys = self.keys();
        let call = Call::new(&REDRIVE)
            .key(keys.job(id))
            .key(keys.dead())
            .key(keys.stream(Priority::High))
            .key(keys.stream(Priority::Low))
            .key(keys.jobs())
            .arg(id)
            .arg(keys.dedup_prefix())
            .arg(keys.job_prefix());
        // A repeat would answer "not dead" for a redrive that worked: not retried.
        let reply = eval(self.redis(), call, Retry::Never).await?;
        match text(&reply).as_deref() {
            Some("queued") => {}
            Some("not_found") => return Err(QueueError::NotFound(id.to_owned())),
            Some("not_dead") => {
                let state = self.get(id).await?.map(|r| r.state.to_string()).unwrap_or_else(|| "gone".into());
                return Err(QueueError::Conflict(format!("job {id} is {state}; only dead jobs can be redriven")));
            }
            _ => {
                let reply = items(reply).unwrap_or_default();
                let (Some("held"), Some(holder)) =
                    (reply.first().and_then(text).as_deref(), reply.get(1).and_then(text))
                else {
                    return Err(corrupt(format!("redrive reply {reply:?}")));
                };
                return Err(QueueError::Conflict(format!("job {id}'s dedup key is held by job {holder}")));
            }
        }
        tracing::info!(job_id = id, "job redriven");
        self.get(id).await?.ok_or_else(|| QueueError::NotFound(id.to_owned()))
    }

    pub async fn depths(&self) -> Result<QueueDepths> {
        let keys = self.keys();
        let mut pipe = pipe();
        for priority in Priority::ALL {
            pipe.cmd("XLEN").arg(keys.stream(priority));
            pipe.cmd("XPENDING").arg(keys.stream(priority)).arg(GROUP);
        }
        pipe.cmd("ZCARD").arg(keys.delayed());
        pipe.cmd("XLEN").arg(keys.dead());
        let replies = self.redis().pipeline(&pipe, Retry::Once).await?;
        let count = |v: &Value| -> Result<u64> {
            match v {
                // No group yet (no consumer has started): nothing is pending.
                Value::ServerError(e) if e.code() == "NOGROUP" => Ok(0),
                Value::ServerError(e) => Err(from_server(e)),
                Value::Array(summary) => Ok(summary.first().and_then(int).unwrap_or(0).max(0) as u64),
                other => Ok(int(other).unwrap_or(0).max(0) as u64),
            }
        };
        let [high_len, high_pending, low_len, low_pending, delayed, dead] = replies.as_slice() else {
            return Err(corrupt("depths: unexpected reply count"));
        };
        // Acknowledged entries are deleted in the same script, so the stream holds exactly the
        // waiting and the pending entries.
        let depth = |len: &Value, pending: &Value| -> Result<PriorityDepth> {
            let (len, running) = (count(len)?, count(pending)?);
            Ok(PriorityDepth { waiting: len.saturating_sub(running), running })
        };
        Ok(QueueDepths {
            high: depth(high_len, high_pending)?,
            low: depth(low_len, low_pending)?,
            delayed: count(delayed)?,
            dead: count(dead)?,
        })
    }

    pub fn consumer(&self, priority: Priority, name: impl Into<String>) -> Consumer {
        Consumer::new(self.clone(), priority, name.into())
    }

    pub fn lease(&self, name: &str, owner: impl Into<String>, ttl: Duration) -> Lease {
        Lease::new(self.clone(), name, owner.into(), ttl)
    }
}

pub(crate) fn parse_enqueued(reply: Value) -> Result<Enqueued> {
    let reply = items(reply).ok_or_else(|| corrupt("enqueue reply is not a list"))?;
    let tag = reply.first().and_then(text).unwrap_or_default();
    let id = || reply.get(1).and_then(text).ok_or_else(|| corrupt("enqueue reply without id"));
    match tag.as_str() {
        "enqueued" => Ok(Enqueued::Outcome(EnqueueOutcome::Enqueued(id()?))),
        "duplicate" => Ok(Enqueued::Outcome(EnqueueOutcome::Duplicate(id()?))),
        "fenced" => Ok(Enqueued::Fenced),
        "already" => Ok(Enqueued::AlreadyEmitted),
        other => Err(corrupt(format!("enqueue reply {other:?}"))),
    }
}
