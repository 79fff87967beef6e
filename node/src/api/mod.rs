//! The operations behind the JSON API and the command line: a request body in, a
//! command run on the replica, the record out as JSON.
//!
//! Both the HTTP handlers ([`crate::http`]) and the CLI call these functions, so a
//! record created by `wishtree-node wish add` is checked and answered exactly as one
//! posted to `POST /api/wishes`. Every function takes `&mut Replica` and does
//! blocking work: call it from a blocking thread (see [`crate::http`]).

mod fields;
pub mod render;

use std::str::FromStr;

use serde_json::{Value, json};
use wishtree_protocol::command::{ActivityFields, Command, CommandError, MemberFields, WishFields};
use wishtree_protocol::id::{
    ActivityId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId, ServiceId,
    TeamId, VoidId, WishId,
};
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Claimants, PairingStatus, PostStatus};
use wishtree_protocol::model::{
    Activity, Actor, Entity, EventKind, Member, Org, Pairing, PointsEntry, Post, PostKind, Project,
    ServiceRecord, Void, Wish,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::{Voidable, WithStatus};
use wishtree_protocol::{HalfYear, Timestamp};

pub use self::fields::Fields;
use crate::replica::{ExecuteError, PrivateRecord, Replica, random_bytes};
use crate::report::{HalfYearReport, ReportError};
use crate::store::{MemberPrivate, ResidentPrivate, StoreError};

/// What an operation answers: a JSON record or list.
pub type ApiResult = Result<Value, ApiError>;

/// Why an operation was refused or failed. Each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the input is invalid; `field` names the field at fault.
    BadRequest {
        /// The field, if one is at fault.
        field: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// 404: an id names nothing.
    NotFound {
        /// What was not found.
        message: String,
    },
    /// 409: the request is not legal in the current state, which is attached.
    Conflict {
        /// Why.
        message: String,
        /// The current state of the record concerned.
        state: Option<Value>,
    },
    /// 413: the body is larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 503: the node cannot write now (read-only, or an unrecovered store failure).
    Unavailable {
        /// Why.
        message: String,
    },
    /// 507: the disk is full; nothing was saved.
    DiskFull {
        /// What to do.
        message: String,
    },
    /// 500: anything else; nothing was saved.
    Internal {
        /// What failed.
        message: String,
    },
}

impl ApiError {
    /// A 400 error.
    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field,
            message: message.into(),
        }
    }

    /// A 404 error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }

    /// The HTTP status code.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::TooLarge { .. } => 413,
            Self::Unavailable { .. } => 503,
            Self::DiskFull { .. } => 507,
            Self::Internal { .. } => 500,
        }
    }

    /// The message, for people.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest { message, .. }
            | Self::NotFound { message }
            | Self::Conflict { message, .. }
            | Self::Unavailable { message }
            | Self::DiskFull { message }
            | Self::Internal { message } => message.clone(),
            Self::TooLarge { limit } => {
                format!("the body is larger than {limit} bytes; send less at once")
            }
        }
    }

    /// The JSON body of the error: `{"error": …}`, with `field` or `state` when known.
    pub fn to_json(&self) -> Value {
        let mut body = json!({ "error": self.message() });
        match self {
            Self::BadRequest {
                field: Some(field), ..
            } => body["field"] = Value::String(field.clone()),
            Self::Conflict {
                state: Some(state), ..
            } => body["state"] = state.clone(),
            _ => {}
        }
        body
    }

    fn from_store(error: StoreError) -> Self {
        match error {
            StoreError::DiskFull { .. } => Self::DiskFull {
                message: error.to_string(),
            },
            StoreError::ReadOnly { .. } => Self::Unavailable {
                message: error.to_string(),
            },
            other => Self::Internal {
                message: other.to_string(),
            },
        }
    }

    fn from_execute(error: ExecuteError, state: Option<Value>) -> Self {
        match error {
            ExecuteError::Command(CommandError::NotFound { kind, id }) => {
                Self::not_found(format!("there is no {kind} {id}"))
            }
            ExecuteError::NoSuchEntity { .. } => Self::not_found(error.to_string()),
            ExecuteError::Command(CommandError::OutOfRange { field, .. }) => {
                Self::bad_request(Some(field.to_owned()), error.to_string())
            }
            ExecuteError::Command(
                CommandError::AlreadyExists { .. }
                | CommandError::Refused { .. }
                | CommandError::InsufficientPoints { .. }
                | CommandError::AlreadyParticipating
                | CommandError::AlreadyVoided { .. },
            ) => Self::Conflict {
                message: error.to_string(),
                state,
            },
            ExecuteError::Command(CommandError::Doc(doc)) => Self::Internal {
                message: doc.to_string(),
            },
            ExecuteError::Store(store) => Self::from_store(store),
            ExecuteError::Poisoned(message) => Self::Unavailable { message },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::from_store(error)
    }
}

impl From<wishtree_protocol::DocError> for ApiError {
    fn from(error: wishtree_protocol::DocError) -> Self {
        Self::Internal {
            message: error.to_string(),
        }
    }
}

/// `GET /api/status`.
pub fn status(replica: &mut Replica) -> ApiResult {
    let status = replica.status()?;
    Ok(serde_json::to_value(status).unwrap_or(Value::Null))
}

/// `POST /api/members`.
pub fn create_member(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, MEMBER_FIELDS)?;
    let member = member_fields(&fields)?;
    let private = member_private(&fields)?;
    let id = MemberId::from_bytes(new_id()?);
    let command = Command::AddMember { id, member };
    let private = private.map(|data| PrivateRecord::Member { id, data });
    execute(replica, &command, private.as_ref(), now, |_| None)?;
    member_record(replica, id)
}

/// `PUT /api/members/{id}`: replaces the ledger fields; `address` and `phone`, if
/// given, replace the personal data.
pub fn update_member(replica: &mut Replica, id: &str, body: Value, now: Timestamp) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let fields = Fields::new(body, MEMBER_FIELDS)?;
    let member = member_fields(&fields)?;
    let private = member_private(&fields)?.map(|data| PrivateRecord::Member { id, data });
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

/// `GET /api/members/{id}/passbook`.
pub fn passbook(replica: &mut Replica, id: &str) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let view = replica.view()?;
    Ok(render::passbook(&view, id))
}

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

/// `POST /api/posts`.
pub fn create_post(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["kind", "title", "detail", "seats"])?;
    let id = PostId::from_bytes(new_id()?);
    let command = Command::AddPost {
        id,
        kind: fields.parsed("kind")?,
        title: fields.text("title", Title::parse)?,
        detail: fields.text_or_empty("detail", Detail::parse)?,
        seats: fields.optional_number("seats")?.unwrap_or(1),
    };
    execute(replica, &command, None, now, |_| None)?;
    post(replica, &id.to_string())
}

/// `POST /api/posts/{id}/{claim|release|withdraw}`: `by` (member:<id> or org:<id>) is
/// needed to claim or release.
pub fn post_action(
    replica: &mut Replica,
    id: &str,
    action: &str,
    body: Value,
    now: Timestamp,
) -> ApiResult {
    let id: PostId = path_id(id)?;
    require::<Post>(replica, id)?;
    let kind = action_kind(
        action,
        &[EventKind::Claim, EventKind::Release, EventKind::Withdraw],
        "posts",
    )?;
    let fields = Fields::new(body, &["by", "note"])?;
    let by = actor(
        replica,
        &fields,
        matches!(kind, EventKind::Claim | EventKind::Release),
    )?;
    let command = Command::PostEvent {
        id,
        kind,
        by,
        note: fields.text_or_empty("note", Detail::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        post(replica, &id.to_string()).ok()
    })?;
    post(replica, &id.to_string())
}

/// `GET /api/posts`.
pub fn list_posts(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.posts.iter().map(|(id, p)| render::post(id, p))))
}

/// `GET /api/posts/{id}`.
pub fn post(replica: &mut Replica, id: &str) -> ApiResult {
    let id: PostId = path_id(id)?;
    let entity = require::<Post>(replica, id)?;
    let status = PostStatus::fold(&entity.events, entity.seats);
    Ok(render::post(id, &WithStatus { entity, status }))
}

/// `POST /api/wishes`: `{title, detail, kind, group, resident_label,
/// estimated_value?}` and the private `resident_name`, `resident_phone`.
pub fn create_wish(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(
        body,
        &[
            "title",
            "detail",
            "kind",
            "group",
            "resident_label",
            "estimated_value",
            "resident_name",
            "resident_phone",
        ],
    )?;
    let new_wish = WishFields {
        title: fields.text("title", Title::parse)?,
        detail: fields.text_or_empty("detail", Detail::parse)?,
        kind: fields.parsed("kind")?,
        group: fields.parsed("group")?,
        resident_label: fields.text("resident_label", Name::parse)?,
        estimated_value: fields.optional_number("estimated_value")?,
    };
    let real_name = fields.text_or_empty("resident_name", Label::parse)?;
    let phone = fields.text_or_empty("resident_phone", Label::parse)?;
    let id = WishId::from_bytes(new_id()?);
    let private = (!real_name.as_str().is_empty() || !phone.as_str().is_empty()).then(|| {
        PrivateRecord::Resident {
            wish: id,
            data: ResidentPrivate {
                real_name: real_name.into_string(),
                phone: phone.into_string(),
            },
        }
    });
    execute(
        replica,
        &Command::SubmitWish { id, wish: new_wish },
        private.as_ref(),
        now,
        |_| None,
    )?;
    wish(replica, &id.to_string())
}

/// `POST /api/wishes/{id}/{publish|claim|release|fulfil|reject|withdraw}`: `by`
/// (member:<id> or org:<id>) is needed to claim; the others default to the node's
/// worker. A transition that is not legal now answers 409 with the wish as it is.
pub fn wish_action(
    replica: &mut Replica,
    id: &str,
    action: &str,
    body: Value,
    now: Timestamp,
) -> ApiResult {
    let id: WishId = path_id(id)?;
    require::<Wish>(replica, id)?;
    let kind = action_kind(action, &WISH_ACTIONS, "wishes")?;
    let fields = Fields::new(body, &["by", "note"])?;
    let by = actor(replica, &fields, kind == EventKind::Claim)?;
    let command = Command::WishEvent {
        id,
        kind,
        by,
        note: fields.text_or_empty("note", Detail::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        wish(replica, &id.to_string()).ok()
    })?;
    wish(replica, &id.to_string())
}

/// `GET /api/wishes[?state=published]`.
pub fn list_wishes(replica: &mut Replica, state: Option<&str>) -> ApiResult {
    let state: Option<ClaimState> = match state {
        None | Some("") => None,
        Some(text) => Some(text.parse().map_err(|error| {
            ApiError::bad_request(Some("state".into()), format!("state: {error}"))
        })?),
    };
    let view = replica.view()?;
    let private = replica.store().residents_private()?;
    Ok(list(
        view.wishes
            .iter()
            .filter(|(_, wish)| state.is_none_or(|state| wish.status.state == state))
            .map(|(id, wish)| render::wish(id, wish, private.get(id))),
    ))
}

/// `GET /api/wishes/{id}`.
pub fn wish(replica: &mut Replica, id: &str) -> ApiResult {
    let id: WishId = path_id(id)?;
    let entity = require::<Wish>(replica, id)?;
    let status = ClaimStatus::fold(&entity.events, Claimants::MembersAndOrgs);
    let private = replica.resident_private(id)?;
    Ok(render::wish(
        id,
        &WithStatus { entity, status },
        private.as_ref(),
    ))
}

/// `POST /api/projects`.
pub fn create_project(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["title", "detail", "kind"])?;
    let id = ProjectId::from_bytes(new_id()?);
    let command = Command::SubmitProject {
        id,
        title: fields.text("title", Title::parse)?,
        detail: fields.text_or_empty("detail", Detail::parse)?,
        kind: fields.parsed("kind")?,
    };
    execute(replica, &command, None, now, |_| None)?;
    project(replica, &id.to_string())
}

/// `POST /api/projects/{id}/{publish|claim|release|fulfil|reject|withdraw}`; only an
/// organisation (`by`: org:<id>) can claim a project.
pub fn project_action(
    replica: &mut Replica,
    id: &str,
    action: &str,
    body: Value,
    now: Timestamp,
) -> ApiResult {
    let id: ProjectId = path_id(id)?;
    require::<Project>(replica, id)?;
    let kind = action_kind(action, &WISH_ACTIONS, "projects")?;
    let fields = Fields::new(body, &["by", "note"])?;
    let by = actor(replica, &fields, kind == EventKind::Claim)?;
    let command = Command::ProjectEvent {
        id,
        kind,
        by,
        note: fields.text_or_empty("note", Detail::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        project(replica, &id.to_string()).ok()
    })?;
    project(replica, &id.to_string())
}

/// `GET /api/projects`.
pub fn list_projects(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.projects.iter().map(|(id, p)| render::project(id, p)),
    ))
}

/// `GET /api/projects/{id}`.
pub fn project(replica: &mut Replica, id: &str) -> ApiResult {
    let id: ProjectId = path_id(id)?;
    let entity = require::<Project>(replica, id)?;
    let status = ClaimStatus::fold(&entity.events, Claimants::OrgsOnly);
    Ok(render::project(id, &WithStatus { entity, status }))
}

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
        "points_entry": points_record(replica, ServiceRecord::points_entry_id(service))?,
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

/// `POST /api/services`: service outside an activity, and the points it earns.
pub fn create_service(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(
        body,
        &["member", "date", "minutes", "category", "description"],
    )?;
    let id = ServiceId::from_bytes(new_id()?);
    let command = Command::RecordService {
        id,
        member: fields.parsed("member")?,
        date: fields.parsed("date")?,
        minutes: fields.number("minutes")?,
        category: fields.parsed::<PostKind>("category")?,
        description: fields.text_or_empty("description", Detail::parse)?,
    };
    execute(replica, &command, None, now, |_| None)?;
    let mut record = service_record(replica, id)?;
    record["points_entry"] = points_record(replica, ServiceRecord::points_entry_id(id))?;
    Ok(record)
}

/// `GET /api/services`.
pub fn list_services(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(
        view.services.iter().map(|(id, s)| render::service(id, s)),
    ))
}

/// `GET /api/services/{id}`.
pub fn service(replica: &mut Replica, id: &str) -> ApiResult {
    let id: ServiceId = path_id(id)?;
    let view = replica.view()?;
    view.services
        .get(&id)
        .map(|record| render::service(id, record))
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", ServiceId::KIND)))
}

/// `POST /api/redemptions`: spends points; 409 with the passbook if the balance is
/// too small.
pub fn create_redemption(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["member", "points", "reason"])?;
    let id = PointsEntryId::from_bytes(new_id()?);
    let member: MemberId = fields.parsed("member")?;
    let command = Command::Redeem {
        id,
        member,
        points: fields.number("points")?,
        reason: fields.text("reason", Label::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        passbook(replica, &member.to_string()).ok()
    })?;
    points_record(replica, id)
}

/// `POST /api/voids`: cancels a service record (`service`) or a passbook entry
/// (`points_entry`), with a `reason`.
pub fn create_void(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["service", "points_entry", "reason"])?;
    let id = VoidId::from_bytes(new_id()?);
    let reason = fields.text("reason", Label::parse)?;
    let service: Option<ServiceId> = fields.optional_parsed("service")?;
    let entry: Option<PointsEntryId> = fields.optional_parsed("points_entry")?;
    let command = match (service, entry) {
        (Some(service), None) => Command::VoidService {
            id,
            service,
            reason,
        },
        (None, Some(entry)) => Command::VoidPoints { id, entry, reason },
        _ => {
            return Err(ApiError::bad_request(
                Some("service".into()),
                "give exactly one of service and points_entry",
            ));
        }
    };
    execute(replica, &command, None, now, |_| None)?;
    let void = require::<Void>(replica, id)?;
    Ok(render::void(id, &void))
}

/// `GET /api/voids`.
pub fn list_voids(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.voids.iter().map(|(id, v)| render::void(id, v))))
}

/// `PUT /api/community` with `{name}`: renames the community.
pub fn rename_community(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(body, &["name"])?;
    let command = Command::SetCommunityName {
        name: fields.text("name", Name::parse)?,
    };
    execute(replica, &command, None, now, |_| None)?;
    Ok(serde_json::to_value(replica.doc().community()?).unwrap_or(Value::Null))
}

/// `PUT /api/rules/points-per-hour/{category}` with `{points_per_hour}`.
pub fn set_points_rate(
    replica: &mut Replica,
    category: &str,
    body: Value,
    now: Timestamp,
) -> ApiResult {
    let category: PostKind = category.parse().map_err(|error| {
        ApiError::bad_request(Some("category".into()), format!("category: {error}"))
    })?;
    let fields = Fields::new(body, &["points_per_hour"])?;
    let command = Command::SetPointsRate {
        category,
        points_per_hour: fields.number("points_per_hour")?,
    };
    execute(replica, &command, None, now, |_| None)?;
    Ok(serde_json::to_value(replica.doc().rules()).unwrap_or(Value::Null))
}

/// `GET /api/reports/half-year?member=ID&period=2026H2`.
pub fn half_year_report(
    replica: &mut Replica,
    member: Option<&str>,
    period: Option<&str>,
) -> Result<HalfYearReport, ApiError> {
    let member: MemberId = query_value("member", member)?;
    let period: HalfYear = query_value("period", period)?;
    let view = replica.view()?;
    HalfYearReport::compute(&view, member, period).map_err(|error| match error {
        ReportError::NoSuchMember(_) => ApiError::not_found(error.to_string()),
    })
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

const WISH_ACTIONS: [EventKind; 6] = [
    EventKind::Publish,
    EventKind::Claim,
    EventKind::Release,
    EventKind::Fulfil,
    EventKind::Reject,
    EventKind::Withdraw,
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

/// The personal data of a member body, if either field was given.
fn member_private(fields: &Fields) -> Result<Option<MemberPrivate>, ApiError> {
    let address = fields.text_or_empty("address", Label::parse)?;
    let phone = fields.text_or_empty("phone", Label::parse)?;
    Ok(
        (fields.has("address") || fields.has("phone")).then(|| MemberPrivate {
            address: address.into_string(),
            phone: phone.into_string(),
        }),
    )
}

fn member_record(replica: &mut Replica, id: MemberId) -> ApiResult {
    let member = require::<Member>(replica, id)?;
    let private = replica.member_private(id)?;
    Ok(render::member(id, &member, private.as_ref()))
}

/// A service record read from the document (cheaper than deriving the view). A
/// record just written is not voided; a void written since is looked up.
fn service_record(replica: &mut Replica, id: ServiceId) -> ApiResult {
    let entity = require::<ServiceRecord>(replica, id)?;
    let (voids, _) = replica.doc().entities::<Void>()?;
    let is_voided = voids.iter().any(|(_, void)| void.service == Some(id));
    Ok(render::service(id, &Voidable { entity, is_voided }))
}

/// A passbook entry read from the document, or `null` if there is none (a service
/// that earned no points).
fn points_record(replica: &mut Replica, id: PointsEntryId) -> ApiResult {
    let Some(entity) = replica.doc().entity::<PointsEntry>(id)? else {
        return Ok(Value::Null);
    };
    let (voids, _) = replica.doc().entities::<Void>()?;
    let is_voided = voids.iter().any(|(_, void)| {
        void.points_entry == Some(id) || (void.service.is_some() && void.service == entity.service)
    });
    Ok(render::points_entry(id, &Voidable { entity, is_voided }))
}

/// Runs a command as the node's worker; on refusal, `state` gives the record's
/// current state for the 409 answer.
fn execute(
    replica: &mut Replica,
    command: &Command,
    private: Option<&PrivateRecord>,
    now: Timestamp,
    state: impl FnOnce(&mut Replica) -> Option<Value>,
) -> Result<(), ApiError> {
    let worker = replica.worker().clone();
    match replica.execute_as(command, &worker, private, now) {
        Ok(_) => Ok(()),
        Err(error) => {
            let is_conflict = matches!(
                error,
                ExecuteError::Command(
                    CommandError::Refused { .. }
                        | CommandError::InsufficientPoints { .. }
                        | CommandError::AlreadyParticipating
                        | CommandError::AlreadyVoided { .. }
                        | CommandError::AlreadyExists { .. }
                )
            );
            let state = if is_conflict { state(replica) } else { None };
            Err(ApiError::from_execute(error, state))
        }
    }
}

/// The entity with that id, or 404.
fn require<E: Entity>(replica: &Replica, id: E::Id) -> Result<E, ApiError> {
    replica
        .doc()
        .entity::<E>(id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", kind_of::<E>())))
}

/// The word for an entity kind in messages.
fn kind_of<E: Entity>() -> &'static str {
    match E::COLLECTION {
        "members" => MemberId::KIND,
        "orgs" => OrgId::KIND,
        "pairings" => PairingId::KIND,
        "branches" => BranchId::KIND,
        "teams" => TeamId::KIND,
        "posts" => PostId::KIND,
        "wishes" => WishId::KIND,
        "projects" => ProjectId::KIND,
        "activities" => ActivityId::KIND,
        "services" => ServiceId::KIND,
        "passbook" => PointsEntryId::KIND,
        "voids" => VoidId::KIND,
        other => other,
    }
}

/// An id from a URL path.
fn path_id<T: FromStr>(text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|error| ApiError::bad_request(Some("id".into()), format!("{error}")))
}

fn query_value<T: FromStr>(field: &'static str, value: Option<&str>) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    let text = value
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::bad_request(Some(field.into()), format!("{field} is missing")))?;
    text.parse()
        .map_err(|error| ApiError::bad_request(Some(field.into()), format!("{field}: {error}")))
}

fn action_kind(action: &str, allowed: &[EventKind], what: &str) -> Result<EventKind, ApiError> {
    action
        .parse::<EventKind>()
        .ok()
        .filter(|kind| allowed.contains(kind))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|kind| kind.code()).collect();
            ApiError::not_found(format!(
                "{what} have no action `{}`; the actions are {}",
                action.chars().take(40).collect::<String>(),
                names.join(", ")
            ))
        })
}

/// The author of a lifecycle event: `by` if given, else the node's worker. When
/// `must_claim`, `by` is required and must be a member or an organisation.
fn actor(replica: &Replica, fields: &Fields, must_claim: bool) -> Result<Actor, ApiError> {
    match fields.optional_parsed::<Actor>("by")? {
        Some(actor) if must_claim && !actor.is_claimant() => Err(ApiError::bad_request(
            Some("by".into()),
            "by must be the member (member:<id>) or organisation (org:<id>) who claims",
        )),
        Some(actor) => Ok(actor),
        None if must_claim => Err(ApiError::bad_request(
            Some("by".into()),
            "by is missing: give the member (member:<id>) or organisation (org:<id>) who claims",
        )),
        None => Ok(replica.worker().clone()),
    }
}

fn new_id() -> Result<[u8; 16], ApiError> {
    random_bytes().map_err(|error| ApiError::Internal {
        message: error.to_string(),
    })
}

fn list(items: impl Iterator<Item = Value>) -> Value {
    Value::Array(items.collect())
}
