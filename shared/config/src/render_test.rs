use crate::assemble::tests::toml_file;
use crate::{Env, Service, load};

const TOKEN: &str = "known-admin-token-0123456789";
const CQL_PASSWORD: &str = "known-cql-password";
const REDIS_PASSWORD: &str = "known-redis-password";

fn secret_env() -> Env {
    Env::from_pairs([
        ("API_ADMIN_TOKEN", TOKEN.to_owned()),
        ("GEODB_URL", "cql://db1:9042/geodb".to_owned()),
        ("GEODB_CQL_PASSWORD", CQL_PASSWORD.to_owned()),
        ("REDIS_URL", format!("redis://controller:{REDIS_PASSWORD}@cache:6379/0")),
    ])
}

#[test]
fn printed_config_never_contains_secrets_and_shows_origins() {
    let file = toml_file("api_listen = \"0.0.0.0:8080\"\ngeodb_cql_username = \"controller\"\n");
    let config = load(Service::Api, Some(file.path()), &secret_env()).unwrap();
    let printed = config.render_effective();
    let debug = format!("{config:?}");
    for secret in [TOKEN, CQL_PASSWORD, REDIS_PASSWORD] {
        assert!(!printed.contains(secret), "{secret} leaked into:\n{printed}");
        assert!(!debug.contains(secret), "{secret} leaked into Debug: {debug}");
    }
    let f = file.path().display();
    for line in [
        "api_admin_token = \"<redacted>\"  # environment".to_owned(),
        "geodb_cql_password = \"<redacted>\"  # environment".to_owned(),
        "redis_url = \"redis://controller:<redacted>@cache:6379/0\"  # environment".to_owned(),
        format!("api_listen = \"0.0.0.0:8080\"  # file {f}"),
        format!("geodb_cql_username = \"controller\"  # file {f}"),
        "geodb_sqlite_pool_size = 4  # default".to_owned(),
        "init_geodb_schema = false  # default".to_owned(),
        "# cluster_site is not set".to_owned(),
        "controller_worker_log_level = \"info\"  # default; not used by controller-api".to_owned(),
    ] {
        assert!(printed.lines().any(|l| l == line), "missing {line:?} in:\n{printed}");
    }
}

#[test]
fn printed_config_is_a_file_that_loads_to_the_same_values() {
    let env = Env::from_pairs([
        ("GEODB_CQL_LOCAL_DC", "dc1"),
        ("GEODB_SQLITE_BUSY_TIMEOUT_MS", "250"),
        ("CLUSTER_SITE", "par1"),
    ]);
    let first = load(Service::Scheduler, None, &env).unwrap().render_effective();
    assert!(first.parse::<toml::Table>().is_ok(), "not TOML:\n{first}");
    let file = toml_file(&first);
    let again = load(Service::Scheduler, Some(file.path()), &Env::default()).unwrap().render_effective();
    let strip =
        |text: &str| text.lines().skip(2).map(|l| l.split("  #").next().unwrap_or("").to_owned()).collect::<Vec<_>>();
    assert_eq!(strip(&first), strip(&again));
    assert!(again.contains(&format!("geodb_sqlite_busy_timeout_ms = 250  # file {}", file.path().display())));
}
