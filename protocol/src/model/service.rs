//! Activities, service records, passbook entries and voids: the immutable facts of
//! service, from which hours, person-times and points are summed.

use std::collections::BTreeMap;

use autosurgeon::Reconcile;

use crate::id::{
    ActivityId, BenefitId, CheckInCodeId, MemberId, OrgId, PointsEntryId, ServiceId,
    VolunteerServiceId,
};
use crate::model::actor::Actor;
use crate::model::names::{AttendanceStage, PointsKind, PostKind, ScoringItem};
use crate::time::{Date, Timestamp};

/// A service activity with the members who took part.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Activity {
    /// Title, e.g. 青少年七彩暑期安全教育.
    pub title: String,
    /// Category of service.
    pub category: PostKind,
    /// The day it takes place.
    pub date: Date,
    /// How long each participant serves, in minutes.
    pub minutes: u32,
    /// The organisation that runs it, if any.
    pub organiser: Option<OrgId>,
    /// Where.
    pub place: String,
    /// When the record was made.
    pub created_at: Timestamp,
    /// Participants by member id. A participation is a key, so the same member
    /// signed up on two replicas is one participation.
    pub participants: BTreeMap<String, Participation>,
}

/// One member's participation in an activity: a sign-up (an intention), a check-in,
/// or attendance. Only attendance counts as a participation (人次) and carries hours.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Participation {
    /// When the participation was recorded.
    pub at: Timestamp,
    /// How far it has come; `None` in a participation written before sign-up and
    /// attendance were told apart, which reads as attended ([`Participation::is_attended`]).
    pub stage: Option<AttendanceStage>,
    /// When the member checked in: the issue time of the code the node showed (the
    /// node's clock, never the phone's).
    pub checked_in: Option<Timestamp>,
    /// The code the member checked in with.
    pub check_in_code: Option<CheckInCodeId>,
    /// When the member checked out, as `checked_in`.
    pub checked_out: Option<Timestamp>,
}

/// Who served, when, how long and what. Immutable; corrected by a [`Void`].
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct ServiceRecord {
    /// The member who served.
    pub member: MemberId,
    /// The day of service.
    pub date: Date,
    /// How long, in minutes.
    pub minutes: u32,
    /// Category of service.
    pub category: PostKind,
    /// What was done.
    pub description: String,
    /// The activity this record is a participation in, if any.
    pub activity: Option<ActivityId>,
    /// The kind of service it scores as (积分项目); `None` in records written before
    /// the community had a points table by kind, which were scored by category alone.
    pub item: Option<ScoringItem>,
    /// Love-passbook points the service earned, at the community's rate when it was
    /// recorded. The passbook's earn entry for it is derived from the record
    /// ([`ServiceRecord::earned_entry`]), not stored: one fact, one place.
    pub points: u32,
    /// When the record was made.
    pub recorded_at: Timestamp,
}

/// A love-passbook entry (爱心存折). Immutable; corrected by a [`Void`].
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct PointsEntry {
    /// Whose passbook.
    pub member: MemberId,
    /// Earned or redeemed.
    pub kind: PointsKind,
    /// How many points, always positive; the kind gives the sign.
    pub points: u32,
    /// Why, e.g. the benefit redeemed.
    pub reason: String,
    /// The service record that earned the points, if any.
    pub service: Option<ServiceId>,
    /// The benefit of the catalogue a redemption bought; `None` for earnings and for
    /// redemptions written as free text before the catalogue.
    pub benefit: Option<BenefitId>,
    /// When.
    pub at: Timestamp,
}

/// The fact that cancels a service record (and the points it earned) or a passbook
/// entry. Nothing is ever deleted; a void is how a mistake is corrected.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Void {
    /// The service record voided, if any.
    pub service: Option<ServiceId>,
    /// The passbook entry voided, if any.
    pub points_entry: Option<PointsEntryId>,
    /// The volunteer's service record voided, if any; absent in voids written before
    /// volunteers.
    pub volunteer_service: Option<VolunteerServiceId>,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
}

impl ServiceRecord {
    /// The id of the record of `member`'s participation in `activity`: the same on
    /// every replica, so a participation is recorded once however often it is entered.
    pub fn id_for_participation(activity: ActivityId, member: MemberId) -> ServiceId {
        ServiceId::derive(&[activity.as_bytes(), member.as_bytes()])
    }

    /// The id of the passbook entry that a service record earned.
    pub fn points_entry_id(service: ServiceId) -> PointsEntryId {
        PointsEntryId::derive(&[service.as_bytes()])
    }

    /// The passbook entry this record earned, as the passbook shows it; `None` if it
    /// earned no points.
    pub fn earned_entry(&self, id: ServiceId) -> Option<(PointsEntryId, PointsEntry)> {
        (self.points > 0).then(|| {
            let entry = PointsEntry {
                member: self.member,
                kind: PointsKind::Earn,
                points: self.points,
                reason: self.description.clone(),
                service: Some(id),
                benefit: None,
                at: self.recorded_at,
            };
            (Self::points_entry_id(id), entry)
        })
    }
}

crate::scan::hydrate_by_scan!(Activity { title, category, date, minutes, place, created_at, participants; optional: organiser });

impl Participation {
    /// A participation at `stage`, recorded at `at`, with no check-in yet.
    pub fn at_stage(stage: AttendanceStage, at: Timestamp) -> Self {
        Self {
            at,
            stage: Some(stage),
            checked_in: None,
            check_in_code: None,
            checked_out: None,
        }
    }

    /// Whether it counts as attendance (人次, hours): attended, or written before
    /// stages existed.
    pub fn is_attended(&self) -> bool {
        matches!(self.stage, None | Some(AttendanceStage::Attended))
    }
}

crate::scan::hydrate_by_scan!(Participation { at; optional: stage, checked_in, check_in_code, checked_out });

crate::scan::hydrate_by_scan!(ServiceRecord { member, date, minutes, category, description, points, recorded_at; optional: activity, item });

crate::scan::hydrate_by_scan!(PointsEntry { member, kind, points, reason, at; optional: service, benefit });

crate::scan::hydrate_by_scan!(Void { reason, by, at; optional: service, points_entry, volunteer_service });
