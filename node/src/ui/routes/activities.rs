//! The activity routes: the list and its form, one activity, and signing a member up.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::ActivityId;

use super::super::forms::{Filled, Form, Refusal};
use super::super::pages;
use super::{
    Lang, Listed, PostedForm, RecordForm, create_listed, execute_status, record_page, refusal,
    refused, saved, view_page,
};
use crate::api::{NewActivity, NewParticipant};
use crate::http::AppState;
use crate::replica::Replica;

pub(super) async fn activities(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(listed): Query<Listed>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("date", &today), ("hours", "2"), ("category", "aid")]);
        let filled = Filled::new(lang, &form, None);
        let page = listed.page.as_deref();
        Ok(pages::activities_page(view, bar, filled, page))
    })
    .await
}

pub(super) async fn create_activity(posted: PostedForm) -> Response {
    let make = |new: NewActivity, id: ActivityId| Command::AddActivity {
        id,
        activity: new.0,
    };
    create_listed(posted, "/activities", pages::activities_page, make).await
}

pub(super) async fn activity(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    record_page(&state, lang, id, move |_, view, id: ActivityId, bar| {
        Ok(pages::activity_page(lang, view, id, bar, None))
    })
    .await
}

pub(super) async fn join_activity(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, activity: ActivityId, form| {
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
        })
        .await
}
