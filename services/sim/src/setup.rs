//! Puts the simulated site into GeoDB, idempotently so restarting the sim is safe: the site and
//! backends are created when missing (online, load factor 100) and otherwise left as they are,
//! since the controller may have changed them; the group count and each backend's
//! `doveadm_url` (its listener's port may have changed) are written every time.

use domain::settings::DEFAULT_GROUP_COUNT;
use domain::{Backend, BackendStatus, LoadFactor, Setting, SettingName, SettingScope, Site, SiteId};
use futures::{StreamExt, TryStreamExt};
use geodb::{GeoDb, GeoDbError};

use crate::options::SimOptions;
use crate::state::{BackendSpec, Sim};

/// The backend-scope setting the controller reads a backend's doveadm base URL from.
pub const DOVEADM_URL_SETTING: &str = "doveadm_url";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    GeoDb(#[from] GeoDbError),
    #[error("backend {host} belongs to another site")]
    ForeignBackend { host: String },
}

/// What set-up found or made.
#[derive(Debug, Clone)]
pub struct SiteSetup {
    pub site_id: SiteId,
    pub backends: Vec<BackendSpec>,
}

/// `ports[i]` is the doveadm port of backend `i`.
pub async fn run(db: &dyn GeoDb, options: &SimOptions, ports: &[u16]) -> Result<SiteSetup, SetupError> {
    let site_id = ensure_site(db, options).await?;
    let mut backends = Vec::with_capacity(options.backend_hosts.len());
    for (host, port) in options.backend_hosts.iter().zip(ports) {
        let backend = ensure_backend(db, site_id, host).await?;
        let url = format!("http://127.0.0.1:{port}");
        db.put_setting(&setting(SettingScope::Backend(backend.id), DOVEADM_URL_SETTING, url)?).await?;
        backends.push(BackendSpec { host: backend.host, id: backend.id, status: backend.status, port: *port });
    }
    let count = options.groups.to_string();
    db.put_setting(&setting(SettingScope::Site(site_id), DEFAULT_GROUP_COUNT, count)?).await?;
    tracing::info!(site = %options.site, %site_id, backends = backends.len(), groups = options.groups, "site set up");
    Ok(SiteSetup { site_id, backends })
}

async fn ensure_site(db: &dyn GeoDb, options: &SimOptions) -> Result<SiteId, SetupError> {
    if let Some(site) = db.get_site_by_name(&options.site).await? {
        return Ok(site.id);
    }
    let site = Site::new(options.site.clone());
    match db.insert_site(&site).await {
        Ok(()) => {
            tracing::info!(site = %site.name, "site created");
            Ok(site.id)
        }
        // Another process (a second sim, the controller's API) created it first.
        Err(GeoDbError::AlreadyExists { .. }) => {
            let found = db.get_site_by_name(&options.site).await?;
            Ok(found.ok_or_else(|| GeoDbError::not_found("site", &options.site))?.id)
        }
        Err(e) => Err(e.into()),
    }
}

async fn ensure_backend(db: &dyn GeoDb, site_id: SiteId, host: &domain::HostName) -> Result<Backend, SetupError> {
    let existing = match db.get_backend_by_host(host).await? {
        Some(b) => Some(b),
        None => {
            let new = Backend {
                status: BackendStatus::Online,
                load_factor: LoadFactor::MAX,
                ..Backend::new(site_id, host.clone())
            };
            match db.insert_backend(&new).await {
                Ok(()) => {
                    tracing::info!(%host, id = %new.id, "backend created");
                    return Ok(new);
                }
                Err(GeoDbError::AlreadyExists { .. }) => db.get_backend_by_host(host).await?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let backend = existing.ok_or_else(|| GeoDbError::not_found("backend", host))?;
    if backend.site_id != site_id {
        return Err(SetupError::ForeignBackend { host: host.to_string() });
    }
    Ok(backend)
}

fn setting(scope: SettingScope, name: &str, value: String) -> Result<Setting, GeoDbError> {
    let name = SettingName::parse(name).map_err(|e| GeoDbError::Internal(format!("setting name {name}: {e}")))?;
    Ok(Setting { scope, name, value })
}

/// Creates the site's missing `default-N` groups and assigns every user, as their first logins
/// would: the groups exist, with their users, before any traffic. Returns the users assigned.
pub async fn preassign(sim: &Sim) -> Result<usize, GeoDbError> {
    let report = geodb::ops::init_site(sim.db.as_ref(), sim.site_id, false).await?;
    // A few at a time: SQLite serialises the writes anyway, CQL would welcome more.
    let assigned: Vec<(usize, Option<domain::GroupName>)> = futures::stream::iter(sim.users.iter().enumerate())
        .map(|(index, name)| async move {
            let user = geodb::ops::assign_user(sim.db.as_ref(), sim.site_id, name).await?;
            Ok::<_, GeoDbError>((index, user.group))
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    for (index, group) in &assigned {
        if let Some(group) = group {
            sim.note_group(*index, group);
        }
    }
    tracing::info!(groups_created = report.created, users = assigned.len(), "users pre-assigned");
    Ok(assigned.len())
}
