//! The node's JSON API (DESIGN §9) as an axum router, for the server to mount beside
//! the web UI.
//!
//! Handlers are thin: they pull the path, query and body apart and call the matching
//! operation of [`crate::api`] where blocking is allowed, because an operation does
//! SQLite work and waits for the disk. The pattern every handler (and the UI's) uses:
//!
//! ```text
//! let answer = on_replica(&state, move |replica| api::list_wishes(replica, None, None)).await;
//! ```
//!
//! [`on_replica`] runs the closure holding the replica's lock for that one call, and
//! [`on_replica_write`] runs a write in the next group commit (`calls.rs`). Bodies over
//! [`BODY_LIMIT`] are refused with 413.

mod auth;
mod calls;
mod volunteers;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde_json::Value;
use wishtree_protocol::model::Entity;

pub use self::auth::require_password;
pub use self::calls::{on_replica, on_replica_write};
use crate::api::{self, ApiError, ApiResult, Input};
use crate::replica::{GroupCommit, Replica, SharedReplica};
use crate::report::ReportCsv;

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler of the node (API and UI) shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The replica.
    pub replica: SharedReplica,
    /// The queue in front of it for writes, which share a transaction when they come
    /// together.
    pub writes: Arc<GroupCommit>,
}

impl AppState {
    /// The state around a replica.
    pub fn new(replica: Replica) -> Self {
        let replica = Arc::new(tokio::sync::Mutex::new(replica));
        Self {
            writes: Arc::new(GroupCommit::new(Arc::clone(&replica))),
            replica,
        }
    }
}

/// The routes of `/api`, and `/metrics`.
pub fn api_router() -> Router<AppState> {
    volunteers::routes(Router::new())
        .route("/metrics", get(metrics))
        .route("/api/status", get(status))
        .route("/api/community", put(rename_community))
        .route(
            "/api/rules/points-per-hour/{category}",
            put(set_points_rate),
        )
        .route("/api/scoring", get(scoring))
        .route("/api/scoring/{item}", put(set_scoring_rate))
        .route("/api/conflicts", get(list_conflicts))
        .route("/api/rounds", get(list_rounds).post(create_round))
        .route("/api/rounds/{id}", get(round))
        .route("/api/rounds/{id}/close", post(close_round))
        .route("/api/wishes/{id}/round", post(move_wish))
        .route("/api/benefits", get(list_benefits).post(create_benefit))
        .route("/api/benefits/{id}", get(benefit))
        .route("/api/benefits/{id}/withdraw", post(withdraw_benefit))
        .route("/api/members", get(list_members).post(create_member))
        .route("/api/members/{id}", get(member).put(update_member))
        .route("/api/members/{id}/passbook", get(passbook))
        .route(
            "/api/members/{id}/cards",
            get(member_cards).post(issue_card),
        )
        .route("/api/cards/{id}/revoke", post(revoke_card))
        .route("/api/orgs", get(list_orgs).post(create_org))
        .route("/api/orgs/{id}", get(org))
        .route("/api/pairings", get(list_pairings).post(create_pairing))
        .route("/api/street/report-ins", post(street_report_in))
        .route("/api/pairings/{id}", get(pairing))
        .route("/api/pairings/{id}/end", post(end_pairing))
        .route("/api/branches", get(list_branches).post(create_branch))
        .route("/api/teams", get(list_teams).post(create_team))
        .route("/api/posts", get(list_posts).post(create_post))
        .route("/api/posts/{id}", get(post_record))
        .route("/api/posts/{id}/{action}", lifecycle(&api::POSTS))
        .route("/api/wishes", get(list_wishes).post(create_wish))
        .route("/api/wishes/{id}", get(wish))
        .route("/api/wishes/{id}/{action}", lifecycle(&api::WISHES))
        .route("/api/projects", get(list_projects).post(create_project))
        .route("/api/projects/{id}", get(project))
        .route("/api/projects/{id}/intents", post(send_intent))
        .route("/api/projects/{id}/approval", post(approve_project))
        .route("/api/projects/{id}/{action}", lifecycle(&api::PROJECTS))
        .route(
            "/api/activities",
            get(list_activities).post(create_activity),
        )
        .route("/api/activities/{id}", get(activity))
        .route("/api/activities/{id}/participants", post(add_participant))
        .route("/api/activities/{id}/sign-ups", post(sign_up))
        .route("/api/activities/{id}/check-in-code", get(check_in_code))
        .route("/api/services", get(list_services).post(create_service))
        .route("/api/services/{id}", get(service))
        .route("/api/redemptions", post(create_redemption))
        .route("/api/voids", get(list_voids).post(create_void))
        .route("/api/reports/half-year", get(half_year_report))
        .route("/api/seals", get(list_seals).post(seal_period))
        .route("/api/evaluations", get(list_evaluations).post(evaluate))
        .route("/api/{*rest}", axum::routing::any(unknown_route))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The answer to an operation: `success` with the JSON, or the error's status with
/// `{"error": …}`.
pub fn respond(result: ApiResult, success: StatusCode) -> Response {
    match result {
        Ok(value) => (success, axum::Json(value)).into_response(),
        Err(error) => error_response(&error),
    }
}

/// The JSON answer to an error.
pub fn error_response(error: &ApiError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(error.to_json())).into_response()
}

/// A request body as JSON: empty counts as `{}`.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit: BODY_LIMIT }
        } else {
            ApiError::bad_request(None, format!("the body cannot be read: {rejection}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::bad_request(None, format!("the body is not JSON: {error}")))
}

type Body = Result<Bytes, BytesRejection>;

async fn read(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> ApiResult + Send + 'static,
) -> Response {
    respond(
        on_replica(state, work).await.and_then(|r| r),
        StatusCode::OK,
    )
}

async fn write(
    state: &AppState,
    body: Body,
    success: StatusCode,
    work: impl FnOnce(&mut Replica, Value, wishtree_protocol::Timestamp) -> ApiResult + Send + 'static,
) -> Response {
    let body = match json_body(body) {
        Ok(body) => body,
        Err(error) => return error_response(&error),
    };
    let result = on_replica_write(state, move |replica| work(replica, body, crate::now())).await;
    respond(result, success)
}

/// `/metrics`: the node's metrics for Prometheus, behind the same password as the rest.
async fn metrics(State(state): State<AppState>) -> Response {
    match on_replica(&state, |replica| {
        crate::metrics::render(replica, crate::now())
    })
    .await
    {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

async fn status(State(state): State<AppState>) -> Response {
    read(&state, api::status).await
}

async fn rename_community(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::OK, |r, b, now| {
        api::rename_community(r, api::CommunityName::from_json(b, now)?, now)
    })
    .await
}

async fn set_points_rate(
    State(state): State<AppState>,
    Path(category): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::set_points_rate(r, &category, api::PointsRate::from_json(b, now)?, now)
    })
    .await
}

async fn scoring(State(state): State<AppState>) -> Response {
    read(&state, api::scoring).await
}

async fn set_scoring_rate(
    State(state): State<AppState>,
    Path(item): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::set_scoring_rate(r, &item, b, now)
    })
    .await
}

async fn list_conflicts(State(state): State<AppState>) -> Response {
    read(&state, api::list_conflicts).await
}

async fn list_rounds(State(state): State<AppState>) -> Response {
    read(&state, api::list_rounds).await
}

async fn create_round(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_round(r, api::NewRound::from_json(b, now)?, now)
    })
    .await
}

async fn round(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::round(r, &id)).await
}

async fn close_round(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, _, now| {
        api::close_round(r, &id, now)
    })
    .await
}

async fn list_benefits(State(state): State<AppState>) -> Response {
    read(&state, api::list_benefits).await
}

async fn create_benefit(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_benefit(r, api::NewBenefit::from_json(b, now)?, now)
    })
    .await
}

async fn benefit(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::benefit(r, &id)).await
}

async fn withdraw_benefit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, _, now| {
        api::withdraw_benefit(r, &id, now)
    })
    .await
}

async fn list_members(State(state): State<AppState>) -> Response {
    read(&state, api::list_members).await
}

async fn create_member(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |replica, body, now| {
        api::create_member(replica, api::NewMember::from_json(body, now)?, now)
    })
    .await
}

async fn member(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::member(r, &id)).await
}

async fn update_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::update_member(r, &id, api::NewMember::from_json(b, now)?, now)
    })
    .await
}

async fn passbook(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::passbook(r, &id)).await
}

async fn member_cards(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::member_cards(r, &id)).await
}

async fn issue_card(State(state): State<AppState>, Path(id): Path<String>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, move |r, b, now| {
        api::issue_card(r, &id, api::NewCard::from_json(b, now)?, now)
    })
    .await
}

async fn revoke_card(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::revoke_card(r, &id, api::CardRevocation::from_json(b, now)?, now)
    })
    .await
}

async fn list_orgs(State(state): State<AppState>) -> Response {
    read(&state, api::list_orgs).await
}

async fn create_org(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_org(r, api::NewOrg::from_json(b, now)?, now)
    })
    .await
}

async fn org(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::org(r, &id)).await
}

async fn list_pairings(State(state): State<AppState>) -> Response {
    read(&state, api::list_pairings).await
}

async fn create_pairing(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_pairing(r, api::NewPairing::from_json(b, now)?, now)
    })
    .await
}

/// `POST /api/street/report-ins` `{org, on}`: a unit reported in to the street this node
/// hosts (refused, with `field: "party"`, on any other node).
async fn street_report_in(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::OK, |r, b, now| {
        api::report_in_to_street(r, api::NewStreetReportIn::from_json(b, now)?, now)
    })
    .await
}

async fn pairing(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::pairing(r, &id)).await
}

async fn end_pairing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::end_pairing(r, &id, api::PairingEnd::from_json(b, now)?, now)
    })
    .await
}

async fn list_branches(State(state): State<AppState>) -> Response {
    read(&state, api::list_branches).await
}

async fn create_branch(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_branch(r, api::NewBranch::from_json(b, now)?, now)
    })
    .await
}

async fn list_teams(State(state): State<AppState>) -> Response {
    read(&state, api::list_teams).await
}

async fn create_team(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_team(r, api::NewTeam::from_json(b, now)?, now)
    })
    .await
}

async fn list_posts(State(state): State<AppState>) -> Response {
    read(&state, api::list_posts).await
}

async fn create_post(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_post(r, api::NewPost::from_json(b, now)?, now)
    })
    .await
}

async fn post_record(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::post(r, &id)).await
}

/// `POST /api/{collection}/{id}/{action}` for one kind of lifecycle.
fn lifecycle<E: Entity>(lifecycle: &'static api::Lifecycle<E>) -> MethodRouter<AppState>
where
    <E::Id as std::str::FromStr>::Err: std::fmt::Display,
{
    post(
        move |State(state): State<AppState>,
              Path((id, action)): Path<(String, String)>,
              body: Body| async move {
            write(&state, body, StatusCode::OK, move |r, b, now| {
                lifecycle.act(r, &id, &action, api::Action::from_json(b, now)?, now)
            })
            .await
        },
    )
}

async fn list_wishes(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    read(&state, move |r| {
        let asked = |name: &str| query.get(name).map(String::as_str);
        api::list_wishes(r, asked("state"), asked("round"))
    })
    .await
}

async fn create_wish(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |replica, body, now| {
        api::create_wish(replica, api::NewWish::from_json(body, now)?, now)
    })
    .await
}

async fn wish(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::wish(r, &id)).await
}

async fn list_projects(State(state): State<AppState>) -> Response {
    read(&state, api::list_projects).await
}

async fn create_project(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_project(r, api::NewProject::from_json(b, now)?, now)
    })
    .await
}

async fn move_wish(State(state): State<AppState>, Path(id): Path<String>, body: Body) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::move_wish(r, &id, api::WishRound::from_json(b, now)?, now)
    })
    .await
}

async fn send_intent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::send_intent(r, &id, api::NewIntent::from_json(b, now)?, now)
    })
    .await
}

async fn approve_project(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::OK, move |r, b, now| {
        api::approve_project(r, &id, api::Approval::from_json(b, now)?, now)
    })
    .await
}

async fn project(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::project(r, &id)).await
}

async fn list_activities(State(state): State<AppState>) -> Response {
    read(&state, api::list_activities).await
}

async fn create_activity(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_activity(r, api::NewActivity::from_json(b, now)?, now)
    })
    .await
}

async fn activity(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::activity(r, &id)).await
}

async fn add_participant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    write(&state, body, StatusCode::CREATED, move |r, b, now| {
        api::add_participant(r, &id, api::NewParticipant::from_json(b, now)?, now)
    })
    .await
}

async fn sign_up(State(state): State<AppState>, Path(id): Path<String>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, move |r, b, now| {
        api::sign_up(r, &id, api::NewParticipant::from_json(b, now)?, now)
    })
    .await
}

async fn check_in_code(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |replica| {
        api::check_in_code(replica, &id, crate::now())
    })
    .await
}

async fn list_services(State(state): State<AppState>) -> Response {
    read(&state, api::list_services).await
}

async fn create_service(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_service(r, api::NewService::from_json(b, now)?, now)
    })
    .await
}

async fn service(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::service(r, &id)).await
}

async fn create_redemption(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_redemption(r, api::NewRedemption::from_json(b, now)?, now)
    })
    .await
}

async fn list_voids(State(state): State<AppState>) -> Response {
    read(&state, api::list_voids).await
}

async fn create_void(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_void(r, api::NewVoid::from_json(b, now)?, now)
    })
    .await
}

async fn list_seals(State(state): State<AppState>) -> Response {
    read(&state, api::list_seals).await
}

async fn seal_period(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::seal_period(r, api::PeriodToSeal::from_json(b, now)?, now)
    })
    .await
}

async fn list_evaluations(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    read(&state, move |replica| {
        api::list_evaluations(replica, query.get("period").map(String::as_str))
    })
    .await
}

async fn evaluate(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::evaluate(r, api::NewEvaluation::from_json(b, now)?, now)
    })
    .await
}

/// `GET /api/reports/half-year?member=ID&period=2026H2`: JSON, or CSV with
/// `Accept: text/csv` or `format=csv`.
async fn half_year_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wants_csv = query.get("format").is_some_and(|format| format == "csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"));
    let result = on_replica(&state, move |replica| {
        api::half_year_report(
            replica,
            query.get("member").map(String::as_str),
            query.get("period").map(String::as_str),
        )
    })
    .await
    .and_then(|r| r);
    match result {
        Err(error) => error_response(&error),
        Ok(sealed) if wants_csv => {
            let report = &sealed.report;
            let disposition = format!(
                "attachment; filename=\"report-{}-{}.csv\"",
                report.member, report.period
            );
            let mut response = sealed.to_csv().into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Ok(report) => axum::Json(report).into_response(),
    }
}

async fn unknown_route(uri: axum::http::Uri) -> Response {
    error_response(&ApiError::not_found(format!(
        "there is no API route {}",
        uri.path().chars().take(100).collect::<String>()
    )))
}
