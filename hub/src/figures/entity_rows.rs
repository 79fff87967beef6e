//! The rows of one community's entities that both re-derivations write — whole
//! (`derive.rs`) and entity by entity (`by_entity.rs`): members and organisations
//! reporting in (a member's places in groups among them), pairings, wishes, projects
//! (with their units and credits), activities, participations, service records and
//! passbook entries, with what they read besides the entities (`RowContext`), where a
//! street's own records are filed (`StreetRows`) and who holds a wish or project
//! (`Claim`).

use std::collections::BTreeMap;

use wishtree_protocol::id::{
    ActivityId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, ProjectId, RoundId, ServiceId,
    TeamId, WishId,
};
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, PairingStatus};
use wishtree_protocol::model::{
    Activity, Actor, Branch, Member, Org, Pairing, PointsEntry, Project, Round, ServiceRecord,
    Team, Wish,
};
use wishtree_protocol::project::{ProjectStage, ProjectStatus, UnitShare};
use wishtree_protocol::street::StreetCode;
use wishtree_protocol::view::{Voidable, WithStatus};
use wishtree_protocol::{CommunityCode, Date, Timestamp};

use super::FiguresError;
use super::period::month_number;
use crate::sql::{Db, params};

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

/// Writes the rows of `members` (`fig_members`): the day each reported in (双报到) and
/// their organisation; returns how many.
pub(super) fn insert_members<'m>(
    db: &dyn Db,
    context: &RowContext<'_>,
    members: impl Iterator<Item = (&'m MemberId, &'m Member)>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_members (community, id, org, reported_day, month)
         VALUES (?1, ?2, ?3, ?4, ?5)";
    let mut rows = 0;
    for (id, member) in members {
        db.execute_later(
            insert,
            params![
                context.community,
                id.as_bytes().as_slice(),
                context.org_of(id),
                member.reported_in.to_days(),
                month_number(member.reported_in),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the places of `members` in functional branches and service teams
/// (`fig_group_members`), each with the member's organisation; a member naming a group
/// missing from `branches` or `teams` (the document does not list it: written
/// elsewhere by hand) is in no group that counts. Returns how many.
pub(super) fn insert_group_members<'m>(
    db: &dyn Db,
    context: &RowContext<'_>,
    members: impl Iterator<Item = (&'m MemberId, &'m Member)>,
    branches: &BTreeMap<BranchId, Branch>,
    teams: &BTreeMap<TeamId, Team>,
) -> Result<u64, FiguresError> {
    let insert = "INSERT INTO fig_group_members (community, member, kind, group_id, member_org)
         VALUES (?1, ?2, ?3, ?4, ?5)";
    let mut rows = 0;
    for (id, member) in members {
        let branch = member.branch.filter(|b| branches.contains_key(b));
        let team = member.team.filter(|t| teams.contains_key(t));
        let places = [
            ("branch", branch.map(|b| b.as_bytes().to_vec())),
            ("team", team.map(|t| t.as_bytes().to_vec())),
        ];
        for (kind, group) in places {
            let Some(group) = group else { continue };
            db.execute_later(
                insert,
                params![
                    context.community,
                    id.as_bytes().as_slice(),
                    kind,
                    group,
                    context.org_of(id)
                ],
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Writes the rows of `orgs` (`fig_orgs`), one per citywide id: two keys of one credit
/// code (and branch) are one organisation, reported in on the earliest day either
/// says. The street's report-in likewise, filed as the street's own row (`street`);
/// returns how many.
pub(super) fn insert_orgs<'o>(
    db: &dyn Db,
    community: &str,
    street: &StreetRows,
    orgs: impl Iterator<Item = &'o Org>,
) -> Result<u64, FiguresError> {
    let mut by_id: BTreeMap<OrgId, (&Org, Option<Date>, Option<Date>)> = BTreeMap::new();
    for org in orgs {
        let entry = by_id
            .entry(org.id())
            .or_insert((org, org.reported_in, org.street_reported_in));
        entry.1 = earliest(entry.1, org.reported_in);
        entry.2 = earliest(entry.2, org.street_reported_in);
    }
    let insert =
        "INSERT INTO fig_orgs (community, id, credit_code, name, reported_day, month, street,
             party_org)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    let mut rows = 0;
    for (id, (org, reported_in, street_reported_in)) in by_id {
        let street_row = street_reported_in
            .and_then(|day| Some((street.party(Some(street.street?))?, Some(day))));
        for ((filed, street), reported_in) in
            std::iter::once(((community, None), reported_in)).chain(street_row)
        {
            db.execute_later(
                insert,
                params![
                    filed,
                    id.as_bytes().as_slice(),
                    org.credit_code.as_str(),
                    org.name,
                    reported_in.map(Date::to_days),
                    reported_in.map(month_number),
                    street,
                    org.party_org,
                ],
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// The earlier of two days either may lack.
fn earliest(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
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
        db.execute_later(
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
        db.execute_later(
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
        db.execute_later(
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
        db.execute_later(
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
        db.execute_later(
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

/// Writes the rows of `pairings` (`fig_pairings`), each filed where `street` says (a
/// street's pairing under the street's code, or nowhere); returns how many.
pub(super) fn insert_pairings<'p>(
    db: &dyn Db,
    context: &RowContext<'_>,
    street: &StreetRows,
    pairings: impl Iterator<Item = (&'p PairingId, &'p WithStatus<Pairing, PairingStatus>)>,
) -> Result<u64, FiguresError> {
    let insert =
        "INSERT INTO fig_pairings (community, id, org, signed_day, month, ended_day, street)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let mut rows = 0;
    for (id, pairing) in pairings {
        let Some((filed, street)) = street.party(pairing.entity.street) else {
            continue;
        };
        db.execute_later(
            insert,
            params![
                filed,
                id.as_bytes().as_slice(),
                context.resolve(pairing.entity.org).as_bytes().as_slice(),
                pairing.entity.signed_on.to_days(),
                month_number(pairing.entity.signed_on),
                pairing
                    .status
                    .ended_at
                    .map(|at| at.date_in_shanghai().to_days()),
                street,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of `projects` (`fig_projects`), the units holding each
/// (`fig_project_units`) and the organisations each is credited to
/// (`fig_project_credits`), filed where `street` says; returns how many projects.
pub(super) fn insert_projects<'p>(
    db: &dyn Db,
    context: &RowContext<'_>,
    street: &StreetRows,
    projects: impl Iterator<Item = (&'p ProjectId, &'p WithStatus<Project, ProjectStatus>)>,
) -> Result<u64, FiguresError> {
    let resolve = |org: OrgId| context.resolve(org);
    let mut rows = 0;
    let insert = "INSERT INTO fig_projects (community, id, kind, state, submitted_day, month,
             claimant_org, stage, units, street)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    // Each unit that took a project on, once per project (a unit named twice
    // through two of its local records resolves to one citywide org).
    let insert_unit = "INSERT INTO fig_project_units (community, project, org, share,
             submitted_day)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING";
    // The organisations a project's figures by state are credited to: its lead
    // claimant and every unit holding it jointly, each once.
    let insert_credit = "INSERT INTO fig_project_credits (community, project, claimant_org,
             state, submitted_day, month)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO NOTHING";
    for (id, project) in projects {
        let Some((filed, street)) = street.party(project.entity.street) else {
            continue;
        };
        let submitted = project.entity.submitted_at.date_in_shanghai();
        let status = &project.status;
        let claim = Claim::of(&status.claim, project.entity.submitted_at, &resolve);
        // The units that hold it: a terminated project is no unit's, as a withdrawn
        // one was no organisation's before stages.
        let units: &[UnitShare] = match status.stage {
            ProjectStage::Approved | ProjectStage::InProgress | ProjectStage::Done => {
                &status.claimants
            }
            _ => &[],
        };
        db.execute_later(
            insert,
            params![
                filed,
                id.as_bytes().as_slice(),
                project.entity.kind.code(),
                status.claim.state.code(),
                submitted.to_days(),
                month_number(submitted),
                text(claim.org),
                status.stage.code(),
                units.len() as i64,
                street,
            ],
        )?;
        rows += 1;
        for unit in units {
            db.execute_later(
                insert_unit,
                params![
                    filed,
                    id.as_bytes().as_slice(),
                    resolve(unit.unit).as_bytes().as_slice(),
                    unit.share.percent(),
                    submitted.to_days(),
                ],
            )?;
        }
        let credited = claim
            .org
            .into_iter()
            .chain(units.iter().map(|u| resolve(u.unit)));
        for org in credited {
            db.execute_later(
                insert_credit,
                params![
                    filed,
                    id.as_bytes().as_slice(),
                    org.as_bytes().as_slice(),
                    status.claim.state.code(),
                    submitted.to_days(),
                    month_number(submitted),
                ],
            )?;
        }
    }
    Ok(rows)
}

/// Where the rows of a community's records go: a community's own under its code; the
/// street's own (a record naming the street as its party) under the street's code
/// padded with `000` when the community hosts the street (`schema/streets.rs` says
/// why), and nowhere otherwise — the hub ignores a street-level record from a
/// community the city did not name, so no second node speaks for the street.
pub(super) struct StreetRows {
    community: String,
    /// The street, when this community hosts it.
    pub(super) street: Option<StreetCode>,
    /// Its rows' code, the street's padded with `000`.
    filed: String,
}

impl StreetRows {
    pub(super) fn of(code: CommunityCode, hosts_street: bool) -> Self {
        let street = hosts_street.then(|| StreetCode::of(&code));
        Self {
            community: code.as_str().to_owned(),
            street,
            filed: street
                .map(|street| street.own_records().as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// The street rows' code, when this community hosts its street.
    pub(super) fn filed(&self) -> Option<&str> {
        self.street.map(|_| self.filed.as_str())
    }

    /// The code a record of `street` (none for the community's own) is filed under and
    /// the street it names, or `None` for a record the hub ignores.
    pub(super) fn party(&self, street: Option<StreetCode>) -> Option<(&str, Option<&str>)> {
        match street {
            None => Some((self.community.as_str(), None)),
            Some(street) if Some(street) == self.street => {
                Some((self.filed.as_str(), Some(&self.filed[..9])))
            }
            Some(_) => None,
        }
    }
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
