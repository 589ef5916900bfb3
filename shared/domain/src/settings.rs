//! Cluster settings and their specificity: backend overrides site overrides global.

use serde::{Deserialize, Serialize};

use crate::model::{BackendId, SiteId};
use crate::names::SettingName;

/// Where a setting applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "scope", content = "id", rename_all = "lowercase")]
pub enum SettingScope {
    Global,
    Site(SiteId),
    Backend(BackendId),
}

impl SettingScope {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Site(_) => "site",
            Self::Backend(_) => "backend",
        }
    }

    /// Higher is more specific.
    pub fn specificity(self) -> u8 {
        match self {
            Self::Global => 0,
            Self::Site(_) => 1,
            Self::Backend(_) => 2,
        }
    }
}

/// One row of `cluster_settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub scope: SettingScope,
    pub name: SettingName,
    pub value: String,
}

/// Well-known setting: how many `default-N` groups a site has (`site init`, proxies).
pub const DEFAULT_GROUP_COUNT: &str = "cluster_default_group_count";
/// Used when no scope sets `cluster_default_group_count`: about 100 groups per backend keeps
/// each move near 1 % of a backend's load on small sites.
pub const DEFAULT_GROUP_COUNT_FALLBACK: u32 = 100;

/// Picks the most specific of the candidate rows that apply to (site, backend).
pub fn most_specific<'a>(
    candidates: impl IntoIterator<Item = &'a Setting>,
    site: Option<SiteId>,
    backend: Option<BackendId>,
) -> Option<&'a Setting> {
    candidates
        .into_iter()
        .filter(|s| match s.scope {
            SettingScope::Global => true,
            SettingScope::Site(id) => Some(id) == site,
            SettingScope::Backend(id) => Some(id) == backend,
        })
        .max_by_key(|s| s.scope.specificity())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(scope: SettingScope, value: &str) -> Setting {
        Setting { scope, name: SettingName::parse("x").unwrap(), value: value.into() }
    }

    #[test]
    fn backend_beats_site_beats_global_and_other_scopes_never_apply() {
        let (site, other_site) = (SiteId::random(), SiteId::random());
        let (backend, other_backend) = (BackendId::random(), BackendId::random());
        let rows = [
            setting(SettingScope::Global, "g"),
            setting(SettingScope::Site(site), "s"),
            setting(SettingScope::Backend(backend), "b"),
            setting(SettingScope::Site(other_site), "other-s"),
            setting(SettingScope::Backend(other_backend), "other-b"),
        ];
        let pick = |s, b| most_specific(&rows, s, b).map(|r| r.value.as_str());
        assert_eq!(pick(Some(site), Some(backend)), Some("b"));
        assert_eq!(pick(Some(site), None), Some("s"));
        assert_eq!(pick(None, None), Some("g"));
        assert_eq!(pick(Some(SiteId::random()), Some(BackendId::random())), Some("g"));
        assert_eq!(most_specific(&rows[1..2], None, None), None);
    }
}
