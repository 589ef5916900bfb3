use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;

use tempfile::NamedTempFile;

use super::*;
use crate::{LogFormat, SiteName};

pub(crate) fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

pub(crate) fn toml_file(text: &str) -> NamedTempFile {
    let mut file = NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

pub(crate) fn loaded(service: Service, path: Option<&Path>, env: &Env) -> Config {
    load(service, path, env).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn sqlite(config: &Config) -> &SqliteOptions {
    match &config.geodb {
        ConnectOptions::Sqlite(o) => o,
        ConnectOptions::Cql(o) => panic!("expected SQLite, got {o:?}"),
    }
}

pub(crate) fn cql(config: &Config) -> &CqlOptions {
    match &config.geodb {
        ConnectOptions::Cql(o) => o,
        ConnectOptions::Sqlite(o) => panic!("expected CQL, got {o:?}"),
    }
}

#[test]
fn defaults_load_with_an_empty_environment() {
    let config = loaded(Service::Api, None, &Env::default());
    assert_eq!(config.home_site, None);
    let db = sqlite(&config);
    assert_eq!(db.path, Path::new("./data/geodb.sqlite"));
    assert_eq!((db.busy_timeout, db.pool_size), (Duration::from_millis(5000), 4));
    assert_eq!(config.redis_url.expose(), "redis://127.0.0.1:6379");
    assert_eq!(config.api_listen, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    assert!(config.admin_token.is_none());
    assert_eq!(config.log, LogConfig { level: "info".into(), format: LogFormat::Text });
    assert_eq!(config.config_file, None);
}

#[test]
fn file_overrides_defaults_and_environment_overrides_file() {
    let file = toml_file(
        "api_listen = \"0.0.0.0:9000\"\ngeodb_sqlite_pool_size = 8\ncontroller_api_log_level = \"debug\"\n\
         controller_api_log_format = \"json\"\n",
    );
    let env = env(&[("API_LISTEN", "127.0.0.1:9100"), ("CONTROLLER_API_LOG_FORMAT", "text")]);
    let config = loaded(Service::Api, Some(file.path()), &env);
    assert_eq!(config.api_listen.port(), 9100, "environment beats file");
    assert_eq!(sqlite(&config).pool_size, 8, "file beats default");
    assert_eq!(config.log, LogConfig { level: "debug".into(), format: LogFormat::Text });
    assert_eq!(config.config_file.as_deref(), Some(file.path()));
}

#[test]
fn config_flag_wins_over_controller_config() {
    let flag = toml_file("api_listen = \"127.0.0.1:1111\"\n");
    let from_env = toml_file("api_listen = \"127.0.0.1:2222\"\n");
    let env = env(&[("CONTROLLER_CONFIG", from_env.path().to_str().unwrap())]);
    assert_eq!(loaded(Service::Api, None, &env).api_listen.port(), 2222);
    assert_eq!(loaded(Service::Api, Some(flag.path()), &env).api_listen.port(), 1111);
}

#[test]
fn every_error_is_reported_at_once() {
    let file = toml_file(
        "api_listen = \"localhost\"\ngeodb_sqlite_pool_size = 0\ngeodb_url = \"mysql://db/geo\"\n\
         geodb_ulr = \"sqlite://x\"\nredis_url = [\"redis://a\"]\n",
    );
    let env = env(&[
        ("REDIS_URL", "http://cache:6379"),
        ("API_ADMIN_TOKEN", "too-short"),
        ("CONTROLLER_WORKER_LOG_FORMAT", "yaml"),
        ("GEODB_CQL_CONSISTENCY", "quorom"),
    ]);
    let errors = load(Service::Scheduler, Some(file.path()), &env).unwrap_err();
    let f = file.path().display();
    let expected = [
        format!("geodb_ulr (file {f}): unknown setting; did you mean geodb_url?"),
        format!("REDIS_URL (file {f}): must be a string, integer or boolean"),
        "CLUSTER_SITE (not set): required by controller-scheduler".to_owned(),
        format!("GEODB_URL (file {f}): must be sqlite://PATH or cql://host:port[,host:port]/keyspace"),
        format!("GEODB_SQLITE_POOL_SIZE (file {f}): must be an integer from 1 to 64"),
        "GEODB_CQL_CONSISTENCY (environment): must be one of one, quorum, local_quorum".to_owned(),
        "REDIS_URL (environment): must be a redis://, rediss:// or unix:// URL".to_owned(),
        format!("API_LISTEN (file {f}): must be a socket address"),
        "API_ADMIN_TOKEN (environment): must be at least 16 characters".to_owned(),
        "CONTROLLER_WORKER_LOG_FORMAT (environment): must be text or json".to_owned(),
    ];
    let text = errors.to_string();
    for line in &expected {
        assert!(text.lines().any(|l| l.starts_with(line.as_str())), "missing {line:?} in:\n{text}");
    }
    assert_eq!(errors.len(), expected.len(), "{text}");
    assert_eq!(text.lines().count(), expected.len(), "one line per error:\n{text}");
    assert!(!text.contains("too-short"), "values are never echoed:\n{text}");
}

#[test]
fn unreadable_or_invalid_files_are_errors_too() {
    let missing = load(Service::Api, Some(Path::new("/nonexistent/controller.toml")), &Env::default()).unwrap_err();
    assert!(missing.to_string().starts_with("--config (command line): cannot read /nonexistent/controller.toml"));

    let broken = toml_file("api_listen = \"127.0.0.1:1\"\ngeodb_url = \n");
    let env = env(&[("API_LISTEN", "nope")]);
    let errors = load(Service::Api, Some(broken.path()), &env).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors}");
    assert!(errors.to_string().contains("not valid TOML at line 2"), "{errors}");
}

#[test]
fn cluster_site_is_required_by_the_scheduler_and_worker_only() {
    assert!(load(Service::Api, None, &Env::default()).is_ok());
    for service in [Service::Scheduler, Service::Worker] {
        let errors = load(service, None, &Env::default()).unwrap_err();
        assert_eq!(errors.to_string(), format!("CLUSTER_SITE (not set): required by {service}"));
        let config = loaded(service, None, &env(&[("CLUSTER_SITE", "par1")]));
        assert_eq!(config.home_site.as_ref().map(SiteName::as_str), Some("par1"));
    }
    let bad = load(Service::Api, None, &env(&[("CLUSTER_SITE", "-par")])).unwrap_err();
    assert!(bad.to_string().starts_with("CLUSTER_SITE (environment): must be a name starting"), "{bad}");
}

#[test]
fn each_service_gets_its_own_log_settings() {
    let env = env(&[
        ("CLUSTER_SITE", "par1"),
        ("CONTROLLER_API_LOG_LEVEL", "debug"),
        ("CONTROLLER_WORKER_LOG_LEVEL", "warn,geodb=debug"),
        ("CONTROLLER_WORKER_LOG_FORMAT", "json"),
    ]);
    assert_eq!(loaded(Service::Api, None, &env).log.level, "debug");
    let worker = loaded(Service::Worker, None, &env).log;
    assert_eq!(worker, LogConfig { level: "warn,geodb=debug".into(), format: LogFormat::Json });
}

#[test]
fn the_table_lists_exactly_the_settings_that_load_reads() {
    let config = loaded(Service::Api, None, &Env::default());
    let read: BTreeSet<&str> = config.effective.iter().map(|e| e.def.name).collect();
    let listed: BTreeSet<&str> = settings::ALL.iter().map(|d| d.name).collect();
    assert_eq!(read, listed);
    assert_eq!(config.effective.len(), settings::ALL.len(), "each setting is read once");
}

#[test]
fn settings_md_is_current() {
    let table = settings::markdown();
    assert!(include_str!("../settings.md").contains(&table), "settings.md is stale; its table must be:\n{table}");
}

#[test]
fn a_controller_config_file_names_settings_as_the_environment_does() {
    let file = toml_file("CLUSTER_SITE=par1\nGEODB_ULR=sqlite://x\nWORKER_CONCURRENCY=0\n");
    let errors = load(Service::Worker, Some(file.path()), &Env::default()).unwrap_err().to_string();
    let f = file.path().display();
    assert!(errors.contains(&format!("GEODB_ULR (file {f}): unknown setting; did you mean GEODB_URL?")), "{errors}");
    assert!(errors.contains(&format!("WORKER_CONCURRENCY (file {f}): must be")), "{errors}");
    assert_eq!(errors.lines().count(), 2, "{errors}");
    let good = toml_file("CLUSTER_SITE=par1\nWORKER_CONCURRENCY=3\n");
    assert_eq!(loaded(Service::Worker, Some(good.path()), &Env::default()).worker.concurrency, 3);
}
