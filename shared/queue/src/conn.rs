//! Connections to Redis: one shared multiplexed connection for ordinary commands (concurrent
//! callers are pipelined onto one socket, which is what makes the queue fast), and a deadpool
//! pool for blocking reads, which must never stall other callers. A connection that failed is
//! dropped and replaced, never reused.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_redis::{Manager, Pool, Runtime};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Cmd, FromRedisValue, Pipeline, RedisResult, Value};

use crate::error::{from_pool, from_redis, is_connection_error};
use crate::{QueueError, Result};

/// How long one command may take before Redis counts as unavailable.
pub(crate) const OP_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Blocking reads only: one per consumer that is waiting for jobs.
const POOL_SIZE: usize = 16;

/// Whether a command may be sent again on a new connection after the old one broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Every script the queue sends is idempotent (per job id, run token or lease token), so a
    /// call whose reply was lost can be repeated: this is what makes a Redis restart invisible.
    Once,
    /// The caller could not tell a repeat from a first call (redrive, scheduler ticks).
    Never,
}

/// A pipeline whose error replies come back as items (`Value::ServerError`) instead of failing
/// the whole pipeline: callers tell a missing script or group from a real error per command.
pub fn pipe() -> Pipeline {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    pipe
}

pub struct Redis {
    client: redis::Client,
    config: AsyncConnectionConfig,
    pool: Pool,
    shared: Mutex<Option<(u64, MultiplexedConnection)>>,
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

impl Redis {
    /// Validates the URL; does not connect (that happens on first use, and again after failures).
    pub(crate) fn open(url: &str) -> Result<Self> {
        let invalid = |e: redis::RedisError| QueueError::Internal(format!("invalid redis url: {e}"));
        let client = redis::Client::open(url).map_err(invalid)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT));
        let manager = Manager::new_with_config(url, config.clone()).map_err(invalid)?;
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(OP_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(OP_TIMEOUT))
            .build()
            .map_err(|e| QueueError::Internal(format!("redis pool: {e}")))?;
        Ok(Self {
            client,
            config,
            pool,
            shared: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The shared connection, and whether it was made just now (a fresh one is not retried).
    async fn shared(&self) -> Result<(u64, MultiplexedConnection, bool)> {
        if let Some((generation, conn)) = self.current() {
            return Ok((generation, conn, false));
        }
        // One caller connects; the others wait and reuse its connection.
        let _connecting = self.connecting.lock().await;
        if let Some((generation, conn)) = self.current() {
            return Ok((generation, conn, false));
        }
        let conn = self.client.get_multiplexed_async_connection_with_config(&self.config).await.map_err(from_redis)?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, conn.clone()));
        tracing::debug!(generation, "redis connected");
        Ok((generation, conn, true))
    }

    /// Drops the shared connection if it is still the one that failed.
    fn discard(&self, generation: u64) {
        let mut slot = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|(g, _)| *g == generation) {
            *slot = None;
            tracing::warn!(generation, "redis connection lost; reconnecting on next use");
        }
    }

    async fn run<T, F, Fut>(&self, retry: Retry, f: F) -> Result<T>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if retry == Retry::Never {
            // Such a call cannot be repeated, so make sure first that the shared connection did
            // not die with a restarted server: this PING is repeated on a new one if it did.
            let ping = redis::cmd("PING");
            let ping = &ping;
            self.attempt(Retry::Once, |mut c| async move { ping.query_async::<Value>(&mut c).await }).await?;
        }
        self.attempt(retry, f).await
    }

    async fn attempt<T, F, Fut>(&self, retry: Retry, f: F) -> Result<T>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let (generation, conn, fresh) = self.shared().await?;
        let err = match f(conn).await {
            Ok(v) => return Ok(v),
            Err(e) if is_connection_error(&e) => e,
            Err(e) => return Err(from_redis(e)),
        };
        self.discard(generation);
        // A cached connection that died with the server fails at once; a timeout may mean the
        // server is hung, where a second wait would only double the delay.
        if retry == Retry::Never || fresh || err.is_timeout() {
            return Err(from_redis(err));
        }
        let (generation, conn, _) = self.shared().await?;
        f(conn).await.map_err(|e| {
            if is_connection_error(&e) {
                self.discard(generation);
            }
            from_redis(e)
        })
    }

    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd, retry: Retry) -> Result<T> {
        self.run(retry, |mut c| async move { cmd.query_async::<T>(&mut c).await }).await
    }

    /// Runs a pipeline made by [`pipe`]: error replies come back as `Value::ServerError` items.
    pub async fn pipeline(&self, pipe: &Pipeline, retry: Retry) -> Result<Vec<Value>> {
        self.run(retry, |mut c| async move { pipe.query_async::<Vec<Value>>(&mut c).await }).await
    }

    /// Runs a pipeline holding one blocking command on a pooled connection of its own, waiting
    /// up to `block`; error replies come back as `Value::ServerError` items.
    pub(crate) async fn blocking_pipeline(&self, pipe: &Pipeline, block: Duration) -> Result<Vec<Value>> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        // Set on every use: the pooled connection may come from a call with another block time.
        conn.set_response_timeout(block + OP_TIMEOUT);
        pipe.query_async::<Vec<Value>>(&mut *conn).await.map_err(|e| {
            if is_connection_error(&e) {
                // Never hand a broken connection back to the pool.
                drop(deadpool_redis::Connection::take(conn));
            }
            from_redis(e)
        })
    }
}
