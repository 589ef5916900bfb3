//! The table of settings: each is declared once below, with its name, default, sensitivity, the
//! services that read it and its parser. To add one: declare a `static`, list it in [`ALL`], read
//! it in `assemble.rs`, and regenerate `settings.md` (the `settings_md_is_current` test prints it).
//! The file key is the lower-case name (`geodb_url = "..."`); secrets may also be given as
//! `<NAME>_FILE`, a file whose trimmed contents is the value.
#![doc = ""]
#![doc = include_str!("../settings.md")]

use std::net::SocketAddr;

use domain::SiteName;
use geodb::CqlConsistency;
use queue::ScheduleEntry;
use telemetry::LogFormat;

use crate::Service::{self, Api, Scheduler, Sim, Worker};
use crate::parse;
use crate::schedule;
use crate::secret::Secret;
use crate::url::{self, GeoDbUrl, RedisUrl};

/// How a value is written in TOML by `--print-config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Bool,
}

/// What must be hidden when a value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    Plain,
    /// The whole value; it may also come from `<NAME>_FILE`.
    Secret,
    /// A password inside a URL; the URL may also come from `<NAME>_FILE`.
    UrlCredentials,
}

/// Everything about a setting except its parser (which is typed), so that the table can list
/// settings of every type.
#[derive(Debug)]
pub struct Def {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub kind: Kind,
    pub sensitivity: Sensitivity,
    /// The services that read the setting (documentation, and `--print-config` notes).
    pub services: &'static [Service],
    /// The services that refuse to start without it.
    pub required_by: &'static [Service],
    pub help: &'static str,
}

impl Def {
    pub fn file_key(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// The variable naming a file that holds the value, for settings that may be secret.
    pub fn file_var(&self) -> Option<String> {
        (self.sensitivity != Sensitivity::Plain).then(|| format!("{}_FILE", self.name))
    }
}

/// A setting with its typed parser. Parsers get the trimmed, non-empty value and return a
/// message that must not repeat the value (it may be a secret).
pub struct Setting<T: 'static> {
    pub def: Def,
    pub parse: fn(&str) -> Result<T, String>,
}

impl<T> Setting<T> {
    const fn new(name: &'static str, help: &'static str, parse: fn(&str) -> Result<T, String>) -> Self {
        let def = Def {
            name,
            default: None,
            kind: Kind::Text,
            sensitivity: Sensitivity::Plain,
            services: Service::ALL,
            required_by: &[],
            help,
        };
        Self { def, parse }
    }
    const fn default(mut self, value: &'static str) -> Self {
        self.def.default = Some(value);
        self
    }
    const fn kind(mut self, kind: Kind) -> Self {
        self.def.kind = kind;
        self
    }
    const fn sensitivity(mut self, sensitivity: Sensitivity) -> Self {
        self.def.sensitivity = sensitivity;
        self
    }
    const fn services(mut self, services: &'static [Service]) -> Self {
        self.def.services = services;
        self
    }
    const fn required_by(mut self, services: &'static [Service]) -> Self {
        self.def.required_by = services;
        self
    }
}

const GEODB_USERS: &[Service] = &[Api, Scheduler, Worker, Sim];
const CONTROLLER: &[Service] = &[Api, Scheduler, Worker];
/// The worker calls the backends' doveadm API; the simulator's backends check the same credentials.
const DOVEADM_USERS: &[Service] = &[Worker, Sim];

pub static CLUSTER_SITE: Setting<SiteName> =
    Setting::new("CLUSTER_SITE", "The site this controller manages.", parse::site_name)
        .services(GEODB_USERS)
        .required_by(&[Scheduler, Worker]);
pub static GEODB_URL: Setting<GeoDbUrl> = Setting::new(
    "GEODB_URL",
    "`sqlite://PATH` (relative paths allowed) or `cql://host:port[,host:port...]/keyspace` (port defaults to 9042).",
    url::geodb_url,
)
.default("sqlite://./data/geodb.sqlite")
.sensitivity(Sensitivity::UrlCredentials)
.services(GEODB_USERS);
pub static GEODB_SQLITE_BUSY_TIMEOUT_MS: Setting<u64> = Setting::new(
    "GEODB_SQLITE_BUSY_TIMEOUT_MS",
    "How long an SQLite statement waits for another process's write lock (0 to 600000).",
    |s| parse::integer(s, 0, 600_000),
)
.default("5000")
.kind(Kind::Integer)
.services(GEODB_USERS);
pub static GEODB_SQLITE_POOL_SIZE: Setting<usize> =
    Setting::new("GEODB_SQLITE_POOL_SIZE", "SQLite connections kept open (1 to 64).", |s| parse::integer(s, 1, 64))
        .default("4")
        .kind(Kind::Integer)
        .services(GEODB_USERS);
pub static GEODB_CQL_USERNAME: Setting<String> =
    Setting::new("GEODB_CQL_USERNAME", "CQL user name.", parse::text).services(GEODB_USERS);
pub static GEODB_CQL_PASSWORD: Setting<Secret> = Setting::new("GEODB_CQL_PASSWORD", "CQL password.", parse::secret)
    .sensitivity(Sensitivity::Secret)
    .services(GEODB_USERS);
pub static GEODB_CQL_LOCAL_DC: Setting<String> = Setting::new(
    "GEODB_CQL_LOCAL_DC",
    "Data centre whose coordinators are preferred; enables LOCAL_SERIAL for conditional writes.",
    parse::dc_name,
)
.services(GEODB_USERS);
pub static GEODB_CQL_REPLICATION: Setting<Vec<(String, u32)>> = Setting::new(
    "GEODB_CQL_REPLICATION",
    "Replication per data centre when the keyspace is created, e.g. `dc1:3,dc2:3`; unset: the backend's default.",
    parse::replication,
)
.services(GEODB_USERS);
pub static GEODB_CQL_CONSISTENCY: Setting<CqlConsistency> = Setting::new(
    "GEODB_CQL_CONSISTENCY",
    "one, quorum, local_quorum, each_quorum, all or local_one; unset: local_quorum when a local DC is set, else quorum.",
    parse::consistency,
)
.services(GEODB_USERS);
pub static GEODB_CQL_REQUEST_TIMEOUT_MS: Setting<u64> =
    Setting::new("GEODB_CQL_REQUEST_TIMEOUT_MS", "Timeout of one CQL request (1 to 600000).", |s| {
        parse::integer(s, 1, 600_000)
    })
    .default("5000")
    .kind(Kind::Integer)
    .services(GEODB_USERS);
pub static INIT_GEODB_SCHEMA: Setting<bool> =
    Setting::new("INIT_GEODB_SCHEMA", "Create the CQL keyspace and tables at start-up.", parse::boolean)
        .default("false")
        .kind(Kind::Bool)
        .services(GEODB_USERS);
pub static REDIS_URL: Setting<RedisUrl> =
    Setting::new("REDIS_URL", "Queue, leases and cache: a `redis://`, `rediss://` or `unix://` URL.", url::redis_url)
        .default("redis://127.0.0.1:6379")
        .sensitivity(Sensitivity::UrlCredentials)
        .services(CONTROLLER);
pub static API_LISTEN: Setting<SocketAddr> =
    Setting::new("API_LISTEN", "Socket address the REST API listens on.", parse::socket_addr)
        .default("127.0.0.1:8080")
        .services(&[Api]);
pub static API_ADMIN_TOKEN: Setting<Secret> = Setting::new(
    "API_ADMIN_TOKEN",
    "Bootstrap admin token for the REST API, at least 16 characters.",
    parse::admin_token,
)
.sensitivity(Sensitivity::Secret)
.services(&[Api]);
pub static QUEUE_PREFIX: Setting<String> = Setting::new(
    "QUEUE_PREFIX",
    "Prefix of every queue key in Redis, so several controllers can share one Redis; unset: `controller:<CLUSTER_SITE>` (`controller:default` without a site).",
    parse::key_prefix,
)
.services(CONTROLLER);
pub static QUEUE_VISIBILITY_TIMEOUT_MS: Setting<u64> = Setting::new(
    "QUEUE_VISIBILITY_TIMEOUT_MS",
    "A running job whose worker stopped heartbeating for this long is given to another worker (100 to 3600000).",
    |s| parse::integer(s, 100, 3_600_000),
)
.default("10000")
.kind(Kind::Integer)
.services(CONTROLLER);
pub static QUEUE_MAX_ATTEMPTS: Setting<u32> = Setting::new(
    "QUEUE_MAX_ATTEMPTS",
    "Attempts of a job (unless it asks for another number) before it goes to the dead letters (1 to 100).",
    |s| parse::integer(s, 1, 100),
)
.default("5")
.kind(Kind::Integer)
.services(CONTROLLER);
pub static QUEUE_RETRY_BASE_MS: Setting<u64> = Setting::new(
    "QUEUE_RETRY_BASE_MS",
    "Backoff before the second attempt; it doubles with every further attempt, with jitter (1 to 3600000).",
    |s| parse::integer(s, 1, 3_600_000),
)
.default("1000")
.kind(Kind::Integer)
.services(CONTROLLER);
pub static QUEUE_RETRY_MAX_MS: Setting<u64> = Setting::new(
    "QUEUE_RETRY_MAX_MS",
    "The longest backoff between two attempts; at least QUEUE_RETRY_BASE_MS (1 to 86400000).",
    |s| parse::integer(s, 1, 86_400_000),
)
.default("300000")
.kind(Kind::Integer)
.services(CONTROLLER);
pub static QUEUE_RETENTION_SECS: Setting<u64> =
    Setting::new("QUEUE_RETENTION_SECS", "How long the records of succeeded jobs are kept (1 to 31536000).", |s| {
        parse::integer(s, 1, 31_536_000)
    })
    .default("86400")
    .kind(Kind::Integer)
    .services(CONTROLLER);
pub static QUEUE_DEAD_RETENTION_SECS: Setting<u64> = Setting::new(
    "QUEUE_DEAD_RETENTION_SECS",
    "How long dead jobs are kept for inspection and redrive (1 to 31536000).",
    |s| parse::integer(s, 1, 31_536_000),
)
.default("604800")
.kind(Kind::Integer)
.services(CONTROLLER);
pub static SCHEDULER_LEASE_TTL_MS: Setting<u64> = Setting::new(
    "SCHEDULER_LEASE_TTL_MS",
    "Lifetime of the scheduler's leader lease, renewed every third of it; a standby takes over at most this long after the leader died (300 to 600000).",
    |s| parse::integer(s, 300, 600_000),
)
.default("10000")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static SCHEDULER_ENTRIES: Setting<Vec<ScheduleEntry>> = Setting::new(
    "SCHEDULER_ENTRIES",
    "The periodic jobs, a JSON array of `{\"name\", \"kind\", \"interval_ms\", \"priority\"?, \"payload\"?}`; each payload is validated for its kind; ticks are aligned to multiples of the interval.",
    schedule::entries,
)
.default(schedule::DEFAULT)
.services(&[Scheduler]);
pub static WORKER_CONCURRENCY: Setting<usize> = Setting::new(
    "WORKER_CONCURRENCY",
    "Jobs one worker process runs at once; `--concurrency` overrides it (1 to 4096).",
    |s| parse::integer(s, 1, 4096),
)
.default("64")
.kind(Kind::Integer)
.services(&[Worker]);
pub static WORKER_SHUTDOWN_GRACE_SECS: Setting<u64> = Setting::new(
    "WORKER_SHUTDOWN_GRACE_SECS",
    "On SIGTERM, how long a worker waits for its running jobs; the rest are reclaimed by other workers (0 to 3600).",
    |s| parse::integer(s, 0, 3600),
)
.default("30")
.kind(Kind::Integer)
.services(&[Worker]);
pub static WORKER_METRICS_LISTEN: Setting<Option<SocketAddr>> = Setting::new(
    "WORKER_METRICS_LISTEN",
    "Socket address of the worker's `/metrics` and `/healthz` (port 0: any free port, logged); `off` disables them.",
    parse::optional_socket_addr,
)
.default("127.0.0.1:0")
.services(&[Worker]);
pub static DOVEADM_API_KEY: Setting<Secret> = Setting::new(
    "DOVEADM_API_KEY",
    "Key for the backends' doveadm HTTP API (`doveadm_api_key`), sent as `Authorization: X-Dovecot-API`; wins over DOVEADM_PASSWORD.",
    parse::secret,
)
.sensitivity(Sensitivity::Secret)
.services(DOVEADM_USERS);
pub static DOVEADM_PASSWORD: Setting<Secret> = Setting::new(
    "DOVEADM_PASSWORD",
    "Password for the backends' doveadm HTTP API (`doveadm_password`), sent as HTTP Basic `doveadm:<password>`.",
    parse::secret,
)
.sensitivity(Sensitivity::Secret)
.services(DOVEADM_USERS);
pub static DOVEADM_PORT: Setting<u16> = Setting::new(
    "DOVEADM_PORT",
    "Port of a backend's doveadm HTTP API when the backend has no `doveadm_url` cluster setting (1 to 65535).",
    |s| parse::integer(s, 1, 65_535),
)
.default("8080")
.kind(Kind::Integer)
.services(&[Worker]);
pub static DOVEADM_TIMEOUT_MS: Setting<u64> =
    Setting::new("DOVEADM_TIMEOUT_MS", "Timeout of one doveadm HTTP API call (100 to 600000).", |s| {
        parse::integer(s, 100, 600_000)
    })
    .default("5000")
    .kind(Kind::Integer)
    .services(&[Worker]);
pub static MOVE_TIMEOUT_SECS: Setting<u64> = Setting::new(
    "MOVE_TIMEOUT_SECS",
    "A group or user move not finished this long after it started raises a critical `stuck_move` alert (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("600")
.kind(Kind::Integer)
.services(&[Worker]);
pub static MOVE_ACCESS_RETRY_SECS: Setting<u64> = Setting::new(
    "MOVE_ACCESS_RETRY_SECS",
    "While waiting for a move to finish, how often the access (`clusterGroupAccess`, `clusterUserAccess`) is sent again to the source backend (1 to 3600).",
    |s| parse::integer(s, 1, 3600),
)
.default("30")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_BATCH_SIZE: Setting<usize> = Setting::new(
    "EVACUATION_BATCH_SIZE",
    "Groups an evacuation moves at once; the next batch starts when they finished (1 to 1000).",
    |s| parse::integer(s, 1, 1000),
)
.default("10")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_BATCH_INTERVAL_MS: Setting<u64> = Setting::new(
    "EVACUATION_BATCH_INTERVAL_MS",
    "The shortest time between the starts of two evacuation batches: the evacuation's rate limit (0 to 3600000).",
    |s| parse::integer(s, 0, 3_600_000),
)
.default("1000")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_STALL_SECS: Setting<u64> = Setting::new(
    "EVACUATION_STALL_SECS",
    "A running evacuation that moved no group off its backend for this long reads `stalled` in its progress (10 to 86400).",
    |s| parse::integer(s, 10, 86_400),
)
.default("120")
.kind(Kind::Integer)
.services(&[Api]);
pub static BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS: Setting<u64> = Setting::new(
    "BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS",
    "How long a backend's host name may fail to resolve before the backend counts as unreachable; any other probe error counts at once, one success clears it (0 to 86400).",
    |s| parse::integer(s, 0, 86_400),
)
.default("10")
.kind(Kind::Integer)
.services(&[Worker]);
pub static LOAD_BALANCE_INTERVAL_SECS: Setting<u64> = Setting::new(
    "LOAD_BALANCE_INTERVAL_SECS",
    "How often the scheduler enqueues `load_balance` (the interval of the schedule entry named `load-balance`) (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("60")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static PROMETHEUS_URL: Setting<String> = Setting::new(
    "PROMETHEUS_URL",
    "Prometheus base URL (`http://host:9090`) that load balancing reads the `dovecot_cluster:host:zscore` rule from; unset: the worker scrapes each backend's `/metrics` (at its `doveadm_url`, else `http://host:DOVEADM_PORT`) itself.",
    parse::http_url,
)
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO: Setting<f64> = Setting::new(
    "HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO",
    "Load balancing moves a group when the most and least loaded backends' scores differ by more than this many standard deviations per metric (0 to 100).",
    |s| parse::float(s, 0.0, 100.0),
)
.default("1.0")
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_MIN_RELATIVE_GAP: Setting<f64> = Setting::new(
    "HOST_LOAD_BALANCE_MIN_RELATIVE_GAP",
    "When the metrics source gives each metric's spread (the site series of deploy/prometheus/rules.yml, or a direct scrape), load balancing also needs the most and least loaded backends to differ by more than this share of the site's mean load, and moves only a group smaller than that difference (0 to 1).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.10")
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_SMOOTHING_SECS: Setting<u64> = Setting::new(
    "HOST_LOAD_BALANCE_SMOOTHING_SECS",
    "Load balancing decides on each host's figures smoothed over about this many seconds (an exponentially weighted mean kept in Redis; its own moves are applied to it at once); 0 decides on single readings (0 to 86400).",
    |s| parse::integer(s, 0, 86_400),
)
.default("120")
.kind(Kind::Integer)
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_MIN_SAMPLES: Setting<u64> = Setting::new(
    "HOST_LOAD_BALANCE_MIN_SAMPLES",
    "A backend with fewer load samples is still warming up and not balanced: Prometheus samples over 12 h, or, without PROMETHEUS_URL, successful scrapes by the worker (0 to 1000000).",
    |s| parse::integer(s, 0, 1_000_000),
)
.default("3000")
.kind(Kind::Integer)
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_RESIDENCY_SECS: Setting<u64> = Setting::new(
    "HOST_LOAD_BALANCE_RESIDENCY_SECS",
    "Load balancing leaves a group at least this long on a backend after its last move (0 to 604800).",
    |s| parse::integer(s, 0, 604_800),
)
.default("3600")
.kind(Kind::Integer)
.services(&[Worker]);
pub static HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR: Setting<u32> = Setting::new(
    "HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR",
    "Most group moves load balancing starts in a site in any trailing hour (0 to 1000).",
    |s| parse::integer(s, 0, 1000),
)
.default("1")
.kind(Kind::Integer)
.services(&[Worker]);
pub static GROUP_BALANCE_PLAN_INTERVAL_SECS: Setting<u64> = Setting::new(
    "GROUP_BALANCE_PLAN_INTERVAL_SECS",
    "How often the scheduler enqueues `group_balance_plan` (the interval of the schedule entry named `group-balance-plan`; the default, a day, ticks at 00:00 UTC) (1 to 604800).",
    |s| parse::integer(s, 1, 604_800),
)
.default("86400")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static GROUP_BALANCE_PASS_INTERVAL_SECS: Setting<u64> = Setting::new(
    "GROUP_BALANCE_PASS_INTERVAL_SECS",
    "How often the scheduler enqueues `group_balance_pass` (the interval of the schedule entry named `group-balance-pass`) (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("1800")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK: Setting<f64> = Setting::new(
    "GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK",
    "Group balancing plans user moves on a backend when its largest and smallest groups differ by more than this share of the largest (0 to 1).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.2")
.services(&[Worker]);
pub static GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS: Setting<usize> = Setting::new(
    "GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS",
    "Most user moves one group-balancing plan holds per backend (0 to 1000000).",
    |s| parse::integer(s, 0, 1_000_000),
)
.default("1000")
.kind(Kind::Integer)
.services(&[Worker]);
pub static GROUP_BALANCE_MAX_USER_MOVES_PER_PASS: Setting<usize> = Setting::new(
    "GROUP_BALANCE_MAX_USER_MOVES_PER_PASS",
    "Most user moves one `group_balance_pass` enqueues (0 to 100000).",
    |s| parse::integer(s, 0, 100_000),
)
.default("100")
.kind(Kind::Integer)
.services(&[Worker]);

pub static ERROR_MITIGATION_INTERVAL_SECS: Setting<u64> = Setting::new(
    "ERROR_MITIGATION_INTERVAL_SECS",
    "How often the scheduler enqueues `error_mitigation` (the interval of the schedule entry named `error-mitigation`) (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("5")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static ERROR_MITIGATION_WINDOW_SECS: Setting<u64> = Setting::new(
    "ERROR_MITIGATION_WINDOW_SECS",
    "Error mitigation judges each backend on the attempts its proxies recorded in `proxy_dest_stats` since earlier runs, the newest first until HOST_FAILURE_MIN_SAMPLES, never older than this many seconds (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("30")
.kind(Kind::Integer)
.services(&[Worker]);
pub static ERROR_MITIGATION_CONFIRM_SECS: Setting<u64> = Setting::new(
    "ERROR_MITIGATION_CONFIRM_SECS",
    "A backend is evacuated (or sheds a group) only once every run for this many seconds found it failing (degraded): a shorter burst moves nothing (0 to 3600).",
    |s| parse::integer(s, 0, 3600),
)
.default("15")
.kind(Kind::Integer)
.services(&[Worker]);
pub static ERROR_MITIGATION_WATCH_SECS: Setting<u64> = Setting::new(
    "ERROR_MITIGATION_WATCH_SECS",
    "A degraded backend gives away at most one group per this many seconds, to see whether it recovers (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("300")
.kind(Kind::Integer)
.services(&[Worker]);
pub static HOST_FAILURE_RATIO: Setting<f64> = Setting::new(
    "HOST_FAILURE_RATIO",
    "A backend whose IMAP or LMTP failure ratio over the window is above this is degraded: error mitigation moves one group away (0 to 1).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.3")
.services(&[Worker]);
pub static HOST_EVACUATE_FAILURE_RATIO: Setting<f64> = Setting::new(
    "HOST_EVACUATE_FAILURE_RATIO",
    "A backend whose IMAP or LMTP failure ratio over the window is above this is failing: error mitigation evacuates it, then sets it offline (0 to 1, at least HOST_FAILURE_RATIO).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.9")
.services(&[Worker]);
pub static HOST_FAILURE_MIN_SAMPLES: Setting<u64> = Setting::new(
    "HOST_FAILURE_MIN_SAMPLES",
    "Error mitigation judges a protocol of a backend only with at least this many attempts in the window (1 to 1000000000).",
    |s| parse::integer(s, 1, 1_000_000_000),
)
.default("20")
.kind(Kind::Integer)
.services(&[Worker]);
pub static CAPACITY_GUARD_RATIO: Setting<f64> = Setting::new(
    "CAPACITY_GUARD_RATIO",
    "The capacity guard trips, with a critical `capacity_guard` alert, when error mitigation would leave more than this share of the site's backends out of service (those already evacuating, drained, standby or offline, plus this run's candidates); tripped, no automatic move happens in the site until an operator releases it (0 to 1).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.75")
.services(&[Worker]);
pub static CAPACITY_GUARD_MAX_GROWTH: Setting<f64> = Setting::new(
    "CAPACITY_GUARD_MAX_GROWTH",
    "An evacuation is refused (`capacity_insufficient`) when the healthy backends taking its groups would carry more than this multiple of the site's current groups per unit of load factor (1 to 100).",
    |s| parse::float(s, 1.0, 100.0),
)
.default("3.0")
.services(&[Worker]);
pub static CAPACITY_GUARD_COOLDOWN_SECS: Setting<u64> = Setting::new(
    "CAPACITY_GUARD_COOLDOWN_SECS",
    "A tripped capacity guard releases itself once the site has been healthy this many seconds; 0: only an operator releases it (0 to 604800).",
    |s| parse::integer(s, 0, 604_800),
)
.default("0")
.kind(Kind::Integer)
.services(&[Worker]);

pub static SITE_FAILOVER_INTERVAL_SECS: Setting<u64> = Setting::new(
    "SITE_FAILOVER_INTERVAL_SECS",
    "How often the scheduler enqueues `site_failover` (the interval of the schedule entry named `site-failover`) (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("60")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static SITE_FAILOVER_WINDOW_SECS: Setting<u64> = Setting::new(
    "SITE_FAILOVER_WINDOW_SECS",
    "Site failover judges the site on the proxies' `proxy_dest_stats` of this many last seconds, summed over all backends (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("120")
.kind(Kind::Integer)
.services(&[Worker]);
pub static SITE_FAILOVER_DOWN_RATIO: Setting<f64> = Setting::new(
    "SITE_FAILOVER_DOWN_RATIO",
    "A window whose site-wide failure ratio is at or above this is bad: after SITE_FAILOVER_STREAK bad windows site failover sends more users away (0 to 1, above SITE_FAILOVER_UP_RATIO).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.5")
.services(&[Worker]);
pub static SITE_FAILOVER_UP_RATIO: Setting<f64> = Setting::new(
    "SITE_FAILOVER_UP_RATIO",
    "A window whose site-wide failure ratio is at or below this is good: after SITE_FAILOVER_STREAK good windows site failover brings users back (0 to 1).",
    |s| parse::float(s, 0.0, 1.0),
)
.default("0.1")
.services(&[Worker]);
pub static SITE_FAILOVER_STREAK: Setting<u32> = Setting::new(
    "SITE_FAILOVER_STREAK",
    "Consecutive bad (good) windows before site failover changes the force-move percentage by one step (1 to 1000).",
    |s| parse::integer(s, 1, 1000),
)
.default("3")
.kind(Kind::Integer)
.services(&[Worker]);
pub static SITE_FAILOVER_MAX_STEP: Setting<u8> = Setting::new(
    "SITE_FAILOVER_MAX_STEP",
    "Largest change of the site's force-move percentage per site failover decision (1 to 100).",
    |s| parse::integer(s, 1, 100),
)
.default("10")
.kind(Kind::Integer)
.services(&[Worker]);
pub static SITE_FAILOVER_MIN_SAMPLES: Setting<u64> = Setting::new(
    "SITE_FAILOVER_MIN_SAMPLES",
    "Site failover decides nothing on a window with fewer attempts than this (0 to 1000000000).",
    |s| parse::integer(s, 0, 1_000_000_000),
)
.default("50")
.kind(Kind::Integer)
.services(&[Worker]);
pub static AUTOSCALE_INTERVAL_SECS: Setting<u64> = Setting::new(
    "AUTOSCALE_INTERVAL_SECS",
    "How often the scheduler enqueues `autoscale` (the interval of the schedule entry named `autoscale`) (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("300")
.kind(Kind::Integer)
.services(&[Scheduler]);
pub static AUTOSCALE_WEBHOOK_URL: Setting<String> = Setting::new(
    "AUTOSCALE_WEBHOOK_URL",
    "URL the `autoscale` job POSTs the site's load summary to; it answers `{\"desired_backends\": n}` (0 to 10000). Unset: the default policy keeps the current backend count.",
    parse::http_url,
)
.services(&[Worker]);

macro_rules! log_settings {
    ($level:ident, $format:ident, $service:expr, $default:literal) => {
        pub static $level: Setting<String> = Setting::new(
            stringify!($level),
            "Log level (trace, debug, info, warn, error, off) or a full tracing filter directive.",
            parse::log_level,
        )
        .default($default)
        .services(&[$service]);
        pub static $format: Setting<LogFormat> =
            Setting::new(stringify!($format), "Log format: text or json.", parse::log_format)
                .default("text")
                .services(&[$service]);
    };
}

log_settings!(CONTROLLER_API_LOG_LEVEL, CONTROLLER_API_LOG_FORMAT, Api, "info");
log_settings!(CONTROLLER_SCHEDULER_LOG_LEVEL, CONTROLLER_SCHEDULER_LOG_FORMAT, Scheduler, "info");
log_settings!(CONTROLLER_WORKER_LOG_LEVEL, CONTROLLER_WORKER_LOG_FORMAT, Worker, "info");
log_settings!(CLUSTER_SIM_LOG_LEVEL, CLUSTER_SIM_LOG_FORMAT, Sim, "info");

/// The log settings a service reads.
pub fn log_settings(service: Service) -> (&'static Setting<String>, &'static Setting<LogFormat>) {
    match service {
        Api => (&CONTROLLER_API_LOG_LEVEL, &CONTROLLER_API_LOG_FORMAT),
        Scheduler => (&CONTROLLER_SCHEDULER_LOG_LEVEL, &CONTROLLER_SCHEDULER_LOG_FORMAT),
        Worker => (&CONTROLLER_WORKER_LOG_LEVEL, &CONTROLLER_WORKER_LOG_FORMAT),
        Sim => (&CLUSTER_SIM_LOG_LEVEL, &CLUSTER_SIM_LOG_FORMAT),
    }
}

/// Every setting, in the order `--print-config` and `settings.md` list them. A setting missing
/// here is an unknown key in the file; a test checks the list against what `load` reads.
pub static ALL: &[&Def] = &[
    &CLUSTER_SITE.def,
    &GEODB_URL.def,
    &GEODB_SQLITE_BUSY_TIMEOUT_MS.def,
    &GEODB_SQLITE_POOL_SIZE.def,
    &GEODB_CQL_USERNAME.def,
    &GEODB_CQL_PASSWORD.def,
    &GEODB_CQL_LOCAL_DC.def,
    &GEODB_CQL_REPLICATION.def,
    &GEODB_CQL_CONSISTENCY.def,
    &GEODB_CQL_REQUEST_TIMEOUT_MS.def,
    &INIT_GEODB_SCHEMA.def,
    &REDIS_URL.def,
    &API_LISTEN.def,
    &API_ADMIN_TOKEN.def,
    &QUEUE_PREFIX.def,
    &QUEUE_VISIBILITY_TIMEOUT_MS.def,
    &QUEUE_MAX_ATTEMPTS.def,
    &QUEUE_RETRY_BASE_MS.def,
    &QUEUE_RETRY_MAX_MS.def,
    &QUEUE_RETENTION_SECS.def,
    &QUEUE_DEAD_RETENTION_SECS.def,
    &SCHEDULER_LEASE_TTL_MS.def,
    &SCHEDULER_ENTRIES.def,
    &WORKER_CONCURRENCY.def,
    &WORKER_SHUTDOWN_GRACE_SECS.def,
    &WORKER_METRICS_LISTEN.def,
    &DOVEADM_API_KEY.def,
    &DOVEADM_PASSWORD.def,
    &DOVEADM_PORT.def,
    &DOVEADM_TIMEOUT_MS.def,
    &MOVE_TIMEOUT_SECS.def,
    &MOVE_ACCESS_RETRY_SECS.def,
    &EVACUATION_BATCH_SIZE.def,
    &EVACUATION_BATCH_INTERVAL_MS.def,
    &EVACUATION_STALL_SECS.def,
    &BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS.def,
    &LOAD_BALANCE_INTERVAL_SECS.def,
    &PROMETHEUS_URL.def,
    &HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO.def,
    &HOST_LOAD_BALANCE_MIN_RELATIVE_GAP.def,
    &HOST_LOAD_BALANCE_SMOOTHING_SECS.def,
    &HOST_LOAD_BALANCE_MIN_SAMPLES.def,
    &HOST_LOAD_BALANCE_RESIDENCY_SECS.def,
    &HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR.def,
    &GROUP_BALANCE_PLAN_INTERVAL_SECS.def,
    &GROUP_BALANCE_PASS_INTERVAL_SECS.def,
    &GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK.def,
    &GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS.def,
    &GROUP_BALANCE_MAX_USER_MOVES_PER_PASS.def,
    &ERROR_MITIGATION_INTERVAL_SECS.def,
    &ERROR_MITIGATION_WINDOW_SECS.def,
    &ERROR_MITIGATION_CONFIRM_SECS.def,
    &ERROR_MITIGATION_WATCH_SECS.def,
    &HOST_FAILURE_RATIO.def,
    &HOST_EVACUATE_FAILURE_RATIO.def,
    &HOST_FAILURE_MIN_SAMPLES.def,
    &CAPACITY_GUARD_RATIO.def,
    &CAPACITY_GUARD_MAX_GROWTH.def,
    &CAPACITY_GUARD_COOLDOWN_SECS.def,
    &SITE_FAILOVER_INTERVAL_SECS.def,
    &SITE_FAILOVER_WINDOW_SECS.def,
    &SITE_FAILOVER_DOWN_RATIO.def,
    &SITE_FAILOVER_UP_RATIO.def,
    &SITE_FAILOVER_STREAK.def,
    &SITE_FAILOVER_MAX_STEP.def,
    &SITE_FAILOVER_MIN_SAMPLES.def,
    &AUTOSCALE_INTERVAL_SECS.def,
    &AUTOSCALE_WEBHOOK_URL.def,
    &CONTROLLER_API_LOG_LEVEL.def,
    &CONTROLLER_API_LOG_FORMAT.def,
    &CONTROLLER_SCHEDULER_LOG_LEVEL.def,
    &CONTROLLER_SCHEDULER_LOG_FORMAT.def,
    &CONTROLLER_WORKER_LOG_LEVEL.def,
    &CONTROLLER_WORKER_LOG_FORMAT.def,
    &CLUSTER_SIM_LOG_LEVEL.def,
    &CLUSTER_SIM_LOG_FORMAT.def,
];

/// The settings table as Markdown, the body of `settings.md`.
pub fn markdown() -> String {
    let mut out = String::from("| Setting | Default | Secret | Services | Meaning |\n|---|---|---|---|---|\n");
    for def in ALL {
        let default = def.default.map_or_else(|| "–".to_owned(), |d| format!("`{d}`"));
        let secret = match def.sensitivity {
            Sensitivity::Plain => "",
            Sensitivity::Secret => "yes; `_FILE` accepted",
            Sensitivity::UrlCredentials => "password in URL; `_FILE` accepted",
        };
        let services = if def.services == Service::ALL {
            "all".to_owned()
        } else {
            def.services.iter().map(|s| s.binary()).collect::<Vec<_>>().join(", ")
        };
        let required = if def.required_by.is_empty() {
            String::new()
        } else {
            let names = def.required_by.iter().map(|s| s.binary()).collect::<Vec<_>>().join(", ");
            format!(" Required by {names}.")
        };
        out.push_str(&format!("| `{}` | {default} | {secret} | {services} | {}{required} |\n", def.name, def.help));
    }
    out
}
