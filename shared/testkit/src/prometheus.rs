//! A real Prometheus (Debian's `prometheus` package) for tests: scrapes the given targets and
//! evaluates a rules file at a short interval, storing its TSDB in a temporary directory. It is
//! killed when dropped. Never a fake: a test that needs Prometheus and cannot find it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{ChildGuard, free_port, wait_until_async};

/// How long Prometheus may take to answer `/-/ready` after it starts.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running Prometheus on a free loopback port.
#[derive(Debug)]
pub struct Prometheus {
    /// Base URL, like `http://127.0.0.1:PORT`.
    pub url: String,
    // Field order matters: the process is killed before its storage directory is removed.
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

/// The repository's recording rules, `deploy/prometheus/rules.yml`.
pub fn repo_rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/prometheus/rules.yml")
        .canonicalize()
        .expect("deploy/prometheus/rules.yml in the repository")
}

/// One scrape job beyond the plain `/metrics` ones: a path and, if given, a bearer token (kept
/// in a file beside the config, as a real deployment keeps it).
#[derive(Debug, Clone)]
pub struct ScrapeJob {
    pub name: String,
    /// `host:port`, or base URLs like `http://host:port/`.
    pub targets: Vec<String>,
    pub metrics_path: String,
    pub bearer_token: Option<String>,
}

impl ScrapeJob {
    /// `/metrics` on `targets`, no token.
    pub fn metrics(targets: &[impl AsRef<str>]) -> Self {
        Self {
            name: "test".into(),
            targets: targets.iter().map(|t| t.as_ref().to_owned()).collect(),
            metrics_path: "/metrics".into(),
            bearer_token: None,
        }
    }
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port`, or base URLs like `http://host:port/`;
    /// none is allowed: a Prometheus that knows nothing) at `interval`, evaluating `rules` at the
    /// same interval, and waits until it is ready.
    pub async fn start(targets: &[impl AsRef<str>], rules: &Path, interval: Duration) -> Self {
        Self::start_jobs(&[ScrapeJob::metrics(targets)], Some(rules), interval).await
    }

    /// Starts Prometheus with the given scrape jobs and optional rules file.
    pub async fn start_jobs(jobs: &[ScrapeJob], rules: Option<&Path>, interval: Duration) -> Self {
        let found = Command::new("prometheus").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        assert!(
            found.is_ok_and(|s| s.success()),
            "Debian's `prometheus` is not installed (scripts/test installs it): \
             apt-get install --no-install-recommends prometheus"
        );
        let dir = tempfile::tempdir().expect("temp dir for prometheus");
        let config_path = dir.path().join("prometheus.yml");
        for (i, job) in jobs.iter().enumerate() {
            if let Some(token) = &job.bearer_token {
                std::fs::write(dir.path().join(format!("token-{i}")), token).expect("write a token file");
            }
        }
        std::fs::write(&config_path, config(jobs, dir.path(), rules, interval)).expect("write prometheus.yml");
        let log_path = dir.path().join("prometheus.log");
        let log = std::fs::File::create(&log_path).expect("create prometheus.log");

        let port = free_port();
        let mut cmd = Command::new("prometheus");
        cmd.arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut child = ChildGuard::spawn(&mut cmd);
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_until_async("prometheus to be ready", READY_TIMEOUT, || {
            let exited = child.0.try_wait().expect("try_wait on prometheus");
            if let Some(status) = exited {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("prometheus exited before it was ready ({status}); its log:\n{log}");
            }
            let ready = http.get(format!("{url}/-/ready")).send();
            async move { ready.await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        Self { url, _child: child, _dir: dir }
    }
}

/// prometheus.yml: the scrape jobs (token files `token-<n>` in `dir`), scrape and evaluation
/// every `interval`.
fn config(jobs: &[ScrapeJob], dir: &Path, rules: Option<&Path>, interval: Duration) -> String {
    let interval = format!("{}ms", interval.as_millis().max(1));
    let mut out = format!("global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\n");
    if let Some(rules) = rules {
        out.push_str(&format!("rule_files:\n  - \"{}\"\n", rules.display()));
    }
    out.push_str("scrape_configs:\n");
    for (i, job) in jobs.iter().enumerate() {
        let targets: Vec<String> = job
            .targets
            .iter()
            .map(|t| format!("\"{}\"", t.strip_prefix("http://").unwrap_or(t).trim_end_matches('/')))
            .collect();
        out.push_str(&format!("  - job_name: \"{}\"\n    metrics_path: \"{}\"\n", job.name, job.metrics_path));
        if job.bearer_token.is_some() {
            let file = dir.join(format!("token-{i}"));
            out.push_str(&format!("    authorization:\n      credentials_file: \"{}\"\n", file.display()));
        }
        out.push_str(&format!("    static_configs:\n      - targets: [{}]\n", targets.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_bare_targets() {
        let jobs = [ScrapeJob::metrics(&["http://127.0.0.1:1/", "127.0.0.1:2"])];
        let c = config(&jobs, Path::new("/d"), Some(Path::new("/r.yml")), Duration::from_secs(1));
        assert!(c.contains("targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]"), "{c}");
        assert!(c.contains("evaluation_interval: 1000ms"), "{c}");
        assert!(c.contains("- \"/r.yml\""), "{c}");
    }

    #[test]
    fn config_without_targets() {
        let c = config(&[ScrapeJob::metrics(&[] as &[&str])], Path::new("/d"), None, Duration::from_millis(500));
        assert!(c.contains("targets: []"), "{c}");
        assert!(!c.contains("rule_files"), "{c}");
    }

    #[test]
    fn a_token_is_read_from_a_file_never_written_inline() {
        let job = ScrapeJob {
            name: "api".into(),
            targets: vec!["127.0.0.1:3".into()],
            metrics_path: "/api/v1/cluster/metrics".into(),
            bearer_token: Some("secret".into()),
        };
        let c = config(&[job], Path::new("/d"), None, Duration::from_secs(1));
        assert!(c.contains("metrics_path: \"/api/v1/cluster/metrics\""), "{c}");
        assert!(c.contains("credentials_file: \"/d/token-0\""), "{c}");
        assert!(!c.contains("secret"), "{c}");
    }
}
