//! Tags: a unique id and a unique name; a tag referenced by sites cannot be deleted.

use domain::{Tag, TagId, TagName};
use rusqlite::{Connection, TransactionBehavior, params};

use super::errors::{insert_unique, is_unique_violation};
use super::rows::{self, TAG_COLUMNS};
use crate::error::{ConflictKind, GeoDbError, Result};

pub(super) fn insert(c: &Connection, tag: &Tag) -> Result<()> {
    let id = tag.id.to_string();
    let result = c
        .prepare_cached("INSERT INTO tags (id, name) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![id, tag.name.as_str()]));
    insert_unique(result, "tag", &[("tags.name", tag.name.as_str()), ("tags.id", &id)])
}

pub(super) fn get(c: &Connection, id: TagId) -> Result<Option<Tag>> {
    rows::first(c, &format!("SELECT {TAG_COLUMNS} FROM tags WHERE id = ?1"), [id.to_string()], rows::tag)
}

pub(super) fn get_by_name(c: &Connection, name: &TagName) -> Result<Option<Tag>> {
    rows::first(c, &format!("SELECT {TAG_COLUMNS} FROM tags WHERE name = ?1"), [name.as_str()], rows::tag)
}

pub(super) fn list(c: &Connection) -> Result<Vec<Tag>> {
    rows::all(c, &format!("SELECT {TAG_COLUMNS} FROM tags ORDER BY name"), [], rows::tag)
}

pub(super) fn rename(c: &Connection, id: TagId, name: &TagName) -> Result<Tag> {
    let result = c
        .prepare_cached("UPDATE tags SET name = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.to_string(), name.as_str()]));
    match result {
        Ok(0) => Err(GeoDbError::not_found("tag", id)),
        Ok(_) => Ok(Tag { id, name: name.clone() }),
        Err(e) if is_unique_violation(&e, None) => Err(GeoDbError::already_exists("tag", name)),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn delete(c: &mut Connection, id: TagId) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id_text = id.to_string();
    if get(&tx, id)?.is_none() {
        return Err(GeoDbError::not_found("tag", id));
    }
    let sites: i64 =
        tx.prepare_cached("SELECT COUNT(*) FROM sites WHERE tag_id = ?1")?.query_row([&id_text], |r| r.get(0))?;
    if sites > 0 {
        return Err(GeoDbError::Conflict(ConflictKind::TagInUse { sites: sites.unsigned_abs() }));
    }
    tx.prepare_cached("DELETE FROM tags WHERE id = ?1")?.execute([&id_text])?;
    tx.commit()?;
    Ok(())
}
