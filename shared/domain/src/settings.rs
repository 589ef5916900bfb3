//! Cluster settings and their specificity: backend overrides site overrides global.

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, ValidationKind};
use crate::feature::{FEATURE_SETTING_PREFIX, Feature, FeatureState};
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

/// Well-known site-scope setting: the share (0–100 %) of the site's users its proxies send to
/// other sites. Site failover moves it; proxies (and the sim's) act on it.
pub const FORCE_MOVE_PERCENTAGE: &str = "force_move_percentage";

/// The most characters a setting's value may have.
pub const SETTING_VALUE_MAX: usize = 4096;

/// Checks a value for the settings whose meaning the controller knows; others are free text
/// (up to [`SETTING_VALUE_MAX`] characters). Errors name the field `value`.
pub fn validate_value(name: &SettingName, value: &str) -> Result<(), ValidationError> {
    let fail = |kind| Err(ValidationError::new("value", kind));
    if value.chars().count() > SETTING_VALUE_MAX {
        return fail(ValidationKind::TooLong { max: SETTING_VALUE_MAX });
    }
    if name.as_str() == DEFAULT_GROUP_COUNT {
        return match value.parse::<u32>() {
            Ok(n) if (1..=MAX_GROUP_COUNT).contains(&n) => Ok(()),
            _ => fail(ValidationKind::OutOfRange { min: 1, max: i64::from(MAX_GROUP_COUNT) }),
        };
    }
    if name.as_str() == FORCE_MOVE_PERCENTAGE {
        return match value.parse::<u8>() {
            Ok(n) if n <= 100 => Ok(()),
            _ => fail(ValidationKind::OutOfRange { min: 0, max: 100 }),
        };
    }
    if let Some(feature) = name.as_str().strip_prefix(FEATURE_SETTING_PREFIX) {
        feature.parse::<Feature>().map_err(|e| e.at("name"))?;
        value.parse::<FeatureState>().map_err(|e| e.at("value"))?;
    }
    Ok(())
}

/// More groups than this per site would make `site init` and listings unwieldy.
pub const MAX_GROUP_COUNT: u32 = 1_000_000;

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
    fn known_settings_are_checked_and_others_are_free_text() {
        let name = |n: &str| SettingName::parse(n).unwrap();
        assert!(validate_value(&name(DEFAULT_GROUP_COUNT), "250").is_ok());
        for bad in ["0", "-1", "x", "1000001"] {
            assert_eq!(validate_value(&name(DEFAULT_GROUP_COUNT), bad).unwrap_err().field, "value");
        }
        assert!(validate_value(&name(FORCE_MOVE_PERCENTAGE), "100").is_ok());
        for bad in ["101", "-5", "ten"] {
            assert_eq!(validate_value(&name(FORCE_MOVE_PERCENTAGE), bad).unwrap_err().field, "value");
        }
        assert!(validate_value(&name("feature.load_balancing"), "dryrun").is_ok());
        assert_eq!(validate_value(&name("feature.load_balancing"), "yes").unwrap_err().field, "value");
        assert_eq!(validate_value(&name("feature.teleport"), "on").unwrap_err().field, "name");
        assert!(validate_value(&name("HOST_FAILURE_RATIO"), "0.2").is_ok());
        assert!(validate_value(&name("x"), &"v".repeat(4097)).is_err());
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
