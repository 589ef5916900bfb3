//! The storage contract every GeoDB backend implements, and the small types it speaks in.
//! Methods are storage primitives: reads, plain writes, and the conditional writes that make
//! concurrent controllers, proxies and backends safe. Lists are sorted by their key.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    Backend, BackendId, BackendStatus, GroupMask, GroupName, HostName, LoadFactor, ProxyDestStat, Setting, SettingName,
    SettingScope, Site, SiteId, SiteName, SiteReachability, SiteStatus, Tag, TagId, TagName, TokenRecord, User,
    UserGroup, UserName,
};
use uuid::Uuid;

use crate::error::Result;

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 1000;

    pub fn first(limit: u32) -> Self {
        Self { cursor: None, limit }
    }
}

/// One page of a listing; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` items read in order: the extra item only proves that
    /// more exist, and the cursor is the key of the last item kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor_of)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// The cursor of a group listing.
pub fn group_cursor(group: &UserGroup) -> String {
    crate::cursor::encode(&[group.name.as_str()])
}

/// The cursor of a user listing: (group or "" when unassigned, name).
pub fn user_cursor(user: &User) -> String {
    crate::cursor::encode(&[user.group.as_ref().map_or("", |g| g.as_str()), user.name.as_str()])
}

/// Filters for listing a site's groups.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub mask: Option<GroupMask>,
    pub backend: Option<BackendId>,
}

/// Filters for listing a site's users. Users are listed ordered by (group, name), unassigned
/// users (no group) first.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub group: Option<GroupName>,
}

/// A partial update of a site; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteUpdate {
    pub status: Option<SiteStatus>,
    /// `Some(None)` clears the load balancer.
    pub load_balancer: Option<Option<HostName>>,
    /// `Some(None)` clears the tag.
    pub tag: Option<Option<TagId>>,
    pub name: Option<SiteName>,
}

/// A partial update of a backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendUpdate {
    pub status: Option<BackendStatus>,
    pub load_factor: Option<LoadFactor>,
}

/// A partial update of a group's flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFlags {
    pub sticky_users: Option<bool>,
    pub sticky_backend: Option<bool>,
}

/// The result of a conditional group-move write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The write happened; the group as it is now.
    Applied(UserGroup),
    /// The condition did not hold; nothing was written. The group as it is now, if it exists.
    Refused { reason: MoveRefusal, current: Option<UserGroup> },
}

/// Why a conditional group-move write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveRefusal {
    GroupNotFound,
    AlreadyMoving,
    NotOnExpectedBackend,
    /// Finishing or aborting: the group is not moving.
    NotMoving,
    /// Finishing or aborting: another move (another marker) owns the group.
    MarkerMismatch,
}

impl fmt::Display for MoveRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GroupNotFound => "group not found",
            Self::AlreadyMoving => "group is already moving",
            Self::NotOnExpectedBackend => "group is not on the expected backend",
            Self::NotMoving => "group is not moving",
            Self::MarkerMismatch => "group is moving under another marker",
        })
    }
}

/// The result of a conditional user-move write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserMoveOutcome {
    Applied(User),
    Refused { reason: UserMoveRefusal, current: Option<User> },
}

/// Why a conditional user-move write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMoveRefusal {
    UserNotFound,
    AlreadyMoving,
    /// The user is not in the group (and site) the caller expected.
    NotInExpectedGroup,
    /// Finishing or aborting: the user is not moving.
    NotMoving,
}

impl fmt::Display for UserMoveRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UserNotFound => "user not found",
            Self::AlreadyMoving => "user is already moving",
            Self::NotInExpectedGroup => "user is not in the expected group",
            Self::NotMoving => "user is not moving",
        })
    }
}

/// GeoDB storage. Implementations must be safe to use from several processes at once.
#[async_trait]
pub trait GeoDb: Send + Sync + fmt::Debug {
    /// `"sqlite"` or `"cql"`, for logs and `/readyz`.
    fn kind(&self) -> &'static str;
    /// A cheap round trip; fails with `Unavailable` when the database cannot serve.
    async fn ping(&self) -> Result<()>;

    // --- tags
    /// `AlreadyExists` when the id or the name is taken.
    async fn insert_tag(&self, tag: &Tag) -> Result<()>;
    async fn get_tag(&self, id: TagId) -> Result<Option<Tag>>;
    async fn get_tag_by_name(&self, name: &TagName) -> Result<Option<Tag>>;
    async fn list_tags(&self) -> Result<Vec<Tag>>;
    /// `NotFound`, or `AlreadyExists` when another tag has the name.
    async fn rename_tag(&self, id: TagId, name: &TagName) -> Result<Tag>;
    /// `NotFound`, or `Conflict(TagInUse)` while sites reference it.
    async fn delete_tag(&self, id: TagId) -> Result<()>;

    // --- sites
    /// `AlreadyExists` when the id or the name is taken.
    async fn insert_site(&self, site: &Site) -> Result<()>;
    async fn get_site(&self, id: SiteId) -> Result<Option<Site>>;
    async fn get_site_by_name(&self, name: &SiteName) -> Result<Option<Site>>;
    async fn list_sites(&self) -> Result<Vec<Site>>;
    /// `NotFound`; `AlreadyExists` on a rename to a taken name.
    async fn update_site(&self, id: SiteId, update: &SiteUpdate) -> Result<Site>;
    /// `NotFound`, or `Conflict(SiteNotEmpty)` while backends or users remain. Removes the
    /// site's settings and reachability rows with it.
    async fn delete_site(&self, id: SiteId) -> Result<()>;

    // --- backends
    /// `NotFound` for an unknown site; `AlreadyExists` when the id or host is taken.
    async fn insert_backend(&self, backend: &Backend) -> Result<()>;
    async fn get_backend(&self, id: BackendId) -> Result<Option<Backend>>;
    async fn get_backend_by_host(&self, host: &HostName) -> Result<Option<Backend>>;
    /// All backends, or one site's; sorted by host.
    async fn list_backends(&self, site: Option<SiteId>) -> Result<Vec<Backend>>;
    async fn update_backend(&self, id: BackendId, update: &BackendUpdate) -> Result<Backend>;
    /// `NotFound`, or `Conflict(BackendInUse)` while groups live on or move to it. Removes the
    /// backend's settings with it.
    async fn delete_backend(&self, id: BackendId) -> Result<()>;

    // --- user groups
    /// Inserts if no group of that name exists in the site; `false` when one did (unchanged).
    async fn insert_group(&self, group: &UserGroup) -> Result<bool>;
    async fn get_group(&self, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>>;
    /// Sorted by name.
    async fn list_groups(&self, site: SiteId, filter: &GroupFilter, page: &PageRequest) -> Result<Page<UserGroup>>;
    /// `NotFound` for an unknown group.
    async fn update_group_flags(&self, site: SiteId, name: &GroupName, flags: &GroupFlags) -> Result<UserGroup>;
    /// `NotFound`, or `Conflict(GroupMoving)` while it moves.
    async fn delete_group(&self, site: SiteId, name: &GroupName) -> Result<()>;
    /// Starts a move only if the group is not moving and is on `expected_backend`: sets
    /// `alt_backend_id = destination` and `moving = marker` in one conditional write.
    async fn start_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        expected_backend: BackendId,
        destination: BackendId,
        marker: &str,
    ) -> Result<MoveOutcome>;
    /// Finishes the move owned by `marker`: `backend_id` becomes the destination,
    /// `alt_backend_id` the previous backend, `moving` is cleared, `last_moved_at = at`.
    async fn finish_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        marker: &str,
        at: DateTime<Utc>,
    ) -> Result<MoveOutcome>;
    /// Abandons the move owned by `marker`: `moving` and `alt_backend_id` are cleared.
    async fn abort_group_move(&self, site: SiteId, name: &GroupName, marker: &str) -> Result<MoveOutcome>;

    // --- users
    /// Inserts if the user does not exist; `false` when it did (unchanged).
    async fn insert_user(&self, user: &User) -> Result<bool>;
    async fn get_user(&self, name: &UserName) -> Result<Option<User>>;
    async fn list_users(&self, site: SiteId, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>>;
    /// `false` when there was no such user.
    async fn delete_user(&self, name: &UserName) -> Result<bool>;
    /// Sets or clears the user's group (and clears any move in progress). `NotFound` for an
    /// unknown user.
    async fn set_user_group(&self, name: &UserName, group: Option<&GroupName>) -> Result<()>;

    /// Starts moving a user to `dest_group` of `dest_site` only if the user is not moving and is
    /// in `expected_group` of its current site: sets the `moving_*` fields in one conditional
    /// write (`doveadm cluster user move`). Finished by a user access on the source backend.
    async fn start_user_move(
        &self,
        name: &UserName,
        expected_group: &GroupName,
        dest_site: SiteId,
        dest_group: &GroupName,
        dest_failover_group: Option<&GroupName>,
    ) -> Result<UserMoveOutcome>;
    /// Finishes the user's move: site, group and failover group become the `moving_*` values,
    /// which are cleared. Refused (`NotMoving`) when there is no move.
    async fn finish_user_move(&self, name: &UserName) -> Result<UserMoveOutcome>;
    /// Abandons the user's move: the `moving_*` fields are cleared.
    async fn abort_user_move(&self, name: &UserName) -> Result<UserMoveOutcome>;

    // --- proxy destination statistics
    /// Writes each row, replacing the row with the same (site, proxy, backend, protocol,
    /// window_start).
    async fn upsert_stats(&self, rows: &[ProxyDestStat]) -> Result<()>;
    /// Rows of the site with `since <= window_start < until`.
    async fn read_stats(&self, site: SiteId, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<ProxyDestStat>>;

    // --- cluster settings
    async fn put_setting(&self, setting: &Setting) -> Result<()>;
    async fn get_setting(&self, scope: SettingScope, name: &SettingName) -> Result<Option<Setting>>;
    /// `false` when there was no such setting.
    async fn delete_setting(&self, scope: SettingScope, name: &SettingName) -> Result<bool>;
    /// All settings, or one scope's; sorted by (scope, name).
    async fn list_settings(&self, scope: Option<SettingScope>) -> Result<Vec<Setting>>;

    // --- site reachability
    async fn put_site_reachability(&self, row: &SiteReachability) -> Result<()>;
    async fn list_site_reachability(&self, src: Option<SiteId>, dest: Option<SiteId>) -> Result<Vec<SiteReachability>>;

    // --- API tokens (hashed)
    /// `AlreadyExists` when the id or hash is taken.
    async fn insert_token(&self, token: &TokenRecord) -> Result<()>;
    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>>;
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>>;
    async fn delete_token(&self, id: Uuid) -> Result<bool>;
}
