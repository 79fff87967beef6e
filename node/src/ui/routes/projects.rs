//! The routes of livelihood projects: the list and the form to submit one, one project,
//! its steps through the same lifecycle as `POST /api/projects/{id}/{action}` (reject,
//! withdraw and release after their confirmation), and the CSV ledger.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use wishtree_protocol::id::ProjectId;
use wishtree_protocol::model::EventKind;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::super::closing::Closing;
use super::super::exports;
use super::super::forms::{Filled, Form, Refusal};
use super::super::html::StatusBar;
use super::super::projects;
use super::reports::download;
use super::{
    Lang, Listed, PostedForm, create_listed, internal, record_page, step, step_page, view_page,
};
use crate::api::{NewProject, PROJECTS};
use crate::http::AppState;

pub(super) async fn projects(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(listed): Query<Listed>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let form = Form::with(&[("kind", "micro_project")]);
        let filled = Filled::new(lang, &form, None);
        let list_page = listed.page.as_deref();
        Ok(projects::projects_page(view, bar, filled, list_page))
    })
    .await
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

pub(super) async fn project(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    record_page(&state, lang, id, move |_, view, id: ProjectId, bar| {
        Ok(projects::project_page(lang, view, id, bar, None))
    })
    .await
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
