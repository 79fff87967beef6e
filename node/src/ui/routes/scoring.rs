//! The routes of passbook scoring: the points table and the form that sets a rate
//! (as `PUT /api/scoring/{item}` reads it), the benefit catalogue with the forms that
//! add and withdraw a benefit (as `POST /api/benefits` and
//! `/api/benefits/{id}/withdraw`), and the community's points ranking.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::BenefitId;
use wishtree_protocol::names::Language;

use super::super::exports::ledger_file;
use super::super::forms::{Filled, NOTHING_TYPED, Refusal};
use super::super::ledger::ListAsked;
use super::super::scoring;
use super::extract::{Lang, Listing, Opened, PostedForm, RecordForm};
use super::{create_listed, ledger_csv, record_step, refused, submit, view_page};
use crate::api::{NewBenefit, NewScoringRate};
use crate::http::AppState;
use crate::replica::Replica;

pub(super) async fn scoring(listing: Listing) -> Response {
    listing
        .draw(&[("per", "hour")], scoring::scoring_page)
        .await
}

/// `POST /scoring`: sets the points of one kind of service; back to the table.
pub(super) async fn set_rate(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    Some(scoring::scoring_page(ListAsked {
                        view,
                        status: bar,
                        filled: Filled::new(lang, &form, Some(&refusal)),
                        list_page: None,
                    }))
                })
            };
            match form.read::<NewScoringRate>(crate::now()) {
                Ok(rate) => submit(replica, lang, &rate.command(), None, "/scoring", refuse),
                Err(error) => refuse(replica, error.into()),
            }
        })
        .await
}

/// `GET /scoring.csv`.
pub(super) async fn scoring_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &scoring::scoring_ledger(Language::Chinese, view))
    })
    .await
}

pub(super) async fn benefits(listing: Listing) -> Response {
    listing.draw(&[], scoring::benefits_page).await
}

pub(super) async fn create_benefit(posted: PostedForm) -> Response {
    create_listed(
        posted,
        "/benefits",
        scoring::benefits_page,
        NewBenefit::into_command,
    )
    .await
}

/// `GET /benefits.csv`.
pub(super) async fn benefits_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &scoring::benefit_ledger(Language::Chinese, view))
    })
    .await
}

/// `GET /benefits/{id}`, and GET on the address its withdraw form posts to.
pub(super) async fn benefit(opened: Opened) -> Response {
    opened
        .draw::<BenefitId>(|lang, view, id, bar| {
            scoring::benefit_page(lang, view, id, bar, &NOTHING_TYPED, None)
        })
        .await
}

/// `POST /benefits/{id}/withdraw`: the benefit taken out of the catalogue; refused
/// (already withdrawn), its page again with why.
pub(super) async fn withdraw_benefit(posted: RecordForm) -> Response {
    let withdraw = |id| Command::WithdrawBenefit { id };
    record_step(posted, "/benefits", withdraw, scoring::benefit_page).await
}

/// `GET /ranking?period=2026H1`: the community's points ranking for a half-year (this
/// one if none is asked for).
pub(super) async fn ranking(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let period = super::reports::period_of(lang, &query)?;
        Ok(scoring::ranking_page(lang, view, period, bar))
    })
    .await
}
