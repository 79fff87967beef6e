//! Livelihood micro-projects (民生微项目), taken through Guangzhou's stages
//! ([`wishtree_protocol::project`]) by unit organisations, alone or jointly: the steps
//! without a unit (publish, start, fulfil, terminate, and the wish-style steps of
//! before) through [`PROJECTS`], a letter of intent (`NewIntent`) and an approval
//! (`Approval`) each with its own input.

use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{OrgId, ProjectId};
use wishtree_protocol::model::{Actor, EventKind, EventSubject, Project, ProjectKind, Share};
use wishtree_protocol::project::ProjectStatus;
use wishtree_protocol::street::StreetHost;
use wishtree_protocol::text::{Detail, Title};
use wishtree_protocol::view::WithStatus;

use super::streets::{Party, street_for};
use super::{
    ApiResult, Expected, FieldError, Fields, Input, Lifecycle, Problem, create, execute, list,
    path_id, render, require,
};
use crate::replica::Replica;

/// A livelihood micro-project to submit: `{title, detail?, kind, party?}`, the
/// community's (the default) or the street's it hosts (`party: "street"`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    /// Its title.
    pub title: Title,
    /// What it needs.
    pub detail: Detail,
    /// Its kind.
    pub kind: ProjectKind,
    /// Whose project it is.
    pub party: Party,
}

impl Input for NewProject {
    const FIELDS: &'static [&'static str] = &["title", "detail", "kind", "party"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            title: fields.text("title", Title::parse)?,
            detail: fields.text_or_empty("detail", Detail::parse)?,
            kind: fields.parsed("kind", Expected::Choice)?,
            party: Party::read(fields)?,
        })
    }
}

impl NewProject {
    /// The command that submits the project as `id`, with what the city says of the
    /// street for a street's project.
    pub fn into_command(self, id: ProjectId, street: Option<StreetHost>) -> Command {
        Command::SubmitProject {
            id,
            title: self.title,
            detail: self.detail,
            kind: self.kind,
            street,
        }
    }
}

/// `POST /api/projects`.
pub fn create_project(replica: &mut Replica, new: NewProject, now: Timestamp) -> ApiResult {
    let street = street_for(replica, new.party)?;
    let make = |id: ProjectId| new.into_command(id, street);
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
    let status = ProjectStatus::fold(&entity.events);
    Ok(render::project(id, &WithStatus { entity, status }))
}

/// `POST /api/projects/{id}/{publish|start|fulfil|terminate|…}`: the steps a worker
/// takes, and the wish-style steps of before (claim, release, reject, withdraw), which
/// still fold ([`wishtree_protocol::project`]); only an organisation (`by`: org:<id>)
/// can claim.
pub static PROJECTS: Lifecycle<Project> = Lifecycle::with_actions(
    &PROJECT_ACTIONS,
    EventSubject::Project,
    project_event,
    project,
);

/// The steps of [`PROJECTS`].
const PROJECT_ACTIONS: [EventKind; 8] = [
    EventKind::Publish,
    EventKind::Start,
    EventKind::Fulfil,
    EventKind::Terminate,
    EventKind::Claim,
    EventKind::Release,
    EventKind::Reject,
    EventKind::Withdraw,
];

/// A unit's letter of intent (认领意向书): `{unit, share, part?}`, the share a whole
/// percent (`40` or `"40%"`), `part` what the unit takes on, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntent {
    /// The unit organisation.
    pub unit: OrgId,
    /// Its share.
    pub share: Share,
    /// What it takes on.
    pub part: Detail,
}

impl Input for NewIntent {
    const FIELDS: &'static [&'static str] = &["unit", "share", "part"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let share = match fields.optional_number("share") {
            Ok(Some(percent)) => Share::from_percent(percent).ok_or_else(|| {
                FieldError::new(
                    "share",
                    Problem::Invalid {
                        what: Expected::Share,
                        english: "a share is a whole percent from 1 to 100".to_owned(),
                    },
                )
            })?,
            Ok(None) => return Err(FieldError::new("share", Problem::Missing)),
            // Text with a percent sign is not a plain number; read it as a share.
            Err(_) => fields.parsed("share", Expected::Share)?,
        };
        Ok(Self {
            unit: fields.parsed("unit", Expected::Id)?,
            share,
            part: fields.text_or_empty("part", Detail::parse)?,
        })
    }
}

impl NewIntent {
    /// The command that sends the letter for project `id`.
    pub fn into_command(self, id: ProjectId) -> Command {
        Command::SendIntent {
            id,
            unit: self.unit,
            share: self.share,
            note: self.part,
        }
    }
}

/// An approval (立项): `{units, note?}`, `units` the ids of units that sent letters of
/// intent; several make a joint claim (共同承接).
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    /// The units.
    pub units: Vec<OrgId>,
    /// A note, e.g. the approval's reference.
    pub note: Detail,
}

impl Input for Approval {
    const FIELDS: &'static [&'static str] = &["units", "note"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let units: Vec<OrgId> = fields.parsed_list("units", Expected::Id)?;
        if units.is_empty() {
            return Err(FieldError::new("units", Problem::Missing));
        }
        Ok(Self {
            units,
            note: fields.text_or_empty("note", Detail::parse)?,
        })
    }
}

impl Approval {
    /// The command that approves project `id` with the units.
    pub fn into_command(self, id: ProjectId) -> Command {
        Command::ApproveProject {
            id,
            units: self.units,
            note: self.note,
        }
    }
}

/// `POST /api/projects/{id}/intents`.
pub fn send_intent(replica: &mut Replica, id: &str, input: NewIntent, now: Timestamp) -> ApiResult {
    project_step(replica, id, now, |id| input.into_command(id))
}

/// `POST /api/projects/{id}/approval`.
pub fn approve_project(
    replica: &mut Replica,
    id: &str,
    input: Approval,
    now: Timestamp,
) -> ApiResult {
    project_step(replica, id, now, |id| input.into_command(id))
}

/// Runs the command `make` builds for the project `id`, answering the project (on
/// refusal, with its state as it is).
fn project_step(
    replica: &mut Replica,
    id: &str,
    now: Timestamp,
    make: impl FnOnce(ProjectId) -> Command,
) -> ApiResult {
    let project_id: ProjectId = path_id(id)?;
    require::<Project>(replica, project_id)?;
    execute(replica, &make(project_id), None, now, |replica| {
        project(replica, id).ok()
    })?;
    project(replica, id)
}

fn project_event(id: ProjectId, kind: EventKind, by: Actor, note: Detail) -> Command {
    Command::ProjectEvent { id, kind, by, note }
}
