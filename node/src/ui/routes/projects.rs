//! The routes of livelihood projects: the list and the form to submit one, one project,
//! its steps through the same lifecycle as `POST /api/projects/{id}/{action}` (reject,
//! withdraw and release after their confirmation), and the CSV ledger.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::id::ProjectId;

use super::super::closing::Closing;
use super::super::exports;
use super::super::forms::{Filled, Form, Refusal};
use super::super::projects;
use super::reports::download;
use super::{
    Lang, Listed, PostedForm, create_listed, execute_status, internal, not_found_page, record_page,
    refusal, refused, saved, view_page, with_replica,
};
use crate::api::{Action, NewProject, PROJECTS};
use crate::http::AppState;
use crate::replica::Replica;

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
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let kind = PROJECTS.kind(&action);
    record_page(&state, lang, id, move |_, view, id: ProjectId, bar| {
        let nothing = Form::default();
        Ok(match kind.map(|kind| (kind, Closing::of(kind))) {
            Some((_, Some(closing))) => {
                projects::confirm_page(lang, view, id, closing, bar, &nothing, None)
            }
            Some((_, None)) => projects::project_page(lang, view, id, bar, None),
            None => None,
        })
    })
    .await
}

/// `POST /projects/{id}/{publish|claim|release|fulfil|reject|withdraw}`; a refused
/// confirmation is asked again as typed, another step's refusal shows on the page.
pub(super) async fn project_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((id, action)): Path<(String, String)>,
    form: Form,
) -> Response {
    with_replica(&state, move |replica| {
        let (Ok(id), Some(kind)) = (id.parse::<ProjectId>(), PROJECTS.kind(&action)) else {
            return not_found_page(replica, lang);
        };
        let closing = Closing::of(kind);
        let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
            refused(replica, lang, status, |view, bar| match closing {
                Some(closing) => {
                    projects::confirm_page(lang, view, id, closing, bar, &form, Some(&refusal))
                }
                None => projects::project_page(lang, view, id, bar, Some(&refusal)),
            })
        };
        let now = crate::now();
        let command = form
            .read::<Action>(now)
            .and_then(|input| PROJECTS.command(id, kind, input, replica.worker()));
        let command = match command {
            Ok(command) => command,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
        };
        match replica.execute(&command, now) {
            Ok(_) => saved(&format!("/projects/{id}")),
            Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
        }
    })
    .await
}

/// `GET /projects.csv`: the projects as a person's CSV.
pub(super) async fn projects_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::project_ledger(&view))
    })
    .await
}
