//! Service activities (志愿服务活动) and the members who take part.

use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{ActivityFields, Command};
use wishtree_protocol::id::{ActivityId, MemberId};
use wishtree_protocol::model::{Activity, ServiceRecord};
use wishtree_protocol::text::{Label, Title};

use super::passbook::{earned_points_record, service_record};
use super::{ApiResult, Fields, execute, list, new_id, path_id, render, require};
use crate::replica::Replica;

/// `POST /api/activities`.
pub fn create_activity(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(
        body,
        &["title", "category", "date", "minutes", "organiser", "place"],
    )?;
    let id = ActivityId::from_bytes(new_id()?);
    let new_activity = ActivityFields {
        title: fields.text("title", Title::parse)?,
        category: fields.parsed("category")?,
        date: fields.parsed("date")?,
        minutes: fields.number("minutes")?,
        organiser: fields.optional_parsed("organiser")?,
        place: fields.text_or_empty("place", Label::parse)?,
    };
    execute(
        replica,
        &Command::AddActivity {
            id,
            activity: new_activity,
        },
        None,
        now,
        |_| None,
    )?;
    activity(replica, &id.to_string())
}

/// `POST /api/activities/{id}/participants` with `{member}`: the participation, its
/// service record and the points it earned.
pub fn add_participant(replica: &mut Replica, id: &str, body: Value, now: Timestamp) -> ApiResult {
    let activity_id: ActivityId = path_id(id)?;
    require::<Activity>(replica, activity_id)?;
    let fields = Fields::new(body, &["member"])?;
    let member: MemberId = fields.parsed("member")?;
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
