use super::*;
use proptest::prelude::*;

#[test]
fn host_names_follow_rfc_1123_and_refuse_ip_literals() {
    assert_eq!(HostName::parse("Backend-1.Example.COM").unwrap().as_str(), "backend-1.example.com");
    assert_eq!(HostName::parse("b1.example.").unwrap().as_str(), "b1.example");
    for (bad, kind) in [
        ("10.0.0.1", ValidationKind::IpLiteral),
        ("::1", ValidationKind::IpLiteral),
        ("[::1]", ValidationKind::IpLiteral),
        ("host.123", ValidationKind::IpLiteral),
        ("", ValidationKind::Empty),
        ("a..b", ValidationKind::BadLabel { reason: "empty label" }),
        ("-a.b", ValidationKind::BadLabel { reason: "label starts or ends with '-'" }),
        ("a_b.c", ValidationKind::InvalidCharacter { character: '_' }),
    ] {
        let err = HostName::parse(bad).unwrap_err();
        assert_eq!(err.field, "host", "{bad}");
        assert_eq!(err.kind, kind, "{bad}");
    }
    let long_label = format!("{}.example", "a".repeat(64));
    assert!(matches!(HostName::parse(&long_label).unwrap_err().kind, ValidationKind::BadLabel { .. }));
}

#[test]
fn names_refuse_bad_characters_and_lengths() {
    assert!(SiteName::parse("dc-1.eu_west").is_ok());
    assert_eq!(SiteName::parse("-x").unwrap_err().field, "name");
    assert_eq!(SiteName::parse(&"s".repeat(65)).unwrap_err().kind, ValidationKind::TooLong { max: 64 });
    assert_eq!(GroupName::parse("a/b").unwrap_err().kind, ValidationKind::InvalidCharacter { character: '/' });
    assert_eq!(UserName::parse("a b").unwrap_err().field, "user");
    assert!(UserName::parse("user@example.com").is_ok());
    assert_eq!(GroupName::default_n(7).as_str(), "default-7");
}

#[test]
fn load_factor_is_zero_to_hundred() {
    assert_eq!(LoadFactor::new(0).unwrap(), LoadFactor::DRAIN);
    assert_eq!(LoadFactor::new(100).unwrap().get(), 100);
    for bad in [-1, 101, 1000] {
        let err = LoadFactor::new(bad).unwrap_err();
        assert_eq!(err.field, "load_factor");
        assert_eq!(err.kind, ValidationKind::OutOfRange { min: 0, max: 100 });
    }
    assert!(serde_json::from_str::<LoadFactor>("101").is_err());
    assert_eq!(serde_json::from_str::<LoadFactor>("75").unwrap().get(), 75);
}

#[test]
fn masks_match_like_doveadm_globs() {
    let m = GroupMask::parse("default-1*").unwrap();
    assert_eq!(m.literal_prefix(), "default-1");
    assert!(m.matches("default-1") && m.matches("default-10") && !m.matches("default-2"));
    let q = GroupMask::parse("g?-*x").unwrap();
    assert!(q.matches("g1-abcx") && q.matches("g2-x") && !q.matches("g12-x"));
    assert!(GroupMask::parse("*").unwrap().matches(""));
}

proptest! {
    #[test]
    fn a_literal_mask_matches_only_itself(name in "[a-z0-9-]{1,20}", other in "[a-z0-9-]{1,20}") {
        let m = GroupMask::parse(&name).unwrap();
        prop_assert!(m.matches(&name));
        prop_assert_eq!(m.matches(&other), name == other);
    }

    #[test]
    fn a_prefix_star_mask_matches_every_extension(prefix in "[a-z]{1,8}", rest in "[a-z0-9]{0,8}") {
        let m = GroupMask::parse(&format!("{prefix}*")).unwrap();
        let extended = format!("{prefix}{rest}");
        prop_assert!(m.matches(&extended));
    }

    #[test]
    fn valid_host_names_round_trip_through_serde(labels in proptest::collection::vec("[a-z][a-z0-9-]{0,10}[a-z0-9]", 1..4)) {
        let host = labels.join(".");
        let parsed = HostName::parse(&host).unwrap();
        let json = serde_json::to_string(&parsed).unwrap();
        prop_assert_eq!(serde_json::from_str::<HostName>(&json).unwrap(), parsed);
    }
}
