//! Unit party organisations and their co-building pairings (共建协议) with the community.

use wishtree_protocol::command::Command;
use wishtree_protocol::id::{OrgId, PairingId};
use wishtree_protocol::lifecycle::PairingStatus;
use wishtree_protocol::model::{Org, Pairing};
use wishtree_protocol::street::StreetHost;
use wishtree_protocol::text::{Detail, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::WithStatus;
use wishtree_protocol::{Date, Timestamp};

use super::streets::{Party, street_for};
use super::{
    ApiResult, Expected, FieldError, Fields, Input, create, execute, list, path_id, render, require,
};
use crate::replica::Replica;

/// A party organisation to record: `{credit_code, name, party_org?, reported_in?}`: the
/// unit's own organisation (本级) without `party_org`, one of its branches with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrg {
    /// Its unit's unified social credit code, from which its id is derived.
    pub credit_code: CreditCode,
    /// Its unit's name.
    pub name: Name,
    /// The branch's name (e.g. 第一党支部), if it is a branch of the unit.
    pub party_org: Option<Name>,
    /// The day it reported in to this community, not later than today.
    pub reported_in: Option<Date>,
}

impl Input for NewOrg {
    const FIELDS: &'static [&'static str] = &["credit_code", "name", "party_org", "reported_in"];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            credit_code: fields.parsed("credit_code", Expected::CreditCode)?,
            name: fields.text("name", Name::parse)?,
            party_org: fields.optional_text("party_org", Name::parse)?,
            reported_in: fields.optional_date("reported_in", now)?,
        })
    }
}

impl NewOrg {
    /// The id every replica gives the organisation.
    pub fn id(&self) -> OrgId {
        match &self.party_org {
            Some(party_org) => Org::id_for_party_org(&self.credit_code, party_org.as_str()),
            None => Org::id_for(&self.credit_code),
        }
    }

    /// The command that records the organisation: a unit's own (or renames it), or a
    /// branch (refused if the unit has one of that name here).
    pub fn into_command(self) -> Command {
        match self.party_org {
            Some(party_org) => Command::AddPartyOrg {
                credit_code: self.credit_code,
                unit_name: self.name,
                party_org,
                reported_in: self.reported_in,
            },
            None => Command::AddOrg {
                credit_code: self.credit_code,
                name: self.name,
                reported_in: self.reported_in,
            },
        }
    }
}

/// A co-building pairing to record: `{org, commitments, signed_on, party?}`, with the
/// community (the default) or with the street it hosts (`party: "street"`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPairing {
    /// The organisation.
    pub org: OrgId,
    /// What it commits to.
    pub commitments: Vec<Title>,
    /// The day it was signed, not later than today.
    pub signed_on: Date,
    /// Whose pairing it is.
    pub party: Party,
}

impl Input for NewPairing {
    const FIELDS: &'static [&'static str] = &["org", "commitments", "signed_on", "party"];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            org: fields.parsed("org", Expected::Id)?,
            commitments: fields.text_list("commitments", Title::parse)?,
            signed_on: fields.date("signed_on", now)?,
            party: Party::read(fields)?,
        })
    }
}

impl NewPairing {
    /// The command that records the pairing as `id`, with what the city says of the
    /// street for a street's pairing.
    pub fn into_command(self, id: PairingId, street: Option<StreetHost>) -> Command {
        Command::AddPairing {
            id,
            org: self.org,
            commitments: self.commitments,
            signed_on: self.signed_on,
            street,
        }
    }
}

/// The end of a pairing: `{note}`, its reason (the protocol refuses an end without one).
#[derive(Debug, Clone, PartialEq)]
pub struct PairingEnd {
    /// Why it ended.
    pub note: Detail,
}

impl Input for PairingEnd {
    const FIELDS: &'static [&'static str] = &["note"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            note: fields.text_or_empty("note", Detail::parse)?,
        })
    }
}

impl PairingEnd {
    /// The command that ends pairing `id`.
    pub fn into_command(self, id: PairingId) -> Command {
        Command::EndPairing {
            id,
            note: self.note,
        }
    }
}

/// `POST /api/orgs`: records an organisation, or updates the unit's own one with that
/// credit code (its id is derived from the code, and the branch's name if any).
pub fn create_org(replica: &mut Replica, new: NewOrg, now: Timestamp) -> ApiResult {
    let id = new.id();
    let command = new.into_command();
    execute(replica, &command, None, now, |_| None)?;
    org(replica, &id.to_string())
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
pub fn create_pairing(replica: &mut Replica, new: NewPairing, now: Timestamp) -> ApiResult {
    let street = street_for(replica, new.party)?;
    let make = |id: PairingId| new.into_command(id, street);
    create(replica, now, make, |r, id| pairing(r, &id.to_string()))
}

/// `POST /api/pairings/{id}/end`.
pub fn end_pairing(replica: &mut Replica, id: &str, end: PairingEnd, now: Timestamp) -> ApiResult {
    let id: PairingId = path_id(id)?;
    require::<Pairing>(replica, id)?;
    let command = end.into_command(id);
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
