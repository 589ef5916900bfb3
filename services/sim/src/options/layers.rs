//! The sim's option layers, merged by config-rs as the controller's settings are: the sim's TOML
//! file (`--config`: the same names as the long flags, with `_`, plus `[faults."HOST"]` tables),
//! then the flags, which win key by key and, for faults, field by field. Unknown keys are errors,
//! so a typo does not silently fall back to a default. Defaults and checks are `resolve.rs`'s.
//!
//! The fault tables are merged here rather than by config-rs: its keys are paths, so a host name
//! such as `b1.sim.sim` would be split at its dots.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use config::Config;
use serde::{Deserialize, Serialize};

use super::Args;
use crate::faults::FaultsPatch;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One layer of options (the file, the flags) and the merged result: what is absent is left to
/// the layer below, and at the bottom to the default.
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
    /// The hosts named by `--fault` flags, so that an error names the flag rather than the file.
    #[serde(skip)]
    pub flagged_hosts: BTreeSet<String>,
}

/// The file, then the flags, merged, and every problem found (a bad `--fault`, an unreadable or
/// invalid file) one per line. When the file is at fault the flags alone are returned, so that
/// they are still checked.
pub fn layered(args: &Args) -> (SimFile, Vec<String>) {
    let mut errors = Vec::new();
    let mut flags = flags(args, &mut errors);
    let flag_faults = std::mem::take(&mut flags.faults);
    let (file, file_faults) = match args.config.as_deref().map(read_file).transpose() {
        Ok(file) => file.unwrap_or_default(),
        Err(e) => {
            errors.push(file_error(args, &e));
            return (SimFile { faults: flag_faults, ..flags }, errors);
        }
    };
    let merged = Config::try_from(&file)
        .and_then(|file| Config::try_from(&flags).map(|flags| (file, flags)))
        .and_then(|(file, flags)| Config::builder().add_source(file).add_source(flags).build())
        .and_then(Config::try_deserialize::<SimFile>);
    let mut merged = match merged {
        Ok(merged) => merged,
        Err(e) => {
            errors.push(file_error(args, &e.to_string()));
            return (SimFile { faults: flag_faults, ..flags }, errors);
        }
    };
    merged.faults = file_faults;
    for (host, patch) in flag_faults {
        let below = merged.faults.remove(&host).unwrap_or_default();
        merged.faults.insert(host, patch.over(&below));
    }
    merged.flagged_hosts = flags.flagged_hosts;
    (merged, errors)
}

/// The file's options (as a TOML table for config-rs) and its fault tables.
fn read_file(path: &Path) -> Result<(toml::Table, BTreeMap<String, FaultsPatch>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let faults = match table.remove("faults") {
        Some(faults) => faults.try_into().map_err(|e: toml::de::Error| format!("faults: {e}"))?,
        None => BTreeMap::new(),
    };
    Ok((table, faults))
}

fn file_error(args: &Args, message: &str) -> String {
    let origin = args.config.as_ref().map_or_else(String::new, |p| format!(" ({})", p.display()));
    format!("--config{origin}: {}", controller_config::one_line(message))
}

/// The flags given, as a layer; the faults of several `--fault` flags for one host merge.
fn flags(args: &Args, errors: &mut Vec<String>) -> SimFile {
    let mut faults: BTreeMap<String, FaultsPatch> = BTreeMap::new();
    let mut flagged_hosts = BTreeSet::new();
    for spec in &args.faults {
        match FaultsPatch::parse_flag(spec) {
            Ok((host, patch)) => {
                flagged_hosts.insert(host.clone());
                let merged = faults.entry(host).or_default();
                *merged = patch.over(merged);
            }
            Err(e) => errors.push(format!("--fault {spec:?}: {e}")),
        }
    }
    SimFile {
        site: args.site.clone(),
        backends: args.backends,
        backend_pattern: args.backend_pattern.clone(),
        users: args.users,
        user_pattern: args.user_pattern.clone(),
        groups: args.groups,
        rate: args.rate,
        lmtp_share: args.lmtp_share,
        seed: args.seed,
        move_finish_delay_ms: args.move_finish_delay_ms,
        finish_moves_on_traffic: args.finish_moves_on_traffic,
        proxies: args.proxies,
        proxy_pattern: args.proxy_pattern.clone(),
        route_cache_ms: args.route_cache_ms,
        stats_flush_ms: args.stats_flush_ms,
        stats_window_secs: args.stats_window_secs,
        session_secs: args.session_secs,
        metrics_noise: args.metrics_noise,
        control_listen: args.control_listen.map(|addr| addr.to_string()),
        backend_base_port: args.backend_base_port,
        ready_file: args.ready_file.clone(),
        preassign: args.preassign,
        duration: args.duration,
        paused: args.paused,
        site_down: args.site_down,
        faults,
        flagged_hosts,
    }
}
