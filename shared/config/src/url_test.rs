use super::*;

#[test]
fn cql_url_gives_contact_points_and_keyspace() {
    let url = geodb_url("cql://db1.example:9042,10.0.0.2,[::1]:19042/geodb_prod").unwrap();
    assert_eq!(
        url,
        GeoDbUrl::Cql {
            nodes: vec!["db1.example:9042".into(), "10.0.0.2:9042".into(), "[::1]:19042".into()],
            keyspace: "geodb_prod".into(),
        }
    );
}

#[test]
fn sqlite_url_keeps_relative_and_absolute_paths() {
    assert_eq!(geodb_url("sqlite://./data/geodb.sqlite").unwrap(), GeoDbUrl::Sqlite("./data/geodb.sqlite".into()));
    assert_eq!(geodb_url("sqlite:///var/lib/geodb.sqlite").unwrap(), GeoDbUrl::Sqlite("/var/lib/geodb.sqlite".into()));
}

#[test]
fn bad_geodb_urls_say_what_is_expected() {
    for bad in [
        "postgres://x/y",
        "sqlite://",
        "cql://db1:9042",
        "cql:///geodb",
        "cql://db1:0/geodb",
        "cql://db1:9042,,db2/geodb",
        "cql://user:pw@db1/geodb",
        "cql://db1/9lives",
        "cql://db1/geo-db",
    ] {
        let message = geodb_url(bad).unwrap_err();
        assert!(message.starts_with(GEODB_URL_FORMAT), "{bad}: {message}");
        assert!(!message.contains("pw"), "{message}");
    }
}

#[test]
fn redis_urls_are_checked_lightly() {
    for good in [
        "redis://127.0.0.1:6379",
        "redis://:pw@cache:6380/2",
        "rediss://user:pw@cache.example",
        "redis://[::1]:6379",
        "unix:///run/redis.sock?db=1",
    ] {
        assert!(redis_url(good).is_ok(), "{good}");
    }
    for bad in
        ["http://cache", "redis://", "redis://cache:port", "redis://cache/zero", "unix://relative.sock", "cache:6379"]
    {
        assert!(redis_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn redaction_hides_passwords_only() {
    assert_eq!(redact("redis://:pw@cache:6380/2"), "redis://:<redacted>@cache:6380/2");
    assert_eq!(redact("rediss://user:pw@cache"), "rediss://user:<redacted>@cache");
    assert_eq!(redact("redis://user@cache"), "redis://user@cache");
    assert_eq!(redact("unix:///run/r.sock?db=1&pass=pw"), "unix:///run/r.sock?db=1&pass=<redacted>");
    assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    let url = redis_url("redis://u:s3cr3t@cache:6379").unwrap();
    assert_eq!(url.expose(), "redis://u:s3cr3t@cache:6379");
    assert!(!format!("{url} {url:?}").contains("s3cr3t"));
}
