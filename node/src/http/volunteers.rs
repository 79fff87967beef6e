//! The JSON API of volunteers beyond the members (issue 14, item 5): `GET|POST
//! /api/volunteers`, `GET /api/volunteers/{id}`, `GET /api/volunteer-services/{id}`.
//! Their claims, service and voids go through the wishes', services' and voids' own
//! routes ([`crate::api::NewService`], [`crate::api::NewVoid`]).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::{AppState, Body, read, write};
use crate::api::{self, Input};

/// Adds the volunteers' routes to the API's router.
pub(super) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route(
            "/api/volunteers",
            get(list_volunteers).post(create_volunteer),
        )
        .route("/api/volunteers/{id}", get(volunteer))
        .route("/api/volunteer-services/{id}", get(volunteer_service))
}

async fn list_volunteers(State(state): State<AppState>) -> Response {
    read(&state, api::list_volunteers).await
}

async fn create_volunteer(State(state): State<AppState>, body: Body) -> Response {
    write(&state, body, StatusCode::CREATED, |r, b, now| {
        api::create_volunteer(r, api::NewVolunteer::from_json(b, now)?, now)
    })
    .await
}

async fn volunteer(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::volunteer(r, &id)).await
}

async fn volunteer_service(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    read(&state, move |r| api::volunteer_service_at(r, &id)).await
}
