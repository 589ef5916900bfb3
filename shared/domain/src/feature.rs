//! Per-site automation switches. Every automation is `off`, `dryrun` or `on`; off by default.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, ValidationKind};
use crate::names::SettingName;

/// A switchable automation of the controller.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    ErrorMitigation,
    LoadBalancing,
    SiteFailover,
    GroupBalancing,
    Autoscaling,
    /// The aggregated cluster statistics (OpenMetrics) endpoint.
    ClusterMetrics,
}

/// A feature's state for one site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureState {
    #[default]
    Off,
    /// Compute and record the full decision; change nothing.
    Dryrun,
    On,
}

const FEATURES: &[&str] =
    &["error_mitigation", "load_balancing", "site_failover", "group_balancing", "autoscaling", "cluster_metrics"];
const STATES: &[&str] = &["off", "dryrun", "on"];

/// Settings that hold feature states start with this prefix, at site scope.
pub const FEATURE_SETTING_PREFIX: &str = "feature.";

impl Feature {
    pub const ALL: [Feature; 6] = [
        Self::ErrorMitigation,
        Self::LoadBalancing,
        Self::SiteFailover,
        Self::GroupBalancing,
        Self::Autoscaling,
        Self::ClusterMetrics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ErrorMitigation => "error_mitigation",
            Self::LoadBalancing => "load_balancing",
            Self::SiteFailover => "site_failover",
            Self::GroupBalancing => "group_balancing",
            Self::Autoscaling => "autoscaling",
            Self::ClusterMetrics => "cluster_metrics",
        }
    }

    /// The `cluster_settings` name under which the site's state is kept.
    pub fn setting_name(self) -> SettingName {
        SettingName::parse(&format!("{FEATURE_SETTING_PREFIX}{}", self.as_str()))
            .expect("feature names are valid setting names")
    }
}

impl FeatureState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Dryrun => "dryrun",
            Self::On => "on",
        }
    }
}

impl FromStr for Feature {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ValidationError::new("feature", ValidationKind::UnknownValue { allowed: FEATURES }))
    }
}

impl FromStr for FeatureState {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Self::Off),
            "dryrun" => Ok(Self::Dryrun),
            "on" => Ok(Self::On),
            _ => Err(ValidationError::new("state", ValidationKind::UnknownValue { allowed: STATES })),
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FeatureState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_round_trips_and_has_a_setting_name() {
        for f in Feature::ALL {
            assert_eq!(f.as_str().parse::<Feature>().unwrap(), f);
            assert_eq!(f.setting_name().as_str(), format!("feature.{f}"));
        }
        assert_eq!("warp".parse::<Feature>().unwrap_err().field, "feature");
    }

    #[test]
    fn states_default_to_off_and_refuse_other_words() {
        assert_eq!(FeatureState::default(), FeatureState::Off);
        assert_eq!("dryrun".parse::<FeatureState>().unwrap(), FeatureState::Dryrun);
        assert_eq!("dry-run".parse::<FeatureState>().unwrap_err().field, "state");
    }
}
