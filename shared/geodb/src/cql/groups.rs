//! User groups: one `user_groups` partition per site, clustered by name, so a listing is a
//! sorted slice read page by page. Every change is a lightweight transaction, because group
//! moves (in `moves.rs`) rely on reading and writing the row linearisably.

use domain::{GroupName, SiteId, UserGroup};
use futures::TryStreamExt;
use scylla::value::MaybeUnset;

use super::CqlGeoDb;
use super::exec::{Absent, cell};
use super::rows::{GroupRow, to_timestamp};
use crate::cursor;
use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::{GroupFilter, GroupFlags, Page, PageRequest, group_cursor};

/// The limit a page request really gets: at least one item (a page of none could never
/// advance), at most `MAX_LIMIT`.
pub(super) fn page_limit(page: &PageRequest) -> usize {
    page.limit.clamp(1, PageRequest::MAX_LIMIT) as usize
}

impl CqlGeoDb {
    pub(super) async fn group_insert(&self, group: &UserGroup) -> Result<bool> {
        let values = (
            group.site_id.0,
            group.name.as_str(),
            group.backend_id.0,
            cell(group.alt_backend_id.map(|b| b.0), Absent::Unset),
            cell(group.moving.as_deref(), Absent::Unset),
            group.sticky_users,
            group.sticky_backend,
            cell(group.last_moved_at.map(to_timestamp), Absent::Unset),
        );
        Ok(self.lwt(&self.st.group_insert, values).await?.applied)
    }

    pub(super) async fn group_get(&self, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>> {
        let row = self.fetch_one::<GroupRow>(&self.st.group_get, (site.0, name.as_str())).await?;
        row.map(GroupRow::into_model).transpose()
    }

    /// A read through Paxos: sees every lightweight transaction that completed before it.
    pub(super) async fn group_get_serial(&self, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>> {
        let row = self.fetch_one::<GroupRow>(&self.st.group_get_serial, (site.0, name.as_str())).await?;
        row.map(GroupRow::into_model).transpose()
    }

    /// Reads the partition from the later of the cursor and the mask's literal prefix, and
    /// stops once names leave the prefix or one item more than the page is found.
    pub(super) async fn group_list(
        &self,
        site: SiteId,
        filter: &GroupFilter,
        page: &PageRequest,
    ) -> Result<Page<UserGroup>> {
        let limit = page_limit(page);
        let after = match &page.cursor {
            Some(c) => cursor::decode(c, 1)?.pop(),
            None => None,
        };
        let prefix = filter.mask.as_ref().map_or("", |m| m.literal_prefix());
        let pager = match &after {
            Some(after) if after.as_str() >= prefix => {
                self.session.execute_iter(self.st.group_after.clone(), (site.0, after.as_str())).await?
            }
            _ => self.session.execute_iter(self.st.group_from.clone(), (site.0, prefix)).await?,
        };
        let mut rows = pager.rows_stream::<GroupRow>()?;
        let mut items = Vec::new();
        while let Some(row) = rows.try_next().await? {
            if !row.name.starts_with(prefix) {
                break;
            }
            let group = row.into_model()?;
            let wanted = filter.mask.as_ref().is_none_or(|m| m.matches(group.name.as_str()))
                && filter.backend.is_none_or(|b| b == group.backend_id);
            if wanted {
                items.push(group);
                if items.len() > limit {
                    break;
                }
            }
        }
        Ok(Page::from_overfetch(items, limit, group_cursor))
    }

    pub(super) async fn group_update_flags(
        &self,
        site: SiteId,
        name: &GroupName,
        flags: &GroupFlags,
    ) -> Result<UserGroup> {
        let not_found = || GeoDbError::not_found("group", name);
        let current = self.group_get(site, name).await?.ok_or_else(not_found)?;
        if *flags == GroupFlags::default() {
            return Ok(current);
        }
        let set = |flag: Option<bool>| flag.map_or(MaybeUnset::Unset, MaybeUnset::Set);
        let values = (set(flags.sticky_users), set(flags.sticky_backend), site.0, name.as_str());
        if !self.lwt(&self.st.group_flags, values).await?.applied {
            return Err(not_found());
        }
        Ok(UserGroup {
            sticky_users: flags.sticky_users.unwrap_or(current.sticky_users),
            sticky_backend: flags.sticky_backend.unwrap_or(current.sticky_backend),
            ..current
        })
    }

    /// `IF moving = null` also holds for a row that no longer exists, so a group deleted
    /// concurrently after our read counts as deleted, which it is.
    pub(super) async fn group_delete(&self, site: SiteId, name: &GroupName) -> Result<()> {
        let current = self.group_get(site, name).await?.ok_or_else(|| GeoDbError::not_found("group", name))?;
        let moving = || GeoDbError::Conflict(ConflictKind::GroupMoving { group: name.to_string() });
        if current.is_moving() {
            return Err(moving());
        }
        if !self.lwt(&self.st.group_delete, (site.0, name.as_str())).await?.applied {
            return Err(moving());
        }
        Ok(())
    }
}
