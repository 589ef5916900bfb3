//! Users: `users` (by name) is the truth and takes every change as a lightweight transaction;
//! `users_by_group` copies each user into its (site, group) partition for listing, unassigned
//! users under group ''. `user_partitions` records every such partition a site has used.
//! User moves are lightweight transactions on `users`; finishing and aborting read the row
//! through Paxos first and condition the write on everything they read, so the index rows
//! they then write are the right ones.

use domain::{GroupName, SiteId, User, UserName};
use scylla::value::MaybeUnset;
use uuid::Uuid;

use super::CqlGeoDb;
use super::exec::{Absent, MAX_RACES, cell, contention};
use super::groups::page_limit;
use super::rows::{UserRow, required};
use crate::cursor;
use crate::error::{GeoDbError, Result};
use crate::store::{Page, PageRequest, UserFilter, UserMoveOutcome, UserMoveRefusal, user_cursor};

/// The `users_by_group` partition of a stored group name: unassigned users live under ''.
fn partition_of(group: Option<&str>) -> &str {
    group.unwrap_or("")
}

impl CqlGeoDb {
    /// Registers the user's partition before the user row exists, so a listing can never miss
    /// a user; an unused registration only costs an empty read.
    pub(super) async fn user_insert(&self, user: &User) -> Result<bool> {
        let (site, group) = (user.site_id.0, user.group.as_ref().map(|g| g.as_str()));
        self.run(&self.st.user_partition_add, (site, partition_of(group))).await?;
        let answer = self.lwt(&self.st.user_insert, user_values(user, group, Absent::Unset)).await?;
        if !answer.applied {
            // Our own earlier insert that failed before its index row: finish it now.
            let same = answer.uuid("site_id")? == Some(site) && answer.text("group_name")? == group;
            if same {
                self.run(&self.st.user_index_put, user_values(user, Some(partition_of(group)), Absent::Unset)).await?;
            }
            return Ok(false);
        }
        self.run(&self.st.user_index_put, user_values(user, Some(partition_of(group)), Absent::Unset)).await?;
        Ok(true)
    }

    pub(super) async fn user_get(&self, name: &UserName) -> Result<Option<User>> {
        self.user_row(name).await?.map(|row| row.to_model()).transpose()
    }

    async fn user_row(&self, name: &UserName) -> Result<Option<UserRow>> {
        self.fetch_one::<UserRow>(&self.st.user_get, (name.as_str(),)).await
    }

    /// The user row as the latest lightweight transaction left it.
    async fn user_row_serial(&self, name: &UserName) -> Result<Option<UserRow>> {
        self.fetch_one::<UserRow>(&self.st.user_get_serial, (name.as_str(),)).await
    }

    async fn user_get_serial(&self, name: &UserName) -> Result<Option<User>> {
        self.user_row_serial(name).await?.map(|row| row.to_model()).transpose()
    }

    /// Rewrites the user's index row in the partition it lives in now.
    async fn user_index_refresh(&self, user: &User) -> Result<()> {
        let group = Some(partition_of(user.group.as_ref().map(|g| g.as_str())));
        self.run(&self.st.user_index_put, user_values(user, group, Absent::Null)).await
    }

    /// Deletes conditioned on the site and group read, so the index row removed is the one
    /// the deleted user had.
    pub(super) async fn user_delete(&self, name: &UserName) -> Result<bool> {
        for _ in 0..MAX_RACES {
            let Some(row) = self.user_row(name).await? else {
                return Ok(false);
            };
            let site = required(row.site_id, "users.site_id")?;
            let group = row.group_name.as_deref();
            let answer = self.lwt(&self.st.user_delete, (name.as_str(), site, group)).await?;
            if answer.applied {
                self.run(&self.st.user_index_delete, (site, partition_of(group), name.as_str())).await?;
                return Ok(true);
            }
            if answer.uuid("site_id")?.is_none() {
                return Ok(false);
            }
        }
        Err(contention("delete user"))
    }

    /// Moves the user's index row between partitions in one logged batch once the user row
    /// changed; the batch log replays it if this process dies half-way.
    pub(super) async fn user_set_group(&self, name: &UserName, group: Option<&GroupName>) -> Result<()> {
        let new_group = group.map(|g| g.as_str());
        for _ in 0..MAX_RACES {
            let row = self.user_row(name).await?.ok_or_else(|| GeoDbError::not_found("user", name))?;
            let site = required(row.site_id, "users.site_id")?;
            let old_group = row.group_name.as_deref();
            // Built before the write, so a corrupt row fails before anything changes.
            let user = User {
                group: group.cloned(),
                moving_site_id: None,
                moving_group: None,
                moving_failover_group: None,
                ..row.to_model()?
            };
            self.run(&self.st.user_partition_add, (site, partition_of(new_group))).await?;
            let values = (new_group, name.as_str(), site, old_group);
            let answer = self.lwt(&self.st.user_set_group, values).await?;
            if !answer.applied {
                if answer.uuid("site_id")?.is_none() {
                    return Err(GeoDbError::not_found("user", name));
                }
                continue;
            }
            let index_values = user_values(&user, Some(partition_of(new_group)), Absent::Null);
            if partition_of(old_group) == partition_of(new_group) {
                self.run(&self.st.user_index_put, index_values).await?;
            } else {
                let old_key = (site, partition_of(old_group), name.as_str());
                self.logged_batch(&[&self.st.user_index_delete, &self.st.user_index_put], (old_key, index_values))
                    .await?;
            }
            return Ok(());
        }
        Err(contention("set user group"))
    }

    /// `group_name = ?` is false on a missing row, so this never creates a user.
    pub(super) async fn user_move_start(
        &self,
        name: &UserName,
        expected_group: &GroupName,
        dest_site: SiteId,
        dest_group: &GroupName,
        dest_failover_group: Option<&GroupName>,
    ) -> Result<UserMoveOutcome> {
        let values = (
            dest_site.0,
            dest_group.as_str(),
            dest_failover_group.map(|g| g.as_str()),
            name.as_str(),
            expected_group.as_str(),
        );
        let answer = self.lwt(&self.st.user_move_start, values).await?;
        let current = self.user_get_serial(name).await?;
        if answer.applied {
            let user =
                current.ok_or_else(|| GeoDbError::Internal(format!("user {name} vanished after its move started")))?;
            self.user_index_refresh(&user).await?;
            return Ok(UserMoveOutcome::Applied(user));
        }
        // Cassandra returns no condition columns for a missing row and ScyllaDB returns nulls,
        // which an unassigned user also has: the serial read tells the two apart.
        let Some(user) = current else {
            return Ok(user_refused(UserMoveRefusal::UserNotFound, None));
        };
        let moving =
            answer.uuid("moving_site_id")?.is_some() || answer.text("moving_group")?.is_some_and(|g| !g.is_empty());
        let reason = if moving {
            UserMoveRefusal::AlreadyMoving
        } else if answer.text("group_name")? != Some(expected_group.as_str()) {
            UserMoveRefusal::NotInExpectedGroup
        } else {
            // Only an empty-string moving group, which reads as "not moving", gets here.
            UserMoveRefusal::AlreadyMoving
        };
        Ok(user_refused(reason, Some(user)))
    }

    /// Moves the user's index row to its new (site, group) partition in one logged batch once
    /// the user row changed, registering the partition first.
    pub(super) async fn user_move_finish(&self, name: &UserName) -> Result<UserMoveOutcome> {
        for _ in 0..MAX_RACES {
            let Some(row) = self.user_row_serial(name).await? else {
                return Ok(user_refused(UserMoveRefusal::UserNotFound, None));
            };
            let current = row.to_model()?;
            if !current.is_moving() {
                return Ok(user_refused(UserMoveRefusal::NotMoving, Some(current)));
            }
            let (Some(dest_site), Some(dest_group)) = (current.moving_site_id, current.moving_group.clone()) else {
                return Err(GeoDbError::corrupt(format!("user {name} is moving without a destination site and group")));
            };
            let old_site = required(row.site_id, "users.site_id")?;
            let old_group = row.group_name.as_deref();
            let moved = User {
                site_id: dest_site,
                group: Some(dest_group.clone()),
                failover_group: current.moving_failover_group.clone(),
                moving_site_id: None,
                moving_group: None,
                moving_failover_group: None,
                ..current
            };
            self.run(&self.st.user_partition_add, (dest_site.0, dest_group.as_str())).await?;
            let values = (
                dest_site.0,
                dest_group.as_str(),
                moved.failover_group.as_ref().map(|g| g.as_str()),
                name.as_str(),
                old_site,
                old_group,
                row.moving_site_id,
                row.moving_group.as_deref(),
                row.moving_failover_group.as_deref(),
            );
            if !self.lwt(&self.st.user_move_finish, values).await?.applied {
                continue;
            }
            let index_values = user_values(&moved, Some(dest_group.as_str()), Absent::Null);
            if old_site == dest_site.0 && partition_of(old_group) == dest_group.as_str() {
                self.run(&self.st.user_index_put, index_values).await?;
            } else {
                let old_key = (old_site, partition_of(old_group), name.as_str());
                self.logged_batch(&[&self.st.user_index_delete, &self.st.user_index_put], (old_key, index_values))
                    .await?;
            }
            return Ok(UserMoveOutcome::Applied(moved));
        }
        Err(contention("finish user move"))
    }

    pub(super) async fn user_move_abort(&self, name: &UserName) -> Result<UserMoveOutcome> {
        for _ in 0..MAX_RACES {
            let Some(row) = self.user_row_serial(name).await? else {
                return Ok(user_refused(UserMoveRefusal::UserNotFound, None));
            };
            let current = row.to_model()?;
            if !current.is_moving() {
                return Ok(user_refused(UserMoveRefusal::NotMoving, Some(current)));
            }
            let site = required(row.site_id, "users.site_id")?;
            let values =
                (name.as_str(), site, row.group_name.as_deref(), row.moving_site_id, row.moving_group.as_deref());
            if !self.lwt(&self.st.user_move_abort, values).await?.applied {
                continue;
            }
            let user = User { moving_site_id: None, moving_group: None, moving_failover_group: None, ..current };
            self.user_index_refresh(&user).await?;
            return Ok(UserMoveOutcome::Applied(user));
        }
        Err(contention("abort user move"))
    }

    /// The site's user partitions in listing order: unassigned ('') first, then by group name.
    async fn user_partitions(&self, site: SiteId) -> Result<Vec<String>> {
        let rows = self.scan::<(String,)>(&self.st.user_partition_list, (site.0,)).await?;
        let mut partitions = vec![String::new()];
        partitions.extend(rows.into_iter().map(|(g,)| g).filter(|g| !g.is_empty()));
        partitions.sort();
        partitions.dedup();
        Ok(partitions)
    }

    pub(super) async fn site_has_users(&self, site: SiteId) -> Result<bool> {
        for partition in self.user_partitions(site).await? {
            let values = (site.0, partition.as_str(), "", 1_i32);
            if !self.fetch::<UserRow>(&self.st.user_index_page, values).await?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Walks the partitions in (group, name) order from the cursor, reading at most what the
    /// page still needs from each, plus one item to know whether another page follows.
    pub(super) async fn user_list(&self, site: SiteId, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
        let limit = page_limit(page);
        let start = match &page.cursor {
            Some(c) => {
                let mut parts = cursor::decode(c, 2)?;
                let name = parts.pop().ok_or(GeoDbError::InvalidCursor)?;
                Some((parts.pop().ok_or(GeoDbError::InvalidCursor)?, name))
            }
            None => None,
        };
        let partitions = match &filter.group {
            // A cursor from another group's listing would silently skip or repeat users.
            Some(group) if start.as_ref().is_some_and(|(g, _)| g != group.as_str()) => {
                return Err(GeoDbError::InvalidCursor);
            }
            Some(group) => vec![group.to_string()],
            None => self.user_partitions(site).await?,
        };
        let mut rows: Vec<UserRow> = Vec::new();
        for partition in &partitions {
            let after = match &start {
                Some((group, _)) if partition < group => continue,
                Some((group, name)) if partition == group => name.as_str(),
                _ => "",
            };
            let wanted = i32::try_from(limit + 1 - rows.len()).unwrap_or(i32::MAX);
            let values = (site.0, partition.as_str(), after, wanted);
            rows.extend(self.fetch::<UserRow>(&self.st.user_index_page, values).await?);
            if rows.len() > limit {
                break;
            }
        }
        let items = rows.iter().map(UserRow::to_model).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, user_cursor))
    }
}

fn user_refused(reason: UserMoveRefusal, current: Option<User>) -> UserMoveOutcome {
    UserMoveOutcome::Refused { reason, current }
}

type Cell<T> = MaybeUnset<Option<T>>;

/// The seven user columns in `USER_COLUMNS` order, with the group column given as stored.
type UserValues<'a> = (&'a str, Uuid, Cell<&'a str>, Cell<&'a str>, Cell<Uuid>, Cell<&'a str>, Cell<&'a str>);

fn user_values<'a>(user: &'a User, group: Option<&'a str>, absent: Absent) -> UserValues<'a> {
    let name = |g: &'a Option<GroupName>| cell(g.as_ref().map(|g| g.as_str()), absent);
    (
        user.name.as_str(),
        user.site_id.0,
        cell(group, absent),
        name(&user.failover_group),
        cell(user.moving_site_id.map(|s| s.0), absent),
        name(&user.moving_group),
        name(&user.moving_failover_group),
    )
}
