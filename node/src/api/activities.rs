//! Service activities (志愿服务活动) and the members who take part.

use serde_json::json;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{ActivityFields, Command};
use wishtree_protocol::id::{ActivityId, MemberId};
use wishtree_protocol::model::{Activity, ServiceRecord};
use wishtree_protocol::text::{Label, Title};

use super::passbook::{earned_points_record, service_record};
use super::{
    ApiResult, Expected, FieldError, Fields, Input, create, execute, list, path_id, render, require,
};
use crate::replica::Replica;

/// An activity to record: what `POST /api/activities`, the activity form and
/// `activity add` read. The date cannot be later than today; the time each participant
/// serves is given as `minutes` or as `hours` (`1.5`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity(pub ActivityFields);

impl Input for NewActivity {
    const FIELDS: &'static [&'static str] = &[
        "title",
        "category",
        "date",
        "minutes",
        "hours",
        "organiser",
        "place",
    ];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self(ActivityFields {
            title: fields.text("title", Title::parse)?,
            category: fields.parsed("category", Expected::Choice)?,
            date: fields.date("date", now)?,
            minutes: fields.minutes_or_hours()?,
            organiser: fields.optional_parsed("organiser", Expected::Id)?,
            place: fields.text_or_empty("place", Label::parse)?,
        }))
    }
}

/// A member joining an activity: `{member}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewParticipant {
    /// The member.
    pub member: MemberId,
}

impl Input for NewParticipant {
    const FIELDS: &'static [&'static str] = &["member"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            member: fields.parsed("member", Expected::Id)?,
        })
    }
}

/// `POST /api/activities`.
pub fn create_activity(replica: &mut Replica, new: NewActivity, now: Timestamp) -> ApiResult {
    let make = |id: ActivityId| Command::AddActivity {
        id,
        activity: new.0,
    };
    create(replica, now, make, |r, id| activity(r, &id.to_string()))
}

/// `POST /api/activities/{id}/participants` with `{member}`: the participation, its
/// service record and the points it earned.
pub fn add_participant(
    replica: &mut Replica,
    id: &str,
    new: NewParticipant,
    now: Timestamp,
) -> ApiResult {
    let activity_id: ActivityId = path_id(id)?;
    require::<Activity>(replica, activity_id)?;
    let member = new.member;
    let command = Command::AddParticipant {
        activity: activity_id,
        member,
    };
    execute(replica, &command, None, now, |replica| {
        activity(replica, &activity_id.to_string()).ok()
    })?;
    let service = ServiceRecord::id_for_participation(activity_id, member);
    Ok(json!({
        "activity": activity_id,
        "member": member,
        "service": service_record(replica, service)?,
        "points_entry": earned_points_record(replica, service)?,
    }))
}

/// `GET /api/activities`.
pub fn list_activities(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.activities
            .iter()
            .map(|(id, a)| render::activity(id, a)),
    ))
}

/// `GET /api/activities/{id}`.
pub fn activity(replica: &mut Replica, id: &str) -> ApiResult {
    let id: ActivityId = path_id(id)?;
    Ok(render::activity(id, &require::<Activity>(replica, id)?))
}
