//! The group move protocol's conditional writes: the whole protocol from one
//! start to a finish or abort; only the owner's marker finishes, and every refusal says why.

use domain::SiteId;
use geodb::{MoveOutcome, MoveRefusal};

use super::{TestDb, add_group, add_online_backend, add_site, group, now};

pub async fn lifecycle(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let g = add_group(db, site.id, "default-1", b1.id).await;

    let started = db.start_group_move(site.id, &g.name, b1.id, b2.id, "job-1").await.unwrap();
    let MoveOutcome::Applied(moving) = started else { panic!("start refused: {started:?}") };
    assert_eq!(moving.backend_id, b1.id);
    assert_eq!(moving.alt_backend_id, Some(b2.id));
    assert_eq!(moving.moving.as_deref(), Some("job-1"));
    assert_eq!(t.other.get_group(site.id, &g.name).await.unwrap(), Some(moving.clone()));

    let again = t.other.start_group_move(site.id, &g.name, b1.id, b2.id, "job-2").await.unwrap();
    assert_eq!(again, MoveOutcome::Refused { reason: MoveRefusal::AlreadyMoving, current: Some(moving.clone()) });
    let wrong = db.finish_group_move(site.id, &g.name, "job-2", now()).await.unwrap();
    assert_eq!(wrong, MoveOutcome::Refused { reason: MoveRefusal::MarkerMismatch, current: Some(moving.clone()) });
    let wrong = db.abort_group_move(site.id, &g.name, "job-2").await.unwrap();
    assert_eq!(wrong, MoveOutcome::Refused { reason: MoveRefusal::MarkerMismatch, current: Some(moving.clone()) });

    let at = now();
    let finished = t.other.finish_group_move(site.id, &g.name, "job-1", at).await.unwrap();
    let MoveOutcome::Applied(moved) = finished else { panic!("finish refused: {finished:?}") };
    assert_eq!(moved.backend_id, b2.id);
    assert_eq!(moved.alt_backend_id, Some(b1.id));
    assert_eq!(moved.moving, None);
    assert_eq!(moved.last_moved_at, Some(at));
    assert_eq!(db.get_group(site.id, &g.name).await.unwrap(), Some(moved.clone()));
    // Repeating the finish is refused and changes nothing.
    let repeat = db.finish_group_move(site.id, &g.name, "job-1", now()).await.unwrap();
    assert_eq!(repeat, MoveOutcome::Refused { reason: MoveRefusal::NotMoving, current: Some(moved.clone()) });

    // A finished group can move again; an aborted move leaves it where it was.
    let back = db.start_group_move(site.id, &g.name, b2.id, b1.id, "job-3").await.unwrap();
    assert_matches!(back, MoveOutcome::Applied(g) if g.alt_backend_id == Some(b1.id) && g.backend_id == b2.id);
    let aborted = db.abort_group_move(site.id, &g.name, "job-3").await.unwrap();
    let MoveOutcome::Applied(aborted) = aborted else { panic!("abort refused: {aborted:?}") };
    assert_eq!((aborted.backend_id, aborted.alt_backend_id, aborted.moving), (b2.id, None, None));
    assert_eq!(aborted.last_moved_at, Some(at));
    let repeat = db.abort_group_move(site.id, &g.name, "job-3").await.unwrap();
    assert_matches!(repeat, MoveOutcome::Refused { reason: MoveRefusal::NotMoving, current: Some(_) });
}

pub async fn refusals(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let g = add_group(db, site.id, "default-1", b1.id).await;
    let unknown = group("unknown");

    let r = db.start_group_move(site.id, &unknown, b1.id, b2.id, "m").await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::GroupNotFound, current: None });
    let r = db.start_group_move(SiteId::random(), &g.name, b1.id, b2.id, "m").await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::GroupNotFound, current: None });
    let r = db.finish_group_move(site.id, &unknown, "m", now()).await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::GroupNotFound, current: None });
    let r = db.abort_group_move(site.id, &unknown, "m").await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::GroupNotFound, current: None });

    let r = db.start_group_move(site.id, &g.name, b2.id, b1.id, "m").await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::NotOnExpectedBackend, current: Some(g.clone()) });
    let r = db.finish_group_move(site.id, &g.name, "m", now()).await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::NotMoving, current: Some(g.clone()) });
    let r = db.abort_group_move(site.id, &g.name, "m").await.unwrap();
    assert_eq!(r, MoveOutcome::Refused { reason: MoveRefusal::NotMoving, current: Some(g.clone()) });
    assert_eq!(db.get_group(site.id, &g.name).await.unwrap(), Some(g));
}
