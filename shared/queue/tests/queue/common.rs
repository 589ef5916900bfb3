//! Shared set-up: a private Redis, a queue with short durations, and raw access for checks.

use std::collections::BTreeMap;
use std::time::Duration;

use queue::{Delivery, NewJob, Priority, Queue, QueueConfig};
use redis::AsyncCommands;
use testkit::{RedisServer, unique_prefix};

pub const DEADLINE: Duration = Duration::from_secs(10);

pub struct Env {
    pub server: RedisServer,
    pub queue: Queue,
    pub prefix: String,
}

/// Durations short enough that reclaims and retries happen within a test.
pub fn fast_config(prefix: &str) -> QueueConfig {
    let mut config = QueueConfig::new(prefix);
    config.visibility_timeout = Duration::from_millis(300);
    config.max_attempts = 3;
    config.retry_base = Duration::from_millis(10);
    config.retry_max = Duration::from_millis(40);
    config
}

pub async fn env(tag: &str) -> Env {
    let server = RedisServer::start().await;
    let prefix = unique_prefix(tag);
    let queue = Queue::connect(&server.url(), fast_config(&prefix)).await.unwrap();
    Env { server, queue, prefix }
}

impl Env {
    /// Another handle on the same queue with its own configuration (as another process).
    pub async fn queue_with(&self, change: impl FnOnce(&mut QueueConfig)) -> Queue {
        let mut config = fast_config(&self.prefix);
        change(&mut config);
        Queue::connect(&self.server.url(), config).await.unwrap()
    }

    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.server.url()).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }

    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    /// Everything stored under the prefix, rendered, to prove a call wrote nothing.
    pub async fn snapshot(&self) -> BTreeMap<String, String> {
        let mut raw = self.raw().await;
        let keys: Vec<String> = raw.keys(format!("{}:*", self.prefix)).await.unwrap();
        let mut out = BTreeMap::new();
        for key in keys {
            let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut raw).await.unwrap();
            let value = match kind.as_str() {
                "string" => format!("{:?}", raw.get::<_, String>(&key).await.unwrap()),
                "hash" => format!("{:?}", raw.hgetall::<_, BTreeMap<String, String>>(&key).await.unwrap()),
                "zset" => format!("{:?}", raw.zrange_withscores::<_, Vec<(String, f64)>>(&key, 0, -1).await.unwrap()),
                "stream" => {
                    let entries: redis::Value =
                        redis::cmd("XRANGE").arg(&key).arg("-").arg("+").query_async(&mut raw).await.unwrap();
                    let groups: redis::Value =
                        redis::cmd("XINFO").arg("GROUPS").arg(&key).query_async(&mut raw).await.unwrap();
                    format!("{entries:?} {groups:?}")
                }
                other => other.to_owned(),
            };
            let ttl: i64 = raw.pttl(&key).await.unwrap();
            out.insert(key, format!("{value} ttl={}", ttl > 0));
        }
        out
    }
}

pub fn job(kind: &str, priority: Priority) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: serde_json::json!({ "kind": kind }),
        priority,
        dedup_key: None,
        max_attempts: None,
        epoch: None,
    }
}

pub fn deduped(kind: &str, key: &str) -> NewJob {
    NewJob { dedup_key: Some(key.into()), ..job(kind, Priority::High) }
}

/// Fetches until exactly one delivery arrives (a single job is queued).
pub async fn fetch_one(consumer: &queue::Consumer) -> Delivery {
    let mut got = consumer.fetch(10, Duration::from_secs(5)).await.unwrap();
    assert_eq!(got.len(), 1, "expected one delivery, got {got:?}");
    got.remove(0)
}

/// Waits until `consumer` reclaims something, returning it.
pub async fn reclaim_some(consumer: &queue::Consumer) -> Vec<Delivery> {
    testkit::wait_until_async("a reclaim", DEADLINE, || async {
        let got = consumer.reclaim(10).await.unwrap();
        (!got.is_empty()).then_some(got)
    })
    .await
}
