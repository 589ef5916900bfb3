//! Conditional group-move writes racing from two handles (two processes): exactly one wins
//! every time, and the loser is told why.

use std::sync::Arc;

use domain::{BackendId, GroupName};
use geodb::{GeoDb, MoveOutcome, MoveRefusal};
use tokio::sync::Barrier;

use super::{TestDb, add_group, add_online_backend, add_site, now};

/// Runs `a` and `b` as two tasks released at the same moment.
pub async fn race<A, B, T>(a: A, b: B) -> (T, T)
where
    A: Future<Output = T> + Send + 'static,
    B: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let (ba, bb) = (barrier.clone(), barrier);
    let ta = tokio::spawn(async move {
        ba.wait().await;
        a.await
    });
    let tb = tokio::spawn(async move {
        bb.wait().await;
        b.await
    });
    (ta.await.unwrap(), tb.await.unwrap())
}

pub async fn racing_starts_have_one_winner(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    let b3 = add_online_backend(db, site.id, "b3.example").await;
    for n in 1..=50 {
        let name = GroupName::default_n(n);
        add_group(db, site.id, name.as_str(), b1.id).await;
        let start = |h: Arc<dyn GeoDb>, dest: BackendId, marker: String| {
            let name = name.clone();
            async move { h.start_group_move(site.id, &name, b1.id, dest, &marker).await.unwrap() }
        };
        let (x, y) =
            race(start(t.db.clone(), b2.id, format!("x-{n}")), start(t.other.clone(), b3.id, format!("y-{n}"))).await;
        let (winner, loser) = match (&x, &y) {
            (MoveOutcome::Applied(w), MoveOutcome::Refused { .. }) => (w.clone(), y),
            (MoveOutcome::Refused { .. }, MoveOutcome::Applied(w)) => (w.clone(), x),
            _ => panic!("round {n}: expected exactly one winner, got {x:?} and {y:?}"),
        };
        let MoveOutcome::Refused { reason, current } = loser else { unreachable!() };
        assert!(matches!(reason, MoveRefusal::AlreadyMoving | MoveRefusal::NotOnExpectedBackend), "{reason:?}");
        assert_eq!(current.as_ref(), Some(&winner), "round {n}: the loser sees the winner's move");
        let stored = db.get_group(site.id, &name).await.unwrap().unwrap();
        assert_eq!(stored, winner);
        let marker = stored.moving.unwrap();
        let expected_dest = if marker.starts_with('x') { b2.id } else { b3.id };
        assert_eq!(stored.alt_backend_id, Some(expected_dest));
    }
}

pub async fn racing_finish_and_abort_have_one_winner(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b1 = add_online_backend(db, site.id, "b1.example").await;
    let b2 = add_online_backend(db, site.id, "b2.example").await;
    for n in 1..=20 {
        let name = GroupName::default_n(n);
        add_group(db, site.id, name.as_str(), b1.id).await;
        let marker = format!("m-{n}");
        assert_matches!(
            db.start_group_move(site.id, &name, b1.id, b2.id, &marker).await.unwrap(),
            MoveOutcome::Applied(_)
        );
        let (h1, h2) = (t.db.clone(), t.other.clone());
        let (n1, n2, m1, m2) = (name.clone(), name.clone(), marker.clone(), marker);
        let (finish, abort) =
            race(async move { h1.finish_group_move(site.id, &n1, &m1, now()).await.unwrap() }, async move {
                h2.abort_group_move(site.id, &n2, &m2).await.unwrap()
            })
            .await;
        let stored = db.get_group(site.id, &name).await.unwrap().unwrap();
        assert_eq!(stored.moving, None);
        match (&finish, &abort) {
            (MoveOutcome::Applied(_), MoveOutcome::Refused { reason: MoveRefusal::NotMoving, .. }) => {
                assert_eq!(stored.backend_id, b2.id);
            }
            (MoveOutcome::Refused { reason: MoveRefusal::NotMoving, .. }, MoveOutcome::Applied(_)) => {
                assert_eq!((stored.backend_id, stored.alt_backend_id), (b1.id, None));
            }
            _ => panic!("round {n}: expected exactly one of finish/abort, got {finish:?} and {abort:?}"),
        }
    }
}
