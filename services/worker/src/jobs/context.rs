//! What the move, evacuation, kick and reachability jobs share: GeoDB, the queue's state store,
//! the doveadm client and their settings, plus the small lookups every one of them needs (the
//! home site, a backend's doveadm URL, the latest reachability) and the mapping of their errors
//! onto [`JobError`]: an outage is retried, a refusal is not.

use std::collections::HashMap;
use std::sync::Arc;

use controller_config::{AutomationConfig, BalanceConfig, Config, MitigationConfig, MoveConfig};
use domain::{Backend, BackendId, SettingName, SettingScope, Site, SiteName};
use geodb::{GeoDb, GeoDbError};
use queue::{Queue, QueueError};
use state::{Alert, BackendReachability};
use uuid::Uuid;

use super::JobError;

/// The backend-scope cluster setting a backend (or `cluster-sim`) publishes its doveadm API
/// base URL in; without it the API is at `http://<host>:DOVEADM_PORT`.
pub const DOVEADM_URL_SETTING: &str = "doveadm_url";

#[derive(Clone)]
pub struct Context {
    pub db: Arc<dyn GeoDb>,
    pub queue: Queue,
    /// The controller's state, on the queue's connection.
    pub state: state::State,
    pub doveadm: doveadm::Client,
    /// `CLUSTER_SITE`: the site whose backends the reachability job probes.
    pub home_site: SiteName,
    /// `DOVEADM_PORT`, for backends without a `doveadm_url`.
    pub doveadm_port: u16,
    pub moves: MoveConfig,
    /// Where `load_balance` reads z-scores and the limits of its decision.
    pub balance: BalanceConfig,
    /// The window and thresholds `error_mitigation` judges backends by.
    pub mitigation: MitigationConfig,
    /// The window and thresholds of `site_failover` and the webhook of `autoscale`.
    pub automation: AutomationConfig,
    /// Every job's "now" and every wait (move watching, evacuation pacing).
    pub clock: service::Clock,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("geodb", &self.db.kind())
            .field("home_site", &self.home_site)
            .field("doveadm_port", &self.doveadm_port)
            .field("moves", &self.moves)
            .finish_non_exhaustive()
    }
}

/// A GeoDB error where it happened: unavailable is passing, anything else needs a person.
pub fn geodb_error(what: &str, e: GeoDbError) -> JobError {
    match e {
        GeoDbError::Unavailable(_) => JobError::Retry(format!("{what}: {e}")),
        _ => JobError::Abort(format!("{what}: {e}")),
    }
}

/// A Redis error: the state store is only unavailable for a while, or corrupt (a person).
pub fn queue_error(what: &str, e: QueueError) -> JobError {
    match e {
        QueueError::Unavailable(_) => JobError::Retry(format!("{what}: {e}")),
        _ => JobError::Abort(format!("{what}: {e}")),
    }
}

impl Context {
    /// The context of a worker configured by `config` (`CLUSTER_SITE` set: the service's
    /// required settings make sure of it), over connections it already holds.
    pub fn new(
        config: &Config,
        db: Arc<dyn GeoDb>,
        queue: Queue,
        doveadm: doveadm::Client,
        clock: service::Clock,
    ) -> Result<Self, &'static str> {
        Ok(Self {
            db,
            state: state::State::new(&queue),
            queue,
            doveadm,
            home_site: config.home_site.clone().ok_or("CLUSTER_SITE is required")?,
            doveadm_port: config.doveadm.port,
            moves: config.moves.clone(),
            balance: config.balance.clone(),
            mitigation: config.mitigation.clone(),
            automation: config.automation.clone(),
            clock,
        })
    }

    pub async fn home_site(&self) -> Result<Option<Site>, JobError> {
        self.db.get_site_by_name(&self.home_site).await.map_err(|e| geodb_error("read the home site", e))
    }

    pub async fn backend(&self, id: BackendId) -> Result<Option<Backend>, JobError> {
        self.db.get_backend(id).await.map_err(|e| geodb_error("read a backend", e))
    }

    /// The base URL of the backend's doveadm API. Only the backend scope is read: a URL names
    /// one server, so a site-wide or global value would send every backend's calls to it.
    pub async fn doveadm_url(&self, backend: &Backend) -> Result<String, JobError> {
        let name =
            SettingName::parse(DOVEADM_URL_SETTING).map_err(|e| JobError::abort(format!("setting name: {e}")))?;
        let setting = self
            .db
            .get_setting(SettingScope::Backend(backend.id), &name)
            .await
            .map_err(|e| geodb_error("read the backend's doveadm_url", e))?;
        Ok(doveadm::backend_url(setting.as_ref().map(|s| s.value.as_str()), backend.host.as_str(), self.doveadm_port))
    }

    /// The latest probe record of every backend, by backend id.
    pub async fn reachability(&self) -> Result<HashMap<BackendId, BackendReachability>, JobError> {
        let records = self.state.backend_reachability().await.map_err(|e| queue_error("read reachability", e))?;
        Ok(records.into_iter().map(|r| (BackendId(r.backend_id), r)).collect())
    }

    /// Enqueues a typed job; the result a plan or pass records for it: the job's id, or the id
    /// of the job already holding its dedup key.
    pub async fn submit<J: jobs::Job>(&self, job: &J) -> Result<serde_json::Value, JobError> {
        let outcome = self.queue.submit(job).await.map_err(|e| queue_error(&format!("enqueue {}", J::KIND), e))?;
        Ok(match outcome {
            queue::EnqueueOutcome::Enqueued(id) => serde_json::json!({ "enqueued": J::KIND.as_str(), "job_id": id }),
            queue::EnqueueOutcome::Duplicate(id) => serde_json::json!({ "duplicate_of": id }),
        })
    }

    /// The site's `proxy_dest_stats` rows covering `[since, now)`, read from `since - lookback`
    /// (the rule in `domain::stats`), and where the read started.
    pub async fn stats_covering(
        &self,
        site: domain::SiteId,
        since: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        lookback: chrono::TimeDelta,
    ) -> Result<(Vec<domain::ProxyDestStat>, chrono::DateTime<chrono::Utc>), JobError> {
        let from = domain::ProxyDestStat::read_from(since, lookback);
        let mut rows =
            self.db.read_stats(site, from, now).await.map_err(|e| geodb_error("read proxy_dest_stats", e))?;
        rows.retain(|r| r.overlaps(since));
        Ok((rows, from))
    }

    /// Stores an alert and logs it; an alert that cannot be stored is still logged, and the
    /// caller's own error (which the job record shows) carries the same text.
    pub async fn raise(&self, alert: Alert) {
        tracing::error!(kind = %alert.kind, severity = ?alert.severity, message = %alert.message, context = %alert.context, "alert raised");
        if let Err(error) = self.state.raise_alert(&alert).await {
            tracing::error!(%error, kind = %alert.kind, "cannot store the alert in redis");
        }
    }

    /// Resolves the open alert of the key (kind, site, object), when its condition cleared.
    /// Best effort, like [`Self::raise`]: after a Redis error the alert stays open, the safe side
    /// (an operator looks at a condition that already cleared).
    pub async fn resolve(&self, kind: &str, site: Option<Uuid>, object: Option<&str>) {
        match self.state.resolve_alert(kind, site, object).await {
            Ok(true) => tracing::info!(kind, site = ?site, object, "alert resolved"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, kind, object, "cannot resolve the alert in redis"),
        }
    }
}
