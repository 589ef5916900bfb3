//! Set-up: the site, its backends and their `doveadm_url`s, groups after `--preassign`, and a
//! restart that changes nothing but the ports.

use std::process::Stdio;

use domain::settings::DEFAULT_GROUP_COUNT;
use domain::{BackendStatus, SettingName, SettingScope, SiteName, SiteStatus};
use geodb::{PageRequest, UserFilter};
use testkit::TempGeoDb;

use crate::harness::{self, backend, groups, groups_on};

const ARGS: &[&str] =
    &["--site", "east", "--backends", "3", "--groups", "12", "--users", "50", "--rate", "0", "--preassign"];

#[tokio::test]
async fn set_up_creates_the_site_online_backends_and_groups_and_a_restart_changes_only_the_urls() {
    let db = TempGeoDb::new().await;
    let sim = harness::start(&db, ARGS).await;
    let site = db.db.get_site_by_name(&SiteName::parse("east").unwrap()).await.unwrap().unwrap();
    assert_eq!((site.id, site.status), (sim.site(), SiteStatus::Online));
    let hosts: Vec<_> = sim.ready.backends.keys().cloned().collect();
    assert_eq!(hosts, ["b1.east.sim", "b2.east.sim", "b3.east.sim"]);
    let mut ids = Vec::new();
    for host in &hosts {
        let b = backend(&db, host).await;
        assert_eq!((b.status, b.load_factor.get(), b.site_id), (BackendStatus::Online, 100, site.id));
        let url = db.db.get_setting(SettingScope::Backend(b.id), &SettingName::parse("doveadm_url").unwrap()).await;
        assert_eq!(url.unwrap().unwrap().value, sim.doveadm_url(host));
        assert_eq!(groups_on(&db, site.id, b.id).await.len(), 4, "12 groups spread over 3 backends");
        ids.push(b.id);
    }
    let count = db.db.get_setting(SettingScope::Site(site.id), &SettingName::parse(DEFAULT_GROUP_COUNT).unwrap()).await;
    assert_eq!(count.unwrap().unwrap().value, "12");
    let users = db.db.list_users(site.id, &UserFilter::default(), &PageRequest::first(1000)).await.unwrap();
    assert_eq!(users.items.len(), 50);
    assert!(users.items.iter().all(|u| u.group.is_some()));
    let ready_file = sim.ready_file.clone();
    let old_urls = sim.ready.backends.clone();
    assert!(sim.terminate().await.success(), "SIGTERM exits 0");
    assert!(!ready_file.exists(), "a clean exit removes the ready file");

    // Again, on the same database: same site, backends and groups; the URLs follow the new ports.
    let sim = harness::start(&db, ARGS).await;
    assert_eq!(sim.site(), site.id);
    assert_eq!(db.db.list_sites().await.unwrap().len(), 1);
    assert_eq!(db.db.list_backends(None).await.unwrap().iter().map(|b| b.id).collect::<Vec<_>>(), ids);
    assert_eq!(groups(&db, site.id).await.len(), 12);
    let users = db.db.list_users(site.id, &UserFilter::default(), &PageRequest::first(1000)).await.unwrap();
    assert_eq!(users.items.len(), 50);
    for (host, url) in &sim.ready.backends {
        let b = backend(&db, host).await;
        let stored = db.db.get_setting(SettingScope::Backend(b.id), &SettingName::parse("doveadm_url").unwrap()).await;
        assert_eq!(&stored.unwrap().unwrap().value, url);
    }
    assert_ne!(sim.ready.backends, old_urls, "new listeners, new ports");
    assert!(sim.terminate().await.success());
}

#[tokio::test]
async fn preassign_can_give_each_backend_a_hundred_groups() {
    let db = TempGeoDb::new().await;
    let sim =
        harness::start(&db, &["--backends", "2", "--groups", "200", "--users", "0", "--rate", "0", "--preassign"])
            .await;
    for host in sim.ready.backends.keys() {
        let b = backend(&db, host).await;
        assert_eq!(groups_on(&db, sim.site(), b.id).await.len(), 100, "{host}");
    }
    let state = sim.state().await;
    assert_eq!(state["backends"]["b1.sim.sim"]["load"]["groups"], 100);
}

#[tokio::test]
async fn invalid_options_are_all_reported_with_exit_code_2() {
    let db = TempGeoDb::new().await;
    let (mut cmd, _) = harness::command(&db, &["--rate=-1", "--backends", "0", "--fault", "nope:slow_ms=1"], &[]);
    let out = cmd.stderr(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in ["rate:", "backends:", "--fault nope"] {
        assert!(stderr.contains(expected), "{expected} missing from {stderr}");
    }
}
