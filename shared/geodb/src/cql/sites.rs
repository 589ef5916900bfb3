//! Sites, unique by name through `sites_by_name` like tags. Deleting a site refuses while
//! backends or users remain, and takes the site's settings, reachability and empty group and
//! user-partition rows with it.

use domain::{Site, SiteId, SiteName};
use scylla::value::MaybeUnset;
use uuid::Uuid;

use super::CqlGeoDb;
use super::exec::{Absent, MAX_RACES, cell, claimed_insert, contention, release_claim};
use super::rows::{ReachabilityRow, SiteRow, scope_key};
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::SiteUpdate;

fn set<T>(value: Option<T>) -> MaybeUnset<T> {
    value.map_or(MaybeUnset::Unset, MaybeUnset::Set)
}

impl CqlGeoDb {
    pub(super) async fn site_insert(&self, site: &Site) -> Result<()> {
        let (id, name) = (site.id.0, site.name.as_str());
        let values = (
            id,
            name,
            cell(site.tag.map(|t| t.0), Absent::Unset),
            cell(site.load_balancer.as_ref().map(|h| h.as_str()), Absent::Unset),
            site.status.as_str(),
        );
        claimed_insert(
            self.lwt(&self.st.site_name_claim, (name, id)),
            |claim| Ok(claim.uuid("id")? == Some(id)),
            self.lwt(&self.st.site_insert, values),
            self.lwt(&self.st.site_name_release, (name, id)),
            || GeoDbError::already_exists("site", name),
            || GeoDbError::already_exists("site", id),
        )
        .await
    }

    pub(super) async fn site_get(&self, id: SiteId) -> Result<Option<Site>> {
        self.fetch_one::<SiteRow>(&self.st.site_get, (id.0,)).await?.map(SiteRow::into_model).transpose()
    }

    pub(super) async fn site_get_by_name(&self, name: &SiteName) -> Result<Option<Site>> {
        let Some((Some(id),)) = self.fetch_one::<(Option<Uuid>,)>(&self.st.site_by_name, (name.as_str(),)).await?
        else {
            return Ok(None);
        };
        Ok(self.site_get(SiteId(id)).await?.filter(|site| &site.name == name))
    }

    pub(super) async fn site_list(&self) -> Result<Vec<Site>> {
        let rows = self.scan::<SiteRow>(&self.st.site_all, ()).await?;
        let mut sites = rows.into_iter().map(SiteRow::into_model).collect::<Result<Vec<_>>>()?;
        sites.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(sites)
    }

    /// Writes only the fields the update names, conditioned on the name read, so a concurrent
    /// rename is noticed and the update re-read rather than lost.
    pub(super) async fn site_update(&self, id: SiteId, update: &SiteUpdate) -> Result<Site> {
        for _ in 0..MAX_RACES {
            let current = self.site_get(id).await?.ok_or_else(|| GeoDbError::not_found("site", id))?;
            if *update == SiteUpdate::default() {
                return Ok(current);
            }
            let updated = Site {
                id,
                name: update.name.clone().unwrap_or_else(|| current.name.clone()),
                tag: update.tag.unwrap_or(current.tag),
                load_balancer: update.load_balancer.clone().unwrap_or_else(|| current.load_balancer.clone()),
                status: update.status.unwrap_or(current.status),
            };
            let renamed = updated.name != current.name;
            let mut claimed = false;
            if renamed {
                let claim = self.lwt(&self.st.site_name_claim, (updated.name.as_str(), id.0)).await?;
                if !claim.applied && claim.uuid("id")? != Some(id.0) {
                    return Err(GeoDbError::already_exists("site", &updated.name));
                }
                claimed = claim.applied;
            }
            let values = (
                set(update.name.as_ref().map(|n| n.as_str())),
                set(update.tag.map(|t| t.map(|t| t.0))),
                set(update.load_balancer.as_ref().map(|h| h.as_ref().map(|h| h.as_str()))),
                set(update.status.map(|s| s.as_str())),
                id.0,
                current.name.as_str(),
            );
            let write = self.lwt(&self.st.site_update, values).await?;
            if write.applied {
                if renamed {
                    release_claim(self.lwt(&self.st.site_name_release, (current.name.as_str(), id.0))).await;
                }
                return Ok(updated);
            }
            if claimed {
                release_claim(self.lwt(&self.st.site_name_release, (updated.name.as_str(), id.0))).await;
            }
            if write.text("name")?.is_none() {
                return Err(GeoDbError::not_found("site", id));
            }
        }
        Err(contention("update site"))
    }

    pub(super) async fn site_delete(&self, id: SiteId) -> Result<()> {
        let current = self.site_get(id).await?.ok_or_else(|| GeoDbError::not_found("site", id))?;
        let backends = self.site_backend_count(id).await?;
        let has_users = self.site_has_users(id).await?;
        if backends > 0 || has_users {
            return Err(GeoDbError::Conflict(ConflictKind::SiteNotEmpty { backends, has_users }));
        }
        // Rows keyed by the site go first, each with an idempotent delete: if one fails the site
        // row is still there and a repeated delete finishes the job.
        self.run(&self.st.group_site_delete, (id.0,)).await?;
        self.run(&self.st.user_partition_site_delete, (id.0,)).await?;
        let (kind, scope_id) = scope_key(domain::SettingScope::Site(id));
        self.run(&self.st.setting_scope_delete, (kind, scope_id)).await?;
        self.run(&self.st.reach_src_delete, (id.0,)).await?;
        self.stats_delete_site(id).await?;
        let reach = self.scan::<ReachabilityRow>(&self.st.reach_all, ()).await?;
        for row in reach.iter().filter(|row| row.dest_site_id == id.0) {
            self.run(&self.st.reach_delete, (row.src_site_id, row.dest_site_id)).await?;
        }
        if !self.lwt(&self.st.site_delete, (id.0,)).await?.applied {
            return Err(GeoDbError::not_found("site", id));
        }
        release_claim(self.lwt(&self.st.site_name_release, (current.name.as_str(), id.0))).await;
        Ok(())
    }
}
