//! What the queue's end-to-end tests share: a private Redis and key prefix per test, the real
//! `controller-worker` and `controller-scheduler` binaries started against it with short
//! timeouts, and readers for what the probe job leaves in Redis. Waiting is always on a
//! condition with a deadline.

use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use queue::{JobRecord, JobState, NewJob, Priority, Queue, QueueConfig};
use serde_json::json;
use testkit::{ChildGuard, RedisServer, binary_path, unique_prefix, wait_until_async};

/// Fast enough for tests, slow enough that a loaded 2-core machine does not miss heartbeats.
pub const VISIBILITY_TIMEOUT: Duration = Duration::from_millis(1500);
pub const RETRY_BASE: Duration = Duration::from_millis(100);
pub const LEASE_TTL: Duration = Duration::from_millis(1000);

/// One test's queue: its own Redis server and key prefix, and a handle on the queue.
pub struct Site {
    pub redis: RedisServer,
    /// Holds the GeoDB file workers open (they need one since they run move jobs); kept for its
    /// drop, which removes it.
    _geodb_dir: tempfile::TempDir,
    pub queue: Queue,
    /// Extra settings for every process started from now on (`NAME`, value).
    pub env: Vec<(String, String)>,
}

impl Site {
    pub async fn start(tag: &str) -> Self {
        Self::start_with(tag, |_| {}).await
    }

    /// Like [`Site::start`], with the queue settings adjusted before anything starts.
    pub async fn start_with(tag: &str, adjust: impl FnOnce(&mut QueueConfig)) -> Self {
        let redis = RedisServer::start().await;
        let dir = tempfile::tempdir().expect("temp dir for the site's geodb");
        let mut config = QueueConfig::new(unique_prefix(tag));
        config.visibility_timeout = VISIBILITY_TIMEOUT;
        config.retry_base = RETRY_BASE;
        config.retry_max = Duration::from_secs(5);
        adjust(&mut config);
        let env = vec![
            ("REDIS_URL".to_owned(), redis.url()),
            ("CLUSTER_SITE".to_owned(), "e2e".to_owned()),
            ("GEODB_URL".to_owned(), format!("sqlite://{}", dir.path().join("geodb.sqlite").display())),
            ("QUEUE_PREFIX".to_owned(), config.prefix.clone()),
            ("QUEUE_VISIBILITY_TIMEOUT_MS".to_owned(), config.visibility_timeout.as_millis().to_string()),
            ("QUEUE_MAX_ATTEMPTS".to_owned(), config.max_attempts.to_string()),
            ("QUEUE_RETRY_BASE_MS".to_owned(), config.retry_base.as_millis().to_string()),
            ("QUEUE_RETRY_MAX_MS".to_owned(), config.retry_max.as_millis().to_string()),
            ("SCHEDULER_LEASE_TTL_MS".to_owned(), LEASE_TTL.as_millis().to_string()),
            ("WORKER_METRICS_LISTEN".to_owned(), "off".to_owned()),
            // E2E_LOG=info shows what the binaries do; by default only their warnings.
            ("CONTROLLER_WORKER_LOG_LEVEL".to_owned(), log_level()),
            ("CONTROLLER_SCHEDULER_LOG_LEVEL".to_owned(), log_level()),
        ];
        let queue = Queue::connect(&redis.url(), config).await.expect("connect the test's queue");
        Self { redis, _geodb_dir: dir, queue, env }
    }

    pub fn prefix(&self) -> &str {
        &self.queue.config().prefix
    }

    fn command(&self, binary: &str, extra: &[(&str, &str)]) -> Command {
        // E2E_BIN_DIR=target/release measures release binaries from a debug test build.
        let path = match std::env::var_os("E2E_BIN_DIR") {
            Some(dir) => std::path::PathBuf::from(dir).join(binary),
            None => binary_path(binary),
        };
        let mut cmd = Command::new(path);
        cmd.env_clear().stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit());
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        for (name, value) in extra {
            cmd.env(name, value);
        }
        cmd
    }

    /// A `controller-worker --priority <priority> --concurrency <n>` process.
    pub fn worker(&self, priority: Priority, concurrency: u16, extra: &[(&str, &str)]) -> Process {
        let mut cmd = self.command("controller-worker", extra);
        cmd.args(["--priority", priority.as_str(), "--concurrency", &concurrency.to_string()]);
        Process(ChildGuard::spawn(&mut cmd))
    }

    pub fn scheduler(&self, extra: &[(&str, &str)]) -> Process {
        Process(ChildGuard::spawn(&mut self.command("controller-scheduler", extra)))
    }

    pub async fn enqueue(&self, job: NewJob) -> String {
        self.queue.enqueue(job).await.expect("enqueue").id().to_owned()
    }

    pub async fn record(&self, id: &str) -> JobRecord {
        self.queue.get(id).await.expect("read the record").unwrap_or_else(|| panic!("job {id} has no record"))
    }

    /// Waits for the job to reach `state` and returns its record.
    pub async fn wait_for_state(&self, id: &str, state: JobState, timeout: Duration) -> JobRecord {
        wait_until_async(&format!("job {id} to be {state}"), timeout, || async {
            self.queue.get(id).await.ok().flatten().filter(|r| r.state == state)
        })
        .await
    }

    async fn redis_conn(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.redis.url()).expect("redis url");
        client.get_multiplexed_async_connection().await.expect("connect to the test's redis")
    }

    /// How many runs of probes with this marker started (0 before the first).
    pub async fn marker(&self, marker: &str) -> u64 {
        let mut conn = self.redis_conn().await;
        let count: Option<u64> = redis::cmd("GET")
            .arg(format!("{}:probe:{marker}", self.prefix()))
            .query_async(&mut conn)
            .await
            .expect("read the marker");
        count.unwrap_or(0)
    }

    /// Waits until the marker reaches `at_least` and returns its value.
    pub async fn wait_for_marker(&self, marker: &str, at_least: u64, timeout: Duration) -> u64 {
        wait_until_async(&format!("marker {marker} to reach {at_least}"), timeout, || async {
            Some(self.marker(marker).await).filter(|n| *n >= at_least)
        })
        .await
    }

    /// The runs of probes with this marker, in the order they started.
    pub async fn runs(&self, marker: &str) -> Vec<Run> {
        let mut conn = self.redis_conn().await;
        let lines: Vec<String> = redis::cmd("LRANGE")
            .arg(format!("{}:probe:{marker}:runs", self.prefix()))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .expect("read the run log");
        lines.iter().map(|l| serde_json::from_str(l).expect("a run log line")).collect()
    }

    /// CPU seconds (user + system) the Redis server used so far (`INFO cpu`).
    pub async fn redis_cpu_seconds(&self) -> f64 {
        let mut conn = self.redis_conn().await;
        let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut conn).await.expect("INFO cpu");
        info.lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| *k == "used_cpu_sys" || *k == "used_cpu_user")
            .filter_map(|(_, v)| v.trim().parse::<f64>().ok())
            .sum()
    }

    /// Consumers still registered in the priority's consumer group (`XINFO CONSUMERS`).
    pub async fn consumers(&self, priority: Priority) -> usize {
        let mut conn = self.redis_conn().await;
        let stream = format!("{}:stream:{}", self.prefix(), priority.as_str());
        let reply: redis::RedisResult<Vec<redis::Value>> =
            redis::cmd("XINFO").arg("CONSUMERS").arg(stream).arg("workers").query_async(&mut conn).await;
        reply.map(|consumers| consumers.len()).unwrap_or(0)
    }
}

/// One probe run as the probe logged it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Run {
    pub job: String,
    pub attempt: u32,
    pub at_ms: i64,
}

/// A probe job; `payload` fields are merged over `{"marker": marker}`.
pub fn probe(marker: &str, priority: Priority, payload: serde_json::Value) -> NewJob {
    let mut body = json!({ "marker": marker });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), payload.as_object()) {
        body.extend(extra.clone());
    }
    NewJob { kind: "probe".into(), payload: body, priority, dedup_key: None, max_attempts: None, epoch: None }
}

/// A child process of the test, killed when dropped.
pub struct Process(pub ChildGuard);

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    pub fn sigkill(&mut self) {
        self.0.0.kill().expect("SIGKILL");
        self.0.0.wait().expect("reap the killed process");
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    pub fn is_running(&mut self) -> bool {
        self.0.0.try_wait().expect("poll the child").is_none()
    }

    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        wait_until_async("the process to exit", timeout, || {
            let exited = self.0.0.try_wait().expect("poll the child");
            async move { exited }
        })
        .await
    }
}

pub fn millis_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds()
}

fn log_level() -> String {
    std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".to_owned())
}
