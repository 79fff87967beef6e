//! Functional party branches (功能型党支部) and service teams (服务团队).

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{BranchId, TeamId};
use wishtree_protocol::text::{Label, Name};

use super::{ApiResult, Fields, execute, list, new_id, render, require};
use crate::replica::Replica;

/// `POST /api/branches`.
pub fn create_branch(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["name", "secretary", "founded_on"])?;
    let id = BranchId::from_bytes(new_id()?);
    let command = Command::AddBranch {
        id,
        name: fields.text("name", Name::parse)?,
        secretary: fields.optional_parsed("secretary")?,
        founded_on: fields.parsed("founded_on")?,
    };
    execute(replica, &command, None, now, |_| None)?;
    let branch = require::<wishtree_protocol::model::Branch>(replica, id)?;
    Ok(render::branch(id, &branch))
}

/// `GET /api/branches`.
pub fn list_branches(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.branches.iter().map(|(id, b)| render::branch(id, b)),
    ))
}

/// `POST /api/teams`.
pub fn create_team(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["name", "focus"])?;
    let id = TeamId::from_bytes(new_id()?);
    let command = Command::AddTeam {
        id,
        name: fields.text("name", Name::parse)?,
        focus: fields.text_or_empty("focus", Label::parse)?,
    };
    execute(replica, &command, None, now, |_| None)?;
    let team = require::<wishtree_protocol::model::Team>(replica, id)?;
    Ok(render::team(id, &team))
}

/// `GET /api/teams`.
pub fn list_teams(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.teams.iter().map(|(id, t)| render::team(id, t))))
}
