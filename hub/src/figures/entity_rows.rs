//! The rows of one community's entities that both re-derivations write — whole
//! (`derive.rs`) and entity by entity (`by_entity.rs`): wishes, activities,
//! participations, service records and passbook entries, with what they read
//! besides the entities (`RowContext`) and who holds a wish or project (`Claim`).

use std::collections::BTreeMap;

use wishtree_protocol::Timestamp;
use wishtree_protocol::id::{
    ActivityId, MemberId, OrgId, PointsEntryId, RoundId, ServiceId, WishId,
};
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus};
use wishtree_protocol::model::{
    Activity, Actor, Member, Org, PointsEntry, Round, ServiceRecord, Wish,
};
use wishtree_protocol::view::{Voidable, WithStatus};

use super::FiguresError;
use super::period::month_number;
use crate::sql::{Db, DbExt, params};

/// What the rows of one community's entities read besides the entities: the
/// community's code, each organisation's citywide id and each member's organisation.
pub(super) struct RowContext<'a> {
    pub(super) community: &'a str,
    /// An organisation is known citywide by the id its credit code (and its branch's
    /// name, for a branch) derives; a reference inside the document uses the
    /// document's key, which is the same id unless the document was written by hand.
    citywide: BTreeMap<OrgId, OrgId>,
    /// Each member's organisation, by its citywide id.
    pub(super) member_org: BTreeMap<MemberId, OrgId>,
    /// The rounds, whose names a wish's row carries.
    rounds: &'a BTreeMap<RoundId, Round>,
}

impl<'a> RowContext<'a> {
    pub(super) fn new(
        community: &'a str,
        orgs: &BTreeMap<OrgId, Org>,
        members: &BTreeMap<MemberId, Member>,
        rounds: &'a BTreeMap<RoundId, Round>,
    ) -> Self {
        let citywide: BTreeMap<OrgId, OrgId> =
            orgs.iter().map(|(key, org)| (*key, org.id())).collect();
        let resolve = |org: OrgId| citywide.get(&org).copied().unwrap_or(org);
        let member_org = members
            .iter()
            .filter_map(|(id, member)| Some((*id, resolve(member.org?))))
            .collect();
        Self {
            community,
            citywide,
            member_org,
            rounds,
        }
    }

    pub(super) fn resolve(&self, org: OrgId) -> OrgId {
        self.citywide.get(&org).copied().unwrap_or(org)
    }

    fn org_of(&self, member: &MemberId) -> Option<Vec<u8>> {
        text(self.member_org.get(member).copied())
    }
}

/// Writes the rows of `wishes` (`fig_wishes`); returns how many.
pub(super) fn insert_wishes<'w>(
    db: &dyn Db,
    context: &RowContext<'_>,
    wishes: impl Iterator<Item = (&'w WishId, &'w WithStatus<Wish, ClaimStatus>)>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_wishes (community, id, kind, beneficiary_group, state,
             submitted_day, month, claimant_member, claimant_org, credited_org,
             claim_days, fulfil_days, round)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    let mut rows = 0;
    for (id, wish) in wishes {
        let submitted = wish.entity.submitted_at.date_in_shanghai();
        let claim = Claim::of(&wish.status, wish.entity.submitted_at, &|org| {
            context.resolve(org)
        });
        let credited = claim.org.or_else(|| {
            claim
                .member
                .and_then(|member| context.member_org.get(&member).copied())
        });
        db.execute(
            insert,
            params![
                context.community,
                id.as_bytes().as_slice(),
                wish.entity.kind.code(),
                wish.entity.group.code(),
                wish.status.state.code(),
                submitted.to_days(),
                month_number(submitted),
                text_member(claim.member),
                text(claim.org),
                text(credited),
                claim.claim_days,
                claim.fulfil_days,
                // The round's name (see `figures/rounds.rs`); none for 未分批.
                wish.entity
                    .round
                    .and_then(|round| context.rounds.get(&round))
                    .map(|round| round.name.as_str()),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of `activities` (`fig_activities`); returns how many.
pub(super) fn insert_activities<'a>(
    db: &dyn Db,
    context: &RowContext<'_>,
    activities: impl Iterator<Item = (&'a ActivityId, &'a Activity)>,
) -> Result<u64, FiguresError> {
    let insert =
        "INSERT INTO fig_activities (community, id, category, day, month, minutes, organiser)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let mut rows = 0;
    for (id, activity) in activities {
        db.execute(
            insert,
            params![
                context.community,
                id.as_bytes().as_slice(),
                activity.category.code(),
                activity.date.to_days(),
                month_number(activity.date),
                activity.minutes,
                text(activity.organiser.map(|org| context.resolve(org))),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of the participations that count (`fig_participations`), each
/// once; returns how many.
pub(super) fn insert_participations(
    db: &dyn Db,
    context: &RowContext<'_>,
    participations: impl Iterator<Item = (ActivityId, MemberId)>,
    activities: &BTreeMap<ActivityId, Activity>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_participations
             (community, activity, member, member_org, day, month, minutes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT DO NOTHING";
    let mut rows = 0;
    for (activity_id, member) in participations {
        let Some(activity) = activities.get(&activity_id) else {
            continue;
        };
        db.execute(
            insert,
            params![
                context.community,
                activity_id.as_bytes().as_slice(),
                member.as_bytes().as_slice(),
                context.org_of(&member),
                activity.date.to_days(),
                month_number(activity.date),
                activity.minutes,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of members' service records (`fig_services`); returns how many.
pub(super) fn insert_services<'s>(
    db: &dyn Db,
    context: &RowContext<'_>,
    services: impl Iterator<Item = (&'s ServiceId, &'s Voidable<ServiceRecord>)>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_services (community, id, member, member_org, day, month, minutes,
             category, activity, is_voided)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    let mut rows = 0;
    for (id, service) in services {
        let record = &service.entity;
        db.execute(
            insert,
            params![
                context.community,
                id.as_bytes().as_slice(),
                record.member.as_bytes().as_slice(),
                context.org_of(&record.member),
                record.date.to_days(),
                month_number(record.date),
                record.minutes,
                record.category.code(),
                record.activity.map(|a| a.as_bytes().to_vec()),
                service.is_voided,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of passbook entries (`fig_points`); returns how many.
pub(super) fn insert_points<'p>(
    db: &dyn Db,
    context: &RowContext<'_>,
    entries: impl Iterator<Item = (&'p PointsEntryId, &'p Voidable<PointsEntry>)>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_points (community, id, member, member_org, kind, points, day,
             month, is_voided)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    let mut rows = 0;
    for (id, entry) in entries {
        let day = entry.entity.at.date_in_shanghai();
        db.execute(
            insert,
            params![
                context.community,
                id.as_bytes().as_slice(),
                entry.entity.member.as_bytes().as_slice(),
                context.org_of(&entry.entity.member),
                entry.entity.kind.code(),
                entry.entity.points,
                day.to_days(),
                month_number(day),
                entry.is_voided,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Who holds a wish or project, and how long it took, in the terms of the rows.
pub(super) struct Claim {
    pub(super) member: Option<MemberId>,
    pub(super) org: Option<OrgId>,
    pub(super) claim_days: Option<i64>,
    pub(super) fulfil_days: Option<i64>,
}

impl Claim {
    pub(super) fn of(
        status: &ClaimStatus,
        submitted_at: Timestamp,
        resolve: &impl Fn(OrgId) -> OrgId,
    ) -> Self {
        let holds = matches!(status.state, ClaimState::Claimed | ClaimState::Fulfilled);
        let claimant = status.claimant.as_ref().filter(|_| holds);
        // Whole days, never negative: a replica's clock may run behind.
        let days = |at: Option<Timestamp>| at.map(|at| submitted_at.days_until(at).max(0));
        Self {
            member: match claimant {
                Some(Actor::Member(member)) => Some(*member),
                _ => None,
            },
            org: match claimant {
                Some(Actor::Org(org)) => Some(resolve(*org)),
                _ => None,
            },
            claim_days: if holds { days(status.claimed_at) } else { None },
            fulfil_days: if status.state == ClaimState::Fulfilled {
                days(status.fulfilled_at)
            } else {
                None
            },
        }
    }
}

pub(super) fn text(org: Option<OrgId>) -> Option<Vec<u8>> {
    org.map(|org| org.as_bytes().to_vec())
}

pub(super) fn text_member(member: Option<MemberId>) -> Option<Vec<u8>> {
    member.map(|member| member.as_bytes().to_vec())
}
