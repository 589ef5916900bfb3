use std::time::Duration;

use geodb::CqlConsistency;

use super::tests::{cql, env, loaded};
use crate::{Service, load};

#[test]
fn cql_settings_and_the_consistency_default() {
    let base = [("GEODB_URL", "cql://db1:9042,db2:9043/geodb"), ("GEODB_CQL_USERNAME", "controller")];
    let config = loaded(Service::Worker, None, &env(&[base[0], base[1], ("CLUSTER_SITE", "par1")]));
    let o = cql(&config);
    assert_eq!(
        (o.nodes.as_slice(), o.keyspace.as_str()),
        (&["db1:9042".to_owned(), "db2:9043".to_owned()][..], "geodb")
    );
    assert_eq!((o.consistency, o.serial_local, o.local_dc.as_deref()), (CqlConsistency::Quorum, false, None));
    assert_eq!(o.username.as_deref(), Some("controller"));
    assert!(!o.init_schema && o.replication.is_empty());
    assert_eq!(o.request_timeout, Duration::from_secs(5));

    let with_dc =
        [("GEODB_CQL_LOCAL_DC", "dc1"), ("GEODB_CQL_REPLICATION", "dc1:3,dc2:3"), ("INIT_GEODB_SCHEMA", "true")];
    let config = loaded(Service::Api, None, &env(&[base[0], with_dc[0], with_dc[1], with_dc[2]]));
    let o = cql(&config);
    assert_eq!(
        (o.consistency, o.serial_local, o.local_dc.as_deref()),
        (CqlConsistency::LocalQuorum, true, Some("dc1"))
    );
    assert_eq!(o.replication, vec![("dc1".to_owned(), 3), ("dc2".to_owned(), 3)]);
    assert!(o.init_schema);
    assert!(config.render_effective().contains("geodb_cql_consistency = \"local_quorum\"  # default\n"));

    let explicit = loaded(Service::Api, None, &env(&[base[0], with_dc[0], ("GEODB_CQL_CONSISTENCY", "each_quorum")]));
    assert_eq!(cql(&explicit).consistency, CqlConsistency::EachQuorum);

    let elsewhere = load(Service::Api, None, &env(&[base[0], with_dc[0], ("GEODB_CQL_REPLICATION", "dc2:3")]));
    let text = elsewhere.unwrap_err().to_string();
    assert_eq!(text, "GEODB_CQL_REPLICATION (environment): must include the data centre named by GEODB_CQL_LOCAL_DC");
}

#[test]
fn cql_settings_are_validated_even_with_sqlite() {
    // One .env serves every deployment; a typo must not wait for the switch to CQL to show.
    let errors = load(Service::Api, None, &env(&[("GEODB_CQL_REPLICATION", "dc1=3")])).unwrap_err();
    assert!(errors.to_string().starts_with("GEODB_CQL_REPLICATION (environment): must be dc:factor"));
}
