//! The table of settings: each is declared once, in the file of its subsystem, with its name, default, sensitivity, the
//! services that read it and its parser. To add one: declare a `static`, list it in [`ALL`], read
//! it in `assemble.rs`, and regenerate `settings.md` (the `settings_md_is_current` test prints it).
//! The file key is the lower-case name (`geodb_url = "..."`); secrets may also be given as
//! `<NAME>_FILE`, a file whose trimmed contents is the value.
#![doc = ""]
#![doc = include_str!("../../settings.md")]

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

mod automation;
mod database;
mod moves;
mod services;

pub use automation::*;
pub use database::*;
pub use moves::*;
pub use services::*;

const GEODB_USERS: &[Service] = &[Api, Scheduler, Worker, Sim];
const CONTROLLER: &[Service] = &[Api, Scheduler, Worker];
/// The worker calls the backends' doveadm API; the simulator's backends check the same credentials.
const DOVEADM_USERS: &[Service] = &[Worker, Sim];

pub static CLUSTER_SITE: Setting<SiteName> =
    Setting::new("CLUSTER_SITE", "The site this controller manages.", parse::site_name)
        .services(GEODB_USERS)
        .required_by(&[Scheduler, Worker]);

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
