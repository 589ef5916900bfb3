//! The CQL backend: the shared conformance suite against a live cluster when
//! `GEODB_TEST_CQL_NODES` names one (each case in a fresh keyspace), and the parts that need no
//! cluster: start-up failures, the DDL builders and the row mapping.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

#[macro_use]
mod conformance;

use std::net::TcpListener;
use std::time::Duration;

use domain::{BackendId, GroupName, SettingScope, SiteId, SiteStatus};
use geodb::cql::rows::{self, BackendRow, GroupRow, SettingRow, SiteRow, StatRow, TagRow, TokenRow, UserRow};
use geodb::cql::{CqlGeoDb, schema};
use geodb::{CqlConsistency, CqlOptions, GeoDbError};
use scylla::value::CqlTimestamp;
use uuid::Uuid;

use conformance::TestDb;

fn options(nodes: Vec<String>, keyspace: &str) -> CqlOptions {
    CqlOptions {
        nodes,
        keyspace: keyspace.to_owned(),
        username: None,
        password: None,
        local_dc: None,
        replication: Vec::new(),
        consistency: CqlConsistency::One,
        serial_local: false,
        init_schema: false,
        request_timeout: Duration::from_secs(2),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn consistency_from_env(local_dc: bool) -> CqlConsistency {
    match env("GEODB_TEST_CQL_CONSISTENCY").map(|c| c.to_ascii_lowercase()).as_deref() {
        None if local_dc => CqlConsistency::LocalQuorum,
        None => CqlConsistency::Quorum,
        Some("one") => CqlConsistency::One,
        Some("local_one") => CqlConsistency::LocalOne,
        Some("quorum") => CqlConsistency::Quorum,
        Some("local_quorum") => CqlConsistency::LocalQuorum,
        Some("each_quorum") => CqlConsistency::EachQuorum,
        Some("all") => CqlConsistency::All,
        Some(other) => {
            panic!("GEODB_TEST_CQL_CONSISTENCY={other}: expected one, local_one, quorum, …")
        }
    }
}

/// Drops the test keyspace when the case ends (unless `GEODB_TEST_CQL_KEEP` is set). Drop is
/// synchronous, so the drop runs on its own thread and runtime, and the test waits for it.
struct KeyspaceGuard(Option<CqlOptions>);

impl Drop for KeyspaceGuard {
    fn drop(&mut self) {
        let Some(options) = self.0.take() else { return };
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let mut builder = scylla::client::session_builder::SessionBuilder::new().known_nodes(&options.nodes);
                if let Some(user) = &options.username {
                    builder = builder.user(user, options.password.clone().unwrap_or_default());
                }
                let session = builder.build().await;
                if let Ok(session) = session {
                    let _ = session.query_unpaged(format!("DROP KEYSPACE IF EXISTS {}", options.keyspace), ()).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Two independent sessions on a fresh keyspace, or `None` without `GEODB_TEST_CQL_NODES`.
async fn cql_test_db() -> Option<TestDb> {
    let nodes: Vec<String> =
        env("GEODB_TEST_CQL_NODES")?.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect();
    let local_dc = env("GEODB_TEST_CQL_LOCAL_DC");
    let keyspace = format!("geodb_test_{}", Uuid::new_v4().simple());
    let options = CqlOptions {
        username: env("GEODB_TEST_CQL_USERNAME"),
        password: env("GEODB_TEST_CQL_PASSWORD"),
        replication: local_dc.iter().map(|dc| (dc.clone(), 1)).collect(),
        consistency: consistency_from_env(local_dc.is_some()),
        serial_local: local_dc.is_some(),
        local_dc,
        init_schema: true,
        request_timeout: Duration::from_secs(30),
        ..options(nodes, &keyspace)
    };
    let guard = KeyspaceGuard((env("GEODB_TEST_CQL_KEEP").is_none()).then(|| options.clone()));
    let db = CqlGeoDb::connect(options.clone()).await.unwrap();
    let other = CqlGeoDb::connect(CqlOptions { init_schema: false, ..options }).await.unwrap();
    Some(TestDb { db: std::sync::Arc::new(db), other: std::sync::Arc::new(other), guard: Box::new(guard) })
}

// Built as ignored (reported as skipped) unless `GEODB_TEST_CQL_NODES` was set when the tests
// were built: see `build.rs`.
conformance_suite!(
    #[cfg_attr(not(geodb_test_cql), ignore = "no CQL cluster: set GEODB_TEST_CQL_NODES to run the conformance suite")]
    cql_test_db
);

#[tokio::test]
async fn an_unreachable_cluster_is_unavailable_promptly() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = std::time::Instant::now();
    let result = CqlGeoDb::connect(options(vec![format!("127.0.0.1:{port}")], "geodb")).await;
    assert!(matches!(result, Err(GeoDbError::Unavailable(_))), "got {result:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn bad_settings_fail_before_any_connection() {
    let nowhere = vec!["127.0.0.1:1".to_owned()];
    let result = CqlGeoDb::connect(options(nowhere, "Robert'); DROP")).await;
    assert!(matches!(result, Err(GeoDbError::Internal(_))), "got {result:?}");
    let result = CqlGeoDb::connect(options(Vec::new(), "geodb")).await;
    assert!(matches!(result, Err(GeoDbError::Internal(_))), "got {result:?}");
}

#[test]
fn keyspace_names_are_plain_lower_case_identifiers() {
    for good in ["geodb", "_x", "geodb_test_0123abcd", &"a".repeat(48)] {
        schema::validate_keyspace(good).unwrap();
    }
    for bad in ["", "GeoDB", "1geodb", "geo-db", "geo db", "geodb;", "\"geodb\"", &"a".repeat(49)] {
        assert!(matches!(schema::validate_keyspace(bad), Err(GeoDbError::Internal(_))), "{bad:?} accepted");
        assert!(schema::keyspace_ddl(&options(Vec::new(), bad)).is_err());
        assert!(schema::table_ddl(bad).is_err());
    }
}

#[test]
fn the_keyspace_replicates_per_data_centre() {
    let mut o = options(Vec::new(), "geodb");
    assert_eq!(
        schema::keyspace_ddl(&o).unwrap(),
        "CREATE KEYSPACE IF NOT EXISTS geodb WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
    );
    o.replication = vec![("eu-west".into(), 3), ("us_east".into(), 2)];
    assert_eq!(
        schema::keyspace_ddl(&o).unwrap(),
        "CREATE KEYSPACE IF NOT EXISTS geodb WITH replication = \
         {'class': 'NetworkTopologyStrategy', 'eu-west': 3, 'us_east': 2}"
    );
    o.replication = vec![("it's".into(), 1)];
    assert!(schema::keyspace_ddl(&o).unwrap().contains("'it''s': 1"));
    o.replication = vec![(String::new(), 1)];
    assert!(schema::keyspace_ddl(&o).is_err());
}

#[test]
fn every_table_is_created_in_the_keyspace() {
    let ddl = schema::table_ddl("geodb_x").unwrap();
    for table in [
        "sites",
        "sites_by_name",
        "tags",
        "tags_by_name",
        "backends",
        "backends_by_host",
        "backends_by_site",
        "user_groups",
        "users",
        "users_by_group",
        "user_partitions",
        "proxy_dest_stats",
        "proxy_dest_stats_hours",
        "cluster_settings",
        "site_reachability",
        "api_tokens",
        "api_tokens_by_id",
    ] {
        let prefix = format!("CREATE TABLE IF NOT EXISTS geodb_x.{table} (");
        assert_eq!(ddl.iter().filter(|d| d.starts_with(&prefix)).count(), 1, "{table}");
    }
    assert_eq!(ddl.len(), 17);
    let stats = ddl.iter().find(|d| d.contains(".proxy_dest_stats (")).unwrap();
    assert!(stats.contains(&format!("default_time_to_live = {}", schema::STATS_TTL_SECS)), "{stats}");
    assert!(ddl.iter().all(|d| !d.contains("{stats_ttl}")));
}

fn site_row(status: Option<&str>) -> SiteRow {
    SiteRow {
        id: Uuid::new_v4(),
        name: Some("paris".into()),
        tag: None,
        load_balancer: Some(String::new()),
        status: status.map(str::to_owned),
    }
}

fn is_corrupt<T: std::fmt::Debug>(result: geodb::Result<T>) -> bool {
    matches!(result, Err(GeoDbError::Corrupt(_)))
}

#[test]
fn stored_values_that_do_not_parse_are_corrupt() {
    let site = site_row(Some("online")).into_model().unwrap();
    assert_eq!((site.status, site.load_balancer), (SiteStatus::Online, None));
    assert!(is_corrupt(site_row(Some("evacuating")).into_model()));
    assert!(is_corrupt(site_row(None).into_model()));
    assert!(is_corrupt(SiteRow { name: Some("no spaces".into()), ..site_row(Some("online")) }.into_model()));
    assert!(is_corrupt(TagRow { id: Uuid::new_v4(), name: None }.into_model()));

    let backend = |status: &str, load: i32| BackendRow {
        id: Uuid::new_v4(),
        site_id: Some(Uuid::new_v4()),
        host: Some("mail.example".into()),
        status: Some(status.into()),
        load_factor: Some(load),
    };
    assert!(backend("standby", 100).into_model().is_ok());
    assert!(is_corrupt(backend("evacuate", 100).into_model()));
    assert!(is_corrupt(backend("online", 101).into_model()));
    assert!(is_corrupt(backend("online", -1).into_model()));
    assert!(is_corrupt(BackendRow { host: Some("10.0.0.1".into()), ..backend("online", 1) }.into_model()));

    let token = TokenRow {
        secret_hash: "ab".into(),
        id: Some(Uuid::new_v4()),
        name: Some("ci".into()),
        role: Some("root".into()),
        created_at: Some(CqlTimestamp(0)),
    };
    assert!(is_corrupt(token.clone().into_model()));
    assert!(TokenRow { role: Some("admin".into()), ..token.clone() }.into_model().is_ok());
    assert!(is_corrupt(
        TokenRow { role: Some("admin".into()), created_at: Some(CqlTimestamp(i64::MAX)), ..token }.into_model()
    ));

    let stat = StatRow {
        site_id: Uuid::new_v4(),
        window_start: CqlTimestamp(1_700_000_000_000),
        backend_id: Uuid::new_v4(),
        protocol: "imap".into(),
        proxy: "proxy1.example".into(),
        window_secs: Some(60),
        successes: Some(1),
        failures: Some(0),
    };
    assert!(stat.clone().into_model().is_ok());
    assert!(is_corrupt(StatRow { protocol: "smtp".into(), ..stat.clone() }.into_model()));
    assert!(is_corrupt(StatRow { successes: Some(-1), ..stat.clone() }.into_model()));
    assert!(is_corrupt(StatRow { window_secs: Some(-60), ..stat }.into_model()));
}

#[test]
fn groups_and_users_map_empty_and_missing_values() {
    let row = GroupRow {
        site_id: Uuid::new_v4(),
        name: "default-1".into(),
        backend_id: Some(Uuid::new_v4()),
        alt_backend_id: None,
        moving: Some(String::new()),
        sticky_users: None,
        sticky_backend: Some(true),
        last_moved_at: Some(CqlTimestamp(1_700_000_000_123)),
    };
    let group = row.clone().into_model().unwrap();
    assert_eq!((group.moving, group.sticky_users, group.sticky_backend), (None, false, true));
    assert_eq!(group.last_moved_at.unwrap().timestamp_millis(), 1_700_000_000_123);
    assert!(is_corrupt(GroupRow { backend_id: None, ..row.clone() }.into_model()));
    assert!(is_corrupt(GroupRow { name: "with/slash".into(), ..row }.into_model()));

    let user = UserRow {
        name: "u@example.com".into(),
        site_id: Some(Uuid::new_v4()),
        group_name: Some(String::new()),
        failover_group: None,
        moving_site_id: None,
        moving_group: Some("default-2".into()),
        moving_failover_group: None,
    };
    let model = user.to_model().unwrap();
    assert_eq!((model.group, model.moving_group), (None, Some(GroupName::default_n(2))));
    assert!(is_corrupt(UserRow { site_id: None, ..user.clone() }.to_model()));
    assert!(is_corrupt(UserRow { group_name: Some("a b".into()), ..user }.to_model()));
}

#[test]
fn setting_scopes_round_trip_through_their_partition_key() {
    let (site, backend) = (SiteId::random(), BackendId::random());
    for scope in [SettingScope::Global, SettingScope::Site(site), SettingScope::Backend(backend)] {
        let (kind, id) = rows::scope_key(scope);
        assert_eq!(rows::scope_from_key(kind, &id).unwrap(), scope);
    }
    assert!(is_corrupt(rows::scope_from_key("global", "x")));
    assert!(is_corrupt(rows::scope_from_key("site", "not-a-uuid")));
    assert!(is_corrupt(rows::scope_from_key("proxy", "")));
    let row = SettingRow { scope_kind: "site".into(), scope_id: site.to_string(), name: "x".into(), value: None };
    assert!(is_corrupt(row.into_model()));
}
