//! Backends: unique by host through `backends_by_host`, listed per site through
//! `backends_by_site`. Index rows are checked against the `backends` row on every read, so a
//! stale one is never reported as a backend.

use domain::{Backend, BackendId, HostName, SettingScope, SiteId};
use futures::{StreamExt, TryStreamExt};
use scylla::value::MaybeUnset;
use uuid::Uuid;

use super::CqlGeoDb;
use super::exec::{claimed_insert, release_claim};
use super::rows::{BackendRow, GroupRow, scope_key};
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::BackendUpdate;

/// Point reads in flight when resolving a site's backend ids.
const READ_CONCURRENCY: usize = 16;

impl CqlGeoDb {
    pub(super) async fn backend_insert(&self, backend: &Backend) -> Result<()> {
        if self.site_get(backend.site_id).await?.is_none() {
            return Err(GeoDbError::not_found("site", backend.site_id));
        }
        let (id, site, host) = (backend.id.0, backend.site_id.0, backend.host.as_str());
        // The site index row goes in before the backend row: a backend is then never missing
        // from its site's listing, and a stray index row is filtered out on read.
        let insert = async {
            self.run(&self.st.backend_site_add, (site, host, id)).await?;
            let values = (id, site, host, backend.status.as_str(), i32::from(backend.load_factor.get()));
            self.lwt(&self.st.backend_insert, values).await
        };
        let release = async {
            self.run(&self.st.backend_site_remove, (site, host)).await?;
            self.lwt(&self.st.backend_host_release, (host, id)).await
        };
        claimed_insert(
            self.lwt(&self.st.backend_host_claim, (host, id)),
            |claim| Ok(claim.uuid("id")? == Some(id)),
            insert,
            release,
            || GeoDbError::already_exists("backend", host),
            || GeoDbError::already_exists("backend", id),
        )
        .await
    }

    pub(super) async fn backend_get(&self, id: BackendId) -> Result<Option<Backend>> {
        self.fetch_one::<BackendRow>(&self.st.backend_get, (id.0,)).await?.map(BackendRow::into_model).transpose()
    }

    pub(super) async fn backend_get_by_host(&self, host: &HostName) -> Result<Option<Backend>> {
        let Some((Some(id),)) = self.fetch_one::<(Option<Uuid>,)>(&self.st.backend_by_host, (host.as_str(),)).await?
        else {
            return Ok(None);
        };
        Ok(self.backend_get(BackendId(id)).await?.filter(|b| &b.host == host))
    }

    pub(super) async fn backend_list(&self, site: Option<SiteId>) -> Result<Vec<Backend>> {
        let mut backends = match site {
            None => {
                let rows = self.scan::<BackendRow>(&self.st.backend_all, ()).await?;
                rows.into_iter().map(BackendRow::into_model).collect::<Result<Vec<_>>>()?
            }
            Some(site) => self.site_backends(site).await?,
        };
        backends.sort_by(|a, b| a.host.cmp(&b.host));
        Ok(backends)
    }

    async fn site_backends(&self, site: SiteId) -> Result<Vec<Backend>> {
        let ids = self.fetch::<(Option<Uuid>,)>(&self.st.backend_site_list, (site.0,)).await?;
        let found: Vec<Option<Backend>> = futures::stream::iter(ids.into_iter().filter_map(|(id,)| id))
            .map(|id| self.backend_get(BackendId(id)))
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().filter(|b| b.site_id == site).collect())
    }

    pub(super) async fn site_backend_count(&self, site: SiteId) -> Result<u64> {
        Ok(self.site_backends(site).await?.len() as u64)
    }

    pub(super) async fn backend_update(&self, id: BackendId, update: &BackendUpdate) -> Result<Backend> {
        let current = self.backend_get(id).await?.ok_or_else(|| GeoDbError::not_found("backend", id))?;
        if *update == BackendUpdate::default() {
            return Ok(current);
        }
        let values = (
            update.status.map_or(MaybeUnset::Unset, |s| MaybeUnset::Set(s.as_str())),
            update.load_factor.map_or(MaybeUnset::Unset, |l| MaybeUnset::Set(i32::from(l.get()))),
            id.0,
        );
        if !self.lwt(&self.st.backend_update, values).await?.applied {
            return Err(GeoDbError::not_found("backend", id));
        }
        Ok(Backend {
            status: update.status.unwrap_or(current.status),
            load_factor: update.load_factor.unwrap_or(current.load_factor),
            ..current
        })
    }

    pub(super) async fn backend_delete(&self, id: BackendId) -> Result<()> {
        let current = self.backend_get(id).await?.ok_or_else(|| GeoDbError::not_found("backend", id))?;
        let groups = self.scan::<GroupRow>(&self.st.group_after, (current.site_id.0, "")).await?;
        let in_use = groups
            .into_iter()
            .map(GroupRow::into_model)
            .filter(|g| match g {
                Ok(g) => g.backend_id == id || (g.is_moving() && g.alt_backend_id == Some(id)),
                Err(_) => true,
            })
            .collect::<Result<Vec<_>>>()?;
        if !in_use.is_empty() {
            return Err(GeoDbError::Conflict(ConflictKind::BackendInUse { groups: in_use.len() as u64 }));
        }
        if !self.lwt(&self.st.backend_delete, (id.0,)).await?.applied {
            return Err(GeoDbError::not_found("backend", id));
        }
        release_claim(self.lwt(&self.st.backend_host_release, (current.host.as_str(), id.0))).await;
        self.run(&self.st.backend_site_remove, (current.site_id.0, current.host.as_str())).await?;
        let (kind, scope_id) = scope_key(SettingScope::Backend(id));
        self.run(&self.st.setting_scope_delete, (kind, scope_id)).await?;
        Ok(())
    }
}
