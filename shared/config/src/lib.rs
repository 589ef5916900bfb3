//! Layered settings for every binary: built-in defaults, then a file (`--config PATH` or
//! `CONTROLLER_CONFIG`; TOML or `NAME=value` lines), then environment variables, read and
//! merged by config-rs; then validation that reports every bad value
//! at once, so an operator fixes a deployment in one round. Settings are declared once, in
//! [`settings`]; this crate never reads the process environment except in [`load_from_process`],
//! and never lets a secret reach `Debug`, `Display` or [`Config::render_effective`].

mod assemble;
mod env;
mod error;
mod parse;
mod render;
mod resolve;
mod schedule;
mod secret;
pub mod settings;
mod sources;
mod url;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use domain::SiteName;
pub use env::Env;
pub use error::{ConfigError, ConfigErrors, Origin};
pub use queue::{QueueConfig, ScheduleEntry};
pub use secret::Secret;
pub use sources::one_line;
pub use telemetry::LogFormat;
pub use url::{GeoDbUrl, RedisUrl};

/// The binaries that read this configuration; each declares which settings it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Api,
    Scheduler,
    Worker,
    Sim,
}

impl Service {
    pub const ALL: &'static [Service] = &[Self::Api, Self::Scheduler, Self::Worker, Self::Sim];

    /// The binary's name, as operators see it in process lists and error messages.
    pub fn binary(self) -> &'static str {
        match self {
            Self::Api => "controller-api",
            Self::Scheduler => "controller-scheduler",
            Self::Worker => "controller-worker",
            Self::Sim => "cluster-sim",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary())
    }
}

/// The validated configuration of one service. `Debug` never shows a secret.
#[derive(Clone)]
pub struct Config {
    pub service: Service,
    /// The site this controller manages (`CLUSTER_SITE`); required by the scheduler and worker.
    pub home_site: Option<SiteName>,
    pub geodb: geodb::ConnectOptions,
    pub redis_url: RedisUrl,
    pub api_listen: SocketAddr,
    /// Bootstrap admin token for the API (`API_ADMIN_TOKEN`).
    pub admin_token: Option<Secret>,
    /// Key prefix, timeouts, attempts and retention of the job queue; see [`Config::queue_config`].
    queue: QueueConfig,
    pub scheduler: SchedulerConfig,
    pub worker: WorkerConfig,
    /// How the worker reaches the backends' doveadm HTTP API.
    pub doveadm: DoveadmConfig,
    /// Timeouts and rates of group moves, evacuations and reachability probes.
    pub moves: MoveConfig,
    /// Load balancing (`load_balance`): where z-scores come from and the decision's limits.
    pub balance: BalanceConfig,
    /// Error mitigation (`error_mitigation`): the window and thresholds of its decision.
    pub mitigation: MitigationConfig,
    /// Site failover (`site_failover`) and autoscaling (`autoscale`).
    pub automation: AutomationConfig,
    /// This service's log level and format.
    pub log: LogConfig,
    /// The TOML file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Every setting's effective value (already redacted) and origin, for `--print-config`.
    effective: Vec<render::Effective>,
}

/// Log settings of the running service, ready for `telemetry::init_tracing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// A level (`info`) or a full `EnvFilter` directive (`info,geodb=debug`).
    pub level: String,
    pub format: LogFormat,
}

/// What `controller-scheduler` reads.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    /// The leader lease's lifetime (`SCHEDULER_LEASE_TTL_MS`).
    pub lease_ttl: Duration,
    /// The periodic jobs, validated for their kinds (`SCHEDULER_ENTRIES`).
    pub entries: Vec<ScheduleEntry>,
}

/// What `controller-worker` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Jobs run at once by one process (`WORKER_CONCURRENCY`).
    pub concurrency: usize,
    /// How long SIGTERM waits for running jobs (`WORKER_SHUTDOWN_GRACE_SECS`).
    pub shutdown_grace: Duration,
    /// Where `/metrics` and `/healthz` are served; `None` when disabled.
    pub metrics_listen: Option<SocketAddr>,
}

/// The backends' doveadm HTTP API. `Debug` shows the credentials as `<redacted>`.
#[derive(Debug, Clone)]
pub struct DoveadmConfig {
    /// `DOVEADM_API_KEY`: preferred over the password when both are set.
    pub api_key: Option<Secret>,
    /// `DOVEADM_PASSWORD`: HTTP Basic as user `doveadm`.
    pub password: Option<Secret>,
    /// `DOVEADM_PORT`: used when a backend publishes no `doveadm_url`.
    pub port: u16,
    /// `DOVEADM_TIMEOUT_MS`: one call.
    pub timeout: Duration,
}

/// What the move, evacuation and reachability jobs read (and the API, for evacuation progress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveConfig {
    /// `MOVE_TIMEOUT_SECS`: a move unfinished after this raises a `stuck_move` alert.
    pub timeout: Duration,
    /// `MOVE_ACCESS_RETRY_SECS`: how often the access call is repeated while a move waits.
    pub access_retry: Duration,
    /// `EVACUATION_BATCH_SIZE`.
    pub evacuation_batch_size: usize,
    /// `EVACUATION_BATCH_INTERVAL_MS`: at most one batch starts per interval.
    pub evacuation_batch_interval: Duration,
    /// `EVACUATION_STALL_SECS`: a running evacuation that moved no group for this long reads
    /// `stalled` (the API's progress view).
    pub evacuation_stall: Duration,
    /// `BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS`.
    pub name_resolution_grace: Duration,
}

/// What the `load_balance` job reads.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceConfig {
    /// `PROMETHEUS_URL`: z-scores from Prometheus; `None`: the worker scrapes backends itself.
    pub prometheus_url: Option<String>,
    /// `HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO`.
    pub score_delta_threshold_ratio: f64,
    /// `HOST_LOAD_BALANCE_MIN_RELATIVE_GAP`.
    pub min_relative_gap: f64,
    /// `HOST_LOAD_BALANCE_SMOOTHING_SECS`: time constant of the smoothed figures (0: none).
    pub smoothing: Duration,
    /// `HOST_LOAD_BALANCE_MIN_SAMPLES`.
    pub min_samples: u64,
    /// `HOST_LOAD_BALANCE_RESIDENCY_SECS`.
    pub residency: Duration,
    /// `HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR`.
    pub max_moves_per_hour: u32,
    /// `GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK` (`group_balance_plan`).
    pub group_size_ratio_slack: f64,
    /// `GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS`: most user moves one plan holds per backend.
    pub group_max_user_moves: usize,
    /// `GROUP_BALANCE_MAX_USER_MOVES_PER_PASS` (`group_balance_pass`).
    pub group_max_user_moves_per_pass: usize,
}

/// What the `error_mitigation` job reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MitigationConfig {
    /// `ERROR_MITIGATION_WINDOW_SECS`: how far back the evidence reaches.
    pub window: Duration,
    /// `HOST_FAILURE_RATIO`.
    pub host_failure_ratio: f64,
    /// `HOST_EVACUATE_FAILURE_RATIO`.
    pub evacuate_failure_ratio: f64,
    /// `HOST_FAILURE_MIN_SAMPLES`.
    pub min_samples: u64,
    /// `CAPACITY_GUARD_RATIO`.
    pub capacity_guard_ratio: f64,
    /// `ERROR_MITIGATION_CONFIRM_SECS`.
    pub confirm: Duration,
    /// `ERROR_MITIGATION_WATCH_SECS`.
    pub watch: Duration,
    /// `CAPACITY_GUARD_MAX_GROWTH`.
    pub max_growth: f64,
    /// `CAPACITY_GUARD_COOLDOWN_SECS`; `None` when 0.
    pub guard_cooldown: Option<Duration>,
}

/// What the `site_failover` and `autoscale` jobs read.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationConfig {
    /// `SITE_FAILOVER_WINDOW_SECS`: how far back `proxy_dest_stats` are summed.
    pub failover_window: Duration,
    /// `SITE_FAILOVER_DOWN_RATIO`.
    pub failover_down_ratio: f64,
    /// `SITE_FAILOVER_UP_RATIO`.
    pub failover_up_ratio: f64,
    /// `SITE_FAILOVER_STREAK`.
    pub failover_streak: u32,
    /// `SITE_FAILOVER_MAX_STEP`.
    pub failover_max_step: u8,
    /// `SITE_FAILOVER_MIN_SAMPLES`.
    pub failover_min_samples: u64,
    /// `AUTOSCALE_WEBHOOK_URL`: `None` keeps the default policy.
    pub autoscale_webhook_url: Option<String>,
}

/// The environment variable naming the TOML file when the service gets no `--config`.
pub const CONFIG_PATH_ENV: &str = "CONTROLLER_CONFIG";

/// Loads the configuration of `service`. `config_path` is the service's `--config` argument,
/// which wins over [`CONFIG_PATH_ENV`]; `env` is the environment (see [`Env::from_process`]).
pub fn load(service: Service, config_path: Option<&Path>, env: &Env) -> Result<Config, ConfigErrors> {
    assemble::load(service, config_path, env)
}

/// [`load`] with the process environment; the only place this crate reads it.
pub fn load_from_process(service: Service, config_path: Option<&Path>) -> Result<Config, ConfigErrors> {
    load(service, config_path, &Env::from_process())
}

impl fmt::Debug for Config {
    // The effective-value record is for `render_effective`; in `Debug` it would only repeat the
    // typed fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("service", &self.service)
            .field("home_site", &self.home_site)
            .field("geodb", &self.geodb)
            .field("redis_url", &self.redis_url)
            .field("api_listen", &self.api_listen)
            .field("admin_token", &self.admin_token)
            .field("queue", &self.queue)
            .field("scheduler", &self.scheduler)
            .field("worker", &self.worker)
            .field("doveadm", &self.doveadm)
            .field("moves", &self.moves)
            .field("balance", &self.balance)
            .field("mitigation", &self.mitigation)
            .field("automation", &self.automation)
            .field("log", &self.log)
            .field("config_file", &self.config_file)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The job queue's settings, ready for `queue::Queue::connect`.
    pub fn queue_config(&self) -> QueueConfig {
        self.queue.clone()
    }

    /// Every setting as TOML, with its effective value and where it came from; secrets (and
    /// passwords inside URLs) are shown as `"<redacted>"`. Used by `--print-config`.
    pub fn render_effective(&self) -> String {
        render::render(self.service, self.config_file.as_deref(), &self.effective)
    }
}
