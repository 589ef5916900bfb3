//! Moves as jobs: a group to another backend, a whole backend evacuated, a user to another
//! group, a user kicked. Requests are checked against GeoDB and the latest reachability first,
//! so an operator gets a clear refusal instead of a job that dies later; the job checks again.

use actix_web::{HttpResponse, web};
use api_types::{EvacuationView, JobAccepted, MoveGroup, MoveUser};
use chrono::Utc;
use domain::destination::{self, Observed, Refusal};
use domain::{Backend, GroupName, UserGroup, UserName};
use jobs::Job;
use jobs::moves::{EvacuateBackendPayload, KickPayload, MoveGroupPayload, MoveUserPayload};
use queue::{EnqueueOutcome, Queue};
use state::State;

use crate::auth::{Auth, Operator, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::Body;
use crate::lookup;
use crate::reply::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sites/{site}/groups/{group}/move").post(move_group))
        .service(web::resource("/backends/{backend}/evacuate").post(evacuate))
        .service(web::resource("/backends/{backend}/evacuation").get(evacuation))
        .service(web::resource("/users/{user}/move").post(move_user))
        .service(web::resource("/users/{user}/kick").post(kick));
}

/// Enqueues a typed job and answers 202 with its id.
pub(crate) async fn submit<J: Job>(queue: &Queue, job: &J) -> ApiResult<HttpResponse> {
    let kind = J::KIND.as_str();
    let (job_id, outcome) = match queue.submit(job).await? {
        EnqueueOutcome::Enqueued(id) => (id, "enqueued"),
        EnqueueOutcome::Duplicate(id) => (id, "duplicate"),
    };
    tracing::info!(%job_id, kind, outcome, "job submitted");
    Ok(HttpResponse::Accepted().json(JobAccepted { job_id, outcome: outcome.into() }))
}

/// Why `group` cannot move to `backend` now, if it cannot (`domain::destination`; the job checks
/// the same rule again).
async fn refusal(store: &State, group: &UserGroup, backend: &Backend) -> ApiResult<Option<ApiError>> {
    let reachability = store.backend_reachability().await?;
    let latest = reachability.iter().find(|r| r.backend_id == backend.id.0);
    let observed = Observed { unreachable: latest.and_then(|r| r.unreachable_because()), ..Observed::default() };
    Ok(destination::refusal(group, backend, observed).map(|refusal| {
        let detail = refusal.explain(&group.name, &backend.host);
        match refusal {
            Refusal::GroupMoving(_) => ApiError::new(ErrorCode::GroupMoving, detail),
            _ => ApiError::new(ErrorCode::DestinationUnusable, detail).field("backend"),
        }
    }))
}

#[utoipa::path(post, operation_id = "groups_move", path = "/api/v1/sites/{site}/groups/{group}/move", tag = "moves", security(("bearer" = ["operator"])),
    request_body = MoveGroup,
    params(("site" = String, Path, description = "Site name"), ("group" = String, Path, description = "Group name")),
    responses((status = 202, body = JobAccepted), (status = 404, body = api_types::Problem),
        (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn move_group(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<MoveGroup>,
) -> ApiResult<HttpResponse> {
    let (db, queue) = (state.geodb.get()?, state.queue.get()?);
    let site = lookup::site(&*db, &path.0).await?;
    let name = GroupName::parse(&path.1).map_err(|e| ApiError::parameter(e, "group"))?;
    let group = db
        .get_group(site.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::GroupNotFound, "group", &name))?;
    let dest = lookup::backend_field(&*db, "backend", &body.0.backend).await?;
    if let Some(refused) = refusal(&state.store()?, &group, &dest).await? {
        return Err(refused);
    }
    let job = MoveGroupPayload {
        site_id: site.id,
        group: name,
        destination_backend_id: dest.id,
        expected_backend_id: Some(group.backend_id),
    };
    submit(&queue, &job).await
}

#[utoipa::path(post, operation_id = "backends_evacuate", path = "/api/v1/backends/{backend}/evacuate", tag = "moves", security(("bearer" = ["operator"])),
    params(("backend" = String, Path, description = "Backend host name")),
    responses((status = 202, body = JobAccepted), (status = 404, body = api_types::Problem)))]
pub async fn evacuate(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    host: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (db, queue) = (state.geodb.get()?, state.queue.get()?);
    let backend = lookup::backend(&*db, &host).await?;
    submit(&queue, &EvacuateBackendPayload { backend_id: backend.id }).await
}

#[utoipa::path(get, operation_id = "evacuations_get", path = "/api/v1/backends/{backend}/evacuation", tag = "moves", security(("bearer" = ["viewer"])),
    params(("backend" = String, Path, description = "Backend host name")),
    responses((status = 200, body = EvacuationView,
            description = "state: running | stalled | done | failed; `stalled` (never stored) is a running evacuation without a heartbeat for 6 s or without a group moved for EVACUATION_STALL_SECS, with stalled_since and stalled_reason"),
        (status = 404, body = api_types::Problem)))]
pub async fn evacuation(
    _: Auth<Viewer>,
    state: web::Data<AppState>,
    host: web::Path<String>,
) -> ApiResult<Json<EvacuationView>> {
    let (db, store) = (state.geodb.get()?, state.store()?);
    let backend = lookup::backend(&*db, &host).await?;
    let p = store.evacuation(backend.id.0).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::NoReading, format!("backend {} has never been evacuated", backend.host))
    })?;
    // Only this job's beats count: another job's would not say that this one's worker lives.
    let heartbeat = store.evacuation_heartbeat(backend.id.0).await?.filter(|(job, _)| *job == p.job_id);
    let seen = p.assess(Utc::now(), heartbeat.map(|(_, at)| at), state.evacuation_stall);
    Ok(Json(EvacuationView {
        backend: backend.host.into(),
        job_id: p.job_id,
        state: seen.state.as_str().to_owned(),
        total: p.total,
        moved: p.moved,
        moving: p.moving,
        failed: p.failed,
        started_at: p.started_at,
        updated_at: p.updated_at,
        message: p.message,
        last_moved_at: p.last_moved_at,
        stalled_since: seen.stalled_since,
        stalled_reason: seen.why,
    }))
}

#[utoipa::path(post, operation_id = "users_move", path = "/api/v1/users/{user}/move", tag = "moves", security(("bearer" = ["operator"])), request_body = MoveUser,
    params(("user" = String, Path, description = "User name")),
    responses((status = 202, body = JobAccepted), (status = 404, body = api_types::Problem),
        (status = 409, body = api_types::Problem), (status = 422, body = api_types::Problem)))]
pub async fn move_user(
    _: Auth<Operator>,
    state: web::Data<AppState>,
    user: web::Path<String>,
    body: Body<MoveUser>,
) -> ApiResult<HttpResponse> {
    let (db, queue) = (state.geodb.get()?, state.queue.get()?);
    let name = UserName::parse(&user).map_err(|e| ApiError::parameter(e, "user"))?;
    let stored =
        db.get_user(&name).await?.ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "user", &name))?;
    if stored.is_moving() {
        return Err(ApiError::new(ErrorCode::UserMoving, format!("user {name} is already moving")));
    }
    let group = GroupName::parse(&body.0.group).map_err(|e| ApiError::from(e.at("group")))?;
    let failover =
        body.0.failover_group.as_deref().map(GroupName::parse).transpose().map_err(|e| e.at("failover_group"))?;
    let site = match body.0.site.as_deref() {
        Some(s) => lookup::site_field(&*db, "site", s).await?,
        None => db
            .get_site(stored.site_id)
            .await?
            .ok_or_else(|| ApiError::not_found(ErrorCode::SiteNotFound, "site", stored.site_id))?,
    };
    if db.get_group(site.id, &group).await?.is_none() {
        return Err(ApiError::new(ErrorCode::InvalidField, format!("group: no group {group} in site {}", site.name))
            .field("group"));
    }
    if stored.site_id == site.id && stored.group.as_ref() == Some(&group) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, format!("group: user {name} is already in {group}")).field("group")
        );
    }
    submit(&queue, &MoveUserPayload { user: name, group, site_id: Some(site.id), failover_group: failover }).await
}

#[utoipa::path(post, operation_id = "users_kick", path = "/api/v1/users/{user}/kick", tag = "moves", security(("bearer" = ["operator"])),
    params(("user" = String, Path, description = "User name")),
    responses((status = 202, body = JobAccepted), (status = 404, body = api_types::Problem)))]
pub async fn kick(_: Auth<Operator>, state: web::Data<AppState>, user: web::Path<String>) -> ApiResult<HttpResponse> {
    let (db, queue) = (state.geodb.get()?, state.queue.get()?);
    let name = UserName::parse(&user).map_err(|e| ApiError::parameter(e, "user"))?;
    db.get_user(&name).await?.ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "user", &name))?;
    submit(&queue, &KickPayload { user: name }).await
}
