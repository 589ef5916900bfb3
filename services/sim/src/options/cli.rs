//! The command line. Every simulation flag is optional so that "not given" can fall back to the
//! sim's TOML file and then to the built-in default; controller settings (GeoDB, log level) come
//! from the shared configuration, as for every other binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "cluster-sim",
    version,
    about = "A simulated site: doveadm-speaking backends with metrics, proxies routing users through GeoDB, fault injection"
)]
pub struct Args {
    /// The sim's own TOML file (keys as the long flags, with `_`; faults in `[faults."HOST"]`).
    #[arg(long, env = "CLUSTER_SIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// The controller's settings file (GEODB_URL, CLUSTER_SITE, CLUSTER_SIM_LOG_LEVEL...).
    #[arg(long, env = controller_config::CONFIG_PATH_ENV)]
    pub controller_config: Option<PathBuf>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,

    /// Site name [default: CLUSTER_SITE, else "sim"].
    #[arg(long)]
    pub site: Option<String>,
    /// Number of backends [default: 3].
    #[arg(long)]
    pub backends: Option<u32>,
    /// Backend host names; `{n}` is 1..=backends, `{site}` the site [default: "b{n}.{site}.sim"].
    #[arg(long)]
    pub backend_pattern: Option<String>,
    /// Number of users [default: 1000].
    #[arg(long)]
    pub users: Option<u32>,
    /// User names [default: "user{n}@{site}.sim"].
    #[arg(long)]
    pub user_pattern: Option<String>,
    /// `cluster_default_group_count` written for the site [default: 100].
    #[arg(long)]
    pub groups: Option<u32>,
    /// Logins plus deliveries per second for the whole site [default: 50].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Share of attempts that are LMTP deliveries; the rest are IMAP logins [default: 0.5].
    #[arg(long)]
    pub lmtp_share: Option<f64>,
    /// Seed of every random choice [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// How long a source backend takes to finish a group move once accessed [default: 1000].
    #[arg(long)]
    pub move_finish_delay_ms: Option<u64>,
    /// Whether a login or delivery to a moving group's source starts finishing the move, as
    /// Dovecot does [default: true].
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub finish_moves_on_traffic: Option<bool>,
    /// Number of proxies [default: 2].
    #[arg(long)]
    pub proxies: Option<u32>,
    /// Proxy host names, as written to proxy_dest_stats [default: "p{n}.{site}.sim"].
    #[arg(long)]
    pub proxy_pattern: Option<String>,
    /// How long a proxy may reuse a user or group lookup [default: 1000].
    #[arg(long)]
    pub route_cache_ms: Option<u64>,
    /// How often proxies write their running totals to proxy_dest_stats [default: 1000].
    #[arg(long)]
    pub stats_flush_ms: Option<u64>,
    /// Length of a proxy_dest_stats window in seconds [default: 60, as proxies write them].
    #[arg(long)]
    pub stats_window_secs: Option<u32>,
    /// How long a simulated IMAP session lasts [default: 60].
    #[arg(long)]
    pub session_secs: Option<u64>,
    /// Uniform noise added to every load figure, ± this much [default: 0.02].
    #[arg(long)]
    pub metrics_noise: Option<f64>,
    /// The control API's address; port 0 picks a free port [default: 127.0.0.1:0].
    #[arg(long)]
    pub control_listen: Option<SocketAddr>,
    /// First port of the backends' doveadm listeners (backend n gets base+n-1); 0 picks free
    /// ports [default: 0].
    #[arg(long)]
    pub backend_base_port: Option<u16>,
    /// Written with {control_url, backends: {host: doveadm_url}} once everything is up.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
    /// Assign every user at start, so all groups exist before traffic.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub preassign: Option<bool>,
    /// Stop after this many seconds (as on SIGTERM); unset: run until SIGTERM.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Start with traffic paused.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub paused: Option<bool>,
    /// Start with the whole site down (every attempt fails).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub site_down: Option<bool>,
    /// Initial faults of a backend: HOST:key=value[,key=value] with failure_ratio, unreachable,
    /// slow_ms, load_multiplier. Repeatable; wins over the file's `[faults."HOST"]`.
    #[arg(long = "fault", value_name = "HOST:FAULTS")]
    pub faults: Vec<String>,
}
