//! What the sim was asked to simulate: flags over the sim's TOML file (merged by config-rs, as
//! the controller's settings are) over built-in defaults, validated with every bad value reported
//! at once (exit code 2), like the controller's own settings. The credentials its backends accept
//! are the controller's `DOVEADM_*` settings (environment, file or `*_FILE`), never in `Debug`.

pub mod cli;
pub mod layers;
mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use domain::{HostName, SiteName, UserName};

use crate::faults::FaultsPatch;
pub use cli::Args;
pub use resolve::resolve;

/// The validated simulation settings.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub site: SiteName,
    /// Backend host names, in order (`{n}` = 1..).
    pub backend_hosts: Vec<HostName>,
    pub backend_pattern: String,
    pub users: u32,
    pub user_pattern: String,
    pub groups: u32,
    /// Attempts (logins + deliveries) per second for the whole site.
    pub rate: f64,
    pub lmtp_share: f64,
    pub seed: u64,
    pub move_finish_delay: Duration,
    pub finish_moves_on_traffic: bool,
    pub proxy_hosts: Vec<HostName>,
    pub proxy_pattern: String,
    pub route_cache: Duration,
    pub stats_flush: Duration,
    /// Length of one `proxy_dest_stats` window.
    pub stats_window_secs: u32,
    pub session: Duration,
    pub metrics_noise: f64,
    pub control_listen: SocketAddr,
    /// 0: every backend listener gets a free port.
    pub backend_base_port: u16,
    pub ready_file: Option<PathBuf>,
    pub preassign: bool,
    pub duration: Option<Duration>,
    pub paused: bool,
    pub site_down: bool,
    /// Initial faults per backend host (validated, hosts known).
    pub faults: BTreeMap<HostName, FaultsPatch>,
    pub auth: DoveadmAuth,
}

/// How clients of the simulated doveadm HTTP API authenticate. With neither set, the API is
/// open (Dovecot itself refuses to serve it without one; tests and demos need not care).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DoveadmAuth {
    /// `doveadm_api_key`: `Authorization: X-Dovecot-API <base64 key>`.
    pub api_key: Option<String>,
    /// `doveadm_password`: `Authorization: Basic base64(doveadm:<password>)`.
    pub password: Option<String>,
}

impl DoveadmAuth {
    pub fn is_open(&self) -> bool {
        self.api_key.is_none() && self.password.is_none()
    }
}

impl fmt::Debug for DoveadmAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("DoveadmAuth")
            .field("api_key", &shown(&self.api_key))
            .field("password", &shown(&self.password))
            .finish()
    }
}

/// Expands a name pattern: `{n}` is the number, `{site}` the site name.
pub fn render(pattern: &str, n: u32, site: &SiteName) -> String {
    pattern.replace("{n}", &n.to_string()).replace("{site}", site.as_str())
}

impl SimOptions {
    /// The simulated user names, in order.
    pub fn user_names(&self) -> Vec<UserName> {
        // Every name was validated for the first and last n; the pattern differs only in digits.
        (1..=self.users).filter_map(|n| UserName::parse(&render(&self.user_pattern, n, &self.site)).ok()).collect()
    }

    /// The effective settings as the sim's TOML file would spell them (no secrets).
    pub fn render_effective(&self) -> String {
        let as_ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let file = layers::SimFile {
            site: Some(self.site.to_string()),
            backends: Some(self.backend_hosts.len() as u32),
            backend_pattern: Some(self.backend_pattern.clone()),
            users: Some(self.users),
            user_pattern: Some(self.user_pattern.clone()),
            groups: Some(self.groups),
            rate: Some(self.rate),
            lmtp_share: Some(self.lmtp_share),
            seed: Some(self.seed),
            move_finish_delay_ms: Some(as_ms(self.move_finish_delay)),
            finish_moves_on_traffic: Some(self.finish_moves_on_traffic),
            proxies: Some(self.proxy_hosts.len() as u32),
            proxy_pattern: Some(self.proxy_pattern.clone()),
            route_cache_ms: Some(as_ms(self.route_cache)),
            stats_flush_ms: Some(as_ms(self.stats_flush)),
            stats_window_secs: Some(self.stats_window_secs),
            session_secs: Some(self.session.as_secs()),
            metrics_noise: Some(self.metrics_noise),
            control_listen: Some(self.control_listen.to_string()),
            backend_base_port: Some(self.backend_base_port),
            ready_file: self.ready_file.clone(),
            preassign: Some(self.preassign),
            duration: self.duration.map(|d| d.as_secs()),
            paused: Some(self.paused),
            site_down: Some(self.site_down),
            faults: self.faults.iter().map(|(h, p)| (h.to_string(), p.clone())).collect(),
            flagged_hosts: Default::default(),
        };
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "not set" };
        let body = toml::to_string(&file).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
        format!(
            "# cluster-sim (doveadm API key {}, doveadm password {})\n{body}",
            set(&self.auth.api_key),
            set(&self.auth.password)
        )
    }
}
