use super::*;
use proptest::prelude::*;

fn group(name: &str, sticky: bool, n: usize) -> GroupUsers {
    GroupUsers {
        name: GroupName::parse(name).unwrap(),
        sticky_users: sticky,
        users: (0..n).map(|i| UserName::parse(&format!("{name}-u{i}")).unwrap()).collect(),
    }
}

#[test]
fn moves_users_from_largest_to_smallest_until_even() {
    let groups = [group("a", false, 30), group("b", false, 10), group("c", true, 1)];
    let p = plan(&groups, &GroupSizeSettings::default());
    assert_eq!(p.moves.len(), 10);
    assert!(p.moves.iter().all(|m| m.from.as_str() == "a" && m.to.as_str() == "b"));
}

#[test]
fn within_slack_nothing_moves() {
    let groups = [group("a", false, 100), group("b", false, 90)];
    assert!(plan(&groups, &GroupSizeSettings::default()).moves.is_empty());
}

#[test]
fn passes_walk_the_plan() {
    let groups = [group("a", false, 30), group("b", false, 0)];
    let p = plan(&groups, &GroupSizeSettings::default());
    assert_eq!(p.moves.len(), 15);
    assert_eq!(next_pass(&p, 0, 10).len(), 10);
    assert_eq!(next_pass(&p, 10, 10).len(), 5);
    assert!(next_pass(&p, 20, 10).is_empty());
}

proptest! {
    #[test]
    fn sticky_groups_are_untouched_and_the_cap_holds(
        sizes in proptest::collection::vec((0usize..60, any::<bool>()), 0..8),
        cap in 0usize..100,
    ) {
        let groups: Vec<GroupUsers> =
            sizes.iter().enumerate().map(|(i, (n, sticky))| group(&format!("g{i}"), *sticky, *n)).collect();
        let s = GroupSizeSettings { max_user_moves: cap, ..Default::default() };
        let p = plan(&groups, &s);
        prop_assert!(p.moves.len() <= cap);
        let mut size: std::collections::HashMap<&str, i64> =
            groups.iter().map(|g| (g.name.as_str(), g.users.len() as i64)).collect();
        for m in &p.moves {
            let from = groups.iter().find(|g| g.name == m.from).unwrap();
            let to = groups.iter().find(|g| g.name == m.to).unwrap();
            prop_assert!(!from.sticky_users && !to.sticky_users);
            prop_assert!(from.users.contains(&m.user));
            // Never into a group at least as large as the source.
            prop_assert!(size[m.from.as_str()] > size[m.to.as_str()] + 1);
            *size.get_mut(m.from.as_str()).unwrap() -= 1;
            *size.get_mut(m.to.as_str()).unwrap() += 1;
        }
    }
}
