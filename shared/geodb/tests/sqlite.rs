//! The conformance suite against the SQLite backend, plus what only SQLite has: schema
//! migrations, file errors and another process holding the database lock.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod conformance;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use domain::{Site, SiteName};
use geodb::sqlite::{SCHEMA_VERSION, SqliteGeoDb};
use geodb::{GeoDb, GeoDbError, SqliteOptions};
use rusqlite::Connection;

use conformance::TestDb;

/// A fresh file per test, with two handles opened at the same time so that both race to
/// migrate it.
async fn factory() -> Option<TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    let (db, other) =
        tokio::join!(SqliteGeoDb::open(SqliteOptions::new(&path)), SqliteGeoDb::open(SqliteOptions::new(&path)));
    Some(TestDb { db: Arc::new(db.unwrap()), other: Arc::new(other.unwrap()), guard: Box::new(dir) })
}

conformance_suite!(factory);

fn migrations(path: &Path) -> Vec<(i64, i64)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

fn site(name: &str) -> Site {
    Site::new(SiteName::parse(name).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_are_versioned_and_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    // The parent directory is created on open.
    let path = dir.path().join("nested/dir/geodb.sqlite");
    let opened = futures::future::join_all((0..8).map(|_| SqliteGeoDb::open(SqliteOptions::new(&path)))).await;
    let handles: Vec<SqliteGeoDb> = opened.into_iter().map(Result::unwrap).collect();
    let applied = migrations(&path);
    assert_eq!(applied.iter().map(|(v, _)| *v).collect::<Vec<_>>(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let kept = site("kept");
    handles[0].insert_site(&kept).await.unwrap();
    drop(handles);

    let reopened = SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap();
    assert_eq!(migrations(&path), applied, "re-opening applies nothing again");
    assert_eq!(reopened.get_site(kept.id).await.unwrap(), Some(kept));
    let mode: String = Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    drop(SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap());
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)", [SCHEMA_VERSION + 1])
        .unwrap();
    let err = SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap_err();
    assert!(matches!(err, GeoDbError::Internal(ref m) if m.contains("newer")), "{err:?}");
}

#[tokio::test]
async fn a_parent_that_is_a_file_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"not a directory").unwrap();
    for path in [file.join("geodb.sqlite"), file.join("deeper/geodb.sqlite")] {
        let err = SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap_err();
        assert!(matches!(err, GeoDbError::Unavailable(_)), "{path:?}: {err:?}");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap_err();
    assert!(matches!(err, GeoDbError::Corrupt(_) | GeoDbError::Unavailable(_)), "{err:?}");
}

fn short_timeout(path: &Path) -> SqliteOptions {
    SqliteOptions { busy_timeout: Duration::from_millis(200), ..SqliteOptions::new(path) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_by_another_process_is_unavailable_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    let db = SqliteGeoDb::open(short_timeout(&path)).await.unwrap();
    let before = site("before");
    db.insert_site(&before).await.unwrap();

    // Another process in the middle of a long write transaction.
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE; INSERT INTO tags (id, name) VALUES ('x', 'held');").unwrap();

    assert!(matches!(db.insert_site(&site("during")).await, Err(GeoDbError::Unavailable(_))));
    assert!(matches!(db.delete_site(before.id).await, Err(GeoDbError::Unavailable(_))));
    let update = geodb::SiteUpdate { name: Some(SiteName::parse("renamed").unwrap()), ..Default::default() };
    assert!(matches!(db.update_site(before.id, &update).await, Err(GeoDbError::Unavailable(_))));
    // WAL readers never wait for the writer.
    db.ping().await.unwrap();
    assert_eq!(db.list_sites().await.unwrap(), vec![before.clone()]);

    holder.execute_batch("ROLLBACK;").unwrap();
    db.insert_site(&site("after")).await.unwrap();
    let names: Vec<String> = db.list_sites().await.unwrap().into_iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, vec!["after", "before"]);
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusive_lock_held_by_another_process_is_unavailable_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    drop(SqliteGeoDb::open(short_timeout(&path)).await.unwrap());

    // An exclusive lock can only be taken while no other connection has the WAL file open
    // (idle WAL connections keep a shared lock), so it is taken before this process opens.
    let holder = Connection::open(&path).unwrap();
    holder
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO tags (id, name) VALUES ('x', 'held');",
        )
        .unwrap();
    let err = SqliteGeoDb::open(short_timeout(&path)).await.unwrap_err();
    assert!(matches!(err, GeoDbError::Unavailable(_)), "{err:?}");

    holder.execute_batch("ROLLBACK;").unwrap();
    // Exclusive locking mode keeps the lock until the connection closes.
    assert!(matches!(SqliteGeoDb::open(short_timeout(&path)).await, Err(GeoDbError::Unavailable(_))));
    drop(holder);
    let db = SqliteGeoDb::open(short_timeout(&path)).await.unwrap();
    db.ping().await.unwrap();
    assert_eq!(db.get_tag_by_name(&domain::TagName::parse("held").unwrap()).await.unwrap(), None);
}

#[tokio::test]
async fn unparsable_stored_values_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geodb.sqlite");
    let db = SqliteGeoDb::open(SqliteOptions::new(&path)).await.unwrap();
    let s = site("good");
    db.insert_site(&s).await.unwrap();
    Connection::open(&path).unwrap().execute("UPDATE sites SET status = 'sideways'", []).unwrap();
    assert!(matches!(db.get_site(s.id).await, Err(GeoDbError::Corrupt(m)) if m.contains("status")));
    assert!(matches!(db.list_sites().await, Err(GeoDbError::Corrupt(_))));
    Connection::open(&path).unwrap().execute("UPDATE sites SET status = 'online', id = 'not-a-uuid'", []).unwrap();
    assert!(matches!(db.list_sites().await, Err(GeoDbError::Corrupt(m)) if m.contains("id")));
}
