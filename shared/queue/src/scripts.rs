//! The queue's Lua scripts (`scripts/*.lua`, each with a KEYS/ARGV header) and how they are
//! sent: EVALSHA in pipelines, loading a script only when Redis answers NOSCRIPT (after a
//! restart). A script call that failed with NOSCRIPT did nothing, so only those are re-sent.

use std::sync::LazyLock;

use redis::{Cmd, Script, ToRedisArgs, Value};

use crate::conn::{Redis, Retry, pipe};
use crate::error::{corrupt, from_server};
use crate::{QueueError, Result};

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("../scripts/", $file, ".lua"))));
    };
}

script!(ENQUEUE, "enqueue");
script!(START, "start");
script!(COMPLETE, "complete");
script!(PROMOTE_DUE, "promote_due");
script!(REDRIVE, "redrive");
script!(HEARTBEAT, "heartbeat");
script!(LEAVE, "leave");
script!(LEASE_ACQUIRE, "lease_acquire");
script!(LEASE_RENEW, "lease_renew");
script!(LEASE_RELEASE, "lease_release");
script!(PUBLISH_SCHEDULE, "publish_schedule");

/// Jobs per call of a batch script (start, complete): long enough to amortise the cost of a
/// script call, short enough not to stall Redis (a few milliseconds at most).
pub(crate) const SCRIPT_BATCH: usize = 256;

/// One script invocation: its keys and arguments.
pub struct Call {
    script: &'static Script,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call {
    pub fn new(script: &'static LazyLock<Script>) -> Self {
        Self { script, keys: Vec::with_capacity(4), args: Vec::with_capacity(8) }
    }

    pub fn key(mut self, key: impl ToRedisArgs) -> Self {
        key.write_redis_args(&mut self.keys);
        self
    }

    pub fn arg(mut self, arg: impl ToRedisArgs) -> Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    fn cmd(&self) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.script.get_hash()).arg(self.keys.len()).arg(&self.keys[..]).arg(&self.args[..]);
        cmd
    }
}

fn is_noscript(v: &Value) -> bool {
    matches!(v, Value::ServerError(e) if e.code() == "NOSCRIPT")
}

/// Runs the calls in one pipeline and returns one reply per call, in order. An error reply
/// fails the whole batch: script errors are bugs or a server that is not ready.
pub(crate) async fn eval_many(redis: &Redis, calls: &[Call], retry: Retry) -> Result<Vec<Value>> {
    let mut replies: Vec<Option<Value>> = vec![None; calls.len()];
    let mut pending: Vec<usize> = (0..calls.len()).collect();
    for _ in 0..2 {
        let mut batch = pipe();
        for &i in &pending {
            batch.add_command(calls[i].cmd());
        }
        let values = redis.pipeline(&batch, retry).await?;
        if values.len() != pending.len() {
            return Err(corrupt(format!("expected {} replies, got {}", pending.len(), values.len())));
        }
        let mut missing = Vec::new();
        for (i, value) in pending.iter().copied().zip(values) {
            if is_noscript(&value) {
                missing.push(i);
            } else {
                replies[i] = Some(value);
            }
        }
        if missing.is_empty() {
            break;
        }
        // Load each missing script once, then re-send only the calls that did nothing.
        let mut load = pipe();
        let mut loaded: Vec<&str> = Vec::new();
        for &i in &missing {
            let script = calls[i].script;
            if !loaded.contains(&script.get_hash()) {
                loaded.push(script.get_hash());
                load.load_script(script);
            }
        }
        for v in redis.pipeline(&load, Retry::Once).await? {
            if let Value::ServerError(e) = &v {
                return Err(from_server(e));
            }
        }
        tracing::debug!(scripts = loaded.len(), "loaded redis scripts");
        pending = missing;
    }
    replies
        .into_iter()
        .map(|reply| match reply {
            Some(Value::ServerError(e)) => Err(from_server(&e)),
            Some(v) => Ok(v),
            None => Err(QueueError::Internal("redis keeps answering NOSCRIPT".into())),
        })
        .collect()
}

/// Runs one script call.
pub async fn eval(redis: &Redis, call: Call, retry: Retry) -> Result<Value> {
    let mut replies = eval_many(redis, std::slice::from_ref(&call), retry).await?;
    replies.pop().ok_or_else(|| corrupt("no reply"))
}
