//! The two worker pools a job can run in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// High: health, evacuation, reachability, failover, move completion. Low: balancing,
/// group-size rebalancing, autoscaling, housekeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 2] = [Priority::High, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Low => "low",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "high" => Ok(Self::High),
            "low" => Ok(Self::Low),
            _ => Err("must be high or low".into()),
        }
    }
}
