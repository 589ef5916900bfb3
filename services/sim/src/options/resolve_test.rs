use std::io::Write;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn defaults_use_the_home_site_and_the_documented_patterns() {
    let home = SiteName::parse("east").unwrap();
    let o = resolve(&Args::default(), Some(&home), &no_env).unwrap();
    assert_eq!(o.site.as_str(), "east");
    let hosts: Vec<_> = o.backend_hosts.iter().map(ToString::to_string).collect();
    assert_eq!(hosts, ["b1.east.sim", "b2.east.sim", "b3.east.sim"]);
    assert_eq!(o.proxy_hosts[1].as_str(), "p2.east.sim");
    assert_eq!(o.user_names()[0].as_str(), "user1@east.sim");
    assert_eq!((o.users, o.groups, o.rate, o.seed), (1000, 100, 50.0, 1));
    assert!(o.auth.is_open());
    let without_home = resolve(&Args::default(), None, &no_env).unwrap();
    assert_eq!(without_home.site.as_str(), "sim");
}

#[test]
fn flags_win_over_the_file_which_wins_over_defaults() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "site = \"west\"\nbackends = 5\nrate = 7.0\n[faults.\"b2.west.sim\"]\nfailure_ratio = 0.25").unwrap();
    let args = Args {
        config: Some(f.path().to_path_buf()),
        backends: Some(2),
        faults: vec!["b2.west.sim:slow_ms=10".into()],
        ..Args::default()
    };
    let o = resolve(&args, None, &no_env).unwrap();
    assert_eq!(o.site.as_str(), "west");
    assert_eq!(o.backend_hosts.len(), 2);
    assert_eq!(o.rate, 7.0);
    let patch = &o.faults[&HostName::parse("b2.west.sim").unwrap()];
    assert_eq!((patch.failure_ratio, patch.slow_ms), (Some(0.25), Some(10)));
    assert!(o.render_effective().contains("backends = 2"));
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let args = Args {
        site: Some("-bad".into()),
        rate: Some(-1.0),
        lmtp_share: Some(2.0),
        backend_pattern: Some("backend".into()),
        route_cache_ms: Some(5000),
        faults: vec!["nope.sim:failure_ratio=0.5".into(), "b1.sim.sim:failure_ratio=3".into()],
        ..Args::default()
    };
    let errors = resolve(&args, None, &no_env).unwrap_err().0;
    for expected in ["site:", "rate:", "lmtp_share:", "backend_pattern:", "route_cache_ms:", "--fault nope.sim"] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "{expected} missing from {errors:?}");
    }
}

#[test]
fn secrets_come_from_the_environment_or_a_file_never_both() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "from-file").unwrap();
    let path = f.path().display().to_string();
    let env = |name: &str| match name {
        "DOVEADM_API_KEY" => Some("key".to_owned()),
        "DOVEADM_PASSWORD_FILE" => Some(path.clone()),
        _ => None,
    };
    let o = resolve(&Args::default(), None, &env).unwrap();
    assert_eq!(o.auth.api_key.as_deref(), Some("key"));
    assert_eq!(o.auth.password.as_deref(), Some("from-file"));
    assert!(!format!("{:?}", o.auth).contains("key\""));
    let both = |name: &str| name.starts_with("DOVEADM_API_KEY").then(|| "x".to_owned());
    assert!(resolve(&Args::default(), None, &both).unwrap_err().0[0].contains("not both"));
}
