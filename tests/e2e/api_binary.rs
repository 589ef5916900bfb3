//! The real `controller-api` binary against a fresh SQLite file, driven over HTTP.

use std::process::{Command, Stdio};
use std::time::Duration;

use api_types::client::Client;
use api_types::{CreateBackend, CreateSite, GroupPage, PutSetting, UpdateBackend, WhoAmI};
use domain::Role;
use testkit::{ChildGuard, binary_path, free_port, wait_until_async};

const TOKEN: &str = "e2e-bootstrap-admin-token-abcdefghij";

fn api_command(dir: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(binary_path("controller-api"));
    cmd.env_clear()
        .env("GEODB_URL", format!("sqlite://{}", dir.join("geodb.sqlite").display()))
        .env("API_LISTEN", format!("127.0.0.1:{port}"))
        .env("API_ADMIN_TOKEN", TOKEN)
        .env("CONTROLLER_API_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

async fn wait_ready(base: &str) {
    let http = reqwest::Client::new();
    wait_until_async("controller-api to be ready", Duration::from_secs(30), || async {
        match http.get(format!("{base}/readyz")).send().await {
            Ok(r) if r.status() == 200 => Some(()),
            _ => None,
        }
    })
    .await;
}

#[tokio::test]
async fn the_binary_serves_the_api_over_sqlite_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = ChildGuard::spawn(&mut api_command(dir.path(), port));
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;

    let admin = Client::new(&base, Some(TOKEN.into()));
    admin.create_site(&CreateSite { name: "e2e".into(), ..Default::default() }).await.unwrap();
    for host in ["m1.e2e.test", "m2.e2e.test"] {
        admin.create_backend(&CreateBackend { host: host.into(), site: "e2e".into(), id: None }).await.unwrap();
        admin.update_backend(host, &UpdateBackend { status: Some("online".into()), load_factor: None }).await.unwrap();
    }
    let _: serde_json::Value =
        admin.put("/sites/e2e/settings/cluster_default_group_count", &PutSetting { value: "12".into() }).await.unwrap();
    assert_eq!(admin.init_site("e2e", false).await.unwrap().created, 12);
    let page: GroupPage = admin.list_groups("e2e", "?limit=5").await.unwrap();
    assert_eq!(page.items.len(), 5);
    assert!(page.next_cursor.is_some());

    let viewer = admin.create_token("e2e-viewer", "viewer").await.unwrap();
    let viewer = Client::new(&base, Some(viewer.token));
    assert_eq!(viewer.get::<WhoAmI>("/whoami").await.unwrap().role, Role::Viewer);
    let refused = viewer.create_site(&CreateSite { name: "nope".into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(refused.code(), Some("forbidden"));

    // The data is in the SQLite file: another process sees it.
    let other =
        geodb::connect(&geodb::ConnectOptions::Sqlite(geodb::SqliteOptions::new(dir.path().join("geodb.sqlite"))))
            .await
            .unwrap();
    assert_eq!(other.list_backends(None).await.unwrap().len(), 2);

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = wait_until_async("controller-api to exit after SIGTERM", Duration::from_secs(15), || {
        let exited = child.0.try_wait().unwrap();
        async move { exited }
    })
    .await;
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[test]
fn a_bad_configuration_is_refused_with_every_error_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("controller.toml");
    std::fs::write(&file, "api_listen = \"not-an-address\"\ngeodb_urll = \"sqlite://x\"\n").unwrap();
    let out = Command::new(binary_path("controller-api"))
        .env_clear()
        .env("GEODB_URL", "mysql://db/geo")
        .env("CONTROLLER_API_LOG_FORMAT", "xml")
        .env("API_ADMIN_TOKEN", "short")
        .args(["--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["API_LISTEN", "geodb_urll", "GEODB_URL", "CONTROLLER_API_LOG_FORMAT", "API_ADMIN_TOKEN"] {
        assert!(stderr.contains(name), "{name} missing from:\n{stderr}");
    }
    assert!(!stderr.contains("short"), "secret values never appear in errors:\n{stderr}");
}

#[test]
fn print_config_shows_every_setting_with_secrets_redacted() {
    let out = Command::new(binary_path("controller-api"))
        .env_clear()
        .env("API_ADMIN_TOKEN", TOKEN)
        .env("API_LISTEN", "127.0.0.1:9999")
        .arg("--print-config")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(TOKEN), "the admin token must be redacted:\n{stdout}");
    assert!(stdout.contains("api_listen = \"127.0.0.1:9999\""), "{stdout}");
    assert!(stdout.contains("geodb_url"), "{stdout}");
    assert!(stdout.contains("redacted"), "{stdout}");
}
