//! What every handler can reach: GeoDB (possibly still connecting), the bootstrap admin
//! token's hash and the metrics handle.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use geodb::{ConnectOptions, GeoDb};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::error::{ApiError, ErrorCode};

#[derive(Clone)]
pub struct AppState {
    pub geodb: GeoDbHandle,
    /// SHA-256 (hex) of `API_ADMIN_TOKEN`; the token itself is not kept.
    pub admin_token_hash: Option<String>,
    pub metrics: PrometheusHandle,
}

/// GeoDB, or the fact that it is not reachable yet. The API starts and answers health checks
/// (and 503s) while GeoDB is down, and connects as soon as it can.
#[derive(Clone, Default)]
pub struct GeoDbHandle {
    inner: Arc<RwLock<Option<Arc<dyn GeoDb>>>>,
}

impl GeoDbHandle {
    pub fn ready(db: Arc<dyn GeoDb>) -> Self {
        Self { inner: Arc::new(RwLock::new(Some(db))) }
    }

    /// A handle that connects in the background, retrying with capped backoff until it
    /// succeeds.
    pub fn connect_in_background(options: ConnectOptions) -> Self {
        let handle = Self::default();
        let slot = handle.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            loop {
                match geodb::connect(&options).await {
                    Ok(db) => {
                        tracing::info!(kind = db.kind(), "geodb connected");
                        if let Ok(mut guard) = slot.inner.write() {
                            *guard = Some(db);
                        }
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "geodb connect failed");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        handle
    }

    /// GeoDB, or 503 while it is not connected.
    pub fn get(&self) -> Result<Arc<dyn GeoDb>, ApiError> {
        self.inner
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| ApiError::new(ErrorCode::GeodbUnavailable, "GeoDB is not connected yet; retry later"))
    }
}
