//! Injected faults of one simulated backend, and the partial updates that change them. Flags,
//! the sim's TOML file and the control API all go through [`FaultsPatch::validate`], so a value
//! refused by one is refused by all, with the same field name.

use serde::{Deserialize, Serialize};

/// The longest injected doveadm delay: longer would only look like a hung test.
pub const MAX_SLOW_MS: u64 = 600_000;
/// A multiplier above this makes every figure saturate at 1 anyway.
pub const MAX_LOAD_MULTIPLIER: f64 = 1000.0;

/// What is wrong with a backend right now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Faults {
    /// Share of proxy attempts (logins, deliveries) that fail, 0..=1.
    pub failure_ratio: f64,
    /// The doveadm listener is closed: connections are refused, and proxies cannot connect.
    pub unreachable: bool,
    /// Every doveadm answer is delayed by this much.
    pub slow_ms: u64,
    /// Scales the load figures the backend exports.
    pub load_multiplier: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Self { failure_ratio: 0.0, unreachable: false, slow_ms: 0, load_multiplier: 1.0 }
    }
}

/// A partial update of [`Faults`]; absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_multiplier: Option<f64>,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl FaultsPatch {
    /// Every invalid field, each named as in the JSON body.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(r) = self.failure_ratio
            && !(r.is_finite() && (0.0..=1.0).contains(&r))
        {
            errors.push(FieldError::new("failure_ratio", "must be a number from 0 to 1"));
        }
        if let Some(ms) = self.slow_ms
            && ms > MAX_SLOW_MS
        {
            errors.push(FieldError::new("slow_ms", format!("must be at most {MAX_SLOW_MS}")));
        }
        if let Some(m) = self.load_multiplier
            && !(m.is_finite() && (0.0..=MAX_LOAD_MULTIPLIER).contains(&m))
        {
            errors
                .push(FieldError::new("load_multiplier", format!("must be a number from 0 to {MAX_LOAD_MULTIPLIER}")));
        }
        errors
    }

    /// This patch over `below`: each field set here wins, the others are `below`'s.
    pub fn over(&self, below: &FaultsPatch) -> FaultsPatch {
        FaultsPatch {
            failure_ratio: self.failure_ratio.or(below.failure_ratio),
            unreachable: self.unreachable.or(below.unreachable),
            slow_ms: self.slow_ms.or(below.slow_ms),
            load_multiplier: self.load_multiplier.or(below.load_multiplier),
        }
    }

    pub fn apply(&self, faults: &mut Faults) {
        if let Some(r) = self.failure_ratio {
            faults.failure_ratio = r;
        }
        if let Some(u) = self.unreachable {
            faults.unreachable = u;
        }
        if let Some(ms) = self.slow_ms {
            faults.slow_ms = ms;
        }
        if let Some(m) = self.load_multiplier {
            faults.load_multiplier = m;
        }
    }

    /// Parses a `--fault HOST:key=value[,key=value...]` flag. Values are checked by
    /// [`FaultsPatch::validate`] afterwards, like every other source.
    pub fn parse_flag(spec: &str) -> Result<(String, FaultsPatch), String> {
        let (host, pairs) = spec.split_once(':').ok_or("expected HOST:key=value[,key=value...]")?;
        let mut patch = FaultsPatch::default();
        for pair in pairs.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| format!("{pair:?} is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            let number = |v: &str| v.parse::<f64>().map_err(|_| format!("{key}: {v:?} is not a number"));
            match key {
                "failure_ratio" => patch.failure_ratio = Some(number(value)?),
                "load_multiplier" => patch.load_multiplier = Some(number(value)?),
                "slow_ms" => {
                    patch.slow_ms =
                        Some(value.parse().map_err(|_| format!("slow_ms: {value:?} is not a whole number"))?)
                }
                "unreachable" => {
                    patch.unreachable =
                        Some(value.parse().map_err(|_| format!("unreachable: {value:?} is not true or false"))?)
                }
                other => {
                    return Err(format!(
                        "unknown fault {other:?} (failure_ratio, unreachable, slow_ms, load_multiplier)"
                    ));
                }
            }
        }
        Ok((host.trim().to_owned(), patch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_into_patches_that_are_then_validated() {
        let (host, patch) = FaultsPatch::parse_flag("b1.sim.sim:failure_ratio=1,unreachable=true,slow_ms=5").unwrap();
        assert_eq!(host, "b1.sim.sim");
        assert_eq!(patch.failure_ratio, Some(1.0));
        assert_eq!(patch.unreachable, Some(true));
        assert_eq!(patch.slow_ms, Some(5));
        assert!(patch.validate().is_empty());
        let (_, bad) = FaultsPatch::parse_flag("b1:failure_ratio=1.5,load_multiplier=-1").unwrap();
        let fields: Vec<_> = bad.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["failure_ratio", "load_multiplier"]);
        assert!(FaultsPatch::parse_flag("b1").is_err());
        assert!(FaultsPatch::parse_flag("b1:color=red").is_err());
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut faults = Faults::default();
        FaultsPatch { slow_ms: Some(30), ..Default::default() }.apply(&mut faults);
        assert_eq!(faults, Faults { slow_ms: 30, ..Faults::default() });
    }
}
