//! Service records, the love passbook (爱心存折): points earned and redeemed, and voids
//! that correct a mistaken fact.

use serde_json::Value;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{
    BenefitId, MemberId, PointsEntryId, ServiceId, VoidId, VolunteerId, VolunteerServiceId,
};
use wishtree_protocol::model::{
    Actor, Member, PointsEntry, PostKind, ScoringItem, ServiceRecord, Void,
};
use wishtree_protocol::text::{Detail, Label, TextError};
use wishtree_protocol::view::Voidable;
use wishtree_protocol::{Date, Timestamp};

use super::{
    ApiError, ApiResult, Expected, FieldError, Fields, Input, Problem, execute, list, new_id,
    path_id, render, require,
};
use crate::replica::Replica;

/// `GET /api/members/{id}/passbook`.
pub fn passbook(replica: &mut Replica, id: &str) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let view = replica.view()?;
    Ok(render::passbook(&view, id))
}

/// Service outside an activity: `{member, date, minutes | hours, category, item?,
/// description?}`; the date cannot be later than today. `member` is a member's id (or
/// `member:<id>`), or `volunteer:<id>` for a volunteer beyond the members, whose
/// service is recorded apart and earns no points (`item` is then ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct NewService {
    /// Who served.
    pub by: Server,
    /// The day.
    pub date: Date,
    /// How long.
    pub minutes: u32,
    /// The category of service.
    pub category: PostKind,
    /// The kind of service it scores as (`other` if not given).
    pub item: ScoringItem,
    /// What was done.
    pub description: Detail,
}

/// Who served: a reported member, or a volunteer beyond the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// A member, whose service earns points.
    Member(MemberId),
    /// A volunteer, whose service is counted apart.
    Volunteer(VolunteerId),
}

impl Server {
    /// Reads `field`: a bare id is a member's (as the API has always taken it), else
    /// `member:<id>` or `volunteer:<id>`.
    pub(super) fn read(fields: &Fields, field: &'static str) -> Result<Self, FieldError> {
        match fields.parsed::<Actor>(field, Expected::Id) {
            Ok(Actor::Member(member)) => Ok(Self::Member(member)),
            Ok(Actor::Volunteer(volunteer)) => Ok(Self::Volunteer(volunteer)),
            Ok(other) => Err(FieldError::new(
                field,
                Problem::Invalid {
                    what: Expected::Id,
                    english: format!("`{other}` did not serve: name a member or a volunteer"),
                },
            )),
            // Not an actor's text: a bare member id, or why it is not one.
            Err(_) => fields.parsed(field, Expected::Id).map(Self::Member),
        }
    }
}

impl Input for NewService {
    const FIELDS: &'static [&'static str] = &[
        "member",
        "date",
        "minutes",
        "hours",
        "category",
        "item",
        "description",
    ];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            by: Server::read(fields, "member")?,
            date: fields.date("date", now)?,
            minutes: fields.minutes_or_hours()?,
            category: fields.parsed("category", Expected::Choice)?,
            item: fields
                .optional_parsed("item", Expected::Choice)?
                .unwrap_or(ScoringItem::Other),
            description: fields.text_or_empty("description", Detail::parse)?,
        })
    }
}

impl NewService {
    /// The command that records the service as `id`: a volunteer's record takes the
    /// same id bytes in its own collection.
    pub fn into_command(self, id: ServiceId) -> Command {
        match self.by {
            Server::Member(member) => Command::RecordService {
                id,
                member,
                date: self.date,
                minutes: self.minutes,
                category: self.category,
                item: self.item,
                description: self.description,
            },
            Server::Volunteer(volunteer) => Command::RecordVolunteerService {
                id: VolunteerServiceId::from_bytes(*id.as_bytes()),
                volunteer,
                date: self.date,
                minutes: self.minutes,
                category: self.category,
                description: self.description,
            },
        }
    }
}

/// Points spent from a member's passbook: `{member, benefit}`, a benefit of the
/// catalogue at its cost; or, as before the catalogue (and for the CLI's older
/// scripts), `{member, points, reason}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRedemption {
    /// Whose points.
    pub member: MemberId,
    /// What they are spent on.
    pub choice: RedemptionChoice,
}

/// What a redemption buys.
#[derive(Debug, Clone, PartialEq)]
pub enum RedemptionChoice {
    /// A benefit of the catalogue, at its cost.
    Benefit(BenefitId),
    /// Points for a reason typed in (a redemption from before the catalogue).
    FreeText {
        /// How many.
        points: u32,
        /// For what.
        reason: Label,
    },
}

impl Input for NewRedemption {
    const FIELDS: &'static [&'static str] = &["member", "benefit", "points", "reason"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let member = fields.parsed("member", Expected::Id)?;
        let choice = match fields.optional_parsed("benefit", Expected::Id)? {
            Some(benefit) => RedemptionChoice::Benefit(benefit),
            None if fields.optional_number("points")?.is_none() => {
                return Err(FieldError::new("benefit", Problem::Missing));
            }
            None => RedemptionChoice::FreeText {
                points: fields.number("points")?,
                reason: fields.text("reason", Label::parse)?,
            },
        };
        Ok(Self { member, choice })
    }
}

impl NewRedemption {
    /// The command that records the redemption as `id`.
    pub fn into_command(self, id: PointsEntryId) -> Command {
        let member = self.member;
        match self.choice {
            RedemptionChoice::Benefit(benefit) => Command::RedeemBenefit {
                id,
                member,
                benefit,
            },
            RedemptionChoice::FreeText { points, reason } => Command::Redeem {
                id,
                member,
                points,
                reason,
            },
        }
    }
}

/// A void of a mistaken service record, passbook entry or volunteer's service record:
/// exactly one of `service`, `points_entry` and `volunteer_service`, and a `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVoid {
    /// What is voided.
    pub target: VoidTarget,
    /// Why.
    pub reason: Label,
}

/// What a void cancels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VoidTarget {
    /// A service record (and the points it earned).
    Service(ServiceId),
    /// A passbook entry.
    PointsEntry(PointsEntryId),
    /// A volunteer's service record.
    VolunteerService(VolunteerServiceId),
}

impl Input for NewVoid {
    const FIELDS: &'static [&'static str] =
        &["service", "points_entry", "volunteer_service", "reason"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        // A void is the record of a mistake: whoever reads it later must learn why.
        let reason = fields.text("reason", Label::parse)?;
        if reason.as_str().trim().is_empty() {
            let empty = TextError::Empty { field: "reason" };
            return Err(FieldError::new("reason", Problem::Text(empty)));
        }
        let service = fields.optional_parsed("service", Expected::Id)?;
        let entry = fields.optional_parsed("points_entry", Expected::Id)?;
        let volunteer = fields.optional_parsed("volunteer_service", Expected::Id)?;
        let target = match (service, entry, volunteer) {
            (Some(service), None, None) => VoidTarget::Service(service),
            (None, Some(entry), None) => VoidTarget::PointsEntry(entry),
            (None, None, Some(service)) => VoidTarget::VolunteerService(service),
            _ => {
                return Err(FieldError::new("service", Problem::OneOf("points_entry")));
            }
        };
        Ok(Self { target, reason })
    }
}

impl NewVoid {
    /// The command that records the void as `id`.
    pub fn into_command(self, id: VoidId) -> Command {
        let reason = self.reason;
        match self.target {
            VoidTarget::Service(service) => Command::VoidService {
                id,
                service,
                reason,
            },
            VoidTarget::PointsEntry(entry) => Command::VoidPoints { id, entry, reason },
            VoidTarget::VolunteerService(service) => Command::VoidVolunteerService {
                id,
                service,
                reason,
            },
        }
    }
}

/// `POST /api/services`: service outside an activity, and the points it earns; a
/// volunteer's answers their record (`volunteer_service`), which earns none.
pub fn create_service(replica: &mut Replica, new: NewService, now: Timestamp) -> ApiResult {
    let id = ServiceId::from_bytes(new_id()?);
    let by = new.by;
    execute(replica, &new.into_command(id), None, now, |_| None)?;
    if let Server::Volunteer(_) = by {
        return super::volunteers::volunteer_service(
            replica,
            VolunteerServiceId::from_bytes(*id.as_bytes()),
        );
    }
    // A fresh random id: no void can name it yet.
    let (mut record, points_entry) = written_service(replica, id, false)?;
    record["points_entry"] = points_entry;
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
pub fn create_redemption(replica: &mut Replica, new: NewRedemption, now: Timestamp) -> ApiResult {
    let id = PointsEntryId::from_bytes(new_id()?);
    let member = new.member;
    execute(replica, &new.into_command(id), None, now, |replica| {
        passbook(replica, &member.to_string()).ok()
    })?;
    points_record(replica, id)
}

/// `POST /api/voids`: cancels a service record or a passbook entry, with a reason.
pub fn create_void(replica: &mut Replica, new: NewVoid, now: Timestamp) -> ApiResult {
    let id = VoidId::from_bytes(new_id()?);
    execute(replica, &new.into_command(id), None, now, |_| None)?;
    let void = require::<Void>(replica, id)?;
    Ok(render::void(id, &void))
}

/// `GET /api/voids`.
pub fn list_voids(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.voids.iter().map(|(id, v)| render::void(id, v))))
}

/// A service record just written, read once from the document, and the passbook
/// entry it earned (derived from the record, so not voided yet; `null` if it earned
/// no points). `is_voided` says whether a void names the record.
pub(super) fn written_service(
    replica: &Replica,
    id: ServiceId,
    is_voided: bool,
) -> Result<(Value, Value), ApiError> {
    let entity = require::<ServiceRecord>(replica, id)?;
    let points_entry = match entity.earned_entry(id) {
        Some((entry_id, entry)) => render::points_entry(
            entry_id,
            &Voidable {
                entity: entry,
                is_voided: false,
            },
        ),
        None => Value::Null,
    };
    Ok((
        render::service(id, &Voidable { entity, is_voided }),
        points_entry,
    ))
}

/// Whether a void names the service record.
pub(super) fn is_service_voided(replica: &Replica, id: ServiceId) -> Result<bool, ApiError> {
    let (voids, _) = replica.doc().entities::<Void>()?;
    Ok(voids.iter().any(|(_, void)| void.service == Some(id)))
}

/// A passbook entry read from the document, or `null` if there is none.
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
