//! Tags: the `tags` row is the truth, `tags_by_name` keeps names unique. A name claim is taken
//! before the row changes and dropped after, so a lookup by name always checks the row.

use domain::{Tag, TagId, TagName};
use uuid::Uuid;

use super::CqlGeoDb;
use super::exec::{MAX_RACES, claimed_insert, contention, release_claim};
use super::rows::{SiteRow, TagRow};
use crate::error::{ConflictKind, GeoDbError, Result};

impl CqlGeoDb {
    pub(super) async fn tag_insert(&self, tag: &Tag) -> Result<()> {
        let (id, name) = (tag.id.0, tag.name.as_str());
        claimed_insert(
            self.lwt(&self.st.tag_name_claim, (name, id)),
            |claim| Ok(claim.uuid("id")? == Some(id)),
            self.lwt(&self.st.tag_insert, (id, name)),
            self.lwt(&self.st.tag_name_release, (name, id)),
            || GeoDbError::already_exists("tag", name),
            || GeoDbError::already_exists("tag", id),
        )
        .await
    }

    pub(super) async fn tag_get(&self, id: TagId) -> Result<Option<Tag>> {
        self.fetch_one::<TagRow>(&self.st.tag_get, (id.0,)).await?.map(TagRow::into_model).transpose()
    }

    pub(super) async fn tag_get_by_name(&self, name: &TagName) -> Result<Option<Tag>> {
        let Some((Some(id),)) = self.fetch_one::<(Option<Uuid>,)>(&self.st.tag_by_name, (name.as_str(),)).await? else {
            return Ok(None);
        };
        Ok(self.tag_get(TagId(id)).await?.filter(|tag| &tag.name == name))
    }

    pub(super) async fn tag_list(&self) -> Result<Vec<Tag>> {
        let rows = self.scan::<TagRow>(&self.st.tag_all, ()).await?;
        let mut tags = rows.into_iter().map(TagRow::into_model).collect::<Result<Vec<_>>>()?;
        tags.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(tags)
    }

    pub(super) async fn tag_rename(&self, id: TagId, name: &TagName) -> Result<Tag> {
        for _ in 0..MAX_RACES {
            let current = self.tag_get(id).await?.ok_or_else(|| GeoDbError::not_found("tag", id))?;
            if &current.name == name {
                return Ok(current);
            }
            let claim = self.lwt(&self.st.tag_name_claim, (name.as_str(), id.0)).await?;
            if !claim.applied && claim.uuid("id")? != Some(id.0) {
                return Err(GeoDbError::already_exists("tag", name));
            }
            // Conditioned on the name we read, so two concurrent renames cannot both win.
            let update = self.lwt(&self.st.tag_rename, (name.as_str(), id.0, current.name.as_str())).await?;
            if update.applied {
                release_claim(self.lwt(&self.st.tag_name_release, (current.name.as_str(), id.0))).await;
                return Ok(Tag { id, name: name.clone() });
            }
            if claim.applied {
                release_claim(self.lwt(&self.st.tag_name_release, (name.as_str(), id.0))).await;
            }
            if update.text("name")?.is_none() {
                return Err(GeoDbError::not_found("tag", id));
            }
        }
        Err(contention("rename tag"))
    }

    pub(super) async fn tag_delete(&self, id: TagId) -> Result<()> {
        let current = self.tag_get(id).await?.ok_or_else(|| GeoDbError::not_found("tag", id))?;
        let sites = self.scan::<SiteRow>(&self.st.site_all, ()).await?;
        let users = sites.iter().filter(|site| site.tag == Some(id.0)).count() as u64;
        if users > 0 {
            return Err(GeoDbError::Conflict(ConflictKind::TagInUse { sites: users }));
        }
        if !self.lwt(&self.st.tag_delete, (id.0,)).await?.applied {
            return Err(GeoDbError::not_found("tag", id));
        }
        release_claim(self.lwt(&self.st.tag_name_release, (current.name.as_str(), id.0))).await;
        Ok(())
    }
}
