//! Where proxies put users and new groups. Pure functions, shared by GeoDB backends and the
//! simulator so both place users the same way.

use std::collections::HashMap;

use crate::model::{Backend, BackendId};
use crate::names::{GroupName, UserName};

/// The `default-N` group (N in 1..=count) a new user is assigned to: a stable hash of the
/// name, so every proxy picks the same group without coordination.
pub fn default_group_for(user: &UserName, count: u32) -> GroupName {
    let n = (fnv1a(user.as_str().as_bytes()) % u64::from(count.max(1))) as u32 + 1;
    GroupName::default_n(n)
}

/// FNV-1a, 64 bits: tiny, stable across versions and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The backend a new group goes to: among online backends with a load factor above zero, the
/// one with the fewest groups per unit of load factor; ties go to the lowest host name.
/// `None` when no backend can take groups.
pub fn backend_for_new_group(backends: &[Backend], group_counts: &HashMap<BackendId, u64>) -> Option<BackendId> {
    backends
        .iter()
        .filter(|b| b.is_destination())
        .min_by(|a, b| {
            let load = |x: &Backend| {
                (group_counts.get(&x.id).copied().unwrap_or(0) + 1) as f64 / f64::from(x.load_factor.get())
            };
            load(a).total_cmp(&load(b)).then_with(|| a.host.cmp(&b.host))
        })
        .map(|b| b.id)
}

/// Places `names` one after another with [`backend_for_new_group`], counting each placement.
pub fn spread_new_groups(
    names: impl IntoIterator<Item = GroupName>,
    backends: &[Backend],
    group_counts: &mut HashMap<BackendId, u64>,
) -> Option<Vec<(GroupName, BackendId)>> {
    let mut placed = Vec::new();
    for name in names {
        let backend = backend_for_new_group(backends, group_counts)?;
        *group_counts.entry(backend).or_default() += 1;
        placed.push((name, backend));
    }
    Some(placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SiteId;
    use crate::names::{HostName, LoadFactor};
    use crate::status::BackendStatus;
    use proptest::prelude::*;

    fn backend(host: &str, status: BackendStatus, load: i64) -> Backend {
        Backend {
            status,
            load_factor: LoadFactor::new(load).unwrap(),
            ..Backend::new(SiteId::random(), HostName::parse(host).unwrap())
        }
    }

    #[test]
    fn groups_spread_by_load_factor_and_skip_backends_that_take_no_users() {
        let backends = [
            backend("a", BackendStatus::Online, 100),
            backend("b", BackendStatus::Online, 50),
            backend("c", BackendStatus::Standby, 100),
            backend("d", BackendStatus::Online, 0),
        ];
        let mut counts = HashMap::new();
        let placed = spread_new_groups((1..=30).map(GroupName::default_n), &backends, &mut counts).unwrap();
        assert_eq!(placed.len(), 30);
        assert_eq!(counts.get(&backends[0].id), Some(&20));
        assert_eq!(counts.get(&backends[1].id), Some(&10));
        assert_eq!(counts.get(&backends[2].id), None);
        assert_eq!(counts.get(&backends[3].id), None);
    }

    #[test]
    fn no_destination_means_no_placement() {
        let backends = [backend("a", BackendStatus::Standby, 100), backend("b", BackendStatus::Online, 0)];
        assert_eq!(backend_for_new_group(&backends, &HashMap::new()), None);
    }

    proptest! {
        #[test]
        fn default_groups_are_stable_and_in_range(name in "[a-z0-9@.]{1,40}", count in 1u32..5000) {
            let user = UserName::parse(&name).unwrap();
            let group = default_group_for(&user, count);
            prop_assert_eq!(&group, &default_group_for(&user, count));
            let n: u32 = group.as_str().strip_prefix("default-").unwrap().parse().unwrap();
            prop_assert!((1..=count).contains(&n));
        }
    }
}
