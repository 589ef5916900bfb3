//! The group move protocol against the simulated backends: the controller's conditional start
//! in GeoDB, `clusterGroupAccess` on the source, completion after the delay, and traffic that
//! follows the source until then and the destination afterwards, never losing a user.

use domain::{BackendId, GroupName, UserGroup};
use doveadm::{Auth, Client, DoveadmError};
use geodb::MoveOutcome;
use testkit::{TempGeoDb, wait_until_async};

use crate::harness::{self, Sim, TIMEOUT, backend, groups_on};

fn client() -> Client {
    Client::new(Auth::None, std::time::Duration::from_secs(5)).unwrap()
}

async fn start_move(db: &TempGeoDb, sim: &Sim, group: &GroupName, from: BackendId, to: BackendId, marker: &str) {
    let outcome = db.db.start_group_move(sim.site(), group, from, to, marker).await.unwrap();
    assert!(matches!(outcome, MoveOutcome::Applied(_)), "{outcome:?}");
}

async fn group(db: &TempGeoDb, sim: &Sim, name: &GroupName) -> UserGroup {
    db.db.get_group(sim.site(), name).await.unwrap().unwrap()
}

async fn wait_moved(db: &TempGeoDb, sim: &Sim, name: &GroupName, to: BackendId) -> UserGroup {
    wait_until_async(&format!("{name} to arrive"), TIMEOUT, || async {
        let g = group(db, sim, name).await;
        (g.backend_id == to && g.moving.is_none()).then_some(g)
    })
    .await
}

#[tokio::test]
async fn group_access_on_the_source_finishes_the_move_after_the_delay() {
    let db = TempGeoDb::new().await;
    let args = [
        "--backends",
        "2",
        "--groups",
        "4",
        "--users",
        "10",
        "--rate",
        "0",
        "--preassign",
        "--move-finish-delay-ms",
        "1500",
    ];
    let sim = harness::start(&db, &args).await;
    let (a, b) = (backend(&db, "b1.sim.sim").await, backend(&db, "b2.sim.sim").await);
    let name = groups_on(&db, sim.site(), a.id).await.remove(0);
    start_move(&db, &sim, &name, a.id, b.id, "job-42").await;

    let doveadm = client();
    let (source, destination) = (sim.doveadm_url("b1.sim.sim"), sim.doveadm_url("b2.sim.sim"));
    let err = doveadm.cluster_group_access(&destination, name.as_str()).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: 68, .. }), "not on the destination yet: {err:?}");
    doveadm.cluster_group_access(&source, name.as_str()).await.unwrap();
    doveadm.cluster_group_access(&source, name.as_str()).await.unwrap(); // repeating is harmless
    let during = group(&db, &sim, &name).await;
    assert_eq!((during.backend_id, during.moving.as_deref()), (a.id, Some("job-42")), "the delay has not passed");

    let after = wait_moved(&db, &sim, &name, b.id).await;
    assert_eq!(after.alt_backend_id, Some(a.id), "GeoDB keeps the previous backend");
    assert!(after.last_moved_at.is_some());
    doveadm.cluster_group_access(&destination, name.as_str()).await.unwrap();
    let err = doveadm.cluster_group_access(&source, name.as_str()).await.unwrap_err();
    assert!(matches!(err, DoveadmError::Command { exit_code: 68, .. }), "{err:?}");
    assert_eq!(sim.counter(&["totals", "groups_moved"]).await, 1);
}

#[tokio::test]
async fn traffic_follows_the_source_during_a_move_and_the_destination_after_it() {
    let db = TempGeoDb::new().await;
    let args = [
        "--backends",
        "2",
        "--groups",
        "4",
        "--users",
        "200",
        "--rate",
        "300",
        "--preassign",
        "--move-finish-delay-ms",
        "200",
        "--finish-moves-on-traffic=false",
    ];
    let sim = harness::start(&db, &args).await;
    let (a, b) = (backend(&db, "b1.sim.sim").await, backend(&db, "b2.sim.sim").await);
    let a_served = ["backends", "b1.sim.sim", "counters", "successes"];
    let b_served = ["backends", "b2.sim.sim", "counters", "successes"];
    sim.wait_counter(&a_served, 20).await;

    // Every group of b1 starts moving to b2; nobody calls the access yet.
    let moving = groups_on(&db, sim.site(), a.id).await;
    assert!(!moving.is_empty());
    for name in &moving {
        start_move(&db, &sim, name, a.id, b.id, "drain-b1").await;
    }
    let served = sim.counter(&a_served).await;
    sim.wait_counter(&a_served, served + 100).await; // b1 keeps serving its moving groups
    for name in &moving {
        assert_eq!(group(&db, &sim, name).await.backend_id, a.id, "no access, no completion");
    }

    for name in &moving {
        client().cluster_group_access(&sim.doveadm_url("b1.sim.sim"), name.as_str()).await.unwrap();
    }
    for name in &moving {
        wait_moved(&db, &sim, name, b.id).await;
    }
    // Attempts decided before the last completion have landed once b2 served 100 more.
    let served = sim.counter(&b_served).await;
    sim.wait_counter(&b_served, served + 100).await;
    let a_final = sim.counter(&a_served).await;
    let served = sim.counter(&b_served).await;
    sim.wait_counter(&b_served, served + 200).await;
    assert_eq!(sim.counter(&a_served).await, a_final, "b1 holds no group: nobody is sent there");
    assert_eq!(sim.counter(&["totals", "misroutes"]).await, 0, "no user lost its routing");
    assert_eq!(sim.counter(&["totals", "failures"]).await, 0);
    assert_eq!(sim.counter(&["totals", "groups_moved"]).await, moving.len() as u64);
}

#[tokio::test]
async fn logins_on_the_source_finish_a_move_as_dovecot_does() {
    let db = TempGeoDb::new().await;
    let args = [
        "--backends",
        "2",
        "--groups",
        "2",
        "--users",
        "50",
        "--rate",
        "100",
        "--preassign",
        "--move-finish-delay-ms",
        "100",
    ];
    let sim = harness::start(&db, &args).await;
    let (a, b) = (backend(&db, "b1.sim.sim").await, backend(&db, "b2.sim.sim").await);
    let name = groups_on(&db, sim.site(), a.id).await.remove(0);
    start_move(&db, &sim, &name, a.id, b.id, "lb-1").await;
    wait_moved(&db, &sim, &name, b.id).await;
    assert_eq!(sim.counter(&["totals", "misroutes"]).await, 0);
}
