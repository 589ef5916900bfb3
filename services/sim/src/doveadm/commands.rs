//! What a simulated backend does for each doveadm command. Results follow Dovecot's JSON
//! printer: a list of rows, each an object of string values; commands without output answer
//! `[]`. Failures are sysexits codes (`Err(code)`), answered as `["error", ...]`.

use std::sync::Arc;

use domain::{BackendStatus, GroupMask, GroupName, UserName};
use serde_json::{Value, json};

use super::protocol::{Command, exit};
use crate::moves::{self, Access};
use crate::state::{Sim, lock};

pub async fn execute(sim: &Arc<Sim>, backend: usize, command: &Command) -> Result<Value, u16> {
    match command {
        Command::GroupAccess { group } => group_access(sim, backend, group.as_deref()).await,
        Command::UserAccess { user } => user_access(sim, user.as_deref()).await,
        Command::Kick { masks } => kick(sim, backend, masks),
        Command::BackendStatus { host } => backend_status(sim, backend, host.as_deref()),
    }
}

/// `[]` when the group lives here (a move away from here starts finishing); 68 when it does
/// not live here (or does not exist).
async fn group_access(sim: &Arc<Sim>, backend: usize, group: Option<&str>) -> Result<Value, u16> {
    let name = GroupName::parse(group.ok_or(exit::USAGE)?).map_err(|_| exit::NOHOST)?;
    let group = sim.db.get_group(sim.site_id, &name).await.map_err(|e| tempfail(sim, &e))?.ok_or(exit::NOHOST)?;
    match moves::on_group_access(sim, backend, &group) {
        Access::Here | Access::Finishing => Ok(json!([])),
        Access::NotHere => Err(exit::NOHOST),
    }
}

/// Finishes the user's move if one is in progress; answers `[{"backend": host, "host": host}]`,
/// the host that serves the user now (both names, for callers that read either). 67 for an
/// unknown user.
async fn user_access(sim: &Arc<Sim>, user: Option<&str>) -> Result<Value, u16> {
    let name = UserName::parse(user.ok_or(exit::USAGE)?).map_err(|_| exit::NOUSER)?;
    let mut user = moves::finish_user(sim, &name).await.map_err(|e| tempfail(sim, &e))?.ok_or(exit::NOUSER)?;
    if user.group.is_none() {
        // An access assigns an unassigned user, as a login would.
        user = geodb::ops::assign_user(sim.db.as_ref(), user.site_id, &name).await.map_err(|e| tempfail(sim, &e))?;
    }
    let group_name = user.group.as_ref().ok_or(exit::NOUSER)?;
    let group = sim.db.get_group(user.site_id, group_name).await.map_err(|e| tempfail(sim, &e))?.ok_or(exit::NOHOST)?;
    let host = match sim.backend(group.backend_id) {
        Some(b) => b.host.to_string(),
        None => match sim.db.get_backend(group.backend_id).await.map_err(|e| tempfail(sim, &e))? {
            Some(b) => b.host.to_string(),
            None => return Err(exit::NOHOST),
        },
    };
    Ok(json!([{ "backend": host, "host": host }]))
}

/// Ends this backend's sessions of matching users: one `{"result": user}` row per user, as
/// Dovecot's `kick` prints; 68 (`DOVEADM_EX_NOTFOUND`) when nobody matched.
fn kick(sim: &Sim, backend: usize, masks: &[String]) -> Result<Value, u16> {
    if masks.is_empty() {
        return Err(exit::USAGE);
    }
    let masks: Vec<GroupMask> =
        masks.iter().map(|m| GroupMask::parse(m)).collect::<Result<_, _>>().map_err(|_| exit::USAGE)?;
    let kicked = lock(&sim.backends[backend].sessions).kick(&masks);
    if kicked.is_empty() {
        return Err(exit::NOHOST);
    }
    tracing::info!(backend = %sim.backends[backend].host, users = kicked.len(), "users kicked");
    Ok(Value::Array(kicked.iter().map(|u| json!({ "result": u.as_str() })).collect()))
}

/// The reachability probe: `[{"host": ..., "status": ...}]` with the status GeoDB last gave.
fn backend_status(sim: &Sim, backend: usize, host: Option<&str>) -> Result<Value, u16> {
    let me = &sim.backends[backend];
    if host.is_some_and(|h| !h.eq_ignore_ascii_case(me.host.as_str())) {
        return Err(exit::NOHOST);
    }
    let status = sim.status(me.id).unwrap_or(BackendStatus::Online);
    Ok(json!([{ "host": me.host.as_str(), "status": status.as_str() }]))
}

fn tempfail(sim: &Sim, error: &geodb::GeoDbError) -> u16 {
    sim.totals.geodb_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::warn!(%error, "doveadm command failed on geodb");
    exit::TEMPFAIL
}
