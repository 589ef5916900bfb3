//! What every handler can reach: GeoDB and the job queue with the state beside it (each possibly
//! still connecting), the
//! bootstrap admin token's hash, the metrics handle and the few settings handlers judge by.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use geodb::{ConnectOptions, GeoDb};
use metrics_exporter_prometheus::PrometheusHandle;
use queue::Queue;

use crate::error::{ApiError, ErrorCode};
use crate::token_cache::TokenCache;

#[derive(Clone)]
pub struct AppState {
    pub geodb: GeoDbHandle,
    pub queue: QueueHandle,
    /// SHA-256 (hex) of `API_ADMIN_TOKEN`; the token itself is not kept.
    pub admin_token_hash: Option<String>,
    pub metrics: PrometheusHandle,
    /// Stored tokens recently found valid (at most a second old).
    pub tokens: TokenCache,
    /// `EVACUATION_STALL_SECS`: a running evacuation that moved nothing for this long reads `stalled`.
    pub evacuation_stall: Duration,
}

/// A connection that may not exist yet. The API starts and answers health checks (and 503s)
/// while a dependency is down, and connects as soon as it can.
#[derive(Clone)]
pub struct Connecting<T> {
    inner: Arc<RwLock<Option<T>>>,
    unavailable: ErrorCode,
}

pub type GeoDbHandle = Connecting<Arc<dyn GeoDb>>;
pub type QueueHandle = Connecting<Queue>;

impl AppState {
    /// The controller's state, on the queue's connection (503 while Redis is not connected).
    pub fn store(&self) -> Result<state::State, ApiError> {
        self.queue.get().map(|queue| state::State::new(&queue))
    }
}

impl<T: Clone + Send + Sync + 'static> Connecting<T> {
    pub fn ready(value: T, unavailable: ErrorCode) -> Self {
        Self { inner: Arc::new(RwLock::new(Some(value))), unavailable }
    }

    /// Connects in the background, retrying with capped backoff until `connect` succeeds.
    pub fn in_background<F, Fut, E>(what: &'static str, unavailable: ErrorCode, connect: F) -> Self
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send,
        E: std::fmt::Display + Send,
    {
        let handle = Self { inner: Arc::new(RwLock::new(None)), unavailable };
        let slot = handle.inner.clone();
        tokio::spawn(async move {
            if let Some(value) = service::connect_with_retry(what, connect, std::future::pending()).await {
                tracing::info!(what, "connected");
                if let Ok(mut guard) = slot.write() {
                    *guard = Some(value);
                }
            }
        });
        handle
    }

    /// A dependency that is not configured or not wanted: every use answers 503.
    pub fn absent(unavailable: ErrorCode) -> Self {
        Self { inner: Arc::new(RwLock::new(None)), unavailable }
    }

    /// The connection, or 503 while there is none.
    pub fn get(&self) -> Result<T, ApiError> {
        self.inner
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| ApiError::new(self.unavailable, "not connected yet; retry later"))
    }
}

impl GeoDbHandle {
    pub fn geodb(db: Arc<dyn GeoDb>) -> Self {
        Self::ready(db, ErrorCode::GeodbUnavailable)
    }

    pub fn connect_in_background(options: ConnectOptions) -> Self {
        Self::in_background("geodb", ErrorCode::GeodbUnavailable, move || {
            let options = options.clone();
            async move { geodb::connect(&options).await }
        })
    }
}

impl QueueHandle {
    pub fn queue(queue: Queue) -> Self {
        Self::ready(queue, ErrorCode::QueueUnavailable)
    }

    pub fn connect_in_background(redis_url: String, config: queue::QueueConfig) -> Self {
        Self::in_background("queue", ErrorCode::QueueUnavailable, move || {
            let (url, config) = (redis_url.clone(), config.clone());
            async move { Queue::connect(&url, config).await }
        })
    }
}
