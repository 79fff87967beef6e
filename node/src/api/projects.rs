//! Livelihood micro-projects (民生微项目), claimed by unit organisations.

use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::ProjectId;
use wishtree_protocol::lifecycle::{ClaimStatus, Claimants};
use wishtree_protocol::model::{Actor, EventKind, EventSubject, Project, ProjectKind};
use wishtree_protocol::text::{Detail, Title};
use wishtree_protocol::view::WithStatus;

use super::{
    ApiResult, Expected, FieldError, Fields, Input, Lifecycle, create, list, path_id, render,
    require,
};
use crate::replica::Replica;

/// A livelihood micro-project to submit: `{title, detail?, kind}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    /// Its title.
    pub title: Title,
    /// What it needs.
    pub detail: Detail,
    /// Its kind.
    pub kind: ProjectKind,
}

impl Input for NewProject {
    const FIELDS: &'static [&'static str] = &["title", "detail", "kind"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            title: fields.text("title", Title::parse)?,
            detail: fields.text_or_empty("detail", Detail::parse)?,
            kind: fields.parsed("kind", Expected::Choice)?,
        })
    }
}

impl NewProject {
    /// The command that submits the project as `id`.
    pub fn into_command(self, id: ProjectId) -> Command {
        Command::SubmitProject {
            id,
            title: self.title,
            detail: self.detail,
            kind: self.kind,
        }
    }
}

/// `POST /api/projects`.
pub fn create_project(replica: &mut Replica, new: NewProject, now: Timestamp) -> ApiResult {
    let make = |id: ProjectId| new.into_command(id);
    create(replica, now, make, |r, id| project(r, &id.to_string()))
}

/// `GET /api/projects`.
pub fn list_projects(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.projects.iter().map(|(id, p)| render::project(id, p)),
    ))
}

/// `GET /api/projects/{id}`.
pub fn project(replica: &mut Replica, id: &str) -> ApiResult {
    let id: ProjectId = path_id(id)?;
    let entity = require::<Project>(replica, id)?;
    let status = ClaimStatus::fold(&entity.events, Claimants::OrgsOnly);
    Ok(render::project(id, &WithStatus { entity, status }))
}

/// `POST /api/projects/{id}/{publish|claim|release|fulfil|reject|withdraw}`; only an
/// organisation (`by`: org:<id>) can claim a project.
pub static PROJECTS: Lifecycle<Project> =
    Lifecycle::claimable(EventSubject::Project, project_event, project);

fn project_event(id: ProjectId, kind: EventKind, by: Actor, note: Detail) -> Command {
    Command::ProjectEvent { id, kind, by, note }
}
