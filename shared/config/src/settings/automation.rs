//! The automations: load balancing, group-size balancing, error mitigation with its capacity
//! guard, site failover and autoscaling.

use super::*;

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
