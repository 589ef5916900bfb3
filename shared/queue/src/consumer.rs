//! A worker's view of one priority stream: fetch new jobs in batches, reclaim jobs whose worker
//! went silent, keep claims alive, complete attempts. A job leaves the stream only when an
//! attempt is completed (acknowledged and deleted in the same script); nothing here drops one.

use std::sync::Arc;
use std::time::Duration;

use redis::Value;

use crate::backoff::backoff;
use crate::conn::{Retry, pipe};
use crate::error::{corrupt, from_server};
use crate::keys::GROUP;
use crate::queue::millis;
use crate::record::{int, items, text, time_ms};
use crate::scripts::{COMPLETE, Call, HEARTBEAT, LEAVE, PROMOTE_DUE, SCRIPT_BATCH, eval, eval_many};
use crate::{Completion, Delivery, Outcome, Priority, Queue, Result};

/// One consumer (a worker process or task) in the `workers` group of one priority stream.
#[derive(Clone)]
pub struct Consumer {
    pub(crate) queue: Queue,
    pub(crate) priority: Priority,
    pub(crate) name: Arc<str>,
    pub(crate) stream: Arc<str>,
}

impl Consumer {
    pub(crate) fn new(queue: Queue, priority: Priority, name: String) -> Self {
        let stream = queue.keys().stream(priority).into();
        Self { queue, priority, name: name.into(), stream }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// New deliveries (XREADGROUP >, blocking up to `block` when none), each already marked
    /// running. Creates the stream and group if missing.
    pub async fn fetch(&self, max: usize, block: Duration) -> Result<Vec<Delivery>> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP").arg(GROUP).arg(&*self.name).arg("COUNT").arg(max.max(1));
        if !block.is_zero() {
            cmd.arg("BLOCK").arg(millis(block).max(1));
        }
        cmd.arg("STREAMS").arg(&*self.stream).arg(">");
        let mut pipe = pipe();
        pipe.add_command(cmd);
        let mut reply = self.read(&pipe, block).await?;
        if is_nogroup(&reply) {
            self.create_group().await?;
            reply = self.read(&pipe, block).await?;
        }
        if let Value::ServerError(e) = &reply {
            return Err(from_server(e));
        }
        // [[stream, [[entry id, [field, value, ...]], ...]]] or nil when the block timed out.
        let entries = items(reply)
            .and_then(|streams| streams.into_iter().next())
            .and_then(items)
            .and_then(|stream| stream.into_iter().nth(1))
            .and_then(items)
            .unwrap_or_default();
        self.start(entries).await
    }

    /// A blocking read holds a pooled connection of its own; a non-blocking one shares.
    async fn read(&self, pipe: &redis::Pipeline, block: Duration) -> Result<Value> {
        let replies = if block.is_zero() {
            self.queue.redis().pipeline(pipe, Retry::Once).await?
        } else {
            self.queue.redis().blocking_pipeline(pipe, block).await?
        };
        replies.into_iter().next().ok_or_else(|| corrupt("no reply to XREADGROUP"))
    }

    async fn create_group(&self) -> Result<()> {
        let mut pipe = pipe();
        // From the start of the stream: jobs enqueued before any worker existed are delivered.
        pipe.cmd("XGROUP").arg("CREATE").arg(&*self.stream).arg(GROUP).arg("0").arg("MKSTREAM");
        match self.queue.redis().pipeline(&pipe, Retry::Once).await?.first() {
            Some(Value::ServerError(e)) if e.code() != "BUSYGROUP" => Err(from_server(e)),
            _ => {
                tracing::debug!(stream = %self.stream, "consumer group ready");
                Ok(())
            }
        }
    }

    /// Takes over entries whose consumer has not heartbeated within the visibility timeout
    /// (XAUTOCLAIM), each marked running again (attempt + 1); poison jobs go dead instead.
    pub async fn reclaim(&self, max: usize) -> Result<Vec<Delivery>> {
        let mut pipe = pipe();
        pipe.cmd("XAUTOCLAIM")
            .arg(&*self.stream)
            .arg(GROUP)
            .arg(&*self.name)
            .arg(millis(self.queue.config().visibility_timeout))
            .arg("0-0")
            .arg("COUNT")
            .arg(max.max(1));
        let reply = self.queue.redis().pipeline(&pipe, Retry::Once).await?.into_iter().next();
        let entries = match reply {
            None => return Err(corrupt("no reply to XAUTOCLAIM")),
            Some(v) if is_nogroup(&v) => return Ok(Vec::new()),
            Some(Value::ServerError(e)) => return Err(from_server(&e)),
            // [next cursor, [[entry id, [field, value, ...]], ...], [deleted ids]]
            Some(v) => items(v).and_then(|v| v.into_iter().nth(1)).and_then(items).unwrap_or_default(),
        };
        let deliveries = self.start(entries).await?;
        if !deliveries.is_empty() {
            tracing::debug!(consumer = %self.name, priority = %self.priority, count = deliveries.len(), "reclaimed jobs");
        }
        Ok(deliveries)
    }

    /// Moves due retries (of both priorities) into their streams; returns how many.
    pub async fn promote_due(&self, limit: usize) -> Result<usize> {
        let keys = self.queue.keys();
        let call = Call::new(&PROMOTE_DUE)
            .key(keys.delayed())
            .key(keys.stream(Priority::High))
            .key(keys.stream(Priority::Low))
            .arg(limit.max(1))
            .arg(keys.job_prefix());
        let moved = eval(self.queue.redis(), call, Retry::Once).await?;
        int(&moved).and_then(|n| usize::try_from(n).ok()).ok_or_else(|| corrupt("promote_due reply"))
    }

    /// Keeps the claims alive (XCLAIM … JUSTID resets their idle time). Returns the job ids whose
    /// claim this consumer no longer holds: their handlers should stop, their result is stale.
    pub async fn heartbeat(&self, deliveries: &[Delivery]) -> Result<Vec<String>> {
        let keys = self.queue.keys();
        let mut lost = Vec::new();
        for priority in Priority::ALL {
            let mine: Vec<&Delivery> = deliveries.iter().filter(|d| d.priority == priority).collect();
            if mine.is_empty() {
                continue;
            }
            let mut call = Call::new(&HEARTBEAT).key(keys.stream(priority)).arg(GROUP).arg(&*self.name);
            for d in &mine {
                call = call.key(keys.job(&d.job_id)).arg(&d.entry_id).arg(&d.run_token);
            }
            let reply = eval(self.queue.redis(), call, Retry::Once).await?;
            for position in items(reply).unwrap_or_default().iter().filter_map(int) {
                let index = usize::try_from(position - 1).map_err(|_| corrupt("heartbeat reply"))?;
                let d = mine.get(index).ok_or_else(|| corrupt("heartbeat reply"))?;
                lost.push(d.job_id.clone());
            }
        }
        if !lost.is_empty() {
            // Debug only: the caller tells a taken-over claim from one that simply completed meanwhile.
            tracing::debug!(consumer = %self.name, lost = lost.len(), "claims not held any more");
        }
        Ok(lost)
    }

    pub async fn complete(&self, delivery: &Delivery, outcome: Outcome) -> Result<Completion> {
        let mut done = self.complete_many(&[(delivery.clone(), outcome)]).await?;
        done.pop().ok_or_else(|| corrupt("no completion reply"))
    }

    /// Completes many attempts in one pipeline (workers that batch acknowledgements); the
    /// completions come back in the order of `items`.
    pub async fn complete_many(&self, items: &[(Delivery, Outcome)]) -> Result<Vec<Completion>> {
        // One script call per priority stream and batch; `order` maps replies back to items.
        let mut calls = Vec::new();
        let mut order = Vec::with_capacity(items.len());
        for priority in Priority::ALL {
            let mine: Vec<usize> = (0..items.len()).filter(|&i| items[i].0.priority == priority).collect();
            for chunk in mine.chunks(SCRIPT_BATCH) {
                let mut call = self.completion_call(priority);
                for &i in chunk {
                    call = self.add_attempt(call, &items[i].0, &items[i].1);
                }
                calls.push(call);
                order.extend_from_slice(chunk);
            }
        }
        let mut replies = Vec::with_capacity(items.len());
        for reply in eval_many(self.queue.redis(), &calls, Retry::Once).await? {
            replies.extend(crate::record::items(reply).ok_or_else(|| corrupt("completion reply is not a list"))?);
        }
        if replies.len() != items.len() {
            return Err(corrupt(format!("completion answered {} of {} attempts", replies.len(), items.len())));
        }
        let mut done: Vec<Option<Completion>> = vec![None; items.len()];
        for (i, reply) in order.into_iter().zip(replies) {
            let d = &items[i].0;
            let completion = match (&reply, text(&reply).as_deref()) {
                (Value::Int(due), _) => Completion::RetryScheduled { at: time_ms(*due)? },
                (_, Some("succeeded")) => Completion::Succeeded,
                (_, Some("dead")) => Completion::Dead,
                (_, Some("stale")) => Completion::Stale,
                _ => return Err(corrupt(format!("completion reply {reply:?}"))),
            };
            match &completion {
                Completion::Dead => {
                    tracing::debug!(job_id = %d.job_id, kind = %d.kind, attempt = d.attempt, "job dead")
                }
                Completion::Stale => tracing::debug!(job_id = %d.job_id, "completion of a taken-over attempt ignored"),
                _ => {}
            }
            done[i] = Some(completion);
        }
        done.into_iter().map(|c| c.ok_or_else(|| corrupt("attempt without completion"))).collect()
    }

    fn completion_call(&self, priority: Priority) -> Call {
        let keys = self.queue.keys();
        let config = self.queue.config();
        Call::new(&COMPLETE)
            .key(keys.stream(priority))
            .key(keys.delayed())
            .key(keys.dead())
            .arg(GROUP)
            .arg(keys.dedup_prefix())
            .arg(millis(config.retention))
            .arg(millis(config.dead_retention))
    }

    fn add_attempt(&self, call: Call, d: &Delivery, outcome: &Outcome) -> Call {
        let config = self.queue.config();
        let (code, text, delay) = match outcome {
            Outcome::Succeeded(result) => ("s", result.to_string(), 0),
            Outcome::Retry(error) if d.attempt < d.max_attempts => {
                let delay = backoff(d.attempt, config.retry_base, config.retry_max, rand::random::<f64>());
                ("r", error.clone(), millis(delay))
            }
            // The last attempt failed, or the handler gave up: dead.
            Outcome::Retry(error) | Outcome::Abort(error) => ("d", error.clone(), 0),
        };
        call.key(self.queue.keys().job(&d.job_id)).arg(code).arg(&d.entry_id).arg(&d.run_token).arg(text).arg(delay)
    }

    /// Graceful exit: removes this consumer from the group if it has nothing pending (its
    /// pending entries would otherwise be lost with it; they stay to be reclaimed).
    pub async fn leave(&self) -> Result<()> {
        let call = Call::new(&LEAVE).key(&*self.stream).arg(GROUP).arg(&*self.name);
        let left = eval(self.queue.redis(), call, Retry::Once).await?;
        if int(&left) == Some(0) {
            tracing::info!(consumer = %self.name, "consumer kept in its group: entries still pending");
        }
        Ok(())
    }
}

fn is_nogroup(v: &Value) -> bool {
    matches!(v, Value::ServerError(e) if e.code() == "NOGROUP")
}
