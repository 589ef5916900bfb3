//! A user moved to another group through the sim's `clusterUserAccess`, then kicked on the
//! backend that serves its new group.

use std::time::Duration;

use domain::UserName;
use queue::{JobState, Priority};
use serde_json::json;

use crate::moves_harness::Cluster;

#[tokio::test]
async fn a_user_move_is_finished_by_the_backend_and_a_kick_reaches_it() {
    let cluster = Cluster::start("user", &["--backends", "2", "--groups", "20", "--users", "50"], &[]).await;
    let _worker = cluster.worker(Priority::High);
    let name = UserName::parse("user1@e2e.sim").unwrap();
    let before = cluster.db.get_user(&name).await.unwrap().expect("pre-assigned user");
    let from = before.group.clone().unwrap();
    let from_group = cluster.db.get_group(cluster.site_id, &from).await.unwrap().unwrap();
    // A group on the other backend, so the move changes where the user is served.
    let to = cluster.groups(None).await.into_iter().find(|g| g.backend_id != from_group.backend_id).unwrap();

    let id = cluster.enqueue("move_user", json!({ "user": name, "group": to.name }), None).await;
    let done = cluster.wait_for_state(&id, JobState::Succeeded, Duration::from_secs(30)).await;
    let result = done.result.unwrap();
    assert_eq!((result["from"].as_str(), result["to"].as_str()), (Some(from.as_str()), Some(to.name.as_str())));
    let after = cluster.db.get_user(&name).await.unwrap().unwrap();
    assert_eq!(after.group.as_ref(), Some(&to.name));
    assert!(!after.is_moving(), "{after:?}");
    let state = cluster.sim_state().await;
    assert!(state["totals"]["users_moved"].as_u64().unwrap_or(0) >= 1, "{}", state["totals"]);

    // Moving there again is already done: success without a second move.
    let again = cluster.enqueue("move_user", json!({ "user": name, "group": to.name }), None).await;
    cluster.wait_for_state(&again, JobState::Succeeded, Duration::from_secs(30)).await;

    let kick = cluster.enqueue("kick", json!({ "user": name }), None).await;
    let done = cluster.wait_for_state(&kick, JobState::Succeeded, Duration::from_secs(30)).await;
    let result = done.result.unwrap();
    let serving = cluster.backends().await.into_iter().find(|b| b.id == to.backend_id).unwrap();
    assert_eq!(result["backend"].as_str(), Some(serving.host.as_str()), "{result}");
    assert!(result["kicked"].is_boolean(), "the sim answered the kick: {result}");
}
