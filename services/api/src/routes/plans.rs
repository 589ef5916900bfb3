//! Dry-run plans and the balancer's reading: an operator reads what automation would do and
//! approves a fresh plan to have exactly its moves executed.

use actix_web::{HttpResponse, web};
use api_types::{ApprovedPlan, BalanceView, GroupPlanView, PlanView};
use jobs::mitigation::ExecutePlanPayload;
use serde::Deserialize;
use state::StoredPlan;

use crate::auth::{Auth, Operator, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Query;
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/plans").get(list))
        .service(web::resource("/plans/{id}").get(get))
        .service(web::resource("/plans/{id}/approve").post(approve))
        .service(web::resource("/sites/{site}/balance").get(balance))
        .service(web::resource("/sites/{site}/group-plan").get(group_plan));
}

fn view(p: StoredPlan) -> PlanView {
    PlanView {
        id: p.id,
        state: p.state.as_str().to_owned(),
        stored_at: p.stored_at,
        plan: serde_json::to_value(&p.plan).unwrap_or(serde_json::Value::Null),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListPlans {
    /// Newest first, default 50.
    #[param(minimum = 1, maximum = 500)] // state::MAX_PLANS_PER_SITE
    pub limit: Option<u32>,
}

#[utoipa::path(get, operation_id = "plans_list", path = "/api/v1/sites/{site}/plans", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name"), ListPlans),
    responses((status = 200, body = Vec<PlanView>), (status = 404, body = api_types::Problem)))]
pub async fn list(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
    q: Query<ListPlans>,
) -> ApiResult<Json<Vec<PlanView>>> {
    let limit = q.0.limit.unwrap_or(50);
    if !(1..=state::MAX_PLANS_PER_SITE as u32).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("limit: must be between 1 and {}", state::MAX_PLANS_PER_SITE),
        )
        .field("limit"));
    }
    let site = lookup::site(&*state.geodb.get()?, &site).await?;
    let plans = state.store()?.plans(&site.id.to_string(), limit as usize).await?;
    Ok(Json(plans.into_iter().map(view).collect()))
}

#[utoipa::path(get, operation_id = "plans_get", path = "/api/v1/plans/{id}", tag = "automation", security(("bearer" = ["viewer"])),
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, body = PlanView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<Json<PlanView>> {
    let plan = state.store()?.plan(&id).await?;
    plan.map(|p| Json(view(p)))
        .ok_or_else(|| ApiError::new(ErrorCode::PlanNotFound, format!("plan {id} does not exist")))
}

#[utoipa::path(post, operation_id = "plans_approve", path = "/api/v1/plans/{id}/approve", tag = "automation", security(("bearer" = ["operator"])),
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 202, body = ApprovedPlan), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn approve(
    auth: Auth<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let queue = state.queue.get()?;
    let plan = state.store()?.approve_plan(&id, state::DEFAULT_PLAN_MAX_AGE).await.map_err(|e| match e {
        queue::QueueError::NotFound(_) => ApiError::new(ErrorCode::PlanNotFound, format!("plan {id} does not exist")),
        other => other.into(),
    })?;
    let job_id = queue.submit(&ExecutePlanPayload { plan_id: plan.id.clone() }).await?.id().to_owned();
    tracing::info!(plan_id = %plan.id, %job_id, by = %auth.principal.name, "plan approved");
    Ok(HttpResponse::Accepted().json(ApprovedPlan { plan: view(plan), job_id }))
}

#[utoipa::path(get, operation_id = "balance_get", path = "/api/v1/sites/{site}/balance", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = BalanceView), (status = 404, body = api_types::Problem)))]
pub async fn balance(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<BalanceView>> {
    let site = lookup::site(&*state.geodb.get()?, &site).await?;
    let reading = state.store()?.balance_state(site.id.0).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoReading,
            format!("no balance reading for site {} yet (is load_balancing off?)", site.name),
        )
    })?;
    Ok(Json(BalanceView {
        site: site.name.into(),
        balancedness: reading.balancedness,
        spread: reading.spread,
        scores: reading.scores,
        combined: reading.combined,
        computed_at: reading.computed_at,
    }))
}

#[utoipa::path(get, operation_id = "group_plan_get", path = "/api/v1/sites/{site}/group-plan", tag = "automation", security(("bearer" = ["viewer"])),
    params(("site" = String, Path, description = "Site name")),
    responses((status = 200, body = GroupPlanView), (status = 404, body = api_types::Problem)))]
pub async fn group_plan(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    site: web::Path<String>,
) -> ApiResult<Json<GroupPlanView>> {
    let site = lookup::site(&*state.geodb.get()?, &site).await?;
    let plan = state.store()?.group_plan(site.id.0).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoReading,
            format!("no group-size plan for site {} yet (is group_balancing off?)", site.name),
        )
    })?;
    Ok(Json(GroupPlanView {
        site: site.name.into(),
        created_at: plan.created_at,
        done: plan.done,
        total: plan.moves.len(),
        dry_run: plan.dry_run,
        moves: serde_json::to_value(&plan.moves).unwrap_or(serde_json::Value::Null),
    }))
}
