//! The worker and scheduler binaries refuse a bad configuration with every error listed
//! (exit 2), and print their effective configuration.

use std::process::Command;

use testkit::binary_path;

#[test]
fn bad_queue_settings_stop_the_worker_and_scheduler_with_every_error() {
    let worker = Command::new(binary_path("controller-worker"))
        .env_clear()
        .env("CLUSTER_SITE", "e2e")
        .env("WORKER_CONCURRENCY", "0")
        .env("QUEUE_VISIBILITY_TIMEOUT_MS", "soon")
        .args(["--priority", "low"])
        .output()
        .unwrap();
    assert_eq!(worker.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&worker.stderr);
    for name in ["WORKER_CONCURRENCY", "QUEUE_VISIBILITY_TIMEOUT_MS"] {
        assert!(stderr.contains(name), "{name} missing from:\n{stderr}");
    }

    let scheduler = Command::new(binary_path("controller-scheduler"))
        .env_clear()
        .env("SCHEDULER_ENTRIES", r#"[{"name":"x","kind":"probe","interval_ms":1000,"payload":{"duration_ms":-1}}]"#)
        .env("SCHEDULER_LEASE_TTL_MS", "1")
        .output()
        .unwrap();
    assert_eq!(scheduler.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&scheduler.stderr);
    for message in [
        "CLUSTER_SITE (not set): required by controller-scheduler",
        "SCHEDULER_ENTRIES (environment): entries[0].payload.duration_ms: must be an integer",
        "SCHEDULER_LEASE_TTL_MS (environment): must be an integer from 300",
    ] {
        assert!(stderr.contains(message), "{message:?} missing from:\n{stderr}");
    }
}

#[test]
fn the_worker_prints_its_effective_configuration() {
    let out = Command::new(binary_path("controller-worker"))
        .env_clear()
        .env("CLUSTER_SITE", "e2e")
        .env("WORKER_CONCURRENCY", "8")
        .arg("--print-config")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in ["worker_concurrency = 8  # environment", "queue_prefix = \"controller:e2e\"  # default"] {
        assert!(stdout.lines().any(|l| l == line), "missing {line:?} in:\n{stdout}");
    }
}

/// Operators migrating from the original product bring a `controller_config` file of
/// `NAME=value` lines: the binaries read it like a TOML file, below the environment.
#[test]
fn a_controller_config_file_of_name_value_lines_is_read_below_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("controller_config");
    std::fs::write(&path, "# migrated\nCLUSTER_SITE=par1\nWORKER_CONCURRENCY=3\nQUEUE_PREFIX=\"c:par1\"\n").unwrap();
    let out = Command::new(binary_path("controller-worker"))
        .env_clear()
        .env("WORKER_CONCURRENCY", "5")
        .args(["--config", path.to_str().unwrap(), "--print-config"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let file = path.display();
    for line in [
        format!("cluster_site = \"par1\"  # file {file}"),
        "worker_concurrency = 5  # environment".to_owned(),
        format!("queue_prefix = \"c:par1\"  # file {file}"),
    ] {
        assert!(stdout.lines().any(|l| l == line), "missing {line:?} in:\n{stdout}");
    }
}
