//! The routes of functional branches and service teams: each list with the form to
//! found one (the same typed inputs as `POST /api/branches` and `/api/teams`), one
//! group with its members, and the CSV ledger.

use axum::extract::State;
use axum::response::Response;
use wishtree_protocol::id::{BranchId, TeamId};
use wishtree_protocol::names::Language;

use super::super::exports::ledger_file;
use super::super::groups;
use super::{Listing, Opened, PostedForm, create_listed, ledger_csv};
use crate::api::{NewBranch, NewTeam};
use crate::http::AppState;

pub(super) async fn branches(listing: Listing) -> Response {
    let today = crate::now().date_in_shanghai().to_string();
    let defaults = [("founded_on", today.as_str())];
    listing.draw(&defaults, groups::branches_page).await
}

pub(super) async fn create_branch(posted: PostedForm) -> Response {
    create_listed(
        posted,
        "/branches",
        groups::branches_page,
        NewBranch::into_command,
    )
    .await
}

pub(super) async fn branch(opened: Opened) -> Response {
    opened.draw::<BranchId>(groups::branch_page).await
}

/// `GET /branches.csv`.
pub(super) async fn branches_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &groups::branch_ledger(Language::Chinese, view))
    })
    .await
}

pub(super) async fn teams(listing: Listing) -> Response {
    listing.draw(&[], groups::teams_page).await
}

pub(super) async fn create_team(posted: PostedForm) -> Response {
    create_listed(posted, "/teams", groups::teams_page, NewTeam::into_command).await
}

pub(super) async fn team(opened: Opened) -> Response {
    opened.draw::<TeamId>(groups::team_page).await
}

/// `GET /teams.csv`.
pub(super) async fn teams_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &groups::team_ledger(Language::Chinese, view))
    })
    .await
}
