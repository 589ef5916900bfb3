use crate::assemble::tests::{cql, env, loaded, toml_file};
use crate::{Service, load};

use super::Secret;

#[test]
fn secret_never_prints_its_value() {
    let secret = Secret::new("hunter2-hunter2-hunter2");
    assert_eq!(format!("{secret} {secret:?}"), "<redacted> <redacted>");
    assert_eq!(secret.expose(), "hunter2-hunter2-hunter2");
}

#[test]
fn secrets_come_from_files_trimmed() {
    let token = toml_file("  a-long-admin-token-0123\n");
    let password = toml_file("cql-password\n");
    let env = env(&[
        ("API_ADMIN_TOKEN_FILE", token.path().to_str().unwrap()),
        ("GEODB_URL", "cql://db1/geodb"),
        ("GEODB_CQL_PASSWORD_FILE", password.path().to_str().unwrap()),
    ]);
    let config = loaded(Service::Api, None, &env);
    assert_eq!(config.admin_token.as_ref().map(Secret::expose), Some("a-long-admin-token-0123"));
    assert_eq!(cql(&config).password.as_deref(), Some("cql-password"));
    assert!(config.render_effective().contains(&format!(
        "api_admin_token = \"<redacted>\"  # environment API_ADMIN_TOKEN_FILE={}",
        token.path().display()
    )));
}

#[test]
fn secret_file_problems_are_reported() {
    let empty = toml_file("\n");
    let env = env(&[
        ("API_ADMIN_TOKEN", "a-long-admin-token-0123"),
        ("API_ADMIN_TOKEN_FILE", "/run/secrets/token"),
        ("GEODB_CQL_PASSWORD_FILE", empty.path().to_str().unwrap()),
        ("REDIS_URL_FILE", "/nonexistent/redis-url"),
    ]);
    let text = load(Service::Api, None, &env).unwrap_err().to_string();
    assert!(text.contains("API_ADMIN_TOKEN (environment): set either API_ADMIN_TOKEN or API_ADMIN_TOKEN_FILE"));
    assert!(text.contains("GEODB_CQL_PASSWORD (environment GEODB_CQL_PASSWORD_FILE="));
    assert!(text.contains("the file is empty"));
    assert!(text.contains("REDIS_URL (environment REDIS_URL_FILE=/nonexistent/redis-url): cannot read the file"));
    assert_eq!(text.lines().count(), 3, "{text}");
}
