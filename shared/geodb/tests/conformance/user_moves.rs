//! Conditional user moves (`doveadm cluster user move`): a start that only one writer wins,
//! a finish that puts the user in its new site and group (and listing), an abort that leaves
//! it where it was, and refusals that say why.

use domain::{GroupName, SiteId, User, UserName};
use geodb::{GeoDb, PageRequest, UserFilter, UserMoveOutcome, UserMoveRefusal};

use super::races::race;
use super::{TestDb, add_site, group, user, users_of};

async fn add_user(db: &dyn GeoDb, name: &str, site: SiteId, group_name: &str) -> User {
    let u = User { failover_group: Some(group("failover-1")), ..User::new(user(name), site, group(group_name)) };
    assert!(db.insert_user(&u).await.unwrap());
    u
}

async fn group_members(db: &dyn GeoDb, site: SiteId, name: &GroupName) -> Vec<UserName> {
    let filter = UserFilter { group: Some(name.clone()) };
    let page = db.list_users(site, &filter, &PageRequest::first(1000)).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items.into_iter().map(|u| u.name).collect()
}

pub async fn lifecycle(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    let u = add_user(db, "alice@example.com", one.id, "default-1").await;

    let started =
        db.start_user_move(&u.name, &group("default-1"), two.id, &group("default-2"), Some(&group("failover-2"))).await;
    let UserMoveOutcome::Applied(moving) = started.unwrap() else { panic!("start refused") };
    let expected = User {
        moving_site_id: Some(two.id),
        moving_group: Some(group("default-2")),
        moving_failover_group: Some(group("failover-2")),
        ..u.clone()
    };
    assert_eq!(moving, expected);
    assert!(moving.is_moving());
    assert_eq!(t.other.get_user(&u.name).await.unwrap(), Some(moving.clone()));
    // Still listed where it is, with its move.
    assert_eq!(users_of(db, one.id).await, vec![moving.clone()]);
    assert_eq!(users_of(db, two.id).await, Vec::<User>::new());

    let again = t.other.start_user_move(&u.name, &group("default-1"), one.id, &group("default-3"), None).await;
    assert_eq!(
        again.unwrap(),
        UserMoveOutcome::Refused { reason: UserMoveRefusal::AlreadyMoving, current: Some(moving.clone()) }
    );

    let finished = t.other.finish_user_move(&u.name).await.unwrap();
    let UserMoveOutcome::Applied(moved) = finished else { panic!("finish refused: {finished:?}") };
    let expected = User {
        name: u.name.clone(),
        site_id: two.id,
        group: Some(group("default-2")),
        failover_group: Some(group("failover-2")),
        moving_site_id: None,
        moving_group: None,
        moving_failover_group: None,
    };
    assert_eq!(moved, expected);
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(moved.clone()));
    assert_eq!(users_of(db, two.id).await, vec![moved.clone()]);
    assert_eq!(group_members(db, two.id, &group("default-2")).await, vec![u.name.clone()]);
    assert_eq!(users_of(db, one.id).await, Vec::<User>::new());
    assert_eq!(group_members(db, one.id, &group("default-1")).await, Vec::<UserName>::new());

    // Repeating the finish, or aborting a finished move, is refused and changes nothing.
    let not_moving = UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, current: Some(moved.clone()) };
    assert_eq!(db.finish_user_move(&u.name).await.unwrap(), not_moving);
    assert_eq!(t.other.abort_user_move(&u.name).await.unwrap(), not_moving);

    // A move within the site, finished: the user changes partition inside the site.
    let started = db.start_user_move(&u.name, &group("default-2"), two.id, &group("default-3"), None).await.unwrap();
    assert_matches!(started, UserMoveOutcome::Applied(m) if m.moving_group == Some(group("default-3")));
    let UserMoveOutcome::Applied(within) = db.finish_user_move(&u.name).await.unwrap() else { panic!("refused") };
    assert_eq!(
        (within.site_id, within.group.clone(), within.failover_group.clone()),
        (two.id, Some(group("default-3")), None)
    );
    assert!(!within.is_moving());
    assert_eq!(users_of(t.other.as_ref(), two.id).await, vec![within.clone()]);
    assert_eq!(group_members(db, two.id, &group("default-2")).await, Vec::<UserName>::new());

    // An aborted move leaves the user where it was.
    let started = db.start_user_move(&u.name, &group("default-3"), one.id, &group("default-1"), None).await.unwrap();
    assert_matches!(started, UserMoveOutcome::Applied(_));
    let aborted = t.other.abort_user_move(&u.name).await.unwrap();
    assert_eq!(aborted, UserMoveOutcome::Applied(within.clone()));
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(within.clone()));
    assert_eq!(users_of(db, two.id).await, vec![within.clone()]);
    assert_eq!(users_of(db, one.id).await, Vec::<User>::new());
    let repeat = db.abort_user_move(&u.name).await.unwrap();
    assert_eq!(repeat, UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, current: Some(within) });
}

pub async fn refusals(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    let u = add_user(db, "alice@example.com", one.id, "default-1").await;
    let nobody = user("nobody@example.com");

    let not_found = UserMoveOutcome::Refused { reason: UserMoveRefusal::UserNotFound, current: None };
    let r = db.start_user_move(&nobody, &group("default-1"), two.id, &group("default-2"), None).await.unwrap();
    assert_eq!(r, not_found);
    assert_eq!(db.finish_user_move(&nobody).await.unwrap(), not_found);
    assert_eq!(db.abort_user_move(&nobody).await.unwrap(), not_found);
    // No refused write creates the user.
    assert_eq!(db.get_user(&nobody).await.unwrap(), None);
    assert_eq!(users_of(db, one.id).await, vec![u.clone()]);

    let r = db.start_user_move(&u.name, &group("default-9"), two.id, &group("default-2"), None).await.unwrap();
    assert_eq!(r, UserMoveOutcome::Refused { reason: UserMoveRefusal::NotInExpectedGroup, current: Some(u.clone()) });
    let not_moving = UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, current: Some(u.clone()) };
    assert_eq!(db.finish_user_move(&u.name).await.unwrap(), not_moving);
    assert_eq!(db.abort_user_move(&u.name).await.unwrap(), not_moving);
    assert_eq!(db.get_user(&u.name).await.unwrap(), Some(u.clone()));

    // An unassigned user is in no expected group.
    let unassigned = User { group: None, ..User::new(user("bob@example.com"), one.id, group("x")) };
    assert!(db.insert_user(&unassigned).await.unwrap());
    let r = db.start_user_move(&unassigned.name, &group("default-1"), two.id, &group("default-2"), None).await;
    assert_eq!(
        r.unwrap(),
        UserMoveOutcome::Refused { reason: UserMoveRefusal::NotInExpectedGroup, current: Some(unassigned.clone()) }
    );

    // A group change clears a move in progress, after which there is nothing to finish.
    let started = db.start_user_move(&u.name, &group("default-1"), two.id, &group("default-2"), None).await.unwrap();
    assert_matches!(started, UserMoveOutcome::Applied(_));
    db.set_user_group(&u.name, Some(&group("default-4"))).await.unwrap();
    let changed = User { group: Some(group("default-4")), ..u };
    let r = t.other.finish_user_move(&changed.name).await.unwrap();
    assert_eq!(r, UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, current: Some(changed) });
}

pub async fn racing_starts_have_one_winner(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    for n in 1..=20 {
        let u = add_user(db, &format!("user{n}@example.com"), one.id, "default-1").await;
        let start = |h: std::sync::Arc<dyn GeoDb>, dest: GroupName| {
            let name = u.name.clone();
            async move { h.start_user_move(&name, &group("default-1"), two.id, &dest, None).await.unwrap() }
        };
        let (x, y) = race(start(t.db.clone(), group("x-dest")), start(t.other.clone(), group("y-dest"))).await;
        let (winner, loser) = match (&x, &y) {
            (UserMoveOutcome::Applied(w), UserMoveOutcome::Refused { .. }) => (w.clone(), y),
            (UserMoveOutcome::Refused { .. }, UserMoveOutcome::Applied(w)) => (w.clone(), x),
            _ => panic!("round {n}: expected exactly one winner, got {x:?} and {y:?}"),
        };
        let UserMoveOutcome::Refused { reason, current } = loser else { unreachable!() };
        assert_eq!(reason, UserMoveRefusal::AlreadyMoving, "round {n}");
        assert_eq!(current.as_ref(), Some(&winner), "round {n}: the loser sees the winner's move");
        let stored = db.get_user(&u.name).await.unwrap().unwrap();
        assert_eq!(stored, winner);
        assert_eq!(stored.moving_site_id, Some(two.id));
        assert_matches!(stored.moving_group.as_ref().map(|g| g.as_str()), Some("x-dest" | "y-dest"));
    }
}

pub async fn racing_finish_and_abort_have_one_winner(t: &TestDb) {
    let db = &*t.db;
    let one = add_site(db, "one").await;
    let two = add_site(db, "two").await;
    for n in 1..=20 {
        let u = add_user(db, &format!("user{n}@example.com"), one.id, "default-1").await;
        let started = db.start_user_move(&u.name, &group("default-1"), two.id, &group("default-2"), None).await;
        assert_matches!(started.unwrap(), UserMoveOutcome::Applied(_));
        let (h1, h2, n1, n2) = (t.db.clone(), t.other.clone(), u.name.clone(), u.name.clone());
        let (finish, abort) = race(async move { h1.finish_user_move(&n1).await.unwrap() }, async move {
            h2.abort_user_move(&n2).await.unwrap()
        })
        .await;
        let stored = db.get_user(&u.name).await.unwrap().unwrap();
        assert!(!stored.is_moving(), "round {n}: {stored:?}");
        match (&finish, &abort) {
            (UserMoveOutcome::Applied(_), UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, .. }) => {
                assert_eq!((stored.site_id, stored.group), (two.id, Some(group("default-2"))));
            }
            (UserMoveOutcome::Refused { reason: UserMoveRefusal::NotMoving, .. }, UserMoveOutcome::Applied(_)) => {
                assert_eq!(stored, u);
            }
            _ => panic!("round {n}: expected exactly one of finish/abort, got {finish:?} and {abort:?}"),
        }
    }
    // Every user is listed exactly once, wherever it ended up.
    let listed = users_of(db, one.id).await.len() + users_of(db, two.id).await.len();
    assert_eq!(listed, 20);
}
