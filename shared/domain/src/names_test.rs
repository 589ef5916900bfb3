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
fn names_the_controller_owns_are_lower_cased_and_platform_names_kept() {
    assert_eq!(SiteName::parse("DC-1").unwrap(), SiteName::parse("dc-1").unwrap());
    assert_eq!(TagName::parse("Gold").unwrap().as_str(), "gold");
    assert_eq!(SettingName::parse("HOST_FAILURE_RATIO").unwrap().as_str(), "HOST_FAILURE_RATIO");
    assert_eq!(UserName::parse("Alice@Example.com").unwrap().as_str(), "Alice@Example.com");
    assert_eq!(GroupName::parse("Group-A").unwrap().as_str(), "Group-A");
}

#[test]
fn no_site_tag_or_host_name_reads_as_an_id() {
    let id = "0b6f1c1e-7a2d-4c55-9d43-2f0e6d1a9b10";
    for err in [SiteName::parse(id).unwrap_err(), TagName::parse(id).unwrap_err(), HostName::parse(id).unwrap_err()] {
        assert!(matches!(err.kind, ValidationKind::Malformed { .. }), "{err:?}");
    }
    assert!(GroupName::parse(id).is_ok(), "group names are the platform's and may be anything printable");
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

/// What the API document says of a name kind: its pattern and its length bound.
fn documented(pattern: &str, max: usize, value: &str) -> bool {
    let chars = value.chars().count();
    regex::Regex::new(pattern).unwrap().is_match(value) && (1..=max).contains(&chars)
}

/// Characters that sit on the edges of the rules: separators, white space of several kinds,
/// control characters, non-ASCII letters.
const EDGES: &str = "[a-cA-C0-9._/\\- \t\n\u{0}\u{1f}\u{7f}\u{85}\u{a0}\u{2000}\u{2028}\u{3000}\u{feff}é☃]{0,10}";

proptest! {
    #[test]
    fn the_documented_patterns_accept_exactly_what_the_parsers_accept(value in EDGES) {
        prop_assert_eq!(documented(patterns::SIMPLE_NAME, SIMPLE_NAME_MAX, &value), SiteName::parse(&value).is_ok());
        prop_assert_eq!(documented(patterns::GROUP_NAME, GROUP_NAME_MAX, &value), GroupName::parse(&value).is_ok());
        prop_assert_eq!(documented(patterns::USER_NAME, USER_NAME_MAX, &value), UserName::parse(&value).is_ok());
        prop_assert_eq!(documented(patterns::SETTING_NAME, SETTING_NAME_MAX, &value), SettingName::parse(&value).is_ok());
        let printable = regex::Regex::new(patterns::TEXT).unwrap().is_match(&value);
        prop_assert_eq!(printable, !value.chars().any(char::is_control));
    }

    #[test]
    fn the_documented_host_pattern_accepts_exactly_what_the_parser_accepts(
        labels in proptest::collection::vec("[a-z0-9-]{0,4}|[A-Z]{1,2}|[0-9]{1,3}|[a-z0-9_]{1,3}", 1..5),
        trailing_dot in proptest::bool::ANY,
    ) {
        let host = format!("{}{}", labels.join("."), if trailing_dot { "." } else { "" });
        prop_assert_eq!(documented(patterns::HOST_NAME, HOST_NAME_MAX, &host), HostName::parse(&host).is_ok(), "{}", host);
    }
}

#[test]
fn the_documented_uuid_pattern_reads_ids() {
    let id = uuid::Uuid::new_v4().to_string();
    assert!(regex::Regex::new(patterns::UUID).unwrap().is_match(&id));
    assert!(!regex::Regex::new(patterns::UUID).unwrap().is_match("b1.example"));
}
