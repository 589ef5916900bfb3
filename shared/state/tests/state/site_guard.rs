//! One plan per site: evacuation sources reserved all-or-none by one owner, renewed by it,
//! released only by it, and gone by themselves once expired; the guard's memory and the health
//! evidence survive between runs as stored.

use std::time::Duration;

use chrono::Utc;
use policy::guard::GuardState;
use state::Reserved;
use uuid::Uuid;

use super::common::env;

#[tokio::test]
async fn a_source_is_reserved_by_one_owner_at_a_time() {
    let env = env("reserve").await;
    let q = &env.state;
    let (site, b1, b2) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let ttl = Duration::from_secs(60);
    let Reserved::Held(epoch) = q.reserve_sources(site, &[b1], "evacuate:b1", ttl).await.unwrap() else {
        panic!("not reserved")
    };
    // The same owner renews under the same epoch; another owner is refused, and all-or-none
    // means b2 is not reserved by the refused call either.
    assert_eq!(q.reserve_sources(site, &[b1], "evacuate:b1", ttl).await.unwrap(), Reserved::Held(epoch));
    assert_eq!(
        q.reserve_sources(site, &[b2, b1], "evacuate:other", ttl).await.unwrap(),
        Reserved::Conflict { backend_id: b1, owner: "evacuate:b1".into() }
    );
    let live = q.reservations(site).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].backend_id, live[0].owner.as_str(), live[0].epoch), (b1, "evacuate:b1", epoch));
    // Another site is another reservation.
    assert!(q.reservations(Uuid::new_v4()).await.unwrap().is_empty());
    // Only the owner releases.
    assert_eq!(q.release_sources(site, &[b1], "evacuate:other").await.unwrap(), 0);
    assert_eq!(q.reservations(site).await.unwrap().len(), 1);
    assert_eq!(q.release_sources(site, &[b1], "evacuate:b1").await.unwrap(), 1);
    assert!(q.reservations(site).await.unwrap().is_empty());
    // Free again: a new owner takes it under a new epoch.
    let Reserved::Held(next) = q.reserve_sources(site, &[b1, b2], "evacuate:other", ttl).await.unwrap() else {
        panic!("not reserved")
    };
    assert!(next > epoch);
    assert_eq!(q.reservations(site).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_expired_reservation_ends_by_itself() {
    let env = env("reserve-expiry").await;
    let q = &env.state;
    let (site, b) = (Uuid::new_v4(), Uuid::new_v4());
    q.reserve_sources(site, &[b], "dead-worker", Duration::from_millis(50)).await.unwrap();
    testkit::wait_until_async("the reservation expires", Duration::from_secs(5), || async {
        q.reservations(site).await.unwrap().is_empty().then_some(())
    })
    .await;
    assert!(matches!(
        q.reserve_sources(site, &[b], "successor", Duration::from_secs(5)).await.unwrap(),
        Reserved::Held(_)
    ));
}

#[tokio::test]
async fn guard_state_and_evidence_round_trip() {
    let env = env("guard-state").await;
    let q = &env.state;
    let site = Uuid::new_v4();
    assert_eq!(q.guard_state(site).await.unwrap(), GuardState::default());
    let tripped =
        GuardState { tripped: true, tripped_at: Some(Utc::now()), reason: Some("x".into()), ..Default::default() };
    q.put_guard_state(site, &tripped).await.unwrap();
    assert_eq!(q.guard_state(site).await.unwrap(), tripped);
    assert_eq!(q.evidence(site).await.unwrap(), Default::default());
    let evidence = policy::evidence::Evidence { at: Some(Utc::now()), read_from: Some(5), ..Default::default() };
    q.put_evidence(site, &evidence).await.unwrap();
    assert_eq!(q.evidence(site).await.unwrap(), evidence);
}
