//! The routes of livelihood projects: the list and the form to submit one, one project,
//! its steps through the same lifecycle as `POST /api/projects/{id}/{action}` (reject,
//! withdraw and release after their confirmation), and the CSV ledger.

use axum::extract::{Path, State};
use axum::response::Response;
use wishtree_protocol::id::ProjectId;
use wishtree_protocol::model::EventKind;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::super::closing::Closing;
use super::super::exports;
use super::super::forms::{Form, Refusal};
use super::super::html::StatusBar;
use super::super::projects;
use super::reports::download;
use super::{Lang, Listing, Opened, PostedForm, create_listed, internal, step, step_page};
use crate::api::{NewProject, PROJECTS};
use crate::http::AppState;

pub(super) async fn projects(listing: Listing) -> Response {
    let defaults = [("kind", "micro_project")];
    listing.draw(&defaults, projects::projects_page).await
}

pub(super) async fn create_project(posted: PostedForm) -> Response {
    create_listed(
        posted,
        "/projects",
        projects::projects_page,
        NewProject::into_command,
    )
    .await
}

pub(super) async fn project(opened: Opened) -> Response {
    let draw =
        |lang, view: &_, id: ProjectId, bar: &_| projects::project_page(lang, view, id, bar, None);
    opened.draw(draw).await
}

/// GET on the address a step posts to: the confirmation of a step that ends or undoes
/// the project, or the project's page for another step.
pub(super) async fn project_at_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(step_of): Path<(String, String)>,
) -> Response {
    step_page(&state, lang, step_of, &PROJECTS, project_step_page).await
}

/// `POST /projects/{id}/{publish|claim|release|fulfil|reject|withdraw}`.
pub(super) async fn project_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(step_of): Path<(String, String)>,
    form: Form,
) -> Response {
    let lifecycle = (&PROJECTS, "/projects");
    step(&state, lang, step_of, form, lifecycle, project_step_page).await
}

/// The page of a project's step: a step that ends or undoes it is asked on its
/// confirmation, another step's refusal shows on the project's page.
fn project_step_page(
    lang: Language,
    view: &CommunityView,
    id: ProjectId,
    bar: &StatusBar,
    kind: EventKind,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    match Closing::of(kind) {
        Some(closing) => projects::confirm_page(lang, view, id, closing, bar, form, refusal),
        None => projects::project_page(lang, view, id, bar, refusal),
    }
}

/// `GET /projects.csv`: the projects as a person's CSV.
pub(super) async fn projects_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::project_ledger(&view))
    })
    .await
}
