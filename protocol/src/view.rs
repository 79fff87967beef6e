//! The derived state of a community: every entity read from the document, every
//! lifecycle folded, every void applied and every passbook summed.
//!
//! A view is a pure function of the document, so replicas with the same heads derive
//! the same view. Node pages and hub figures are built from it; nothing in it is
//! stored.

use std::collections::{BTreeMap, BTreeSet};

use crate::doc::{CommunityDoc, DocError, Malformed};
use crate::id::{
    ActivityId, BenefitId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId,
    RoundId, ServiceId, TeamId, VoidId, VolunteerId, VolunteerServiceId, WishId,
};
use crate::lifecycle::{ClaimStatus, Claimants, PairingStatus, PostStatus};
use crate::model::{
    Activity, Benefit, Branch, Community, CommunityRules, Member, Org, Pairing, PointsEntry,
    PointsKind, Post, Project, Round, ScoringItem, ScoringRate, ServiceRecord, Team, Void,
    Volunteer, VolunteerService, Wish,
};
use crate::project::ProjectStatus;

/// The derived state of one community document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommunityView {
    /// Code and name.
    pub community: Community,
    /// The schema the document declares.
    pub schema: u64,
    /// The community's rules.
    pub rules: CommunityRules,
    /// Points per kind of service, as the community set them (积分标准).
    pub scoring: BTreeMap<ScoringItem, ScoringRate>,
    /// The benefit catalogue (福利目录), withdrawn benefits included.
    pub benefits: BTreeMap<BenefitId, Benefit>,
    /// Collection rounds (批次) by id; none in a document written before rounds.
    pub rounds: BTreeMap<RoundId, Round>,
    /// Members by id.
    pub members: BTreeMap<MemberId, Member>,
    /// Organisations by id.
    pub orgs: BTreeMap<OrgId, Org>,
    /// Pairings with their folded status.
    pub pairings: BTreeMap<PairingId, WithStatus<Pairing, PairingStatus>>,
    /// Branches by id.
    pub branches: BTreeMap<BranchId, Branch>,
    /// Teams by id.
    pub teams: BTreeMap<TeamId, Team>,
    /// Posts with their holders.
    pub posts: BTreeMap<PostId, WithStatus<Post, PostStatus>>,
    /// Wishes with their folded status.
    pub wishes: BTreeMap<WishId, WithStatus<Wish, ClaimStatus>>,
    /// Projects with their folded status.
    pub projects: BTreeMap<ProjectId, WithStatus<Project, ProjectStatus>>,
    /// Activities by id.
    pub activities: BTreeMap<ActivityId, Activity>,
    /// Service records, voided ones included and marked.
    pub services: BTreeMap<ServiceId, Voidable<ServiceRecord>>,
    /// Passbook entries, voided ones included and marked.
    pub passbook: BTreeMap<PointsEntryId, Voidable<PointsEntry>>,
    /// Voids by id.
    pub voids: BTreeMap<VoidId, Void>,
    /// Each member's passbook, summed.
    pub passbooks: BTreeMap<MemberId, Passbook>,
    /// Volunteers beyond the members (离退休党员, 学生党员, 社区公益爱心人士).
    pub volunteers: BTreeMap<VolunteerId, Volunteer>,
    /// Their service records, voided ones included and marked; apart from `services`,
    /// which are the members'.
    pub volunteer_services: BTreeMap<VolunteerServiceId, Voidable<VolunteerService>>,
    /// Entities that could not be read.
    pub malformed: Vec<Malformed>,
}

/// An entity with the state folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WithStatus<E, S> {
    /// The entity as written.
    #[serde(flatten)]
    pub entity: E,
    /// Its folded state.
    pub status: S,
}

/// A fact that a void may cancel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Voidable<E> {
    /// The fact as written.
    #[serde(flatten)]
    pub entity: E,
    /// Whether a void cancels it.
    pub is_voided: bool,
}

/// One member's love passbook, summed from its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Passbook {
    /// Points earned, voided entries excluded.
    pub earned: u64,
    /// Points redeemed, voided entries excluded.
    pub redeemed: u64,
    /// `earned - redeemed`.
    pub balance: i64,
    /// The redemptions, in time order, after which the running balance was below
    /// zero: two redemptions made offline on two replicas can together spend more than
    /// the member had. Non-empty means the community must settle it.
    pub overdrawn_by: Vec<PointsEntryId>,
    /// The member's entries that count, in time order.
    pub entries: Vec<PointsEntryId>,
}

impl Passbook {
    /// Whether the balance is below zero now, which the community must settle.
    pub fn is_overdrawn(&self) -> bool {
        self.balance < 0
    }
}

impl CommunityView {
    /// Derives the view of a document.
    pub fn derive(doc: &CommunityDoc) -> Result<Self, DocError> {
        let mut malformed = Vec::new();
        fn take<T>(
            malformed: &mut Vec<Malformed>,
            (good, bad): (Vec<T>, Vec<Malformed>),
        ) -> Vec<T> {
            malformed.extend(bad);
            good
        }
        let members = take(&mut malformed, doc.entities::<Member>()?);
        let orgs = take(&mut malformed, doc.entities::<Org>()?);
        let pairings = take(&mut malformed, doc.entities::<Pairing>()?);
        let branches = take(&mut malformed, doc.entities::<Branch>()?);
        let teams = take(&mut malformed, doc.entities::<Team>()?);
        let posts = take(&mut malformed, doc.entities::<Post>()?);
        let wishes = take(&mut malformed, doc.entities::<Wish>()?);
        let projects = take(&mut malformed, doc.entities::<Project>()?);
        let activities = take(&mut malformed, doc.entities::<Activity>()?);
        let services = take(&mut malformed, doc.entities::<ServiceRecord>()?);
        let passbook = take(&mut malformed, doc.entities::<PointsEntry>()?);
        let scoring = take(&mut malformed, doc.entities::<ScoringRate>()?);
        let benefits = take(&mut malformed, doc.entities::<Benefit>()?);
        let volunteers = take(&mut malformed, doc.entities::<Volunteer>()?);
        let volunteer_services = take(&mut malformed, doc.entities::<VolunteerService>()?);
        let rounds = take(&mut malformed, doc.entities::<Round>()?);
        let voids: BTreeMap<VoidId, Void> = take(&mut malformed, doc.entities::<Void>()?)
            .into_iter()
            .collect();

        let (services, passbook) = apply_voids(services, passbook, &voids);
        let passbooks = sum_passbooks(&passbook);
        let voided_volunteer_services: BTreeSet<VolunteerServiceId> =
            voids.values().filter_map(|v| v.volunteer_service).collect();
        let volunteer_services = volunteer_services
            .into_iter()
            .map(|(id, entity)| {
                let is_voided = voided_volunteer_services.contains(&id);
                (id, Voidable { entity, is_voided })
            })
            .collect();

        Ok(Self {
            community: doc.community()?,
            schema: doc.schema(),
            rules: doc.rules(),
            scoring: scoring.into_iter().collect(),
            benefits: benefits.into_iter().collect(),
            rounds: rounds.into_iter().collect(),
            members: members.into_iter().collect(),
            orgs: orgs.into_iter().collect(),
            pairings: pairings
                .into_iter()
                .map(|(id, entity)| {
                    let status = PairingStatus::fold(&entity.events);
                    (id, WithStatus { entity, status })
                })
                .collect(),
            branches: branches.into_iter().collect(),
            teams: teams.into_iter().collect(),
            posts: posts
                .into_iter()
                .map(|(id, entity)| {
                    let status = PostStatus::fold(&entity.events, entity.seats);
                    (id, WithStatus { entity, status })
                })
                .collect(),
            wishes: wishes
                .into_iter()
                .map(|(id, entity)| {
                    let status = ClaimStatus::fold(&entity.events, Claimants::MembersAndOrgs);
                    (id, WithStatus { entity, status })
                })
                .collect(),
            projects: projects
                .into_iter()
                .map(|(id, entity)| {
                    let status = ProjectStatus::fold(&entity.events);
                    (id, WithStatus { entity, status })
                })
                .collect(),
            activities: activities.into_iter().collect(),
            services,
            passbook,
            voids,
            passbooks,
            volunteers: volunteers.into_iter().collect(),
            volunteer_services,
            malformed,
        })
    }

    /// Every participation (人次) that counts: a member who attended an activity (a
    /// sign-up or a check-in without check-out does not count) and whose record is not
    /// voided. Each (activity, member) pair appears once.
    pub fn participations(&self) -> impl Iterator<Item = (ActivityId, MemberId)> + '_ {
        self.activities
            .iter()
            .flat_map(move |(activity_id, activity)| {
                let attended = activity
                    .participants
                    .iter()
                    .filter(|(_, participation)| participation.is_attended());
                attended.filter_map(move |(key, _)| {
                    let member: MemberId = key.parse().ok()?;
                    let service = ServiceRecord::id_for_participation(*activity_id, member);
                    let is_voided = self.services.get(&service).is_some_and(|s| s.is_voided);
                    (!is_voided).then_some((*activity_id, member))
                })
            })
    }

    /// The service records that count (not voided).
    pub fn counted_services(&self) -> impl Iterator<Item = (&ServiceId, &ServiceRecord)> {
        self.services
            .iter()
            .filter(|(_, service)| !service.is_voided)
            .map(|(id, service)| (id, &service.entity))
    }

    /// Minutes of service that count, summed.
    pub fn service_minutes(&self) -> u64 {
        self.counted_services()
            .map(|(_, service)| u64::from(service.minutes))
            .sum()
    }

    /// The volunteers' service records that count (not voided).
    pub fn counted_volunteer_services(
        &self,
    ) -> impl Iterator<Item = (&VolunteerServiceId, &VolunteerService)> {
        self.volunteer_services
            .iter()
            .filter(|(_, service)| !service.is_voided)
            .map(|(id, service)| (id, &service.entity))
    }

    /// How many of a benefit are left to give out: `None` for a benefit without a
    /// stock (or not in the catalogue).
    pub fn benefit_left(&self, id: BenefitId) -> Option<u64> {
        let stock = self.benefits.get(&id)?.stock?;
        let given = self
            .passbook
            .values()
            .filter(|entry| !entry.is_voided && entry.entity.benefit == Some(id))
            .count() as u64;
        Some(u64::from(stock).saturating_sub(given))
    }

    /// The passbooks alone, for a command that needs one balance without the rest.
    pub(crate) fn derive_passbook_only(
        services: Vec<(ServiceId, ServiceRecord)>,
        entries: Vec<(PointsEntryId, PointsEntry)>,
        voids: Vec<(VoidId, Void)>,
    ) -> BTreeMap<MemberId, Passbook> {
        let voids: BTreeMap<VoidId, Void> = voids.into_iter().collect();
        let (_, passbook) = apply_voids(services, entries, &voids);
        sum_passbooks(&passbook)
    }
}

/// The redemptions of a benefit that count (not voided), read from the entries and
/// voids as stored, for a command that checks a stock without deriving the view.
pub(crate) fn redemptions_of(
    benefit: BenefitId,
    entries: &[(PointsEntryId, PointsEntry)],
    voids: &[(VoidId, Void)],
) -> u64 {
    let voided: BTreeSet<PointsEntryId> =
        voids.iter().filter_map(|(_, v)| v.points_entry).collect();
    entries
        .iter()
        .filter(|(id, entry)| entry.benefit == Some(benefit) && !voided.contains(id))
        .count() as u64
}

type VoidedServices = BTreeMap<ServiceId, Voidable<ServiceRecord>>;
type VoidedEntries = BTreeMap<PointsEntryId, Voidable<PointsEntry>>;

/// Completes the passbook with the entries service records earned (derived, not
/// stored), and marks the facts that voids cancel: the records and entries they name,
/// and the points earned by a voided record.
fn apply_voids(
    services: Vec<(ServiceId, ServiceRecord)>,
    mut passbook: Vec<(PointsEntryId, PointsEntry)>,
    voids: &BTreeMap<VoidId, Void>,
) -> (VoidedServices, VoidedEntries) {
    // An earned entry's id is derived from its record, so one a document stored under
    // that id (before earned entries were derived) is the same entry, not a second.
    passbook.extend(
        services
            .iter()
            .filter_map(|(id, record)| record.earned_entry(*id)),
    );
    let voided_services: BTreeSet<ServiceId> = voids.values().filter_map(|v| v.service).collect();
    let voided_entries: BTreeSet<PointsEntryId> =
        voids.values().filter_map(|v| v.points_entry).collect();
    let services = services
        .into_iter()
        .map(|(id, entity)| {
            let is_voided = voided_services.contains(&id);
            (id, Voidable { entity, is_voided })
        })
        .collect();
    let passbook: VoidedEntries = passbook
        .into_iter()
        .map(|(id, entity)| {
            let by_service = entity
                .service
                .is_some_and(|service| voided_services.contains(&service));
            let is_voided = voided_entries.contains(&id) || by_service;
            (id, Voidable { entity, is_voided })
        })
        .collect();
    (services, passbook)
}

fn sum_passbooks(
    passbook: &BTreeMap<PointsEntryId, Voidable<PointsEntry>>,
) -> BTreeMap<MemberId, Passbook> {
    let mut by_member: BTreeMap<MemberId, Vec<(PointsEntryId, &PointsEntry)>> = BTreeMap::new();
    for (id, entry) in passbook {
        if !entry.is_voided {
            by_member
                .entry(entry.entity.member)
                .or_default()
                .push((*id, &entry.entity));
        }
    }
    by_member
        .into_iter()
        .map(|(member, mut entries)| {
            // Time order; at the same moment what was earned comes before what was
            // redeemed (a redemption made with points earned that very second is not an
            // overdraft), and the id breaks the remaining ties the same way on every
            // replica.
            entries.sort_by_key(|(id, entry)| (entry.at, entry.kind == PointsKind::Redeem, *id));
            let mut book = Passbook::default();
            for (id, entry) in entries {
                match entry.kind {
                    PointsKind::Earn => {
                        book.earned += u64::from(entry.points);
                        book.balance += i64::from(entry.points);
                    }
                    PointsKind::Redeem => {
                        book.redeemed += u64::from(entry.points);
                        book.balance -= i64::from(entry.points);
                        if book.balance < 0 {
                            book.overdrawn_by.push(id);
                        }
                    }
                }
                book.entries.push(id);
            }
            (member, book)
        })
        .collect()
}
