use api_types::{
    AlertView, BackendReachabilityView, EvacuationView, JobAccepted, JobView, MoveGroup, MoveUser, UpdateBackend,
};
use chrono::{TimeDelta, Utc};
use domain::UserName;
use queue::{Queue, QueueConfig};
use state::{Alert, AlertSeverity, BackendReachability, EvacuationProgress, EvacuationState};
use testkit::redis::{RedisServer, unique_prefix};

use crate::common::{EVACUATION_STALL, TestApi, problem};

async fn setup() -> (TestApi, Queue, RedisServer) {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("api-moves"))).await.unwrap();
    let api = TestApi::start_with_queue(queue.clone()).await;
    api.site_with_backends("s1", 3).await;
    api.site_with_backends("s2", 1).await;
    let _: serde_json::Value = api
        .admin
        .put("/sites/s1/settings/cluster_default_group_count", &serde_json::json!({"value": "3"}))
        .await
        .unwrap();
    api.admin.init_site("s1", false).await.unwrap();
    (api, queue, redis)
}

fn dest(host: &str) -> MoveGroup {
    MoveGroup { backend: host.into() }
}

async fn group_backend(api: &TestApi, group: &str) -> String {
    api.admin.get::<api_types::GroupView>(&format!("/sites/s1/groups/{group}")).await.unwrap().backend
}

#[tokio::test]
async fn a_group_move_is_checked_then_runs_as_one_deduplicated_job() {
    let (api, queue, _redis) = setup().await;
    let from = group_backend(&api, "default-1").await;
    let to = ["b1.s1.test", "b2.s1.test", "b3.s1.test"].into_iter().find(|h| *h != from).unwrap();

    let job: JobAccepted = api.admin.post("/sites/s1/groups/default-1/move", &dest(to)).await.unwrap();
    assert_eq!(job.outcome, "enqueued");
    let again: JobAccepted = api.admin.post("/sites/s1/groups/default-1/move", &dest(to)).await.unwrap();
    assert_eq!((again.outcome.as_str(), again.job_id.as_str()), ("duplicate", job.job_id.as_str()));
    let record: JobView = api.admin.get(&format!("/jobs/{}", job.job_id)).await.unwrap();
    assert_eq!((record.kind.as_str(), record.priority.as_str()), ("move_group", "high"));
    let dest_id = api.db().get_backend_by_host(&domain::HostName::parse(to).unwrap()).await.unwrap().unwrap().id;
    assert_eq!(record.payload["destination_backend_id"], serde_json::json!(dest_id));
    assert_eq!(queue.depths().await.unwrap().high.waiting, 1);
}

#[tokio::test]
async fn moves_to_unusable_destinations_are_refused_with_the_reason() {
    let (api, queue, _redis) = setup().await;
    let from = group_backend(&api, "default-2").await;
    let others: Vec<&str> = ["b1.s1.test", "b2.s1.test", "b3.s1.test"].into_iter().filter(|h| *h != from).collect();
    let refused = |p: api_types::Problem, needle: &str| {
        assert_eq!(
            (p.status, p.code.as_str(), p.field.as_deref()),
            (409, "destination_unusable", Some("backend")),
            "{p:?}"
        );
        assert!(p.detail.contains(needle), "{needle} not in {}", p.detail);
    };

    api.admin
        .update_backend(others[0], &UpdateBackend { status: Some("standby".into()), load_factor: None })
        .await
        .unwrap();
    refused(
        problem(api.admin.post::<_, JobAccepted>("/sites/s1/groups/default-2/move", &dest(others[0])).await),
        "standby",
    );
    refused(
        problem(api.admin.post::<_, JobAccepted>("/sites/s1/groups/default-2/move", &dest(&from)).await),
        "already on",
    );
    refused(
        problem(api.admin.post::<_, JobAccepted>("/sites/s1/groups/default-2/move", &dest("b1.s2.test")).await),
        "not in the site of group",
    );

    let b = api.db().get_backend_by_host(&domain::HostName::parse(others[1]).unwrap()).await.unwrap().unwrap();
    let now = Utc::now();
    let unreachable = BackendReachability {
        backend_id: b.id.0,
        site_id: b.site_id.0,
        host: others[1].into(),
        reachable: false,
        checked_at: now,
        since: now,
        last_error: Some("connection refused".into()),
        name_failure_since: None,
    };
    state::State::new(&queue).put_backend_reachability(&unreachable).await.unwrap();
    refused(
        problem(api.admin.post::<_, JobAccepted>("/sites/s1/groups/default-2/move", &dest(others[1])).await),
        "unreachable",
    );
    let p = problem(api.admin.post::<_, JobAccepted>("/sites/s1/groups/default-2/move", &dest("nowhere.test")).await);
    assert_eq!((p.status, p.field.as_deref()), (404, Some("backend")));
    assert_eq!(queue.depths().await.unwrap().high.waiting, 0, "nothing was enqueued");

    let listed: Vec<BackendReachabilityView> = api.admin.get("/sites/s1/backend-reachability").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].backend.as_str(), listed[0].reachable), (others[1], false));
}

#[tokio::test]
async fn evacuations_are_jobs_with_readable_progress() {
    let (api, queue, _redis) = setup().await;
    let p = problem(api.admin.get::<EvacuationView>("/backends/b1.s1.test/evacuation").await);
    assert_eq!(p.status, 404);
    let job: JobAccepted = api.admin.post("/backends/b1.s1.test/evacuate", &serde_json::json!({})).await.unwrap();
    let again: JobAccepted = api.admin.post("/backends/b1.s1.test/evacuate", &serde_json::json!({})).await.unwrap();
    assert_eq!(again.job_id, job.job_id, "one evacuation per backend at a time");

    let b = api.db().get_backend_by_host(&domain::HostName::parse("b1.s1.test").unwrap()).await.unwrap().unwrap();
    let now = Utc::now();
    let progress = EvacuationProgress {
        backend_id: b.id.0,
        host: "b1.s1.test".into(),
        job_id: job.job_id.clone(),
        state: EvacuationState::Running,
        total: 100,
        moved: 40,
        moving: 10,
        failed: 0,
        started_at: now,
        updated_at: now,
        message: None,
        last_moved_at: Some(now),
    };
    state::State::new(&queue).put_evacuation(&progress).await.unwrap();
    state::State::new(&queue).beat_evacuation(b.id.0, &job.job_id).await.unwrap();
    let view: EvacuationView = api.admin.get("/backends/b1.s1.test/evacuation").await.unwrap();
    assert_eq!((view.state.as_str(), view.total, view.moved, view.moving), ("running", 100, 40, 10));
    assert_eq!((view.stalled_since, view.stalled_reason), (None, None));
}

#[tokio::test]
async fn a_running_evacuation_without_a_live_worker_or_without_moves_reads_stalled() {
    let (api, queue, _redis) = setup().await;
    let b = api.db().get_backend_by_host(&domain::HostName::parse("b2.s1.test").unwrap()).await.unwrap().unwrap();
    let now = Utc::now();
    let minute_ago = now - TimeDelta::seconds(60);
    let progress = EvacuationProgress {
        backend_id: b.id.0,
        host: "b2.s1.test".into(),
        job_id: "evac-1".into(),
        state: EvacuationState::Running,
        total: 100,
        moved: 40,
        moving: 10,
        failed: 0,
        started_at: minute_ago,
        updated_at: minute_ago,
        message: None,
        last_moved_at: Some(minute_ago),
    };
    let read = || async { api.admin.get::<EvacuationView>("/backends/b2.s1.test/evacuation").await.unwrap() };

    // Its worker was last heard of a minute ago, and no heartbeat is left.
    state::State::new(&queue).put_evacuation(&progress).await.unwrap();
    let view = read().await;
    assert_eq!((view.state.as_str(), view.stalled_since), ("stalled", Some(minute_ago)), "{view:?}");
    assert!(view.stalled_reason.as_deref().unwrap().contains("worker holding it stopped"), "{view:?}");

    // A heartbeat of another job says nothing about this one's worker.
    state::State::new(&queue).beat_evacuation(b.id.0, "evac-0").await.unwrap();
    assert_eq!(read().await.state, "stalled");

    // Its own fresh heartbeat: running again.
    state::State::new(&queue).beat_evacuation(b.id.0, "evac-1").await.unwrap();
    let view = read().await;
    assert_eq!((view.state.as_str(), view.stalled_since, view.stalled_reason.as_deref()), ("running", None, None));
    assert_eq!(view.last_moved_at, Some(minute_ago));

    // Alive, but no group moved for longer than EVACUATION_STALL_SECS.
    let long_ago = now - TimeDelta::from_std(EVACUATION_STALL).unwrap() - TimeDelta::seconds(30);
    state::State::new(&queue)
        .put_evacuation(&EvacuationProgress { last_moved_at: Some(long_ago), ..progress.clone() })
        .await
        .unwrap();
    let view = read().await;
    assert_eq!((view.state.as_str(), view.stalled_since), ("stalled", Some(long_ago)), "{view:?}");
    assert!(view.stalled_reason.as_deref().unwrap().contains("no group left the backend"), "{view:?}");

    // Finished evacuations never stall.
    state::State::new(&queue)
        .put_evacuation(&EvacuationProgress { state: EvacuationState::Done, ..progress })
        .await
        .unwrap();
    assert_eq!(read().await.state, "done");
}

#[tokio::test]
async fn user_moves_and_kicks_are_jobs() {
    let (api, _queue, _redis) = setup().await;
    let site = api.db().get_site_by_name(&domain::SiteName::parse("s1").unwrap()).await.unwrap().unwrap();
    let user = geodb::ops::assign_user(api.db(), site.id, &UserName::parse("bob@example.test").unwrap()).await.unwrap();
    let current = user.group.unwrap().to_string();
    let target = ["default-1", "default-2", "default-3"].into_iter().find(|g| *g != current).unwrap();

    let p = problem(
        api.admin
            .post::<_, JobAccepted>(
                "/users/bob@example.test/move",
                &MoveUser { group: current.clone(), ..Default::default() },
            )
            .await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("group")));
    let p = problem(
        api.admin
            .post::<_, JobAccepted>(
                "/users/bob@example.test/move",
                &MoveUser { group: "default-9".into(), ..Default::default() },
            )
            .await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("group")));
    let job: JobAccepted = api
        .admin
        .post("/users/bob@example.test/move", &MoveUser { group: target.into(), ..Default::default() })
        .await
        .unwrap();
    let record: JobView = api.admin.get(&format!("/jobs/{}", job.job_id)).await.unwrap();
    assert_eq!((record.kind.as_str(), record.payload["group"].as_str()), ("move_user", Some(target)));

    let kick: JobAccepted = api.admin.post("/users/bob@example.test/kick", &serde_json::json!({})).await.unwrap();
    assert_eq!(kick.outcome, "enqueued");
    assert_eq!(
        problem(api.admin.post::<_, JobAccepted>("/users/nobody@example.test/kick", &serde_json::json!({})).await).code,
        "user_not_found"
    );
}

#[tokio::test]
async fn alerts_are_listed_newest_first_and_filtered_by_state_and_site() {
    let (api, queue, _redis) = setup().await;
    let s1 = api.db().get_site_by_name(&domain::SiteName::parse("s1").unwrap()).await.unwrap().unwrap().id.0;
    let start = Utc::now() - TimeDelta::minutes(10);
    for (i, (severity, object)) in
        [(AlertSeverity::Warning, "default-1"), (AlertSeverity::Critical, "default-2")].into_iter().enumerate()
    {
        let mut alert = Alert::new(severity, "stuck_move", format!("alert {i}"))
            .with_site(s1)
            .with_object(object)
            .with_context(serde_json::json!({"group": object}));
        alert.id = format!("a{i}");
        alert.last_seen = start + TimeDelta::seconds(i as i64);
        state::State::new(&queue).raise_alert(&alert).await.unwrap();
    }
    let mut again =
        Alert::new(AlertSeverity::Warning, "stuck_move", "alert 0 again").with_site(s1).with_object("default-1");
    again.last_seen = start + TimeDelta::seconds(5);
    state::State::new(&queue).raise_alert(&again).await.unwrap();
    state::State::new(&queue)
        .raise_alert(&Alert::new(AlertSeverity::Critical, "capacity_guard", "no site"))
        .await
        .unwrap();
    assert!(state::State::new(&queue).resolve_alert("stuck_move", Some(s1), Some("default-2")).await.unwrap());

    let alerts: Vec<AlertView> = api.admin.get("/alerts?site=s1").await.unwrap();
    let seen: Vec<_> = alerts.iter().map(|a| (a.id.as_str(), a.state.as_str(), a.count)).collect();
    assert_eq!(seen, [("a0", "open", 2), ("a1", "resolved", 1)], "all states by default, newest first");
    let a0 = &alerts[0];
    assert_eq!(
        (a0.site.as_deref(), a0.object.as_deref(), a0.message.as_str()),
        (Some("s1"), Some("default-1"), "alert 0 again")
    );
    assert_eq!((a0.last_seen > a0.created_at, a0.resolved_at), (true, None));
    assert!(alerts[1].resolved_at.is_some());

    let open: Vec<AlertView> = api.admin.get("/alerts?state=open").await.unwrap();
    assert_eq!(open.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["capacity_guard", "stuck_move"]);
    let resolved: Vec<AlertView> = api.admin.get("/alerts?state=resolved&limit=5").await.unwrap();
    assert_eq!(resolved.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a1"]);
    assert_eq!(api.admin.get::<Vec<AlertView>>("/alerts").await.unwrap().len(), 3);
    assert!(api.admin.get::<Vec<AlertView>>("/alerts?site=s2").await.unwrap().is_empty());

    let p = problem(api.admin.get::<Vec<AlertView>>("/alerts?state=closed").await);
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (422, "invalid_field", Some("state")));
    assert_eq!(problem(api.admin.get::<Vec<AlertView>>("/alerts?limit=0").await).field.as_deref(), Some("limit"));
    assert_eq!(problem(api.admin.get::<Vec<AlertView>>("/alerts?site=nowhere").await).status, 404);
}
