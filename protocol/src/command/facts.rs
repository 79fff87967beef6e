//! The writes that several commands share: seals, service records with the points
//! they earn, redemptions, attendance, the community record and a new member.

use crate::doc::{CommunityDoc, DocError};
use crate::id::{ActivityId, BenefitId, MemberId, PointsEntryId};
use crate::model::{
    Activity, Member, Participation, PointsEntry, PointsKind, ScoringItem, ScoringRate, Seal,
    ServiceRecord,
};
use crate::seal::SignedSeal;
use crate::text::Label;
use crate::time::Timestamp;

use super::{CommandError, MemberFields};

impl CommunityDoc {
    /// Writes a seal: only for a half-year that is over by `now`, once, signed by the
    /// document's own community over its current heads.
    pub(super) fn put_seal(
        &mut self,
        seal: &SignedSeal,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let from = seal.period.day_after();
        if now.date_in_shanghai() < from {
            return Err(CommandError::PeriodNotOver {
                period: seal.period,
                from,
            });
        }
        self.require_absent::<Seal>(seal.period)?;
        let bad = |reason: String| CommandError::BadSeal { reason };
        if seal.community != self.code() {
            return Err(bad(format!("it is {}'s seal", seal.community)));
        }
        let mut heads = self.heads();
        heads.sort();
        if seal.heads != heads {
            return Err(bad(
                "it does not name the document's current heads".to_owned()
            ));
        }
        seal.verify().map_err(|error| bad(error.to_string()))?;
        self.put_entity(seal.period, &Seal::from(seal))?;
        Ok(())
    }

    /// A service record with the points it earns at the community's rate now: its
    /// kind's rate if the community set one, its category's points per hour if not.
    pub(super) fn with_points(
        &self,
        mut record: ServiceRecord,
    ) -> Result<ServiceRecord, CommandError> {
        let rate = match record.item {
            Some(item) => self.entity::<ScoringRate>(item)?,
            None => None,
        };
        record.points = match rate {
            Some(rate) => rate.points_for(record.minutes),
            None => self.rules().points_for(record.category, record.minutes),
        };
        Ok(record)
    }

    /// Writes a redemption of `points` from `member`'s passbook, refusing one the
    /// balance does not cover (offline replicas can still overdraw together; the view
    /// flags that).
    pub(super) fn put_redemption(
        &mut self,
        id: PointsEntryId,
        member: MemberId,
        points: u32,
        reason: &str,
        benefit: Option<BenefitId>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_absent::<PointsEntry>(id)?;
        self.require_present::<Member>(member)?;
        if points == 0 {
            return Err(CommandError::OutOfRange {
                field: "points",
                rule: "at least 1",
            });
        }
        let balance = self.passbook_of(member)?.balance;
        if balance < i64::from(points) {
            return Err(CommandError::InsufficientPoints {
                balance,
                asked: points,
            });
        }
        let entry = PointsEntry {
            member,
            kind: PointsKind::Redeem,
            points,
            reason: reason.to_owned(),
            service: None,
            benefit,
            at: now,
        };
        self.put_entity(id, &entry)?;
        Ok(())
    }

    /// Writes an attended participation and its service record of `minutes`, with the
    /// points it earns. The record's id is derived from (activity, member), so the
    /// same participation entered on two replicas is one record.
    pub(super) fn attend(
        &mut self,
        activity: ActivityId,
        details: &Activity,
        member: MemberId,
        minutes: u32,
        participation: &Participation,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.put_participation(activity, member, participation)?;
        let service = ServiceRecord::id_for_participation(activity, member);
        let record = ServiceRecord {
            member,
            date: details.date,
            minutes,
            category: details.category,
            description: details.title.clone(),
            activity: Some(activity),
            item: Some(ScoringItem::Activity),
            points: 0,
            recorded_at: now,
        };
        let record = self.with_points(record)?;
        self.put_entity(service, &record)?;
        Ok(())
    }

    pub(super) fn put_community(
        &mut self,
        community: &crate::model::Community,
    ) -> Result<(), DocError> {
        autosurgeon::reconcile_prop(
            self.automerge_mut(),
            automerge::ROOT,
            "community",
            community,
        )
        .map_err(|error| DocError::Reconcile {
            collection: "community",
            key: String::new(),
            error: Box::new(error),
        })
    }
}

impl MemberFields {
    pub(super) fn to_member(&self, now: Timestamp) -> Member {
        Member {
            name: self.name.to_string(),
            work_unit: self.work_unit.to_string(),
            org: self.org,
            position: self.position.to_string(),
            specialties: self.specialties.iter().map(Label::to_string).collect(),
            intentions: self.intentions.clone(),
            reported_in: self.reported_in,
            branch: self.branch,
            team: self.team,
            created_at: now,
        }
    }
}
