//! The activity routes: the list and its form, one activity, and signing a member up.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::ActivityId;

use super::super::forms::{Form, Refusal};
use super::super::pages;
use super::{
    execute_status, language, not_found, record_form, refusal, refused, saved, submit, view_page,
    with_replica,
};
use crate::api::{NewActivity, NewParticipant};
use crate::http::AppState;
use crate::replica::{Replica, random_bytes};

pub(super) async fn activities(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    view_page(&state, lang, move |view, bar| {
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("date", &today), ("hours", "2"), ("category", "aid")]);
        let list_page = query.get("page").map(String::as_str);
        Ok(pages::activities_page(
            lang, view, bar, &form, None, list_page,
        ))
    })
    .await
}

pub(super) async fn create_activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form = Form::from_body(&raw.0);
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, refusal: Refusal| {
            refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                Some(pages::activities_page(
                    lang,
                    view,
                    bar,
                    &form,
                    Some(&refusal),
                    None,
                ))
            })
        };
        let now = crate::now();
        let new: NewActivity = match form.read(now) {
            Ok(new) => new,
            Err(error) => return refuse(replica, error.into()),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => ActivityId::from_bytes(bytes),
            Err(error) => return refuse(replica, Refusal::Rule(error.to_string())),
        };
        let command = Command::AddActivity {
            id,
            activity: new.0,
        };
        submit(
            replica,
            lang,
            &command,
            None,
            &format!("/activities/{id}"),
            refuse,
        )
    })
    .await
}

pub(super) async fn activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    view_page(&state, lang, move |view, bar| {
        let id: ActivityId = id.parse().map_err(|_| not_found(lang))?;
        pages::activity_page(lang, view, id, bar, None).ok_or_else(|| not_found(lang))
    })
    .await
}

pub(super) async fn join_activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: RawForm,
) -> Response {
    record_form(
        &state,
        &headers,
        id,
        raw,
        move |replica, lang, activity: ActivityId, form| {
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                refused(replica, lang, status, |view, bar| {
                    pages::activity_page(lang, view, activity, bar, Some(&refusal))
                })
            };
            let now = crate::now();
            let member = match form.read::<NewParticipant>(now) {
                Ok(new) => new.member,
                Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
            };
            match replica.execute(&Command::AddParticipant { activity, member }, now) {
                Ok(_) => saved(&format!("/activities/{activity}")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
        },
    )
    .await
}
