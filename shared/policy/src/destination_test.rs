use super::*;
use proptest::prelude::*;

fn candidate(groups: u64) -> Candidate {
    Candidate {
        id: BackendId::random(),
        status: BackendStatus::Online,
        load_factor: LoadFactor::MAX,
        reachable: true,
        healthy_now: true,
        source: false,
        groups,
        incoming: 0,
        load_share: None,
    }
}

#[test]
fn every_refusal_names_its_reason() {
    let ok = candidate(1);
    assert_eq!(refusal(&ok), None);
    assert_eq!(refusal(&Candidate { status: BackendStatus::Standby, ..ok }), Some("not online"));
    assert_eq!(refusal(&Candidate { load_factor: LoadFactor::DRAIN, ..ok }), Some("load factor 0 (being drained)"));
    assert_eq!(refusal(&Candidate { reachable: false, ..ok }), Some("unreachable"));
    assert_eq!(refusal(&Candidate { source: true, ..ok }), Some("being evacuated"));
    assert_eq!(refusal(&Candidate { healthy_now: false, ..ok }), Some("failing or degraded now"));
}

#[test]
fn a_backend_that_just_gave_groups_away_but_fails_is_never_chosen() {
    // The emptiest backend is failing: the healthy, fuller ones get the groups.
    let failing = Candidate { healthy_now: false, ..candidate(1) };
    let (a, b) = (candidate(20), candidate(30));
    let picks = assign(&[failing, a, b], 3);
    assert_eq!(picks.len(), 3);
    assert!(!picks.contains(&failing.id));
}

#[test]
fn load_readings_decide_over_group_counts() {
    // Fewer groups but hotter: the reading says the other one is less loaded.
    let hot = Candidate { load_share: Some(1.4), ..candidate(5) };
    let cool = Candidate { load_share: Some(0.7), ..candidate(15) };
    assert_eq!(best(&[hot, cool]), Some(cool.id));
}

#[test]
fn a_batch_spreads_and_counts_moves_on_their_way() {
    let a = Candidate { incoming: 5, ..candidate(10) };
    let b = candidate(10);
    let picks = assign(&[a, b], 6);
    let to_b = picks.iter().filter(|id| **id == b.id).count();
    // b starts 5 groups behind; after 6 picks both have about the same.
    assert!((5..=6).contains(&to_b), "{picks:?}");
}

#[test]
fn nothing_usable_assigns_nothing() {
    let c = Candidate { reachable: false, ..candidate(1) };
    assert!(assign(&[c], 3).is_empty());
}

proptest! {
    #[test]
    fn no_assignment_targets_a_refused_backend(
        specs in proptest::collection::vec((0u8..3, any::<bool>(), any::<bool>(), any::<bool>(), 0u64..50, proptest::option::of(0.0f64..3.0), 0u8..=100), 1..20),
        count in 0usize..40,
    ) {
        let candidates: Vec<Candidate> = specs.iter().map(|(status, reachable, healthy, source, groups, share, lf)| Candidate {
            id: BackendId::random(),
            status: match status { 0 => BackendStatus::Offline, 1 => BackendStatus::Standby, _ => BackendStatus::Online },
            load_factor: LoadFactor::new(i64::from(*lf)).unwrap_or(LoadFactor::MAX),
            reachable: *reachable,
            healthy_now: *healthy,
            source: *source,
            groups: *groups,
            incoming: 0,
            load_share: *share,
        }).collect();
        let picks = assign(&candidates, count);
        let any_usable = candidates.iter().any(|c| refusal(c).is_none());
        prop_assert_eq!(picks.len(), if any_usable { count } else { 0 });
        for id in picks {
            let c = candidates.iter().find(|c| c.id == id).unwrap();
            prop_assert!(refusal(c).is_none(), "picked a refused backend: {:?}", c);
        }
    }
}

#[test]
fn a_shed_skips_moving_pinned_and_recently_moved_groups() {
    use chrono::{DateTime, Duration, Utc};
    use domain::{GroupName, SiteId, UserGroup};
    let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(10);
    let (site, b) = (SiteId::random(), BackendId::random());
    let group = |name: &str| UserGroup::new(site, GroupName::parse(name).unwrap(), b);
    let mut moving = group("a");
    moving.moving = Some("m".into());
    let mut pinned = group("b");
    pinned.sticky_backend = true;
    let mut recent = group("c");
    recent.last_moved_at = Some(now - Duration::minutes(5));
    let mut old = group("d");
    old.last_moved_at = Some(now - Duration::hours(2));
    let all = [&moving, &pinned, &recent, &old];
    assert_eq!(shed_group(&all, now, Duration::hours(1)).map(|g| g.name.as_str()), Some("d"));
    assert!(shed_group(&all[..3], now, Duration::hours(1)).is_none());
}
