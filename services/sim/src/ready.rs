//! The ready file: written once everything is up, so tests and scripts wait on one file instead
//! of polling ports. Written to a temporary name and renamed, so a reader never sees half of it;
//! removed on a clean exit, so a stale file never announces a sim that is gone.

use std::collections::BTreeMap;
use std::path::Path;

use domain::SiteId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ready {
    /// Base URL of the control API.
    pub control_url: String,
    /// Backend host → base URL of its doveadm HTTP API (and `/metrics`).
    pub backends: BTreeMap<String, String>,
    pub site: String,
    pub site_id: SiteId,
    pub proxies: Vec<String>,
    pub pid: u32,
}

pub fn write(path: &Path, ready: &Ready) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, serde_json::to_vec_pretty(ready)?)?;
    std::fs::rename(&temporary, path)
}

/// Removes a ready file left by an earlier run; a missing file is fine.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
