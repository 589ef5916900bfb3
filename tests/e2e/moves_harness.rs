//! What the move tests share: a whole site on real binaries. A private Redis and key prefix
//! (from the queue harness), a fresh SQLite GeoDB, `cluster-sim` simulating the site's backends
//! and proxies over that GeoDB (pre-assigned, so every group exists before the test starts), and
//! the controller's workers and scheduler started against both with short move settings.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use domain::{Backend, BackendId, HostName, SiteId, UserGroup};
use geodb::{GeoDb, GroupFilter, PageRequest};
use queue::{JobRecord, JobState, NewJob, Priority};
use serde::Deserialize;
use serde_json::{Value, json};
use state::EvacuationProgress;
use testkit::{ChildGuard, TempGeoDb, binary_path, wait_until_async};

use crate::queue_harness::{Process, Site};

pub const SITE: &str = "e2e";
/// The doveadm API key the sim's backends demand and the workers send.
const API_KEY: &str = "e2e-doveadm-key";
/// Long enough for a loaded 2-core machine to finish an evacuation of 100 groups.
pub const LONG: Duration = Duration::from_secs(120);

/// What `cluster-sim --ready-file` announces.
#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    pub control_url: String,
    /// Backend host → doveadm base URL.
    pub backends: BTreeMap<String, String>,
}

/// One test's site.
pub struct Cluster {
    pub site: Site,
    pub db: Arc<dyn GeoDb>,
    pub ready: Ready,
    pub site_id: SiteId,
    http: reqwest::Client,
    // Held for their drop: the sim is killed, then the GeoDB directory removed.
    _sim: ChildGuard,
    _geodb: TempGeoDb,
}

impl Cluster {
    /// Starts Redis, GeoDB and `cluster-sim` with `sim_args` (besides the site, the ready file
    /// and `--preassign`); `env` goes to every process started from here on.
    pub async fn start(tag: &str, sim_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut site = Site::start(tag).await;
        let geodb = TempGeoDb::new().await;
        let defaults = [
            ("GEODB_URL", geodb.url()),
            ("DOVEADM_API_KEY", API_KEY.to_owned()),
            ("DOVEADM_TIMEOUT_MS", "2000".to_owned()),
            ("EVACUATION_BATCH_INTERVAL_MS", "200".to_owned()),
            ("MOVE_ACCESS_RETRY_SECS", "1".to_owned()),
            ("CLUSTER_SIM_LOG_LEVEL", std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".to_owned())),
        ];
        let given = env.iter().map(|(name, value)| (*name, (*value).to_owned()));
        for (name, value) in defaults.into_iter().chain(given) {
            site.env.retain(|(n, _)| n != name);
            site.env.push((name.to_owned(), value));
        }
        let ready_file = geodb.dir.path().join("sim-ready.json");
        let sim = spawn_sim(&site, &ready_file, sim_args);
        let ready = read_ready(&ready_file).await;
        let db = geodb.db.clone();
        let site_row =
            db.get_site_by_name(&domain::SiteName::parse(SITE).unwrap()).await.unwrap().expect("the sim's site");
        Self { site, site_id: site_row.id, db, ready, http: reqwest::Client::new(), _sim: sim, _geodb: geodb }
    }

    pub fn worker(&self, priority: Priority) -> Process {
        self.site.worker(priority, 16, &[])
    }

    /// A scheduler emitting only the reachability probe, every `interval_ms`.
    pub fn reachability_scheduler(&self, interval_ms: u64) -> Process {
        let entries = json!([{"name": "reachability", "kind": "reachability", "interval_ms": interval_ms}]).to_string();
        self.site.scheduler(&[("SCHEDULER_ENTRIES", entries.as_str())])
    }

    /// Enqueues a job of `kind` (validated as the API would) and returns its id.
    pub async fn enqueue(&self, kind: &str, payload: Value, max_attempts: Option<u32>) -> String {
        let (kind, payload) = jobs::validate(kind, &payload).expect("a valid payload");
        let job = NewJob {
            kind: kind.as_str().to_owned(),
            payload,
            priority: kind.default_priority(),
            dedup_key: None,
            max_attempts,
            epoch: None,
        };
        self.site.enqueue(job).await
    }

    pub async fn wait_for_state(&self, id: &str, state: JobState, timeout: Duration) -> JobRecord {
        self.site.wait_for_state(id, state, timeout).await
    }

    /// The backends in host order (b1, b2, ...).
    pub async fn backends(&self) -> Vec<Backend> {
        self.db.list_backends(Some(self.site_id)).await.unwrap()
    }

    pub async fn backend(&self, host: &str) -> Backend {
        self.db.get_backend_by_host(&HostName::parse(host).unwrap()).await.unwrap().expect("a backend of the sim")
    }

    pub async fn groups(&self, backend: Option<BackendId>) -> Vec<UserGroup> {
        let filter = GroupFilter { mask: None, backend };
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        let mut groups = Vec::new();
        loop {
            let p = self.db.list_groups(self.site_id, &filter, &page).await.unwrap();
            groups.extend(p.items);
            match p.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => return groups,
            }
        }
    }

    pub async fn evacuation(&self, backend: BackendId) -> Option<EvacuationProgress> {
        state::State::new(&self.site.queue).evacuation(backend.0).await.unwrap()
    }

    /// `GET /state` of the sim's control API.
    pub async fn sim_state(&self) -> Value {
        let url = format!("{}/state", self.ready.control_url);
        self.http.get(url).send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
    }

    /// Waits until the sim's observer has completed `n` more rounds: its load figures then
    /// reflect every GeoDB change made before the call.
    pub async fn wait_for_sim_ticks(&self, n: u64) {
        let start = self.sim_state().await["totals"]["observer_ticks"].as_u64().unwrap();
        testkit::wait_until_async("the sim's observer to advance", LONG, || async {
            (self.sim_state().await["totals"]["observer_ticks"].as_u64().unwrap() >= start + n).then_some(())
        })
        .await;
    }

    pub async fn set_faults(&self, host: &str, faults: Value) {
        let url = format!("{}/backends/{host}/faults", self.ready.control_url);
        self.http.put(url).json(&faults).send().await.unwrap().error_for_status().unwrap();
    }

    /// (successes, failures) the sim's proxies recorded in `proxy_dest_stats` per backend host,
    /// over every window (the GeoDB is the test's own).
    pub async fn proxy_stats(&self) -> BTreeMap<String, (u64, u64)> {
        let now = chrono::Utc::now();
        let rows = self.db.read_stats(self.site_id, now - chrono::TimeDelta::hours(1), now).await.unwrap();
        let hosts: BTreeMap<BackendId, String> =
            self.backends().await.into_iter().map(|b| (b.id, b.host.to_string())).collect();
        let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for row in rows {
            let host = hosts.get(&row.backend_id).cloned().unwrap_or_else(|| row.backend_id.to_string());
            let entry = totals.entry(host).or_default();
            entry.0 += row.successes;
            entry.1 += row.failures;
        }
        totals
    }

    /// Waits until the evacuation of `backend` reaches `done` (or fails the test if it failed).
    pub async fn wait_for_evacuation(&self, backend: BackendId, timeout: Duration) -> EvacuationProgress {
        wait_until_async("the evacuation to finish", timeout, || async {
            let p = self.evacuation(backend).await?;
            assert_ne!(p.state, state::EvacuationState::Failed, "evacuation failed: {p:?}");
            (p.state == state::EvacuationState::Done).then_some(p)
        })
        .await
    }
}

fn spawn_sim(site: &Site, ready_file: &std::path::Path, args: &[&str]) -> ChildGuard {
    let path = match std::env::var_os("E2E_BIN_DIR") {
        Some(dir) => PathBuf::from(dir).join("cluster-sim"),
        None => binary_path("cluster-sim"),
    };
    let mut cmd = Command::new(path);
    cmd.env_clear().stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit());
    for (name, value) in &site.env {
        cmd.env(name, value);
    }
    cmd.args(["--site", SITE, "--preassign", "--ready-file"]).arg(ready_file).args(args);
    ChildGuard::spawn(&mut cmd)
}

async fn read_ready(path: &std::path::Path) -> Ready {
    wait_until_async("cluster-sim to write its ready file", Duration::from_secs(60), || async {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    })
    .await
}
