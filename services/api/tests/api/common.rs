//! The test server: the real app over real HTTP, a fresh GeoDB per test.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use api_types::client::Client;
use api_types::{CreateBackend, CreateSite, Problem, UpdateBackend};
use controller_api::auth::hash_token;
use controller_api::error::ErrorCode;
use controller_api::token_cache::TokenCache;
use controller_api::{AppState, GeoDbHandle, QueueHandle, serve};
use geodb::GeoDb;
use queue::Queue;
use service::Clock;
use testkit::TempGeoDb;

pub const ADMIN_TOKEN: &str = "test-bootstrap-admin-token-0123456789";
/// `EVACUATION_STALL_SECS` of the test server: the setting's default.
pub const EVACUATION_STALL: std::time::Duration = std::time::Duration::from_secs(120);

pub struct TestApi {
    pub base: String,
    /// Authenticated with the bootstrap admin token.
    pub admin: Client,
    pub geodb: TempGeoDb,
    pub http: reqwest::Client,
    handle: ServerHandle,
}

impl TestApi {
    pub async fn start() -> Self {
        let geodb = TempGeoDb::new().await;
        Self::start_with(geodb.db.clone(), geodb).await
    }

    pub async fn start_with(db: Arc<dyn GeoDb>, geodb: TempGeoDb) -> Self {
        Self::start_handle(GeoDbHandle::geodb(db), geodb).await
    }

    pub async fn start_handle(handle: GeoDbHandle, geodb: TempGeoDb) -> Self {
        Self::start_full(handle, QueueHandle::absent(ErrorCode::QueueUnavailable), geodb).await
    }

    /// With a real queue on `redis` (a private redis-server), for the job routes.
    pub async fn start_with_queue(queue: Queue) -> Self {
        let geodb = TempGeoDb::new().await;
        Self::start_full(GeoDbHandle::geodb(geodb.db.clone()), QueueHandle::queue(queue), geodb).await
    }

    pub async fn start_full(handle: GeoDbHandle, queue: QueueHandle, geodb: TempGeoDb) -> Self {
        let (base, handle) = spawn_server(state(handle, queue, Clock::system()));
        Self { admin: Client::new(&base, Some(ADMIN_TOKEN.into())), base, geodb, http: reqwest::Client::new(), handle }
    }

    /// A second API server on the same GeoDB, as another replica would be, whose token cache
    /// follows `clock`.
    pub fn replica(&self, clock: Clock) -> Replica {
        let geodb = GeoDbHandle::geodb(self.geodb.db.clone());
        let (base, handle) = spawn_server(state(geodb, QueueHandle::absent(ErrorCode::QueueUnavailable), clock));
        Replica { base, handle }
    }

    pub fn db(&self) -> &dyn GeoDb {
        &*self.geodb.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A site with `n` online backends `b1.<site>.test` …
    pub async fn site_with_backends(&self, site: &str, n: usize) {
        self.admin.create_site(&CreateSite { name: site.into(), ..Default::default() }).await.expect("create site");
        for i in 1..=n {
            let host = format!("b{i}.{site}.test");
            self.admin
                .create_backend(&CreateBackend { host: host.clone(), site: site.into(), id: None })
                .await
                .expect("create backend");
            let online = UpdateBackend { status: Some("online".into()), load_factor: None };
            self.admin.update_backend(&host, &online).await.expect("backend online");
        }
    }

    /// Sends a raw request and returns status, content type and body text.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String, String) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_owned());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (status, ctype, resp.text().await.expect("body"))
    }
}

fn state(geodb: GeoDbHandle, queue: QueueHandle, clock: Clock) -> AppState {
    AppState {
        geodb,
        queue,
        admin_token_hash: Some(hash_token(ADMIN_TOKEN)),
        metrics: telemetry::install_metrics().expect("metrics"),
        tokens: TokenCache::new(clock),
        evacuation_stall: EVACUATION_STALL,
    }
}

fn spawn_server(state: AppState) -> (String, ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = serve(listener, state, 1).expect("serve");
    let handle = server.handle();
    tokio::spawn(server);
    (base, handle)
}

/// Another API server sharing a [`TestApi`]'s GeoDB.
pub struct Replica {
    pub base: String,
    handle: ServerHandle,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// The problem an API call failed with, or a panic naming what succeeded instead.
pub fn problem<T: std::fmt::Debug>(result: Result<T, api_types::client::ClientError>) -> Problem {
    match result {
        Err(api_types::client::ClientError::Api(p)) => p,
        other => panic!("expected a problem answer, got {other:?}"),
    }
}
