//! The routes of the street's pages (`ui/streets.rs`): `/street` and a unit's
//! report-in to the street, `POST /street/report-ins`, by the same typed input as
//! `POST /api/street/report-ins`. On a node that is not the street's host the
//! protocol refuses the report-in, with the reason beside the form and nothing written.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::super::forms::{Filled, Form, Refusal};
use super::super::streets::street_page;
use super::{Lang, PostedForm, internal, page, refused, status_bar, submit};
use crate::api::{NewStreetReportIn, street_host};
use crate::http::AppState;
use crate::replica::Replica;

/// `GET /street`, its report-in form dated today.
pub(super) async fn street(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let street = street_host(replica).map_err(|error| internal(error.message()))?;
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("on", &today)]);
        let bar = status_bar(replica);
        Ok(street_page(
            &view,
            &street,
            &bar,
            &Filled::new(lang, &form, None),
        ))
    })
    .await
}

/// `POST /street/report-ins`: a unit of this community reported in to the street.
pub(super) async fn report_in(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let street = match street_host(replica) {
                Ok(street) => street,
                Err(error) => return internal(error.message()).into_response(),
            };
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    let filled = Filled::new(lang, &form, Some(&refusal));
                    Some(street_page(view, &street, bar, &filled))
                })
            };
            let new: NewStreetReportIn = match form.read(crate::now()) {
                Ok(new) => new,
                Err(error) => return refuse(replica, error.into()),
            };
            let command = new.into_command(street.clone());
            submit(replica, lang, &command, None, "/street", refuse)
        })
        .await
}
