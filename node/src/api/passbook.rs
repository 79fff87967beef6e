//! Service records, the love passbook (爱心存折): points earned and redeemed, and voids
//! that correct a mistaken fact.

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{MemberId, PointsEntryId, ServiceId, VoidId};
use wishtree_protocol::model::{Member, PointsEntry, PostKind, ServiceRecord, Void};
use wishtree_protocol::text::{Detail, Label};
use wishtree_protocol::view::Voidable;

use super::{ApiError, ApiResult, Fields, execute, list, new_id, path_id, render, require};
use crate::replica::Replica;

/// `GET /api/members/{id}/passbook`.
pub fn passbook(replica: &mut Replica, id: &str) -> ApiResult {
    let id: MemberId = path_id(id)?;
    require::<Member>(replica, id)?;
    let view = replica.view()?;
    Ok(render::passbook(&view, id))
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
    record["points_entry"] = earned_points_record(replica, id)?;
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

/// A service record read from the document (cheaper than deriving the view). A
/// record just written is not voided; a void written since is looked up.
pub(super) fn service_record(replica: &mut Replica, id: ServiceId) -> ApiResult {
    let entity = require::<ServiceRecord>(replica, id)?;
    let (voids, _) = replica.doc().entities::<Void>()?;
    let is_voided = voids.iter().any(|(_, void)| void.service == Some(id));
    Ok(render::service(id, &Voidable { entity, is_voided }))
}

/// The passbook entry a service record just written earned (derived from the record,
/// so not voided yet), or `null` if it earned no points.
pub(super) fn earned_points_record(replica: &mut Replica, service: ServiceId) -> ApiResult {
    let record = require::<ServiceRecord>(replica, service)?;
    Ok(match record.earned_entry(service) {
        Some((id, entity)) => render::points_entry(
            id,
            &Voidable {
                entity,
                is_voided: false,
            },
        ),
        None => Value::Null,
    })
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
