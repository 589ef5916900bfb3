//! Jobs: enqueue an ad-hoc job of a known kind, read records, redrive dead jobs; the
//! scheduler's leader and schedule; queue depths.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use api_types::schema::DEDUP_KEY_MAX;
use api_types::{
    EnqueueJob, EnqueuedJob, JobPage, JobView, LeaderView, PriorityDepthView, QueueDepthsView, ScheduleEntryView,
    SchedulerView,
};
use queue::{EnqueueOutcome, JobRecord, JobState, NewJob, Priority, QueueDepths};
use serde::Deserialize;

use crate::auth::{Auth, Operator, Viewer};
use crate::checks::Checks;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{Body, Query};
use crate::reply::Json;
use crate::state::AppState;

/// Longest dedup key accepted: keys name things like `evacuate:<backend>`.
/// More attempts than this is a misconfiguration, not persistence.
const MAX_ATTEMPTS: u32 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/jobs").get(list).post(enqueue))
        .service(web::resource("/jobs/{id}").get(get))
        .service(web::resource("/jobs/{id}/retry").post(retry))
        .service(web::resource("/scheduler").get(scheduler))
        .service(web::resource("/queues").get(queues));
}

#[utoipa::path(post, operation_id = "jobs_enqueue", path = "/api/v1/jobs", tag = "jobs", security(("bearer" = ["operator"])), request_body = EnqueueJob,
    responses((status = 202, body = EnqueuedJob), (status = 422, body = api_types::Problem), (status = 503, body = api_types::Problem)))]
pub async fn enqueue(
    auth: Auth<Operator>,
    state: web::Data<AppState>,
    body: Body<EnqueueJob>,
) -> ApiResult<HttpResponse> {
    let job = new_job(body.0)?;
    let kind = job.kind.clone();
    let outcome = state.queue.get()?.enqueue(job).await?;
    tracing::info!(job_id = outcome.id(), %kind, by = %auth.principal.name, "job enqueued");
    let (id, outcome) = match outcome {
        EnqueueOutcome::Enqueued(id) => (id, "enqueued"),
        EnqueueOutcome::Duplicate(id) => (id, "duplicate"),
    };
    Ok(HttpResponse::Accepted().json(EnqueuedJob { id, outcome: outcome.into() }))
}

/// Validates a request into a job: the kind must be known and its payload valid for it.
pub fn new_job(req: EnqueueJob) -> ApiResult<NewJob> {
    let mut c = Checks::default();
    let validated = c.take_as_named(jobs::validate(&req.kind, &req.payload));
    let priority = match req.priority.as_deref() {
        None => Some(None),
        Some(p) => match p.parse::<Priority>() {
            Ok(p) => Some(Some(p)),
            Err(message) => {
                c.fail("priority", message);
                None
            }
        },
    };
    if req.dedup_key.as_ref().is_some_and(|k| k.is_empty() || k.chars().count() > DEDUP_KEY_MAX) {
        c.fail("dedup_key", format!("must be 1 to {DEDUP_KEY_MAX} characters"));
    }
    if req.max_attempts.is_some_and(|n| !(1..=MAX_ATTEMPTS).contains(&n)) {
        c.fail("max_attempts", format!("must be between 1 and {MAX_ATTEMPTS}"));
    }
    let (Some((kind, payload)), Some(priority), true) = (validated, priority, c.is_ok()) else { return Err(c.error()) };
    Ok(NewJob {
        kind: kind.as_str().to_owned(),
        payload,
        priority: priority.unwrap_or(kind.default_priority()),
        dedup_key: req.dedup_key,
        max_attempts: req.max_attempts,
        epoch: None,
    })
}

#[utoipa::path(get, operation_id = "jobs_get", path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = ["viewer"])),
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = api_types::Problem)))]
pub async fn get(_: Auth<Viewer>, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<Json<JobView>> {
    let record = state.queue.get()?.get(&id).await?;
    record.map(|r| Json(view(r))).ok_or_else(|| ApiError::not_found(ErrorCode::JobNotFound, "job", id.as_str()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListJobs {
    #[param(value_type = Option<api_types::schema::JobStateName>)]
    pub state: Option<String>,
    #[param(value_type = Option<api_types::schema::Text>)]
    pub kind: Option<String>,
    #[param(value_type = Option<api_types::schema::Text>)]
    pub cursor: Option<String>,
    /// Default 100.
    #[param(minimum = 1, maximum = 1000)] // PageRequest::MAX_LIMIT
    pub limit: Option<u32>,
}

#[utoipa::path(get, operation_id = "jobs_list", path = "/api/v1/jobs", tag = "jobs", security(("bearer" = ["viewer"])), params(ListJobs),
    responses((status = 200, body = JobPage), (status = 400, body = api_types::Problem)))]
pub async fn list(_: Auth<Viewer>, state: web::Data<AppState>, q: Query<ListJobs>) -> ApiResult<Json<JobPage>> {
    let q = q.0;
    let page = crate::routes::groups::page_request(q.cursor, q.limit)?;
    let job_state = q
        .state
        .as_deref()
        .map(str::parse::<JobState>)
        .transpose()
        .map_err(|m| ApiError::new(ErrorCode::InvalidField, format!("state: {m}")).field("state"))?;
    let (records, next_cursor) =
        state.queue.get()?.list(job_state, q.kind.as_deref(), page.cursor.as_deref(), page.limit as usize).await?;
    Ok(Json(JobPage { items: records.into_iter().map(view).collect(), next_cursor }))
}

#[utoipa::path(post, operation_id = "jobs_retry", path = "/api/v1/jobs/{id}/retry", tag = "jobs", security(("bearer" = ["operator"])),
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = api_types::Problem), (status = 409, body = api_types::Problem)))]
pub async fn retry(
    auth: Auth<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<Json<JobView>> {
    let record = state.queue.get()?.redrive(&id).await?;
    tracing::info!(job_id = %record.id, kind = %record.kind, by = %auth.principal.name, "dead job redriven");
    Ok(Json(view(record)))
}

#[utoipa::path(get, operation_id = "scheduler_get", path = "/api/v1/scheduler", tag = "jobs", security(("bearer" = ["viewer"])),
    responses((status = 200, body = SchedulerView), (status = 503, body = api_types::Problem)))]
pub async fn scheduler(_: Auth<Viewer>, state: web::Data<AppState>) -> ApiResult<Json<SchedulerView>> {
    let queue = state.queue.get()?;
    let status = queue.scheduler_status().await?;
    let depths = queue.depths().await?;
    let last: HashMap<String, _> = status.last_ticks.into_iter().collect();
    let entries = status
        .entries
        .into_iter()
        .map(|e| ScheduleEntryView {
            last_tick: last.get(&e.name).copied(),
            name: e.name,
            kind: e.kind,
            interval_ms: e.interval_ms,
            priority: e.priority.as_str().to_owned(),
            payload: e.payload,
        })
        .collect();
    let leader = status.leader.map(|l| LeaderView { owner: l.owner, epoch: l.epoch, expires_in_ms: l.expires_in_ms });
    Ok(Json(SchedulerView { leader, entries, queues: depths_view(depths) }))
}

#[utoipa::path(get, operation_id = "queues_list", path = "/api/v1/queues", tag = "jobs", security(("bearer" = ["viewer"])),
    responses((status = 200, body = QueueDepthsView), (status = 503, body = api_types::Problem)))]
pub async fn queues(_: Auth<Viewer>, state: web::Data<AppState>) -> ApiResult<Json<QueueDepthsView>> {
    Ok(Json(depths_view(state.queue.get()?.depths().await?)))
}

fn depths_view(d: QueueDepths) -> QueueDepthsView {
    let p = |x: queue::PriorityDepth| PriorityDepthView { waiting: x.waiting, running: x.running };
    QueueDepthsView { high: p(d.high), low: p(d.low), delayed: d.delayed, dead: d.dead }
}

fn view(r: JobRecord) -> JobView {
    JobView {
        id: r.id,
        kind: r.kind,
        payload: r.payload,
        priority: r.priority.as_str().to_owned(),
        dedup_key: r.dedup_key,
        state: r.state.as_str().to_owned(),
        attempts: r.attempts,
        max_attempts: r.max_attempts,
        epoch: r.epoch,
        created_at: r.created_at,
        enqueued_at: r.enqueued_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        worker: r.worker,
        result: r.result,
        error: r.error,
        next_attempt_at: r.next_attempt_at,
    }
}
