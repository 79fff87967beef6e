//! The routes of collection rounds: the list with the form that opens one (the same
//! typed input as `POST /api/rounds`), one round, closing it (as
//! `POST /api/rounds/{id}/close`), and the CSV ledger.

use axum::extract::State;
use axum::response::Response;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::RoundId;
use wishtree_protocol::names::Language;

use super::super::exports::ledger_file;
use super::super::forms::NOTHING_TYPED;
use super::super::rounds;
use super::extract::{Listing, Opened, PostedForm, RecordForm};
use super::{create_listed, ledger_csv, record_step};
use crate::api::NewRound;
use crate::http::AppState;

pub(super) async fn rounds(listing: Listing) -> Response {
    let today = crate::now().date_in_shanghai().to_string();
    let defaults = [("opens", today.as_str())];
    listing.draw(&defaults, rounds::rounds_page).await
}

pub(super) async fn create_round(posted: PostedForm) -> Response {
    create_listed(
        posted,
        "/rounds",
        rounds::rounds_page,
        NewRound::into_command,
    )
    .await
}

/// `GET /rounds/{id}`, and GET on the address its close form posts to.
pub(super) async fn round(opened: Opened) -> Response {
    opened
        .draw::<RoundId>(|lang, view, id, bar| {
            rounds::round_page(lang, view, id, bar, &NOTHING_TYPED, None)
        })
        .await
}

/// `POST /rounds/{id}/close`: the round ends today; refused (closed already, not yet
/// open), its page again with why.
pub(super) async fn close_round(posted: RecordForm) -> Response {
    let close = |id| Command::CloseRound { id };
    record_step(posted, "/rounds", close, rounds::round_page).await
}

/// `GET /rounds.csv`.
pub(super) async fn rounds_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        let today = crate::now().date_in_shanghai();
        ledger_file(view, &rounds::round_ledger(Language::Chinese, view, today))
    })
    .await
}
