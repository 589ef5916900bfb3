//! A move the source backend never finishes (the sim is told to take an hour) raises the
//! critical `stuck_move` alert once MOVE_TIMEOUT_SECS pass; the job fails instead of waiting
//! forever, and the group stays moving under the job's marker, visible for an operator.

use std::time::Duration;

use queue::{JobState, Priority};
use serde_json::json;
use state::AlertSeverity;
use testkit::wait_until_async;

use crate::moves_harness::Cluster;

#[tokio::test]
async fn a_move_that_never_finishes_raises_a_stuck_move_alert() {
    let sim = ["--backends", "2", "--groups", "10", "--users", "20", "--move-finish-delay-ms", "3600000"];
    let cluster = Cluster::start("stuck", &sim, &[("MOVE_TIMEOUT_SECS", "2")]).await;
    let _worker = cluster.worker(Priority::High);
    let (b1, b2) = (cluster.backend("b1.e2e.sim").await, cluster.backend("b2.e2e.sim").await);
    let group = cluster.groups(Some(b1.id)).await.remove(0);

    let payload = json!({ "site_id": cluster.site_id, "group": group.name, "destination_backend_id": b2.id });
    let id = cluster.enqueue("move_group", payload, Some(1)).await;
    let alert = wait_until_async("a stuck_move alert", Duration::from_secs(30), || async {
        let alerts = state::State::new(&cluster.site.queue).alerts(state::AlertFilter::all(10)).await.ok()?;
        alerts.into_iter().find(|a| a.kind == "stuck_move")
    })
    .await;
    assert_eq!(alert.severity, AlertSeverity::Critical);
    assert!(alert.message.contains(group.name.as_str()) && alert.message.contains("within 2 s"), "{}", alert.message);
    assert_eq!(alert.site_id, Some(cluster.site_id.0));
    assert_eq!(alert.object.as_deref(), Some(group.name.as_str()), "the alert is about the group");

    let dead = cluster.wait_for_state(&id, JobState::Dead, Duration::from_secs(30)).await;
    assert!(dead.error.unwrap_or_default().contains("did not finish moving"));
    let still = cluster.db.get_group(cluster.site_id, &group.name).await.unwrap().unwrap();
    assert_eq!(still.moving.as_deref(), Some(id.as_str()), "the move is left for an operator, not dropped");
    assert_eq!((still.backend_id, still.alt_backend_id), (b1.id, Some(b2.id)));
}
