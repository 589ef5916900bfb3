//! The handle itself: it answers pings, names its kind, and two handles share one database.

use domain::{Tag, TagId};

use super::{TestDb, add_site, tag_name};

pub async fn ping_and_kind(t: &TestDb) {
    t.db.ping().await.unwrap();
    t.other.ping().await.unwrap();
    assert!(["sqlite", "cql"].contains(&t.db.kind()), "unexpected kind {}", t.db.kind());
    assert_eq!(t.db.kind(), t.other.kind());
}

pub async fn writes_are_visible_to_the_other_handle(t: &TestDb) {
    let site = add_site(&*t.db, "visible").await;
    assert_eq!(t.other.get_site(site.id).await.unwrap(), Some(site.clone()));
    let tag = Tag { id: TagId::random(), name: tag_name("shared") };
    t.other.insert_tag(&tag).await.unwrap();
    assert_eq!(t.db.get_tag(tag.id).await.unwrap(), Some(tag));
    t.other.delete_site(site.id).await.unwrap();
    assert_eq!(t.db.get_site(site.id).await.unwrap(), None);
}
