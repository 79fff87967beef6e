//! Volunteers beyond the members (issue 14, item 5): 离退休党员, 学生党员 and
//! 社区公益爱心人士, registered with the worker's label for the city and their real
//! name and phone kept in the node's private tables. They claim wishes through the
//! wishes' own `claim` (`by: "volunteer:<id>"`) and serve through `POST /api/services`
//! (`member: "volunteer:<id>"`); a record of theirs is voided through `POST /api/voids`
//! (`volunteer_service`).

use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, VolunteerFields};
use wishtree_protocol::id::{VolunteerId, VolunteerServiceId};
use wishtree_protocol::model::{Actor, Void, Volunteer, VolunteerService};
use wishtree_protocol::text::{Label, Name};
use wishtree_protocol::view::{CommunityView, Voidable};

use super::members::phone;
use super::{ApiError, ApiResult, Expected, FieldError, Fields, Input, create, path_id, require};
use crate::replica::{PrivateRecord, Replica};
use crate::store::VolunteerPrivate;

/// A volunteer to register: `{label, kind, specialties?, registered_on, name, phone?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVolunteer {
    /// What the city may see.
    pub volunteer: VolunteerFields,
    /// The real name, kept on this node only.
    pub name: Name,
    /// The phone, kept on this node only as its digits; `None` if not given.
    pub phone: Option<Label>,
}

impl Input for NewVolunteer {
    const FIELDS: &'static [&'static str] = &[
        "label",
        "kind",
        "specialties",
        "registered_on",
        "name",
        "phone",
    ];

    /// Reads a volunteer; the day they registered cannot be later than today.
    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        let volunteer = VolunteerFields {
            label: fields.text("label", Name::parse)?,
            kind: fields.parsed("kind", Expected::Choice)?,
            specialties: fields.text_list("specialties", Label::parse)?,
            registered_on: fields.date("registered_on", now)?,
        };
        Ok(Self {
            volunteer,
            name: fields.text("name", Name::parse)?,
            phone: phone(fields)?,
        })
    }
}

impl NewVolunteer {
    /// The command that registers the volunteer as `id`, and their private record.
    pub fn into_command(self, id: VolunteerId) -> (Command, Option<PrivateRecord>) {
        let data = VolunteerPrivate {
            name: self.name.to_string(),
            phone: self.phone.map(Label::into_string).unwrap_or_default(),
        };
        let command = Command::AddVolunteer {
            id,
            volunteer: self.volunteer,
        };
        (command, Some(PrivateRecord::Volunteer { id, data }))
    }
}

/// `POST /api/volunteers`.
pub fn create_volunteer(replica: &mut Replica, new: NewVolunteer, now: Timestamp) -> ApiResult {
    create(replica, now, |id| new.into_command(id), volunteer_record)
}

/// `GET /api/volunteers`: each with their personal data and what they did.
pub fn list_volunteers(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    let private = replica.store().volunteers_private()?;
    Ok(Value::Array(
        view.volunteers
            .iter()
            .map(|(id, volunteer)| render(&view, *id, volunteer, private.get(id)))
            .collect(),
    ))
}

/// `GET /api/volunteers/{id}`.
pub fn volunteer(replica: &mut Replica, id: &str) -> ApiResult {
    volunteer_record(replica, path_id(id)?)
}

/// `GET /api/volunteer-services/{id}`: one record, voided or not.
pub(super) fn volunteer_service(replica: &mut Replica, id: VolunteerServiceId) -> ApiResult {
    let entity = require::<VolunteerService>(replica, id)?;
    let (voids, _) = replica.doc().entities::<Void>()?;
    let is_voided = voids
        .iter()
        .any(|(_, void)| void.volunteer_service == Some(id));
    Ok(service_json(id, &Voidable { entity, is_voided }))
}

/// `GET /api/volunteer-services/{id}`, the id as written in the path.
pub fn volunteer_service_at(replica: &mut Replica, id: &str) -> ApiResult {
    volunteer_service(replica, path_id(id)?)
}

fn volunteer_record(replica: &mut Replica, id: VolunteerId) -> ApiResult {
    require::<Volunteer>(replica, id)?;
    let view = replica.view()?;
    let private = replica.volunteer_private(id)?;
    let volunteer = view
        .volunteers
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", VolunteerId::KIND)))?;
    Ok(render(&view, id, volunteer, private.as_ref()))
}

/// A volunteer as the API answers: the record, the personal data (on this node only),
/// the wishes they hold and their service records.
fn render(
    view: &CommunityView,
    id: VolunteerId,
    volunteer: &Volunteer,
    private: Option<&VolunteerPrivate>,
) -> Value {
    let private = private.cloned().unwrap_or_default();
    let actor = Actor::Volunteer(id);
    let wishes: Vec<String> = view
        .wishes
        .iter()
        .filter(|(_, wish)| wish.status.claimant.as_ref() == Some(&actor))
        .map(|(wish, _)| wish.to_string())
        .collect();
    let services: Vec<Value> = view
        .volunteer_services
        .iter()
        .filter(|(_, record)| record.entity.volunteer == id)
        .map(|(id, record)| service_json(*id, record))
        .collect();
    json!({
        "id": id.to_string(),
        "label": volunteer.label,
        "kind": volunteer.kind,
        "specialties": volunteer.specialties,
        "registered_on": volunteer.registered_on,
        "created_at": volunteer.created_at,
        "name": private.name,
        "phone": private.phone,
        "wishes_claimed": wishes,
        "services": services,
    })
}

fn service_json(id: VolunteerServiceId, record: &Voidable<VolunteerService>) -> Value {
    let mut object = json!(record);
    object["id"] = Value::String(id.to_string());
    object
}
