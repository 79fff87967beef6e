//! Members (在职党员): report-in, the ledger's seven items (personal fields stay in the
//! node's private tables), and a member's record.

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::model::Member;
use wishtree_protocol::text::{Label, Name};

use super::{ApiError, ApiResult, Fields, execute, new_id, path_id, render, require};
use crate::replica::{PrivateRecord, Replica};
use crate::store::MemberPrivate;

/// A member to record or a ledger to replace, checked: what `POST /api/members` and
/// `PUT /api/members/{id}` read from their body and the CLI builds from its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    /// The ledger fields the city may see.
    pub member: MemberFields,
    /// Home address, kept on this node only; `None` leaves the stored one as it is.
    pub address: Option<Label>,
    /// Phone, kept on this node only; `None` leaves the stored one as it is.
    pub phone: Option<Label>,
}

impl NewMember {
    /// Reads a member body, refusing unknown fields, with errors that name the field.
    pub fn from_json(body: Value) -> Result<Self, ApiError> {
        let fields = Fields::new(body, MEMBER_FIELDS)?;
        let personal = |field: &'static str| -> Result<Option<Label>, ApiError> {
            let text = fields.text_or_empty(field, Label::parse)?;
            Ok(fields.has(field).then_some(text))
        };
        Ok(Self {
            member: member_fields(&fields)?,
            address: personal("address")?,
            phone: personal("phone")?,
        })
    }

    /// The personal data, if either field was given.
    fn private(address: Option<Label>, phone: Option<Label>) -> Option<MemberPrivate> {
        (address.is_some() || phone.is_some()).then(|| MemberPrivate {
            address: address.map(Label::into_string).unwrap_or_default(),
            phone: phone.map(Label::into_string).unwrap_or_default(),
        })
    }
}

/// `POST /api/members`.
pub fn create_member(replica: &mut Replica, new: NewMember, now: Timestamp) -> ApiResult {
    let NewMember {
        member,
        address,
        phone,
    } = new;
    let id = MemberId::from_bytes(new_id()?);
    let command = Command::AddMember { id, member };
    let private = NewMember::private(address, phone).map(|data| PrivateRecord::Member { id, data });
    execute(replica, &command, private.as_ref(), now, |_| None)?;
    member_record(replica, id)
}

/// `PUT /api/members/{id}`: replaces the ledger fields; `address` and `phone`, if
/// given, replace the personal data.
pub fn update_member(replica: &mut Replica, id: &str, new: NewMember, now: Timestamp) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let NewMember {
        member,
        address,
        phone,
    } = new;
    let private = NewMember::private(address, phone).map(|data| PrivateRecord::Member { id, data });
    execute(
        replica,
        &Command::UpdateMember { id, member },
        private.as_ref(),
        now,
        |_| None,
    )?;
    member_record(replica, id)
}

/// `GET /api/members`.
pub fn list_members(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    let private = replica.store().members_private()?;
    Ok(Value::Array(
        view.members
            .iter()
            .map(|(id, member)| render::member(*id, member, private.get(id)))
            .collect(),
    ))
}

/// `GET /api/members/{id}`.
pub fn member(replica: &mut Replica, id: &str) -> ApiResult {
    member_record(replica, path_id(id)?)
}

const MEMBER_FIELDS: &[&str] = &[
    "name",
    "work_unit",
    "org",
    "position",
    "specialties",
    "intentions",
    "reported_in",
    "branch",
    "team",
    "address",
    "phone",
];

fn member_fields(fields: &Fields) -> Result<MemberFields, ApiError> {
    Ok(MemberFields {
        name: fields.text("name", Name::parse)?,
        work_unit: fields.text_or_empty("work_unit", Label::parse)?,
        org: fields.optional_parsed("org")?,
        position: fields.text_or_empty("position", Label::parse)?,
        specialties: fields.text_list("specialties", Label::parse)?,
        intentions: fields.parsed_list("intentions")?,
        reported_in: fields.parsed("reported_in")?,
        branch: fields.optional_parsed("branch")?,
        team: fields.optional_parsed("team")?,
    })
}

fn member_record(replica: &mut Replica, id: MemberId) -> ApiResult {
    let member = require::<Member>(replica, id)?;
    let private = replica.member_private(id)?;
    Ok(render::member(id, &member, private.as_ref()))
}
