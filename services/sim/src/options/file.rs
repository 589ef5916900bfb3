//! The sim's own TOML file: the same names as the long flags (with `_`), plus `[faults."HOST"]`
//! tables. Unknown keys are errors, so a typo does not silently fall back to a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::faults::FaultsPatch;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backends: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lmtp_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_finish_delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_moves_on_traffic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxies: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_cache_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_flush_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_window_secs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_noise: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_base_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preassign: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_down: Option<bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub faults: BTreeMap<String, FaultsPatch>,
}

/// Reads and parses the file; the message names the file and, for TOML errors, the line.
pub fn read(path: &Path) -> Result<SimFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<SimFile, String> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| text.bytes().take(span.start).filter(|b| *b == b'\n').count() + 1);
        format!("line {line}: {}", e.message().trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_takes_flag_names_and_fault_tables_and_refuses_typos() {
        let file = parse(
            "site = \"east\"\nbackends = 4\nrate = 12.5\npreassign = true\n[faults.\"b1.east.sim\"]\nfailure_ratio = 0.5\n",
        )
        .unwrap();
        assert_eq!(file.site.as_deref(), Some("east"));
        assert_eq!(file.backends, Some(4));
        assert_eq!(file.rate, Some(12.5));
        assert_eq!(file.faults["b1.east.sim"].failure_ratio, Some(0.5));
        let typo = parse("site = \"east\"\nbackend = 4\n").unwrap_err();
        assert!(typo.contains("line 2") && typo.contains("backend"), "{typo}");
    }
}
