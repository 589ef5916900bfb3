//! Cluster settings (one partition per scope) and site reachability (one partition per source
//! site). Both tables are small, so listing everything scans; order is always made in Rust,
//! because CQL orders uuids by version and time, not by their bytes.

use domain::{Setting, SettingName, SettingScope, SiteId, SiteReachability};

use super::CqlGeoDb;
use super::rows::{ReachabilityRow, SettingRow, scope_key, to_timestamp};
use crate::error::Result;

impl CqlGeoDb {
    pub(super) async fn setting_put(&self, setting: &Setting) -> Result<()> {
        let (kind, id) = scope_key(setting.scope);
        self.run(&self.st.setting_put, (kind, id, setting.name.as_str(), setting.value.as_str())).await
    }

    pub(super) async fn setting_get(&self, scope: SettingScope, name: &SettingName) -> Result<Option<Setting>> {
        let (kind, id) = scope_key(scope);
        let row = self.fetch_one::<SettingRow>(&self.st.setting_get, (kind, id, name.as_str())).await?;
        row.map(SettingRow::into_model).transpose()
    }

    pub(super) async fn setting_delete(&self, scope: SettingScope, name: &SettingName) -> Result<bool> {
        let (kind, id) = scope_key(scope);
        Ok(self.lwt(&self.st.setting_delete, (kind, id, name.as_str())).await?.applied)
    }

    pub(super) async fn setting_list(&self, scope: Option<SettingScope>) -> Result<Vec<Setting>> {
        let rows = match scope {
            Some(scope) => self.scan::<SettingRow>(&self.st.setting_scope, scope_key(scope)).await?,
            None => self.scan::<SettingRow>(&self.st.setting_all, ()).await?,
        };
        let mut settings = rows.into_iter().map(SettingRow::into_model).collect::<Result<Vec<_>>>()?;
        settings.sort_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
        Ok(settings)
    }

    pub(super) async fn reachability_put(&self, row: &SiteReachability) -> Result<()> {
        let values = (row.src_site_id.0, row.dest_site_id.0, row.reachable, to_timestamp(row.updated_at));
        self.run(&self.st.reach_put, values).await
    }

    pub(super) async fn reachability_list(
        &self,
        src: Option<SiteId>,
        dest: Option<SiteId>,
    ) -> Result<Vec<SiteReachability>> {
        let rows = match src {
            Some(src) => self.scan::<ReachabilityRow>(&self.st.reach_src, (src.0,)).await?,
            None => self.scan::<ReachabilityRow>(&self.st.reach_all, ()).await?,
        };
        let mut list = rows
            .into_iter()
            .filter(|row| dest.is_none_or(|d| d.0 == row.dest_site_id))
            .map(ReachabilityRow::into_model)
            .collect::<Result<Vec<_>>>()?;
        list.sort_by_key(|r| (r.src_site_id, r.dest_site_id));
        Ok(list)
    }
}
