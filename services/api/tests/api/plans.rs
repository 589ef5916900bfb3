use std::collections::BTreeMap;

use api_types::{ApprovedPlan, BalanceView, JobView, PlanView};
use chrono::Utc;
use domain::Feature;
use policy::plan::{Plan, PlannedMove};
use queue::{Queue, QueueConfig};
use state::BalanceState;
use testkit::redis::{RedisServer, unique_prefix};

use crate::common::{TestApi, problem};

async fn setup() -> (TestApi, Queue, RedisServer, domain::Site, domain::Backend) {
    let redis = RedisServer::start().await;
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("api-plans"))).await.unwrap();
    let api = TestApi::start_with_queue(queue.clone()).await;
    api.site_with_backends("s1", 2).await;
    let site = api.db().get_site_by_name(&domain::SiteName::parse("s1").unwrap()).await.unwrap().unwrap();
    let backend = api.db().list_backends(Some(site.id)).await.unwrap().remove(0);
    (api, queue, redis, site, backend)
}

fn evacuation_plan(site: domain::SiteId, backend: domain::BackendId) -> Plan {
    Plan {
        feature: Feature::ErrorMitigation,
        site,
        created_at: Utc::now(),
        moves: vec![PlannedMove::Evacuate { backend }],
        reasons: Vec::new(),
        score_before: None,
        score_after_predicted: None,
    }
}

#[tokio::test]
async fn a_stored_plan_is_listed_and_approving_it_once_enqueues_its_execution() {
    let (api, queue, _redis, site, backend) = setup().await;
    let id = state::State::new(&queue).put_plan(&evacuation_plan(site.id, backend.id)).await.unwrap();

    let plans: Vec<PlanView> = api.admin.get("/sites/s1/plans").await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!((plans[0].id.as_str(), plans[0].state.as_str()), (id.as_str(), "pending"));
    assert_eq!(plans[0].plan["feature"], "error_mitigation");
    let one: PlanView = api.admin.get(&format!("/plans/{id}")).await.unwrap();
    assert_eq!(one, plans[0]);

    let approved: ApprovedPlan = api.admin.post(&format!("/plans/{id}/approve"), &serde_json::json!({})).await.unwrap();
    assert_eq!(approved.plan.state, "approved");
    let job: JobView = api.admin.get(&format!("/jobs/{}", approved.job_id)).await.unwrap();
    assert_eq!((job.kind.as_str(), job.payload["plan_id"].as_str()), ("execute_plan", Some(id.as_str())));

    let p = problem(api.admin.post::<_, ApprovedPlan>(&format!("/plans/{id}/approve"), &serde_json::json!({})).await);
    assert_eq!((p.status, p.code.as_str()), (409, "job_conflict"));
    assert_eq!(queue.depths().await.unwrap().high.waiting, 1, "one execution only");
    let p = problem(api.admin.get::<PlanView>("/plans/no-such-plan").await);
    assert_eq!((p.status, p.code.as_str()), (404, "plan_not_found"));
}

#[tokio::test]
async fn the_balance_reading_is_served_once_computed() {
    let (api, queue, _redis, site, _backend) = setup().await;
    let p = problem(api.admin.get::<BalanceView>("/sites/s1/balance").await);
    assert_eq!((p.status, p.code.as_str()), (404, "no_reading"));
    let reading = BalanceState {
        site_id: site.id.0,
        balancedness: 62.5,
        spread: BTreeMap::from([("memused".to_owned(), 1.0)]),
        scores: BTreeMap::from([("b1.s1.test".to_owned(), BTreeMap::from([("memused".to_owned(), 1.2)]))]),
        combined: BTreeMap::from([("b1.s1.test".to_owned(), 1.2)]),
        shares: Default::default(),
        computed_at: Utc::now(),
    };
    state::State::new(&queue).put_balance_state(&reading).await.unwrap();
    let view: BalanceView = api.admin.get("/sites/s1/balance").await.unwrap();
    assert_eq!((view.site.as_str(), view.balancedness), ("s1", 62.5));
    assert_eq!(view.scores["b1.s1.test"]["memused"], 1.2);
}

#[tokio::test]
async fn the_group_size_plan_is_served_once_planned() {
    let (api, queue, _redis, site, _backend) = setup().await;
    assert_eq!(problem(api.admin.get::<api_types::GroupPlanView>("/sites/s1/group-plan").await).code, "no_reading");
    let user_move = policy::group_size::UserMove {
        user: domain::UserName::parse("u1@example.test").unwrap(),
        from: domain::GroupName::parse("default-1").unwrap(),
        to: domain::GroupName::parse("default-2").unwrap(),
    };
    let plan = state::StoredGroupPlan { moves: vec![user_move], created_at: Utc::now(), done: 0, dry_run: true };
    state::State::new(&queue).put_group_plan(site.id.0, &plan).await.unwrap();
    let view: api_types::GroupPlanView = api.admin.get("/sites/s1/group-plan").await.unwrap();
    assert_eq!((view.total, view.done, view.dry_run), (1, 0, true));
    assert_eq!(view.moves[0]["to"], "default-2");
}

#[tokio::test]
async fn failover_and_autoscale_readings_are_served_once_computed() {
    let (api, queue, _redis, site, _backend) = setup().await;
    assert_eq!(problem(api.admin.get::<api_types::FailoverView>("/sites/s1/failover").await).code, "no_reading");
    assert_eq!(problem(api.admin.get::<api_types::AutoscaleView>("/sites/s1/autoscale").await).code, "no_reading");
    let live = state::StoredFailover {
        site_id: site.id.0,
        state: policy::failover::FailoverState {
            percent: 20,
            bad_streak: 1,
            good_streak: 0,
            quiet_streak: 0,
            failed_probes: 1,
        },
        last_action: "step_down".into(),
        dry_run: false,
        updated_at: Utc::now(),
    };
    state::State::new(&queue).put_failover_state(&live).await.unwrap();
    state::State::new(&queue)
        .put_failover_state(&state::StoredFailover {
            state: policy::failover::FailoverState { percent: 30, ..live.state },
            dry_run: true,
            ..live.clone()
        })
        .await
        .unwrap();
    let view: api_types::FailoverView = api.admin.get("/sites/s1/failover").await.unwrap();
    assert_eq!((view.percent, view.dry_run_percent, view.last_action.as_str()), (20, Some(30), "step_down"));
    assert_eq!(view.failed_probes, 1);

    let desired = state::DesiredBackends {
        site_id: site.id.0,
        desired: 7,
        current: 2,
        policy: "webhook".into(),
        computed_at: Utc::now(),
        dry_run: true,
    };
    state::State::new(&queue).put_desired_backends(&desired).await.unwrap();
    let view: api_types::AutoscaleView = api.admin.get("/sites/s1/autoscale").await.unwrap();
    assert_eq!((view.desired, view.current, view.policy.as_str(), view.dry_run), (7, 2, "webhook", true));
}
