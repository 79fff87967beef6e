//! Service activities (志愿服务活动) and the members who take part: sign-up (报名,
//! an intention), the check-in code the node shows while an activity runs (签到码,
//! signed by the node's key with its clock, scanned at the hub), and a worker's
//! confirmation of attendance by hand (`add_participant`), which is what credits the
//! activity's hours for a member without a phone.

use serde_json::json;
use wishtree_protocol::Timestamp;
use wishtree_protocol::checkin::CheckInCode;
use wishtree_protocol::command::{ActivityFields, Command};
use wishtree_protocol::id::{ActivityId, CheckInCodeId, MemberId};
use wishtree_protocol::model::{Activity, ServiceRecord};
use wishtree_protocol::text::{Label, Title};

use super::cards::{hub_link, qr_svg};
use super::passbook::{is_service_voided, written_service};
use super::{
    ApiError, ApiResult, Expected, FieldError, Fields, Input, create, execute, list, new_id,
    path_id, render, require,
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

/// `POST /api/activities/{id}/participants` with `{member}`: a worker confirms the
/// member attended (for a member without a phone, or after the fact): the
/// participation, its service record of the activity's length and the points it
/// earned. A sign-up or check-in of the member becomes attendance.
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
    // The id is derived from the activity and the member: a void may name it.
    let is_voided = is_service_voided(replica, service)?;
    let (record, points_entry) = written_service(replica, service, is_voided)?;
    Ok(json!({
        "activity": activity_id,
        "member": member,
        "service": record,
        "points_entry": points_entry,
    }))
}

/// The path of the hub's check-in page; the code follows `#`, so that it is never
/// sent to a server or written to a log.
pub const CHECK_IN_PATH: &str = "/m/checkin#";

/// `POST /api/activities/{id}/sign-ups` with `{member}`: the member signs up (报名),
/// an intention that credits nothing; hours come from attendance.
pub fn sign_up(replica: &mut Replica, id: &str, new: NewParticipant, now: Timestamp) -> ApiResult {
    let activity_id: ActivityId = path_id(id)?;
    require::<Activity>(replica, activity_id)?;
    let command = Command::SignUp {
        activity: activity_id,
        member: new.member,
    };
    execute(replica, &command, None, now, |replica| {
        activity(replica, &activity_id.to_string()).ok()
    })?;
    activity(replica, &activity_id.to_string())
}

/// `GET /api/activities/{id}/check-in-code`: a check-in code for the activity, signed
/// by the node's key at `now` (its clock), valid for a few minutes, with the link at
/// the hub that a phone opens by scanning it and the QR code of that link as SVG.
/// Only on the activity's day (Shanghai): a code is shown while the activity runs.
pub fn check_in_code(replica: &mut Replica, id: &str, now: Timestamp) -> ApiResult {
    let activity_id: ActivityId = path_id(id)?;
    let details = require::<Activity>(replica, activity_id)?;
    let today = now.date_in_shanghai();
    if details.date != today {
        return Err(ApiError::Conflict {
            message: format!(
                "the activity is on {}, not today ({today}): a check-in code is shown on its day",
                details.date
            ),
            state: None,
        });
    }
    let code = CheckInCode::issue(
        replica.key_pair(),
        replica.code(),
        activity_id,
        CheckInCodeId::from_bytes(new_id()?),
        now,
    );
    let link = hub_link(replica, &format!("{CHECK_IN_PATH}{}", code.to_text()))?;
    Ok(json!({
        "activity": activity_id,
        "title": details.title,
        "code": code.to_text(),
        "issued": code.issued,
        "expires": code.expires,
        "qr_svg": qr_svg(&link)?,
        "link": link,
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
