//! The activity routes: the list and its form, one activity, and signing a member up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::ActivityId;
use wishtree_protocol::names::Language;

use super::super::forms::Refusal;
use super::super::html::t;
use super::super::{checkin, exports, pages};
use super::{
    Listing, Opened, PostedForm, RecordForm, create_listed, execute_status, ledger_csv, on_replica,
    problem_page, refusal, refused, saved, status_bar,
};
use crate::api::{self, NewActivity, NewParticipant};
use crate::http::AppState;
use crate::replica::Replica;

pub(super) async fn activities(listing: Listing) -> Response {
    let today = crate::now().date_in_shanghai().to_string();
    let defaults = [
        ("date", today.as_str()),
        ("hours", "2"),
        ("category", "aid"),
    ];
    listing.draw(&defaults, pages::activities_page).await
}

pub(super) async fn create_activity(posted: PostedForm) -> Response {
    let make = |new: NewActivity, id: ActivityId| Command::AddActivity {
        id,
        activity: new.0,
    };
    create_listed(posted, "/activities", pages::activities_page, make).await
}

pub(super) async fn activity(opened: Opened) -> Response {
    let draw =
        |lang, view: &_, id: ActivityId, bar: &_| pages::activity_page(lang, view, id, bar, None);
    opened.draw(draw).await
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

/// `GET /activities/{id}/check-in`: the activity's check-in QR code, fresh each
/// minute; on another day than the activity's, why not.
pub(super) async fn check_in(opened: Opened) -> Response {
    let Opened { state, lang, id } = opened;
    let drawn = on_replica(&state, move |replica| {
        let answer = api::check_in_code(replica, &id, crate::now());
        let bar = status_bar(replica);
        match answer {
            Ok(code) => (StatusCode::OK, checkin::check_in_page(lang, &code, &bar)),
            Err(error) => {
                let status =
                    StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::CONFLICT);
                let message = match error {
                    api::ApiError::Conflict { .. } => t(
                        lang,
                        "签到二维码只在活动当天显示",
                        "The check-in code is shown on the activity's day only",
                    )
                    .to_owned(),
                    other => other.message(),
                };
                (status, problem_page(lang, status, &message, &bar))
            }
        }
    })
    .await;
    match drawn {
        Ok((status, html)) => (status, Html(html)).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}

/// `GET /activities.csv`: the activities, as their list shows them, with the place.
pub(super) async fn activities_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        exports::ledger_file(view, &pages::activity_ledger(Language::Chinese, view))
    })
    .await
}
