//! Redis, the API, the queue, the scheduler, the workers and the doveadm client.

use super::*;

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
