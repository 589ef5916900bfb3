//! `GeoDb` for SQLite: each method moves its (owned) arguments onto a pooled connection and
//! calls the area module that holds the SQL. No logic lives here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    Backend, BackendId, GroupName, HostName, ProxyDestStat, Setting, SettingName, SettingScope, Site, SiteId, SiteName,
    SiteReachability, Tag, TagId, TagName, TokenRecord, User, UserGroup, UserName,
};
use uuid::Uuid;

use super::{SqliteGeoDb, backends, groups, misc, moves, sites, tags, users};
use crate::error::{GeoDbError, Result};
use crate::store::{
    BackendUpdate, GeoDb, GroupFilter, GroupFlags, MoveOutcome, Page, PageRequest, SiteUpdate, UserFilter,
    UserMoveOutcome,
};

#[async_trait]
impl GeoDb for SqliteGeoDb {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        // Reads a table, so a database locked by another process fails the ping.
        self.pool.run(|c| Ok(c.query_row("SELECT COUNT(*) FROM schema_migrations", [], |_| Ok(()))?)).await
    }

    async fn insert_tag(&self, tag: &Tag) -> Result<()> {
        let tag = tag.clone();
        self.pool.run(move |c| tags::insert(c, &tag)).await
    }
    async fn get_tag(&self, id: TagId) -> Result<Option<Tag>> {
        self.pool.run(move |c| tags::get(c, id)).await
    }
    async fn get_tag_by_name(&self, name: &TagName) -> Result<Option<Tag>> {
        let name = name.clone();
        self.pool.run(move |c| tags::get_by_name(c, &name)).await
    }
    async fn list_tags(&self) -> Result<Vec<Tag>> {
        self.pool.run(|c| tags::list(c)).await
    }
    async fn rename_tag(&self, id: TagId, name: &TagName) -> Result<Tag> {
        let name = name.clone();
        self.pool.run(move |c| tags::rename(c, id, &name)).await
    }
    async fn delete_tag(&self, id: TagId) -> Result<()> {
        self.pool.run(move |c| tags::delete(c, id)).await
    }

    async fn insert_site(&self, site: &Site) -> Result<()> {
        let site = site.clone();
        self.pool.run(move |c| sites::insert(c, &site)).await
    }
    async fn get_site(&self, id: SiteId) -> Result<Option<Site>> {
        self.pool.run(move |c| sites::get(c, id)).await
    }
    async fn get_site_by_name(&self, name: &SiteName) -> Result<Option<Site>> {
        let name = name.clone();
        self.pool.run(move |c| sites::get_by_name(c, &name)).await
    }
    async fn list_sites(&self) -> Result<Vec<Site>> {
        self.pool.run(|c| sites::list(c)).await
    }
    async fn update_site(&self, id: SiteId, update: &SiteUpdate) -> Result<Site> {
        let update = update.clone();
        self.pool.run(move |c| sites::update(c, id, &update)).await
    }
    async fn delete_site(&self, id: SiteId) -> Result<()> {
        self.pool.run(move |c| sites::delete(c, id)).await
    }

    async fn insert_backend(&self, backend: &Backend) -> Result<()> {
        let backend = backend.clone();
        self.pool.run(move |c| backends::insert(c, &backend)).await
    }
    async fn get_backend(&self, id: BackendId) -> Result<Option<Backend>> {
        self.pool.run(move |c| backends::get(c, id)).await
    }
    async fn get_backend_by_host(&self, host: &HostName) -> Result<Option<Backend>> {
        let host = host.clone();
        self.pool.run(move |c| backends::get_by_host(c, &host)).await
    }
    async fn list_backends(&self, site: Option<SiteId>) -> Result<Vec<Backend>> {
        self.pool.run(move |c| backends::list(c, site)).await
    }
    async fn update_backend(&self, id: BackendId, update: &BackendUpdate) -> Result<Backend> {
        let update = update.clone();
        self.pool.run(move |c| backends::update(c, id, &update)).await
    }
    async fn delete_backend(&self, id: BackendId) -> Result<()> {
        self.pool.run(move |c| backends::delete(c, id)).await
    }

    async fn insert_group(&self, group: &UserGroup) -> Result<bool> {
        let group = group.clone();
        self.pool.run(move |c| groups::insert(c, &group)).await
    }
    async fn get_group(&self, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>> {
        let name = name.clone();
        self.pool.run(move |c| groups::get(c, site, &name)).await
    }
    async fn list_groups(&self, site: SiteId, filter: &GroupFilter, page: &PageRequest) -> Result<Page<UserGroup>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.pool.run(move |c| groups::list(c, site, &filter, &page)).await
    }
    async fn update_group_flags(&self, site: SiteId, name: &GroupName, flags: &GroupFlags) -> Result<UserGroup> {
        let (name, flags) = (name.clone(), flags.clone());
        self.pool.run(move |c| groups::update_flags(c, site, &name, &flags)).await
    }
    async fn delete_group(&self, site: SiteId, name: &GroupName) -> Result<()> {
        let name = name.clone();
        self.pool.run(move |c| groups::delete(c, site, &name)).await
    }
    async fn start_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        expected_backend: BackendId,
        destination: BackendId,
        marker: &str,
    ) -> Result<MoveOutcome> {
        if marker.is_empty() {
            // An empty marker would read as "not moving" to the CQL backend.
            return Err(GeoDbError::Internal("a move marker must not be empty".into()));
        }
        let (name, marker) = (name.clone(), marker.to_owned());
        self.pool.run(move |c| moves::start(c, site, &name, expected_backend, destination, &marker)).await
    }
    async fn finish_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        marker: &str,
        at: DateTime<Utc>,
    ) -> Result<MoveOutcome> {
        let (name, marker) = (name.clone(), marker.to_owned());
        self.pool.run(move |c| moves::finish(c, site, &name, &marker, at)).await
    }
    async fn abort_group_move(&self, site: SiteId, name: &GroupName, marker: &str) -> Result<MoveOutcome> {
        let (name, marker) = (name.clone(), marker.to_owned());
        self.pool.run(move |c| moves::abort(c, site, &name, &marker)).await
    }

    async fn insert_user(&self, user: &User) -> Result<bool> {
        let user = user.clone();
        self.pool.run(move |c| users::insert(c, &user)).await
    }
    async fn get_user(&self, name: &UserName) -> Result<Option<User>> {
        let name = name.clone();
        self.pool.run(move |c| users::get(c, &name)).await
    }
    async fn list_users(&self, site: SiteId, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.pool.run(move |c| users::list(c, site, &filter, &page)).await
    }
    async fn delete_user(&self, name: &UserName) -> Result<bool> {
        let name = name.clone();
        self.pool.run(move |c| users::delete(c, &name)).await
    }
    async fn set_user_group(&self, name: &UserName, group: Option<&GroupName>) -> Result<()> {
        let (name, group) = (name.clone(), group.cloned());
        self.pool.run(move |c| users::set_group(c, &name, group.as_ref())).await
    }
    async fn start_user_move(
        &self,
        name: &UserName,
        expected_group: &GroupName,
        dest_site: SiteId,
        dest_group: &GroupName,
        dest_failover_group: Option<&GroupName>,
    ) -> Result<UserMoveOutcome> {
        let (name, expected_group, dest_group, dest_failover_group) =
            (name.clone(), expected_group.clone(), dest_group.clone(), dest_failover_group.cloned());
        self.pool
            .run(move |c| {
                users::start_move(c, &name, &expected_group, dest_site, &dest_group, dest_failover_group.as_ref())
            })
            .await
    }
    async fn finish_user_move(&self, name: &UserName) -> Result<UserMoveOutcome> {
        let name = name.clone();
        self.pool.run(move |c| users::finish_move(c, &name)).await
    }
    async fn abort_user_move(&self, name: &UserName) -> Result<UserMoveOutcome> {
        let name = name.clone();
        self.pool.run(move |c| users::abort_move(c, &name)).await
    }

    async fn upsert_stats(&self, rows: &[ProxyDestStat]) -> Result<()> {
        let rows = rows.to_vec();
        self.pool.run(move |c| misc::upsert_stats(c, &rows)).await
    }
    async fn read_stats(&self, site: SiteId, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<ProxyDestStat>> {
        self.pool.run(move |c| misc::read_stats(c, site, since, until)).await
    }

    async fn put_setting(&self, setting: &Setting) -> Result<()> {
        let setting = setting.clone();
        self.pool.run(move |c| misc::put_setting(c, &setting)).await
    }
    async fn get_setting(&self, scope: SettingScope, name: &SettingName) -> Result<Option<Setting>> {
        let name = name.clone();
        self.pool.run(move |c| misc::get_setting(c, scope, &name)).await
    }
    async fn delete_setting(&self, scope: SettingScope, name: &SettingName) -> Result<bool> {
        let name = name.clone();
        self.pool.run(move |c| misc::delete_setting(c, scope, &name)).await
    }
    async fn list_settings(&self, scope: Option<SettingScope>) -> Result<Vec<Setting>> {
        self.pool.run(move |c| misc::list_settings(c, scope)).await
    }

    async fn put_site_reachability(&self, row: &SiteReachability) -> Result<()> {
        let row = row.clone();
        self.pool.run(move |c| misc::put_reachability(c, &row)).await
    }
    async fn list_site_reachability(&self, src: Option<SiteId>, dest: Option<SiteId>) -> Result<Vec<SiteReachability>> {
        self.pool.run(move |c| misc::list_reachability(c, src, dest)).await
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<()> {
        let token = token.clone();
        self.pool.run(move |c| misc::insert_token(c, &token)).await
    }
    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>> {
        let secret_hash = secret_hash.to_owned();
        self.pool.run(move |c| misc::find_token(c, &secret_hash)).await
    }
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.pool.run(|c| misc::list_tokens(c)).await
    }
    async fn delete_token(&self, id: Uuid) -> Result<bool> {
        self.pool.run(move |c| misc::delete_token(c, id)).await
    }
}
