use std::time::Duration;

use super::tests::{env, loaded};
use super::*;
use crate::Env;

#[test]
fn queue_scheduler_and_worker_defaults() {
    let config = loaded(Service::Worker, None, &env(&[("CLUSTER_SITE", "par1")]));
    let queue = config.queue_config();
    assert_eq!(queue.prefix, "controller:par1", "the prefix follows the site");
    assert_eq!(queue.visibility_timeout, Duration::from_secs(10));
    assert_eq!(queue.heartbeat_interval().as_millis(), 3333, "heartbeat and reclaim period");
    assert_eq!(
        (queue.max_attempts, queue.retry_base, queue.retry_max),
        (5, Duration::from_secs(1), Duration::from_secs(300))
    );
    assert_eq!((queue.retention, queue.dead_retention), (Duration::from_secs(86_400), Duration::from_secs(604_800)));
    assert_eq!(config.scheduler.lease_ttl, Duration::from_secs(10));
    let names: Vec<&str> = config.scheduler.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "probe-canary",
            "reachability",
            "load-balance",
            "error-mitigation",
            "site-failover",
            "autoscale",
            "group-balance-plan",
            "group-balance-pass"
        ]
    );
    assert_eq!(config.worker.concurrency, 64);
    assert_eq!(config.worker.shutdown_grace, Duration::from_secs(30));
    assert_eq!(config.worker.metrics_listen, Some("127.0.0.1:0".parse().unwrap()));

    let api = loaded(Service::Api, None, &Env::default());
    assert_eq!(api.queue_config().prefix, "controller:default");
    assert!(api.render_effective().lines().any(|l| l == "queue_prefix = \"controller:default\"  # default"));
}

#[test]
fn queue_settings_come_from_the_environment() {
    let config = loaded(
        Service::Scheduler,
        None,
        &env(&[
            ("CLUSTER_SITE", "par1"),
            ("QUEUE_PREFIX", "e2e:queue-1"),
            ("QUEUE_VISIBILITY_TIMEOUT_MS", "1500"),
            ("QUEUE_MAX_ATTEMPTS", "4"),
            ("QUEUE_RETRY_BASE_MS", "100"),
            ("QUEUE_RETRY_MAX_MS", "100"),
            ("SCHEDULER_LEASE_TTL_MS", "1000"),
            ("SCHEDULER_ENTRIES", r#"[{"name":"fast","kind":"probe","interval_ms":200,"priority":"high"}]"#),
            ("WORKER_CONCURRENCY", "8"),
            ("WORKER_METRICS_LISTEN", "off"),
        ]),
    );
    let queue = config.queue_config();
    assert_eq!(queue.prefix, "e2e:queue-1");
    assert_eq!(queue.visibility_timeout, Duration::from_millis(1500));
    assert_eq!(
        (queue.max_attempts, queue.retry_base, queue.retry_max),
        (4, Duration::from_millis(100), Duration::from_millis(100))
    );
    assert_eq!(config.scheduler.lease_ttl, Duration::from_secs(1));
    assert_eq!(config.scheduler.entries[0].interval_ms, 200);
    assert_eq!(config.worker.concurrency, 8);
    assert_eq!(config.worker.metrics_listen, None);
}

#[test]
fn bad_queue_settings_are_reported_together() {
    let errors = load(
        Service::Scheduler,
        None,
        &env(&[
            ("CLUSTER_SITE", "par1"),
            ("QUEUE_PREFIX", "controller:{par1}"),
            ("QUEUE_RETRY_BASE_MS", "5000"),
            ("QUEUE_RETRY_MAX_MS", "1000"),
            ("QUEUE_MAX_ATTEMPTS", "0"),
            ("SCHEDULER_ENTRIES", r#"[{"name":"x","kind":"nope","interval_ms":1000}]"#),
            ("WORKER_CONCURRENCY", "0"),
            ("WORKER_METRICS_LISTEN", "everywhere"),
        ]),
    )
    .unwrap_err();
    let text = errors.to_string();
    for line in [
        "QUEUE_PREFIX (environment): must be up to 100 letters",
        "QUEUE_MAX_ATTEMPTS (environment): must be an integer from 1 to 100",
        "QUEUE_RETRY_MAX_MS (environment): must be at least QUEUE_RETRY_BASE_MS",
        "SCHEDULER_ENTRIES (environment): entries[0].kind: must be one of probe",
        "WORKER_CONCURRENCY (environment): must be an integer from 1 to 4096",
        "WORKER_METRICS_LISTEN (environment): must be a socket address",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "missing {line:?} in:\n{text}");
    }
    assert_eq!(errors.len(), 6, "{text}");
}

#[test]
fn doveadm_and_move_settings_have_documented_defaults_and_hide_secrets() {
    let config = loaded(Service::Worker, None, &env(&[("CLUSTER_SITE", "par1")]));
    assert!(config.doveadm.api_key.is_none() && config.doveadm.password.is_none());
    assert_eq!((config.doveadm.port, config.doveadm.timeout), (8080, Duration::from_secs(5)));
    let moves = &config.moves;
    assert_eq!((moves.timeout, moves.access_retry), (Duration::from_secs(600), Duration::from_secs(30)));
    assert_eq!((moves.evacuation_batch_size, moves.evacuation_batch_interval), (10, Duration::from_secs(1)));
    assert_eq!(moves.name_resolution_grace, Duration::from_secs(10));
    assert_eq!(moves.evacuation_stall, Duration::from_secs(120));

    let config = loaded(
        Service::Worker,
        None,
        &env(&[
            ("CLUSTER_SITE", "par1"),
            ("DOVEADM_API_KEY", "key-that-must-not-leak"),
            ("DOVEADM_PORT", "18080"),
            ("MOVE_TIMEOUT_SECS", "3"),
            ("EVACUATION_BATCH_INTERVAL_MS", "0"),
            ("EVACUATION_STALL_SECS", "10"),
            ("BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS", "0"),
        ]),
    );
    assert_eq!(config.doveadm.api_key.as_ref().map(|k| k.expose()), Some("key-that-must-not-leak"));
    assert_eq!((config.doveadm.port, config.moves.timeout), (18080, Duration::from_secs(3)));
    assert_eq!(config.moves.evacuation_batch_interval, Duration::ZERO);
    assert_eq!(config.moves.evacuation_stall, Duration::from_secs(10));
    assert!(!format!("{config:?}").contains("must-not-leak"));
    assert!(!config.render_effective().contains("must-not-leak"));

    let errors = load(
        Service::Worker,
        None,
        &env(&[
            ("CLUSTER_SITE", "par1"),
            ("EVACUATION_BATCH_SIZE", "0"),
            ("MOVE_ACCESS_RETRY_SECS", "x"),
            ("EVACUATION_STALL_SECS", "9"),
        ]),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 3, "{errors}");
}
