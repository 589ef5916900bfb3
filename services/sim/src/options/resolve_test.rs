use std::io::Write;

use super::*;

fn no_credentials() -> DoveadmConfig {
    DoveadmConfig { api_key: None, password: None, port: 8080, timeout: std::time::Duration::from_secs(5) }
}

#[test]
fn defaults_use_the_home_site_and_the_documented_patterns() {
    let home = SiteName::parse("east").unwrap();
    let o = resolve(&Args::default(), Some(&home), &no_credentials()).unwrap();
    assert_eq!(o.site.as_str(), "east");
    let hosts: Vec<_> = o.backend_hosts.iter().map(ToString::to_string).collect();
    assert_eq!(hosts, ["b1.east.sim", "b2.east.sim", "b3.east.sim"]);
    assert_eq!(o.proxy_hosts[1].as_str(), "p2.east.sim");
    assert_eq!(o.user_names()[0].as_str(), "user1@east.sim");
    assert_eq!((o.users, o.groups, o.rate, o.seed), (1000, 100, 50.0, 1));
    assert!(o.auth.is_open());
    let without_home = resolve(&Args::default(), None, &no_credentials()).unwrap();
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
    let o = resolve(&args, None, &no_credentials()).unwrap();
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
    let errors = resolve(&args, None, &no_credentials()).unwrap_err().0;
    for expected in ["site:", "rate:", "lmtp_share:", "backend_pattern:", "route_cache_ms:", "--fault nope.sim"] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "{expected} missing from {errors:?}");
    }
}

#[test]
fn the_backends_accept_the_controllers_doveadm_credentials_and_debug_hides_them() {
    let credentials = DoveadmConfig {
        api_key: Some(controller_config::Secret::new("key-123")),
        password: Some(controller_config::Secret::new("pw-456")),
        ..no_credentials()
    };
    let o = resolve(&Args::default(), None, &credentials).unwrap();
    assert_eq!(o.auth.api_key.as_deref(), Some("key-123"));
    assert_eq!(o.auth.password.as_deref(), Some("pw-456"));
    let shown = format!("{:?} {}", o.auth, o.render_effective());
    assert!(!shown.contains("key-123") && !shown.contains("pw-456"), "{shown}");
}

#[test]
fn the_file_is_merged_by_key_and_its_errors_name_the_file() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "backends = 4\n[faults.\"b1.sim.sim\"]\nslow_ms = 5\nunreachable = true").unwrap();
    let args = Args {
        config: Some(f.path().to_path_buf()),
        faults: vec!["b1.sim.sim:unreachable=false".into(), "b1.sim.sim:failure_ratio=0.5".into()],
        ..Args::default()
    };
    let o = resolve(&args, None, &no_credentials()).unwrap();
    assert_eq!(o.backend_hosts.len(), 4);
    let patch = &o.faults[&HostName::parse("b1.sim.sim").unwrap()];
    assert_eq!((patch.slow_ms, patch.unreachable, patch.failure_ratio), (Some(5), Some(false), Some(0.5)));

    let mut typo = tempfile::NamedTempFile::new().unwrap();
    writeln!(typo, "backend = 4").unwrap();
    let args = Args { config: Some(typo.path().to_path_buf()), rate: Some(-1.0), ..Args::default() };
    let errors = resolve(&args, None, &no_credentials()).unwrap_err().0;
    let file_error = errors.iter().find(|e| e.starts_with("--config")).expect("the unknown key is named");
    assert!(file_error.contains("backend") && file_error.contains(&typo.path().display().to_string()), "{errors:?}");
    assert!(errors.iter().any(|e| e.starts_with("rate:")), "the flags are still checked: {errors:?}");

    let mut broken = tempfile::NamedTempFile::new().unwrap();
    writeln!(broken, "backends = 4\nrate = ").unwrap();
    let args = Args { config: Some(broken.path().to_path_buf()), ..Args::default() };
    let errors = resolve(&args, None, &no_credentials()).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("line 2"), "{errors:?}");
}
