//! Turning stream entries into deliveries: one start script call per batch of entries (the
//! per-job cost that decides throughput). An entry is only ever skipped after Redis
//! acknowledged it as obsolete; a job is never handed out without being marked running.

use redis::Value;

use crate::conn::Retry;
use crate::error::corrupt;
use crate::keys::GROUP;
use crate::queue::millis;
use crate::record::{int, items, text, time_ms};
use crate::scripts::{Call, SCRIPT_BATCH, START, eval_many};
use crate::{Consumer, Delivery, Outcome, Result};

impl Consumer {
    /// Marks the entries (`[entry id, [field, value, ...]]` items) running.
    pub(crate) async fn start(&self, entries: Vec<Value>) -> Result<Vec<Delivery>> {
        let mut jobs: Vec<(String, String, String)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut parts = items(entry).unwrap_or_default().into_iter();
            let entry_id = parts.next().as_ref().and_then(text).ok_or_else(|| corrupt("stream entry without id"))?;
            let fields = parts.next().and_then(items).unwrap_or_default();
            let job_id = fields.chunks(2).find(|kv| text(&kv[0]).as_deref() == Some("id")).and_then(|kv| kv.get(1));
            // An entry without a job id was not written by this queue: the start script finds no
            // record for it and drops it.
            let job_id = job_id.and_then(text).unwrap_or_default();
            jobs.push((entry_id, job_id, uuid::Uuid::new_v4().simple().to_string()));
        }
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.queue.keys();
        let calls: Vec<Call> = jobs
            .chunks(SCRIPT_BATCH)
            .map(|chunk| {
                let mut call = Call::new(&START)
                    .key(&*self.stream)
                    .key(keys.dead())
                    .arg(GROUP)
                    .arg(&*self.name)
                    .arg(keys.dedup_prefix())
                    .arg(millis(self.queue.config().dead_retention));
                for (entry_id, job_id, token) in chunk {
                    call = call.key(keys.job(job_id)).arg(entry_id).arg(token);
                }
                call
            })
            .collect();
        let mut replies = Vec::with_capacity(jobs.len());
        for reply in eval_many(self.queue.redis(), &calls, Retry::Once).await? {
            replies.extend(items(reply).ok_or_else(|| corrupt("start reply is not a list"))?);
        }
        if replies.len() != jobs.len() {
            return Err(corrupt(format!("start answered {} of {} entries", replies.len(), jobs.len())));
        }
        let mut deliveries = Vec::with_capacity(jobs.len());
        let mut unreadable = Vec::new();
        for ((entry_id, job_id, token), reply) in jobs.into_iter().zip(replies) {
            let reply = items(reply).ok_or_else(|| corrupt("start reply item is not a list"))?;
            match reply.first().and_then(text).as_deref() {
                Some("run") => {}
                None => {
                    tracing::debug!(entry_id, job_id, "obsolete stream entry acknowledged");
                    continue;
                }
                Some("dead") => {
                    tracing::warn!(job_id, "job dead: its workers kept dying before completing it");
                    continue;
                }
                Some(other) => return Err(corrupt(format!("start reply {other:?}"))),
            }
            let field = |i: usize| reply.get(i).and_then(text).ok_or_else(|| corrupt("short start reply"));
            let number = |i: usize| reply.get(i).and_then(int).ok_or_else(|| corrupt("bad number in start reply"));
            let delivery = Delivery {
                job_id,
                entry_id,
                priority: self.priority,
                kind: field(3)?,
                payload: serde_json::Value::Null,
                attempt: u32::try_from(number(1)?).map_err(|_| corrupt("attempt out of range"))?,
                max_attempts: u32::try_from(number(2)?).map_err(|_| corrupt("max_attempts out of range"))?,
                enqueued_at: time_ms(number(5)?)?,
                started_at: time_ms(number(6)?)?,
                run_token: token,
            };
            match serde_json::from_str(&field(4)?) {
                Ok(payload) => deliveries.push(Delivery { payload, ..delivery }),
                Err(e) => {
                    tracing::warn!(job_id = %delivery.job_id, error = %e, "job payload unreadable; dead");
                    unreadable.push((delivery, Outcome::Abort(format!("unreadable payload: {e}"))));
                }
            }
        }
        if !unreadable.is_empty() {
            // Such a job can never run: straight to the dead-letter stream.
            self.complete_many(&unreadable).await?;
        }
        Ok(deliveries)
    }
}
