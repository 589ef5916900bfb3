//! `GeoDb` for the CQL backend: each method hands over to the area module that owns its tables.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    Backend, BackendId, GroupName, HostName, ProxyDestStat, Setting, SettingName, SettingScope, Site, SiteId, SiteName,
    SiteReachability, Tag, TagId, TagName, TokenRecord, User, UserGroup, UserName,
};
use uuid::Uuid;

use super::CqlGeoDb;
use crate::error::Result;
use crate::store::{
    BackendUpdate, GeoDb, GroupFilter, GroupFlags, MoveOutcome, Page, PageRequest, SiteUpdate, UserFilter,
    UserMoveOutcome,
};

#[async_trait]
impl GeoDb for CqlGeoDb {
    fn kind(&self) -> &'static str {
        "cql"
    }

    async fn ping(&self) -> Result<()> {
        self.run(&self.st.ping, ()).await
    }

    async fn insert_tag(&self, tag: &Tag) -> Result<()> {
        self.tag_insert(tag).await
    }
    async fn get_tag(&self, id: TagId) -> Result<Option<Tag>> {
        self.tag_get(id).await
    }
    async fn get_tag_by_name(&self, name: &TagName) -> Result<Option<Tag>> {
        self.tag_get_by_name(name).await
    }
    async fn list_tags(&self) -> Result<Vec<Tag>> {
        self.tag_list().await
    }
    async fn rename_tag(&self, id: TagId, name: &TagName) -> Result<Tag> {
        self.tag_rename(id, name).await
    }
    async fn delete_tag(&self, id: TagId) -> Result<()> {
        self.tag_delete(id).await
    }

    async fn insert_site(&self, site: &Site) -> Result<()> {
        self.site_insert(site).await
    }
    async fn get_site(&self, id: SiteId) -> Result<Option<Site>> {
        self.site_get(id).await
    }
    async fn get_site_by_name(&self, name: &SiteName) -> Result<Option<Site>> {
        self.site_get_by_name(name).await
    }
    async fn list_sites(&self) -> Result<Vec<Site>> {
        self.site_list().await
    }
    async fn update_site(&self, id: SiteId, update: &SiteUpdate) -> Result<Site> {
        self.site_update(id, update).await
    }
    async fn delete_site(&self, id: SiteId) -> Result<()> {
        self.site_delete(id).await
    }

    async fn insert_backend(&self, backend: &Backend) -> Result<()> {
        self.backend_insert(backend).await
    }
    async fn get_backend(&self, id: BackendId) -> Result<Option<Backend>> {
        self.backend_get(id).await
    }
    async fn get_backend_by_host(&self, host: &HostName) -> Result<Option<Backend>> {
        self.backend_get_by_host(host).await
    }
    async fn list_backends(&self, site: Option<SiteId>) -> Result<Vec<Backend>> {
        self.backend_list(site).await
    }
    async fn update_backend(&self, id: BackendId, update: &BackendUpdate) -> Result<Backend> {
        self.backend_update(id, update).await
    }
    async fn delete_backend(&self, id: BackendId) -> Result<()> {
        self.backend_delete(id).await
    }

    async fn insert_group(&self, group: &UserGroup) -> Result<bool> {
        self.group_insert(group).await
    }
    async fn get_group(&self, site: SiteId, name: &GroupName) -> Result<Option<UserGroup>> {
        self.group_get(site, name).await
    }
    async fn list_groups(&self, site: SiteId, filter: &GroupFilter, page: &PageRequest) -> Result<Page<UserGroup>> {
        self.group_list(site, filter, page).await
    }
    async fn update_group_flags(&self, site: SiteId, name: &GroupName, flags: &GroupFlags) -> Result<UserGroup> {
        self.group_update_flags(site, name, flags).await
    }
    async fn delete_group(&self, site: SiteId, name: &GroupName) -> Result<()> {
        self.group_delete(site, name).await
    }
    async fn start_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        expected_backend: BackendId,
        destination: BackendId,
        marker: &str,
    ) -> Result<MoveOutcome> {
        self.move_start(site, name, expected_backend, destination, marker).await
    }
    async fn finish_group_move(
        &self,
        site: SiteId,
        name: &GroupName,
        marker: &str,
        at: DateTime<Utc>,
    ) -> Result<MoveOutcome> {
        self.move_finish(site, name, marker, at).await
    }
    async fn abort_group_move(&self, site: SiteId, name: &GroupName, marker: &str) -> Result<MoveOutcome> {
        self.move_abort(site, name, marker).await
    }

    async fn insert_user(&self, user: &User) -> Result<bool> {
        self.user_insert(user).await
    }
    async fn get_user(&self, name: &UserName) -> Result<Option<User>> {
        self.user_get(name).await
    }
    async fn list_users(&self, site: SiteId, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
        self.user_list(site, filter, page).await
    }
    async fn delete_user(&self, name: &UserName) -> Result<bool> {
        self.user_delete(name).await
    }
    async fn set_user_group(&self, name: &UserName, group: Option<&GroupName>) -> Result<()> {
        self.user_set_group(name, group).await
    }
    async fn start_user_move(
        &self,
        name: &UserName,
        expected_group: &GroupName,
        dest_site: SiteId,
        dest_group: &GroupName,
        dest_failover_group: Option<&GroupName>,
    ) -> Result<UserMoveOutcome> {
        self.user_move_start(name, expected_group, dest_site, dest_group, dest_failover_group).await
    }
    async fn finish_user_move(&self, name: &UserName) -> Result<UserMoveOutcome> {
        self.user_move_finish(name).await
    }
    async fn abort_user_move(&self, name: &UserName) -> Result<UserMoveOutcome> {
        self.user_move_abort(name).await
    }

    async fn upsert_stats(&self, rows: &[ProxyDestStat]) -> Result<()> {
        self.stats_upsert(rows).await
    }
    async fn read_stats(&self, site: SiteId, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<ProxyDestStat>> {
        self.stats_read(site, since, until).await
    }

    async fn put_setting(&self, setting: &Setting) -> Result<()> {
        self.setting_put(setting).await
    }
    async fn get_setting(&self, scope: SettingScope, name: &SettingName) -> Result<Option<Setting>> {
        self.setting_get(scope, name).await
    }
    async fn delete_setting(&self, scope: SettingScope, name: &SettingName) -> Result<bool> {
        self.setting_delete(scope, name).await
    }
    async fn list_settings(&self, scope: Option<SettingScope>) -> Result<Vec<Setting>> {
        self.setting_list(scope).await
    }

    async fn put_site_reachability(&self, row: &SiteReachability) -> Result<()> {
        self.reachability_put(row).await
    }
    async fn list_site_reachability(&self, src: Option<SiteId>, dest: Option<SiteId>) -> Result<Vec<SiteReachability>> {
        self.reachability_list(src, dest).await
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<()> {
        self.token_insert(token).await
    }
    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>> {
        self.token_find(secret_hash).await
    }
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.token_list().await
    }
    async fn delete_token(&self, id: Uuid) -> Result<bool> {
        self.token_delete(id).await
    }
}
