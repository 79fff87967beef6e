//! Functional party branches (功能型党支部) and service teams (服务团队).

use wishtree_protocol::command::Command;
use wishtree_protocol::id::{BranchId, MemberId, TeamId};
use wishtree_protocol::text::{Label, Name};
use wishtree_protocol::{Date, Timestamp};

use super::{ApiResult, Expected, FieldError, Fields, Input, create, list, render, require};
use crate::replica::Replica;

/// A functional party branch to record: `{name, secretary?, founded_on}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBranch {
    /// Its name.
    pub name: Name,
    /// Its secretary, if chosen.
    pub secretary: Option<MemberId>,
    /// The day it was founded, not later than today.
    pub founded_on: Date,
}

impl Input for NewBranch {
    const FIELDS: &'static [&'static str] = &["name", "secretary", "founded_on"];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            name: fields.text("name", Name::parse)?,
            secretary: fields.optional_parsed("secretary", Expected::Id)?,
            founded_on: fields.date("founded_on", now)?,
        })
    }
}

/// A service team to record: `{name, focus?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTeam {
    /// Its name.
    pub name: Name,
    /// What it does.
    pub focus: Label,
}

impl Input for NewTeam {
    const FIELDS: &'static [&'static str] = &["name", "focus"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            name: fields.text("name", Name::parse)?,
            focus: fields.text_or_empty("focus", Label::parse)?,
        })
    }
}

impl NewBranch {
    /// The command that founds the branch as `id`.
    pub fn into_command(self, id: BranchId) -> Command {
        Command::AddBranch {
            id,
            name: self.name,
            secretary: self.secretary,
            founded_on: self.founded_on,
        }
    }
}

impl NewTeam {
    /// The command that forms the team as `id`.
    pub fn into_command(self, id: TeamId) -> Command {
        Command::AddTeam {
            id,
            name: self.name,
            focus: self.focus,
        }
    }
}

/// `POST /api/branches`.
pub fn create_branch(replica: &mut Replica, new: NewBranch, now: Timestamp) -> ApiResult {
    create(
        replica,
        now,
        |id| new.into_command(id),
        |r, id| {
            let branch = require::<wishtree_protocol::model::Branch>(r, id)?;
            Ok(render::branch(id, &branch))
        },
    )
}

/// `GET /api/branches`.
pub fn list_branches(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.branches.iter().map(|(id, b)| render::branch(id, b)),
    ))
}

/// `POST /api/teams`.
pub fn create_team(replica: &mut Replica, new: NewTeam, now: Timestamp) -> ApiResult {
    create(
        replica,
        now,
        |id| new.into_command(id),
        |r, id| {
            let team = require::<wishtree_protocol::model::Team>(r, id)?;
            Ok(render::team(id, &team))
        },
    )
}

/// `GET /api/teams`.
pub fn list_teams(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.teams.iter().map(|(id, t)| render::team(id, t))))
}
