//! Operations written once over the storage primitives, so both backends behave the same:
//! setting specificity, feature switches, `site init` and a proxy's first-login assignment.
//! Everything here is safe to repeat and to run concurrently from many processes; it never
//! assumes a read is still true at the next write unless that write is conditional.

use std::collections::HashMap;

use domain::placement::{backend_for_new_group, default_group_for, spread_new_groups};
use domain::settings::{DEFAULT_GROUP_COUNT, DEFAULT_GROUP_COUNT_FALLBACK};
use domain::{
    BackendId, Feature, FeatureState, GroupName, Setting, SettingName, SettingScope, SiteId, User, UserGroup, UserName,
};

use crate::error::{ConflictKind, GeoDbError, Result};
use crate::store::{GeoDb, GroupFilter, PageRequest, UserFilter};

/// What `site init` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InitReport {
    pub created: u32,
    pub deleted: u32,
    pub users_unassigned: u64,
}

/// The setting that applies to (site, backend): backend beats site beats global. Point
/// lookups from the most specific scope down, so the common case costs one or two reads.
pub async fn effective_setting(
    db: &dyn GeoDb,
    site: Option<SiteId>,
    backend: Option<BackendId>,
    name: &SettingName,
) -> Result<Option<Setting>> {
    let scopes = [backend.map(SettingScope::Backend), site.map(SettingScope::Site), Some(SettingScope::Global)];
    for scope in scopes.into_iter().flatten() {
        if let Some(setting) = db.get_setting(scope, name).await? {
            return Ok(Some(setting));
        }
    }
    Ok(None)
}

/// A feature's state for a site; `Off` when never set.
pub async fn feature_state(db: &dyn GeoDb, site: SiteId, feature: Feature) -> Result<FeatureState> {
    match db.get_setting(SettingScope::Site(site), &feature.setting_name()).await? {
        None => Ok(FeatureState::Off),
        Some(s) => s.value.parse().map_err(|e| GeoDbError::corrupt(format!("setting {}: {e}", s.name))),
    }
}

pub async fn set_feature_state(db: &dyn GeoDb, site: SiteId, feature: Feature, state: FeatureState) -> Result<()> {
    let setting =
        Setting { scope: SettingScope::Site(site), name: feature.setting_name(), value: state.as_str().to_owned() };
    db.put_setting(&setting).await
}

/// How many `default-N` groups the site has: `cluster_default_group_count` as it applies to
/// the site, else the built-in fallback.
pub async fn default_group_count(db: &dyn GeoDb, site: SiteId) -> Result<u32> {
    let name = SettingName::parse(DEFAULT_GROUP_COUNT)
        .map_err(|e| GeoDbError::Internal(format!("setting name {DEFAULT_GROUP_COUNT}: {e}")))?;
    match effective_setting(db, Some(site), None, &name).await? {
        None => Ok(DEFAULT_GROUP_COUNT_FALLBACK),
        Some(s) => match s.value.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(GeoDbError::corrupt(format!("setting {DEFAULT_GROUP_COUNT} = {:?}", s.value))),
        },
    }
}

/// Groups of the site per backend (the backend they live on).
pub async fn group_counts(db: &dyn GeoDb, site: SiteId) -> Result<HashMap<BackendId, u64>> {
    let mut counts = HashMap::new();
    for group in all_groups(db, site).await? {
        *counts.entry(group.backend_id).or_default() += 1;
    }
    Ok(counts)
}

/// Every group of the site, page by page.
pub async fn all_groups(db: &dyn GeoDb, site: SiteId) -> Result<Vec<UserGroup>> {
    groups_where(db, site, &GroupFilter::default()).await
}

/// Every group of the site that `filter` keeps, page by page.
pub async fn groups_where(db: &dyn GeoDb, site: SiteId, filter: &GroupFilter) -> Result<Vec<UserGroup>> {
    let mut groups = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let p = db.list_groups(site, filter, &page).await?;
        groups.extend(p.items);
        match p.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(groups),
        }
    }
}

/// Every user of the site that `filter` keeps, page by page.
pub async fn users_where(db: &dyn GeoDb, site: SiteId, filter: &UserFilter) -> Result<Vec<User>> {
    let mut users = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let p = db.list_users(site, filter, &page).await?;
        users.extend(p.items);
        match p.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(users),
        }
    }
}

/// `doveadm cluster site init [--update]`: creates the missing `default-1..=count` groups,
/// spread over the site's backends by load factor. With `update`, first deletes every group of
/// the site and unassigns its users (they are re-assigned on their next login), refusing while
/// any group is moving. A move started while the update runs stops it with `GroupMoving` part
/// way; every step is repeatable, so running it again once the move is over completes it.
pub async fn init_site(db: &dyn GeoDb, site: SiteId, update: bool) -> Result<InitReport> {
    if db.get_site(site).await?.is_none() {
        return Err(GeoDbError::not_found("site", site));
    }
    let count = default_group_count(db, site).await?;
    let backends = db.list_backends(Some(site)).await?;
    let existing = all_groups(db, site).await?;
    if update && let Some(moving) = existing.iter().find(|g| g.is_moving()) {
        return Err(GeoDbError::Conflict(ConflictKind::GroupMoving { group: moving.name.to_string() }));
    }
    let wanted = |n: &u32| update || !existing.iter().any(|g| g.name == GroupName::default_n(*n));
    let missing: Vec<GroupName> = (1..=count).filter(wanted).map(GroupName::default_n).collect();
    // Decide placement before deleting anything, so a site without destinations is left as it was.
    let mut counts = HashMap::new();
    if !update {
        for g in &existing {
            *counts.entry(g.backend_id).or_default() += 1;
        }
    }
    let placed = spread_new_groups(missing, &backends, &mut counts)
        .ok_or(GeoDbError::Conflict(ConflictKind::NoDestinationBackend))?;

    let mut report = InitReport::default();
    if update {
        for g in &existing {
            db.delete_group(site, &g.name).await?;
            report.deleted += 1;
        }
        report.users_unassigned = unassign_users(db, site).await?;
    }
    for (name, backend) in placed {
        if db.insert_group(&UserGroup::new(site, name, backend)).await? {
            report.created += 1;
        }
    }
    tracing::info!(site = %site, update, created = report.created, deleted = report.deleted,
        users_unassigned = report.users_unassigned, "site initialised");
    Ok(report)
}

/// Clears the group of every user of the site; returns how many had one. Unassigned users sort
/// first, so users cleared on one page never reappear after the cursor.
async fn unassign_users(db: &dyn GeoDb, site: SiteId) -> Result<u64> {
    let mut unassigned = 0;
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let p = db.list_users(site, &UserFilter::default(), &page).await?;
        for user in p.items.iter().filter(|u| u.group.is_some() || u.is_moving()) {
            db.set_user_group(&user.name, None).await?;
            if user.group.is_some() {
                unassigned += 1;
            }
        }
        match p.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(unassigned),
        }
    }
}

/// What a proxy does on a user's first login: a user with a group keeps it; otherwise the user
/// gets its `default-N` group (created on demand), in its own site if it already exists, else
/// in `site`. Concurrent calls for one user converge on one row and one group.
pub async fn assign_user(db: &dyn GeoDb, site: SiteId, user: &UserName) -> Result<User> {
    let existing = db.get_user(user).await?;
    if let Some(u) = &existing
        && u.group.is_some()
    {
        return Ok(u.clone());
    }
    let site = existing.as_ref().map_or(site, |u| u.site_id);
    let group = default_group_for(user, default_group_count(db, site).await?);
    ensure_group(db, site, &group).await?;
    match existing {
        Some(_) => {
            db.set_user_group(user, Some(&group)).await?;
            db.get_user(user).await?.ok_or_else(|| GeoDbError::not_found("user", user))
        }
        None => {
            let new = User::new(user.clone(), site, group);
            if db.insert_user(&new).await? {
                return Ok(new);
            }
            // Another proxy inserted the user first; its row is the truth.
            db.get_user(user).await?.ok_or_else(|| GeoDbError::not_found("user", user))
        }
    }
}

/// Creates the group on the least loaded destination backend unless it exists. A concurrent
/// creator may win the insert; its placement stands.
async fn ensure_group(db: &dyn GeoDb, site: SiteId, group: &GroupName) -> Result<()> {
    if db.get_group(site, group).await?.is_some() {
        return Ok(());
    }
    let backends = db.list_backends(Some(site)).await?;
    let counts = group_counts(db, site).await?;
    let backend =
        backend_for_new_group(&backends, &counts).ok_or(GeoDbError::Conflict(ConflictKind::NoDestinationBackend))?;
    if db.insert_group(&UserGroup::new(site, group.clone(), backend)).await? {
        tracing::info!(site = %site, group = %group, backend = %backend, "group created on demand");
    }
    Ok(())
}
