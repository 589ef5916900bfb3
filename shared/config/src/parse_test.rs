use super::*;

#[test]
fn replication_lists_factor_per_data_centre() {
    assert_eq!(replication("dc1:3, dc2:2").unwrap(), vec![("dc1".to_owned(), 3), ("dc2".to_owned(), 2)]);
    for bad in ["dc1", "dc1:0", "dc1:x", ":3", "dc1:3,dc1:2", "dc 1:3"] {
        let message = replication(bad).unwrap_err();
        assert!(message.starts_with("must be dc:factor"), "{bad}: {message}");
    }
}

#[test]
fn consistency_names_round_trip() {
    for (name, level) in CONSISTENCIES {
        assert_eq!(consistency(name).unwrap(), *level);
        assert_eq!(consistency_name(*level), *name);
    }
    assert_eq!(consistency("LOCAL_QUORUM").unwrap(), CqlConsistency::LocalQuorum);
    assert!(consistency("quorom").unwrap_err().contains("local_quorum"));
}

#[test]
fn log_levels_are_levels_or_filter_directives() {
    assert_eq!(log_level("INFO").unwrap(), "info");
    assert_eq!(log_level("info,geodb=debug").unwrap(), "info,geodb=debug");
    assert!(log_level("infoo").is_err(), "a bare typo is not a target");
    assert!(log_level("info,geodb=loud").is_err());
}

#[test]
fn scalars() {
    assert_eq!(integer::<u64>("5000", 0, 600_000).unwrap(), 5000);
    assert_eq!(integer::<usize>("65", 1, 64).unwrap_err(), "must be an integer from 1 to 64");
    assert!(integer::<u64>("-1", 0, 10).is_err());
    assert!(boolean("Yes").unwrap());
    assert!(!boolean("off").unwrap());
    assert!(boolean("maybe").is_err());
    assert!(admin_token("short").is_err());
    assert!(admin_token("0123456789abcdef").is_ok());
    assert!(socket_addr("[::]:8080").is_ok());
    assert!(socket_addr("localhost:8080").is_err());
    assert_eq!(site_name("par 1").unwrap_err(), "must not contain ' '");
}
