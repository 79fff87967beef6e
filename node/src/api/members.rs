//! Members (在职党员): report-in, the ledger's seven items (personal fields stay in the
//! node's private tables), and a member's record.

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::model::{Actor, Member};
use wishtree_protocol::text::{Label, Name, Phone};

use super::{
    ApiResult, Expected, FieldError, Fields, Input, Problem, create, execute, path_id, render,
    require,
};
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
    /// Phone, kept on this node only as its digits (checked by [`Phone`]; empty text
    /// clears it); `None` leaves the stored one as it is.
    pub phone: Option<Label>,
}

impl Input for NewMember {
    const FIELDS: &'static [&'static str] = &[
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

    /// Reads a member; the day of reporting in cannot be later than today.
    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        let personal = |field: &'static str| -> Result<Option<Label>, FieldError> {
            let text = fields.text_or_empty(field, Label::parse)?;
            Ok(fields.has(field).then_some(text))
        };
        // The form's choice reads `org:<id>`, the API's field the bare id.
        let org = match fields.optional_parsed::<Actor>("org", Expected::Id) {
            Ok(Some(Actor::Org(org))) => Some(org),
            _ => fields.optional_parsed("org", Expected::Id)?,
        };
        let member = MemberFields {
            name: fields.text("name", Name::parse)?,
            work_unit: fields.text_or_empty("work_unit", Label::parse)?,
            org,
            position: fields.text_or_empty("position", Label::parse)?,
            specialties: fields.text_list("specialties", Label::parse)?,
            intentions: fields.parsed_list("intentions", Expected::Choice)?,
            reported_in: fields.date("reported_in", now)?,
            branch: fields.optional_parsed("branch", Expected::Id)?,
            team: fields.optional_parsed("team", Expected::Id)?,
        };
        Ok(Self {
            member,
            address: personal("address")?,
            phone: phone(fields)?,
        })
    }
}

impl NewMember {
    /// The personal data, if either field was given.
    fn private(address: Option<Label>, phone: Option<Label>) -> Option<MemberPrivate> {
        (address.is_some() || phone.is_some()).then(|| MemberPrivate {
            address: address.map(Label::into_string).unwrap_or_default(),
            phone: phone.map(Label::into_string).unwrap_or_default(),
        })
    }

    /// The command that records the member as `id`, and its private record if given.
    pub fn into_command(self, id: MemberId) -> (Command, Option<PrivateRecord>) {
        let (member, private) = self.split(id);
        (Command::AddMember { id, member }, private)
    }

    /// The command that replaces the ledger of member `id`, and its private record if
    /// given: what `PUT /api/members/{id}` and the member page's edit form run.
    pub fn into_update(self, id: MemberId) -> (Command, Option<PrivateRecord>) {
        let (member, private) = self.split(id);
        (Command::UpdateMember { id, member }, private)
    }

    /// The ledger fields, and the private record of member `id` if given.
    fn split(self, id: MemberId) -> (MemberFields, Option<PrivateRecord>) {
        let private =
            Self::private(self.address, self.phone).map(|data| PrivateRecord::Member { id, data });
        (self.member, private)
    }
}

/// The phone of a member, if given: checked, and kept as its digits so that one phone
/// is written one way; blank text clears it.
pub(super) fn phone(fields: &Fields) -> Result<Option<Label>, FieldError> {
    if !fields.has("phone") {
        return Ok(None);
    }
    let typed = fields.text_or_empty("phone", Label::parse)?;
    if typed.as_str().trim().is_empty() {
        return Label::parse("phone", "")
            .map(Some)
            .map_err(|error| FieldError::new("phone", Problem::Text(error)));
    }
    let phone = Phone::parse("phone", typed.as_str())
        .map_err(|error| FieldError::new("phone", Problem::Phone(error)))?;
    Label::parse("phone", phone.as_str())
        .map(Some)
        .map_err(|error| FieldError::new("phone", Problem::Text(error)))
}

/// `POST /api/members`.
pub fn create_member(replica: &mut Replica, new: NewMember, now: Timestamp) -> ApiResult {
    let make = |id: MemberId| new.into_command(id);
    create(replica, now, make, member_record)
}

/// `PUT /api/members/{id}`: replaces the ledger fields; `address` and `phone`, if
/// given, replace the personal data.
pub fn update_member(replica: &mut Replica, id: &str, new: NewMember, now: Timestamp) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let (command, private) = new.into_update(id);
    execute(replica, &command, private.as_ref(), now, |_| None)?;
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

fn member_record(replica: &mut Replica, id: MemberId) -> ApiResult {
    let member = require::<Member>(replica, id)?;
    let private = replica.member_private(id)?;
    Ok(render::member(id, &member, private.as_ref()))
}
