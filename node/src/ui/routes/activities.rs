//! The activity routes: the list and its form, one activity, and signing a member up.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{ActivityId, MemberId};

use super::super::forms::{ActivityForm, ParticipantForm};
use super::super::pages;
use super::{
    execute_message, execute_status, language, not_found, not_found_page, parse_form, refused,
    view_page, with_replica,
};
use crate::http::AppState;
use crate::replica::{Replica, random_bytes};

pub(super) async fn activities(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    view_page(&state, lang, move |view, bar| {
        let form = ActivityForm {
            date: crate::now().date_in_shanghai().to_string(),
            hours: "2".to_owned(),
            category: "aid".to_owned(),
            ..ActivityForm::default()
        };
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
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: ActivityForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, message: String| {
            refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                Some(pages::activities_page(
                    lang,
                    view,
                    bar,
                    &form,
                    Some(&message),
                    None,
                ))
            })
        };
        let fields = match form.parse() {
            Ok(fields) => fields,
            Err(error) => return refuse(replica, error.0),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => ActivityId::from_bytes(bytes),
            Err(error) => return refuse(replica, error.to_string()),
        };
        match replica.execute(
            &Command::AddActivity {
                id,
                activity: fields,
            },
            crate::now(),
        ) {
            Ok(_) => Redirect::to(&format!("/activities/{id}")).into_response(),
            Err(error) => refuse(replica, execute_message(lang, &error)),
        }
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
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: ParticipantForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let Ok(activity) = id.parse::<ActivityId>() else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, message: String| {
            refused(replica, lang, status, |view, bar| {
                pages::activity_page(lang, view, activity, bar, Some(&message))
            })
        };
        let Ok(member) = form.member.parse::<MemberId>() else {
            return refuse(
                replica,
                StatusCode::BAD_REQUEST,
                "choose a member to sign up".to_owned(),
            );
        };
        match replica.execute(&Command::AddParticipant { activity, member }, crate::now()) {
            Ok(_) => Redirect::to(&format!("/activities/{activity}")).into_response(),
            Err(error) => refuse(
                replica,
                execute_status(&error),
                execute_message(lang, &error),
            ),
        }
    })
    .await
}
