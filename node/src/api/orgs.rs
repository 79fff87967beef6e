//! Unit party organisations and their co-building pairings (共建协议) with the community.

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{OrgId, PairingId};
use wishtree_protocol::lifecycle::PairingStatus;
use wishtree_protocol::model::{Org, Pairing};
use wishtree_protocol::text::{Detail, Name, Title};
use wishtree_protocol::view::WithStatus;

use super::{ApiResult, Fields, execute, list, new_id, path_id, render, require};
use crate::replica::Replica;

/// `POST /api/orgs`: records an organisation, or updates the one with that credit
/// code (its id is derived from the code).
pub fn create_org(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["credit_code", "name", "reported_in"])?;
    let credit_code = fields.parsed("credit_code")?;
    let command = Command::AddOrg {
        credit_code,
        name: fields.text("name", Name::parse)?,
        reported_in: fields.optional_parsed("reported_in")?,
    };
    execute(replica, &command, None, now, |_| None)?;
    org(replica, &Org::id_for(&credit_code).to_string())
}

/// `GET /api/orgs`.
pub fn list_orgs(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.orgs.iter().map(|(id, org)| render::org(id, org))))
}

/// `GET /api/orgs/{id}`.
pub fn org(replica: &mut Replica, id: &str) -> ApiResult {
    let id: OrgId = path_id(id)?;
    Ok(render::org(id, &require::<Org>(replica, id)?))
}

/// `POST /api/pairings`.
pub fn create_pairing(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["org", "commitments", "signed_on"])?;
    let id = PairingId::from_bytes(new_id()?);
    let command = Command::AddPairing {
        id,
        org: fields.parsed("org")?,
        commitments: fields.text_list("commitments", Title::parse)?,
        signed_on: fields.parsed("signed_on")?,
    };
    execute(replica, &command, None, now, |_| None)?;
    pairing(replica, &id.to_string())
}

/// `POST /api/pairings/{id}/end`.
pub fn end_pairing(replica: &mut Replica, id: &str, body: Value, now: Timestamp) -> ApiResult {
    let id: PairingId = path_id(id)?;
    require::<Pairing>(replica, id)?;
    let fields = Fields::new(body, &["note"])?;
    let command = Command::EndPairing {
        id,
        note: fields.text_or_empty("note", Detail::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        pairing(replica, &id.to_string()).ok()
    })?;
    pairing(replica, &id.to_string())
}

/// `GET /api/pairings`.
pub fn list_pairings(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.pairings.iter().map(|(id, p)| render::pairing(id, p)),
    ))
}

/// `GET /api/pairings/{id}`.
pub fn pairing(replica: &mut Replica, id: &str) -> ApiResult {
    let id: PairingId = path_id(id)?;
    let entity = require::<Pairing>(replica, id)?;
    let status = PairingStatus::fold(&entity.events);
    Ok(render::pairing(id, &WithStatus { entity, status }))
}
