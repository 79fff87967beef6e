//! The routes of livelihood projects: the list and the form to submit one, one project,
//! its steps through the same lifecycle as `POST /api/projects/{id}/{action}`
//! (terminate, and reject, withdraw and release, after their confirmation), a unit's
//! letter of intent and the approval (立项) with the same inputs as the API's, and the
//! CSV ledger.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::command::Command;
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
use super::{
    Lang, Listing, Opened, PostedForm, RecordForm, create_of_party, execute_status, internal,
    refusal, refused, saved, step, step_page,
};
use crate::api::{Approval, Input, NewIntent, NewProject, PROJECTS};
use crate::http::AppState;
use crate::replica::Replica;

pub(super) async fn projects(listing: Listing) -> Response {
    let defaults = [("kind", "micro_project")];
    listing.draw(&defaults, projects::projects_page).await
}

pub(super) async fn create_project(posted: PostedForm) -> Response {
    create_of_party(
        posted,
        "/projects",
        projects::projects_page,
        NewProject::into_command,
    )
    .await
}

pub(super) async fn project(opened: Opened) -> Response {
    let draw = |lang, view: &_, id: ProjectId, bar: &_| {
        projects::project_page(lang, view, id, bar, &Form::default(), None)
    };
    opened.draw(draw).await
}

/// `POST /projects/{id}/intents`: a unit's letter of intent.
pub(super) async fn send_intent(posted: RecordForm) -> Response {
    project_form::<NewIntent>(posted, NewIntent::into_command).await
}

/// `POST /projects/{id}/approval`: 立项 with the units ticked.
pub(super) async fn approve_project(posted: RecordForm) -> Response {
    project_form::<Approval>(posted, Approval::into_command).await
}

/// A form about one project read as the API reads its input `I`, the command `make`
/// builds run; saved, back to the project's page; refused, the page again with the
/// form as typed and why beside the field.
async fn project_form<I: Input + Send + 'static>(
    posted: RecordForm,
    make: fn(I, ProjectId) -> Command,
) -> Response {
    posted
        .run(move |replica, lang, id: ProjectId, form| {
            let refuse = |replica: &mut Replica, status: StatusCode, why: Refusal| {
                refused(replica, lang, status, |view, bar| {
                    projects::project_page(lang, view, id, bar, &form, Some(&why))
                })
            };
            let now = crate::now();
            let input = match form.read::<I>(now) {
                Ok(input) => input,
                Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
            };
            match replica.execute(&make(input, id), now) {
                Ok(_) => saved(&format!("/projects/{id}")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
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
        None => projects::project_page(lang, view, id, bar, form, refusal),
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
