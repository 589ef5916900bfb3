//! Tags: unique ids and names, renames, and deletion refused while sites use the tag.

use domain::{Tag, TagId};
use geodb::{ConflictKind, GeoDbError, SiteUpdate};

use super::{TestDb, add_site, tag_name};

pub async fn crud_and_sorting(t: &TestDb) {
    let db = &*t.db;
    let beta = Tag { id: TagId::random(), name: tag_name("beta") };
    let alpha = Tag { id: TagId::random(), name: tag_name("alpha") };
    let gamma = Tag { id: TagId::random(), name: tag_name("gamma") };
    for tag in [&beta, &gamma, &alpha] {
        db.insert_tag(tag).await.unwrap();
    }
    assert_eq!(db.get_tag(alpha.id).await.unwrap(), Some(alpha.clone()));
    assert_eq!(db.get_tag_by_name(&beta.name).await.unwrap(), Some(beta.clone()));
    assert_eq!(db.get_tag(TagId::random()).await.unwrap(), None);
    assert_eq!(db.get_tag_by_name(&tag_name("delta")).await.unwrap(), None);
    assert_eq!(db.list_tags().await.unwrap(), vec![alpha.clone(), beta.clone(), gamma.clone()]);

    let same_name = Tag { id: TagId::random(), name: alpha.name.clone() };
    assert_matches!(db.insert_tag(&same_name).await, Err(GeoDbError::AlreadyExists { entity: "tag", .. }));
    let same_id = Tag { id: alpha.id, name: tag_name("epsilon") };
    assert_matches!(t.other.insert_tag(&same_id).await, Err(GeoDbError::AlreadyExists { entity: "tag", .. }));
    assert_eq!(db.get_tag_by_name(&tag_name("epsilon")).await.unwrap(), None);

    db.delete_tag(beta.id).await.unwrap();
    assert_eq!(db.get_tag(beta.id).await.unwrap(), None);
    assert_eq!(db.get_tag_by_name(&beta.name).await.unwrap(), None);
    assert_matches!(db.delete_tag(beta.id).await, Err(GeoDbError::NotFound { entity: "tag", .. }));
    assert_eq!(db.list_tags().await.unwrap(), vec![alpha, gamma]);
}

pub async fn rename_and_conflicts(t: &TestDb) {
    let db = &*t.db;
    let one = Tag { id: TagId::random(), name: tag_name("one") };
    let two = Tag { id: TagId::random(), name: tag_name("two") };
    db.insert_tag(&one).await.unwrap();
    db.insert_tag(&two).await.unwrap();

    let renamed = db.rename_tag(one.id, &tag_name("uno")).await.unwrap();
    assert_eq!(renamed, Tag { id: one.id, name: tag_name("uno") });
    assert_eq!(db.get_tag(one.id).await.unwrap(), Some(renamed.clone()));
    assert_eq!(db.get_tag_by_name(&tag_name("uno")).await.unwrap(), Some(renamed.clone()));
    assert_eq!(db.get_tag_by_name(&tag_name("one")).await.unwrap(), None);
    // The old name is free again.
    db.insert_tag(&Tag { id: TagId::random(), name: tag_name("one") }).await.unwrap();

    assert_matches!(db.rename_tag(one.id, &two.name).await, Err(GeoDbError::AlreadyExists { entity: "tag", .. }));
    assert_eq!(db.get_tag(one.id).await.unwrap(), Some(renamed.clone()));
    assert_eq!(db.get_tag_by_name(&two.name).await.unwrap(), Some(two.clone()));
    assert_matches!(
        db.rename_tag(TagId::random(), &tag_name("nobody")).await,
        Err(GeoDbError::NotFound { entity: "tag", .. })
    );
    // Renaming to its own name is not a conflict.
    assert_eq!(db.rename_tag(two.id, &two.name).await.unwrap(), two);
}

pub async fn in_use_cannot_be_deleted(t: &TestDb) {
    let db = &*t.db;
    let tag = Tag { id: TagId::random(), name: tag_name("eu") };
    db.insert_tag(&tag).await.unwrap();
    let a = add_site(db, "a").await;
    let b = add_site(db, "b").await;
    let with_tag = SiteUpdate { tag: Some(Some(tag.id)), ..SiteUpdate::default() };
    db.update_site(a.id, &with_tag).await.unwrap();
    db.update_site(b.id, &with_tag).await.unwrap();

    assert_matches!(db.delete_tag(tag.id).await, Err(GeoDbError::Conflict(ConflictKind::TagInUse { sites: 2 })));
    db.update_site(a.id, &SiteUpdate { tag: Some(None), ..SiteUpdate::default() }).await.unwrap();
    assert_matches!(t.other.delete_tag(tag.id).await, Err(GeoDbError::Conflict(ConflictKind::TagInUse { sites: 1 })));
    db.delete_site(b.id).await.unwrap();
    db.delete_tag(tag.id).await.unwrap();
    assert_eq!(db.get_tag(tag.id).await.unwrap(), None);
}
