//! Builds the typed [`Config`] from the resolved settings. Every setting is read, whichever
//! backend or service is chosen, so that every bad value is reported and printed; the checks
//! that involve two settings live here too.

use std::path::Path;
use std::time::Duration;

use domain::SiteName;
use geodb::{ConnectOptions, CqlConsistency, CqlOptions, SqliteOptions};

use crate::env::Env;
use crate::error::{ConfigError, ConfigErrors, Origin};
use crate::parse;
use crate::resolve::Resolver;
use crate::settings::{self, *};
use crate::url::GeoDbUrl;
use crate::{
    AutomationConfig, BalanceConfig, Config, DoveadmConfig, LogConfig, MitigationConfig, MoveConfig, QueueConfig,
    SchedulerConfig, Service, WorkerConfig,
};

pub(crate) fn load(service: Service, config_path: Option<&Path>, env: &Env) -> Result<Config, ConfigErrors> {
    let mut r = Resolver::new(service, config_path, env);
    let home_site = r.get(&CLUSTER_SITE);
    let geodb = geodb_options(&mut r);
    let redis_url = r.get(&REDIS_URL);
    let api_listen = r.get(&API_LISTEN);
    let admin_token = r.get(&API_ADMIN_TOKEN);
    let queue = queue_config(&mut r, home_site.as_ref());
    let scheduler = scheduler_config(&mut r);
    let worker = worker_config(&mut r);
    let doveadm = doveadm_config(&mut r);
    let moves = move_config(&mut r);
    let balance = balance_config(&mut r);
    let mitigation = mitigation_config(&mut r);
    let automation = automation_config(&mut r);
    let log = log_config(&mut r, service);

    let (errors, effective, config_file) = r.finish();
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    // With no errors every setting that has a default is present; this only guards against a
    // default that is missing from the table.
    let (
        Some(geodb),
        Some(redis_url),
        Some(api_listen),
        Some(queue),
        Some(scheduler),
        Some(worker),
        Some(doveadm),
        Some(moves),
        Some(balance),
        Some(mitigation),
        Some(automation),
        Some(log),
    ) = (geodb, redis_url, api_listen, queue, scheduler, worker, doveadm, moves, balance, mitigation, automation, log)
    else {
        let message = "a setting with a built-in default has none (a bug in controller-config)";
        return Err(ConfigErrors(vec![ConfigError::new("configuration", Origin::Default, message)]));
    };
    Ok(Config {
        service,
        home_site,
        geodb,
        redis_url,
        api_listen,
        admin_token,
        queue,
        scheduler,
        worker,
        doveadm,
        moves,
        balance,
        mitigation,
        automation,
        log,
        config_file,
        effective,
    })
}

fn geodb_options(r: &mut Resolver<'_>) -> Option<ConnectOptions> {
    let url = r.get(&GEODB_URL);
    let busy_timeout_ms = r.get(&GEODB_SQLITE_BUSY_TIMEOUT_MS);
    let pool_size = r.get(&GEODB_SQLITE_POOL_SIZE);
    let username = r.get(&GEODB_CQL_USERNAME);
    let password = r.get(&GEODB_CQL_PASSWORD);
    let local_dc = r.get(&GEODB_CQL_LOCAL_DC);
    let replication = r.get(&GEODB_CQL_REPLICATION).unwrap_or_default();
    let consistency = r.get(&GEODB_CQL_CONSISTENCY).unwrap_or_else(|| {
        // Within one DC a quorum is enough and cheaper; without a DC, a global quorum is safe.
        let level = if local_dc.is_some() { CqlConsistency::LocalQuorum } else { CqlConsistency::Quorum };
        r.derived_default(&GEODB_CQL_CONSISTENCY.def, parse::consistency_name(level));
        level
    });
    let request_timeout_ms = r.get(&GEODB_CQL_REQUEST_TIMEOUT_MS);
    let init_schema = r.get(&INIT_GEODB_SCHEMA);

    // A keyspace replicated only elsewhere would make every LOCAL_* read fail.
    if let Some(dc) = &local_dc
        && !replication.is_empty()
        && !replication.iter().any(|(name, _)| name == dc)
    {
        let origin = r.origin(&GEODB_CQL_REPLICATION.def);
        r.error(ConfigError::new(
            GEODB_CQL_REPLICATION.def.name,
            origin,
            "must include the data centre named by GEODB_CQL_LOCAL_DC",
        ));
    }

    Some(match url? {
        GeoDbUrl::Sqlite(path) => ConnectOptions::Sqlite(SqliteOptions {
            path,
            busy_timeout: Duration::from_millis(busy_timeout_ms?),
            pool_size: pool_size?,
        }),
        GeoDbUrl::Cql { nodes, keyspace } => ConnectOptions::Cql(CqlOptions {
            nodes,
            keyspace,
            username,
            password: password.map(|p| p.expose().to_owned()),
            serial_local: local_dc.is_some(),
            local_dc,
            replication,
            consistency,
            init_schema: init_schema?,
            request_timeout: Duration::from_millis(request_timeout_ms?),
        }),
    })
}

fn queue_config(r: &mut Resolver<'_>, home_site: Option<&SiteName>) -> Option<QueueConfig> {
    let prefix = r.get(&QUEUE_PREFIX).unwrap_or_else(|| {
        // One Redis may serve the controllers of several sites: each keeps to its own keys.
        let derived = format!("controller:{}", home_site.map_or("default", SiteName::as_str));
        r.derived_default(&QUEUE_PREFIX.def, &derived);
        derived
    });
    let visibility_timeout_ms = r.get(&QUEUE_VISIBILITY_TIMEOUT_MS);
    let max_attempts = r.get(&QUEUE_MAX_ATTEMPTS);
    let retry_base_ms = r.get(&QUEUE_RETRY_BASE_MS);
    let retry_max_ms = r.get(&QUEUE_RETRY_MAX_MS);
    let retention_secs = r.get(&QUEUE_RETENTION_SECS);
    let dead_retention_secs = r.get(&QUEUE_DEAD_RETENTION_SECS);
    if let (Some(base), Some(max)) = (retry_base_ms, retry_max_ms)
        && max < base
    {
        let origin = r.origin(&QUEUE_RETRY_MAX_MS.def);
        r.error(ConfigError::new(QUEUE_RETRY_MAX_MS.def.name, origin, "must be at least QUEUE_RETRY_BASE_MS"));
    }
    Some(QueueConfig {
        prefix,
        visibility_timeout: Duration::from_millis(visibility_timeout_ms?),
        max_attempts: max_attempts?,
        retry_base: Duration::from_millis(retry_base_ms?),
        retry_max: Duration::from_millis(retry_max_ms?),
        retention: Duration::from_secs(retention_secs?),
        dead_retention: Duration::from_secs(dead_retention_secs?),
    })
}

fn scheduler_config(r: &mut Resolver<'_>) -> Option<SchedulerConfig> {
    let lease_ttl_ms = r.get(&SCHEDULER_LEASE_TTL_MS);
    let mut entries = r.get(&SCHEDULER_ENTRIES);
    let balance_secs = r.get(&LOAD_BALANCE_INTERVAL_SECS);
    // The balancing period is a setting of its own (operators tune it without rewriting the JSON
    // of every entry); it applies to the entry by its well-known name, default or not.
    if let (Some(entries), Some(secs)) = (entries.as_mut(), balance_secs) {
        for entry in entries.iter_mut().filter(|e| e.name == crate::schedule::LOAD_BALANCE_ENTRY) {
            entry.interval_ms = secs * 1000;
        }
    }
    let mitigation_secs = r.get(&ERROR_MITIGATION_INTERVAL_SECS);
    // Same rule as balancing: the setting sets the interval of the entry by its well-known name.
    if let (Some(entries), Some(secs)) = (entries.as_mut(), mitigation_secs) {
        for entry in entries.iter_mut().filter(|e| e.name == crate::schedule::ERROR_MITIGATION_ENTRY) {
            entry.interval_ms = secs * 1000;
        }
    }
    // Same rule for site failover and autoscaling.
    for (setting, name) in [
        (&SITE_FAILOVER_INTERVAL_SECS, crate::schedule::SITE_FAILOVER_ENTRY),
        (&AUTOSCALE_INTERVAL_SECS, crate::schedule::AUTOSCALE_ENTRY),
    ] {
        let secs = r.get(setting);
        if let (Some(entries), Some(secs)) = (entries.as_mut(), secs) {
            for entry in entries.iter_mut().filter(|e| e.name == name) {
                entry.interval_ms = secs * 1000;
            }
        }
    }
    // Same rule for group-size balancing's plan and pass.
    for (setting, name) in [
        (&GROUP_BALANCE_PLAN_INTERVAL_SECS, crate::schedule::GROUP_BALANCE_PLAN_ENTRY),
        (&GROUP_BALANCE_PASS_INTERVAL_SECS, crate::schedule::GROUP_BALANCE_PASS_ENTRY),
    ] {
        if let (Some(entries), Some(secs)) = (entries.as_mut(), r.get(setting)) {
            for entry in entries.iter_mut().filter(|e| e.name == name) {
                entry.interval_ms = secs * 1000;
            }
        }
    }
    Some(SchedulerConfig { lease_ttl: Duration::from_millis(lease_ttl_ms?), entries: entries? })
}

fn worker_config(r: &mut Resolver<'_>) -> Option<WorkerConfig> {
    let concurrency = r.get(&WORKER_CONCURRENCY);
    let shutdown_grace_secs = r.get(&WORKER_SHUTDOWN_GRACE_SECS);
    let metrics_listen = r.get(&WORKER_METRICS_LISTEN);
    Some(WorkerConfig {
        concurrency: concurrency?,
        shutdown_grace: Duration::from_secs(shutdown_grace_secs?),
        metrics_listen: metrics_listen?,
    })
}

fn doveadm_config(r: &mut Resolver<'_>) -> Option<DoveadmConfig> {
    let api_key = r.get(&DOVEADM_API_KEY);
    let password = r.get(&DOVEADM_PASSWORD);
    let port = r.get(&DOVEADM_PORT);
    let timeout_ms = r.get(&DOVEADM_TIMEOUT_MS);
    Some(DoveadmConfig { api_key, password, port: port?, timeout: Duration::from_millis(timeout_ms?) })
}

fn move_config(r: &mut Resolver<'_>) -> Option<MoveConfig> {
    let timeout_secs = r.get(&MOVE_TIMEOUT_SECS);
    let access_retry_secs = r.get(&MOVE_ACCESS_RETRY_SECS);
    let batch_size = r.get(&EVACUATION_BATCH_SIZE);
    let batch_interval_ms = r.get(&EVACUATION_BATCH_INTERVAL_MS);
    let stall_secs = r.get(&EVACUATION_STALL_SECS);
    let grace_secs = r.get(&BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS);
    Some(MoveConfig {
        timeout: Duration::from_secs(timeout_secs?),
        access_retry: Duration::from_secs(access_retry_secs?),
        evacuation_batch_size: batch_size?,
        evacuation_batch_interval: Duration::from_millis(batch_interval_ms?),
        evacuation_stall: Duration::from_secs(stall_secs?),
        name_resolution_grace: Duration::from_secs(grace_secs?),
    })
}

fn balance_config(r: &mut Resolver<'_>) -> Option<BalanceConfig> {
    let prometheus_url = r.get(&PROMETHEUS_URL);
    let ratio = r.get(&HOST_LOAD_BALANCE_SCORE_DELTA_THRESHOLD_RATIO);
    let min_relative_gap = r.get(&HOST_LOAD_BALANCE_MIN_RELATIVE_GAP);
    let smoothing_secs = r.get(&HOST_LOAD_BALANCE_SMOOTHING_SECS);
    let min_samples = r.get(&HOST_LOAD_BALANCE_MIN_SAMPLES);
    let residency_secs = r.get(&HOST_LOAD_BALANCE_RESIDENCY_SECS);
    let max_moves = r.get(&HOST_LOAD_BALANCE_MAX_MOVES_PER_HOUR);
    let group_slack = r.get(&GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK);
    let group_max_moves = r.get(&GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS);
    let group_per_pass = r.get(&GROUP_BALANCE_MAX_USER_MOVES_PER_PASS);
    Some(BalanceConfig {
        prometheus_url,
        score_delta_threshold_ratio: ratio?,
        min_relative_gap: min_relative_gap?,
        smoothing: Duration::from_secs(smoothing_secs?),
        min_samples: min_samples?,
        residency: Duration::from_secs(residency_secs?),
        max_moves_per_hour: max_moves?,
        group_size_ratio_slack: group_slack?,
        group_max_user_moves: group_max_moves?,
        group_max_user_moves_per_pass: group_per_pass?,
    })
}

fn mitigation_config(r: &mut Resolver<'_>) -> Option<MitigationConfig> {
    let window_secs = r.get(&ERROR_MITIGATION_WINDOW_SECS);
    let host_failure_ratio = r.get(&HOST_FAILURE_RATIO);
    let evacuate_failure_ratio = r.get(&HOST_EVACUATE_FAILURE_RATIO);
    let min_samples = r.get(&HOST_FAILURE_MIN_SAMPLES);
    let capacity_guard_ratio = r.get(&CAPACITY_GUARD_RATIO);
    let confirm_secs = r.get(&ERROR_MITIGATION_CONFIRM_SECS);
    let watch_secs = r.get(&ERROR_MITIGATION_WATCH_SECS);
    let max_growth = r.get(&CAPACITY_GUARD_MAX_GROWTH);
    let cooldown_secs = r.get(&CAPACITY_GUARD_COOLDOWN_SECS);
    // Evacuating below the degraded threshold would skip "shed one group and watch" entirely.
    if let (Some(degraded), Some(evacuate)) = (host_failure_ratio, evacuate_failure_ratio)
        && evacuate < degraded
    {
        let origin = r.origin(&HOST_EVACUATE_FAILURE_RATIO.def);
        r.error(ConfigError::new(HOST_EVACUATE_FAILURE_RATIO.def.name, origin, "must be at least HOST_FAILURE_RATIO"));
    }
    Some(MitigationConfig {
        window: Duration::from_secs(window_secs?),
        host_failure_ratio: host_failure_ratio?,
        evacuate_failure_ratio: evacuate_failure_ratio?,
        min_samples: min_samples?,
        capacity_guard_ratio: capacity_guard_ratio?,
        confirm: Duration::from_secs(confirm_secs?),
        watch: Duration::from_secs(watch_secs?),
        max_growth: max_growth?,
        guard_cooldown: Some(cooldown_secs?).filter(|s| *s > 0).map(Duration::from_secs),
    })
}

fn automation_config(r: &mut Resolver<'_>) -> Option<AutomationConfig> {
    let window_secs = r.get(&SITE_FAILOVER_WINDOW_SECS);
    let down = r.get(&SITE_FAILOVER_DOWN_RATIO);
    let up = r.get(&SITE_FAILOVER_UP_RATIO);
    let streak = r.get(&SITE_FAILOVER_STREAK);
    let max_step = r.get(&SITE_FAILOVER_MAX_STEP);
    let min_samples = r.get(&SITE_FAILOVER_MIN_SAMPLES);
    let webhook = r.get(&AUTOSCALE_WEBHOOK_URL);
    // Without a band between the two thresholds every window would count as bad and good.
    if let (Some(down), Some(up)) = (down, up)
        && down <= up
    {
        let origin = r.origin(&SITE_FAILOVER_DOWN_RATIO.def);
        r.error(ConfigError::new(SITE_FAILOVER_DOWN_RATIO.def.name, origin, "must be above SITE_FAILOVER_UP_RATIO"));
    }
    Some(AutomationConfig {
        failover_window: Duration::from_secs(window_secs?),
        failover_down_ratio: down?,
        failover_up_ratio: up?,
        failover_streak: streak?,
        failover_max_step: max_step?,
        failover_min_samples: min_samples?,
        autoscale_webhook_url: webhook,
    })
}

/// Reads every service's log settings (one shared `.env` serves them all, so a typo in another
/// service's level is still a typo) and keeps the running service's.
fn log_config(r: &mut Resolver<'_>, service: Service) -> Option<LogConfig> {
    let mut current = None;
    for &each in Service::ALL {
        let (level_setting, format_setting) = settings::log_settings(each);
        let level = r.get(level_setting);
        let format = r.get(format_setting);
        if each == service {
            current = level.zip(format).map(|(level, format)| LogConfig { level, format });
        }
    }
    current
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "load_test.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "geodb_test.rs"]
mod geodb_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "queue_test.rs"]
mod queue_tests;
