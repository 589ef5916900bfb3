//! API tokens: stored by hash, unique by id and hash, listed by creation time.

use chrono::Duration;
use domain::{Role, TokenRecord};
use geodb::GeoDbError;
use uuid::Uuid;

use super::{TestDb, now};

pub async fn crud_and_order(t: &TestDb) {
    let db = &*t.db;
    let t0 = now();
    let token = |name: &str, role, hash: &str, created_at| TokenRecord {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        role,
        secret_hash: hash.to_owned(),
        created_at,
    };
    let late = token("late", Role::Viewer, "hash-late", t0 + Duration::seconds(10));
    let early = token("early", Role::Admin, "hash-early", t0);
    let (mut twin_a, mut twin_b) = (
        token("twin-a", Role::Operator, "hash-a", t0 + Duration::seconds(5)),
        token("twin-b", Role::Viewer, "hash-b", t0 + Duration::seconds(5)),
    );
    // Same creation time: ordered by id.
    if twin_a.id > twin_b.id {
        std::mem::swap(&mut twin_a.id, &mut twin_b.id);
    }
    for tk in [&late, &twin_b, &early, &twin_a] {
        db.insert_token(tk).await.unwrap();
    }
    assert_eq!(t.other.list_tokens().await.unwrap(), vec![early.clone(), twin_a.clone(), twin_b.clone(), late.clone()]);
    assert_eq!(db.find_token("hash-early").await.unwrap(), Some(early.clone()));
    assert_eq!(t.other.find_token("hash-b").await.unwrap(), Some(twin_b.clone()));
    assert_eq!(db.find_token("unknown").await.unwrap(), None);

    let same_hash = token("copy", Role::Admin, "hash-late", t0);
    assert_matches!(db.insert_token(&same_hash).await, Err(GeoDbError::AlreadyExists { .. }));
    let same_id = TokenRecord { secret_hash: "hash-new".into(), ..late.clone() };
    assert_matches!(t.other.insert_token(&same_id).await, Err(GeoDbError::AlreadyExists { .. }));
    assert_eq!(db.find_token("hash-new").await.unwrap(), None);
    assert_eq!(db.find_token("hash-late").await.unwrap(), Some(late.clone()));

    assert!(db.delete_token(late.id).await.unwrap());
    assert!(!t.other.delete_token(late.id).await.unwrap());
    assert_eq!(db.find_token("hash-late").await.unwrap(), None);
    assert_eq!(db.list_tokens().await.unwrap(), vec![early, twin_a, twin_b]);
}
