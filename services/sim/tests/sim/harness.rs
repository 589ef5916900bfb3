//! Starts the real `cluster-sim` on a fresh SQLite GeoDB and talks to it: the ready file, the
//! control API, and a direct GeoDB handle for checking what it wrote.

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use cluster_sim::ready::Ready;
use domain::{Backend, BackendId, GroupName, HostName, SiteId, UserGroup};
use geodb::{GroupFilter, PageRequest};
use serde_json::Value;
use testkit::{ChildGuard, TempGeoDb, binary_path, wait_until_async};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Sim {
    pub child: ChildGuard,
    pub ready: Ready,
    pub ready_file: PathBuf,
    pub http: reqwest::Client,
}

/// The sim's command: a private ready file next to the database, quiet logs.
pub fn command(db: &TempGeoDb, args: &[&str], env: &[(&str, &str)]) -> (Command, PathBuf) {
    let ready_file = db.dir.path().join(format!("ready-{}.json", rand_suffix()));
    let mut cmd = Command::new(binary_path("cluster-sim"));
    cmd.env_clear()
        .env("GEODB_URL", db.url())
        .env("CLUSTER_SIM_LOG_LEVEL", "warn")
        .envs(env.iter().copied())
        .arg("--ready-file")
        .arg(&ready_file)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    (cmd, ready_file)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Starts the sim and waits for its ready file.
pub async fn start(db: &TempGeoDb, args: &[&str]) -> Sim {
    start_with_env(db, args, &[]).await
}

pub async fn start_with_env(db: &TempGeoDb, args: &[&str], env: &[(&str, &str)]) -> Sim {
    let (mut cmd, ready_file) = command(db, args, env);
    let mut child = ChildGuard::spawn(&mut cmd);
    let ready = wait_until_async("the sim's ready file", TIMEOUT, || {
        let exited = child.0.try_wait().expect("try_wait");
        assert!(exited.is_none(), "cluster-sim exited before it was ready: {exited:?}");
        let text = std::fs::read_to_string(&ready_file).ok();
        async move { text.and_then(|t| serde_json::from_str::<Ready>(&t).ok()) }
    })
    .await;
    Sim { child, ready, ready_file, http: reqwest::Client::new() }
}

impl Sim {
    pub fn site(&self) -> SiteId {
        self.ready.site_id
    }

    pub fn doveadm_url(&self, host: &str) -> String {
        self.ready.backends.get(host).unwrap_or_else(|| panic!("no backend {host}")).clone()
    }

    pub async fn state(&self) -> Value {
        let r = self.http.get(format!("{}/state", self.ready.control_url)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// `PUT /backends/{host}/faults`; returns (status, body).
    pub async fn put_faults(&self, host: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/backends/{host}/faults", self.ready.control_url);
        let r = self.http.put(url).json(&body).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.ready.control_url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// A counter from `GET /state`: `path` like `["totals", "attempts"]`.
    pub async fn counter(&self, path: &[&str]) -> u64 {
        let state = self.state().await;
        path.iter().fold(&state, |v, k| &v[*k]).as_u64().unwrap_or_else(|| panic!("no counter {path:?}"))
    }

    /// Waits until the counter reached `at_least`.
    pub async fn wait_counter(&self, path: &[&str], at_least: u64) -> u64 {
        wait_until_async(&format!("{path:?} >= {at_least}"), TIMEOUT, || async {
            let n = self.counter(path).await;
            (n >= at_least).then_some(n)
        })
        .await
    }

    /// SIGTERM, then waits for the exit.
    pub async fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let child = &mut self.child;
        wait_until_async("cluster-sim to exit after SIGTERM", TIMEOUT, || {
            let exited = child.0.try_wait().unwrap();
            async move { exited }
        })
        .await
    }
}

pub async fn backend(db: &TempGeoDb, host: &str) -> Backend {
    db.db.get_backend_by_host(&HostName::parse(host).unwrap()).await.unwrap().unwrap()
}

pub async fn groups(db: &TempGeoDb, site: SiteId) -> Vec<UserGroup> {
    let page = db.db.list_groups(site, &GroupFilter::default(), &PageRequest::first(PageRequest::MAX_LIMIT)).await;
    page.unwrap().items
}

pub async fn groups_on(db: &TempGeoDb, site: SiteId, backend: BackendId) -> Vec<GroupName> {
    groups(db, site).await.into_iter().filter(|g| g.backend_id == backend).map(|g| g.name).collect()
}
