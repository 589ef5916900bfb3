//! Shared set-up: a private Redis, the state on a queue's connection, and raw access for checks.

use queue::{Queue, QueueConfig};
use state::State;
use testkit::{RedisServer, unique_prefix};

pub struct Env {
    #[allow(dead_code, reason = "held, never read: dropping it stops the server")]
    pub server: RedisServer,
    pub state: State,
    pub prefix: String,
    url: String,
}

pub async fn env(tag: &str) -> Env {
    let server = RedisServer::start().await;
    let prefix = unique_prefix(tag);
    let queue = Queue::connect(&server.url(), QueueConfig::new(&prefix)).await.unwrap();
    let url = server.url();
    Env { server, state: State::new(&queue), prefix, url }
}

impl Env {
    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.url.as_str()).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }

    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }
}
