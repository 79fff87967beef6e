//! Deriving only what a change touched: the entities that the operations since some
//! earlier heads write in, read again with what their figure rows depend on, or the
//! whole view when the change reaches something other entities' rows read.
//!
//! The hub re-derives a community's figures after every change it merges; a change
//! is nearly always one claim, one service record, one passbook entry or one
//! participation, and reading the whole document for it costs a hundred times what
//! reading the few entities it touched does. What is followed entity by entity:
//! wishes, service records, passbook entries, activities (with their participations),
//! the community's own pairings and projects (a street's, filed under the street at
//! its host, are not), service posts (with their seats), volunteers' service records,
//! voids of any of these records or entries, organisations reporting in (双报到) or
//! edited — one the change created, absent at the earlier heads, is named by no row
//! yet, and one whose credit code and branch name (which its citywide id derives from)
//! are what they were is named by rows that read nothing else of it, so its own row in
//! `fig_orgs` is all it rewrites — and:
//!
//! - members, reported in or edited: their own rows (`fig_members`, counted in the
//!   rollups; their places in a functional branch or service team the document lists,
//!   read for that, in `fig_group_members`), and, as a member's organisation is on
//!   every row naming them, the posts in which they hold a seat (read again here: a
//!   community has a handful) and the rows of their wishes, records, passbook entries
//!   and participations, which the hub gives the member's organisation where it moved
//!   (`hub/src/figures/by_entity.rs`: those rows name the member, so the hub finds them
//!   without this side reading every record). An edit of fields no row reads (work
//!   unit, position, specialties, intentions) rewrites the member's own rows only, as
//!   they were. A member new to the document is named by no row yet: a record naming
//!   them was written after them, in the change.
//! - rounds, made or edited: a wish's row carries its round's name, so every wish
//!   naming a touched round is read again (found by reading each wish's round alone).
//! - volunteers, registered or edited: their own row, and their kind on the rows of
//!   the wishes and records naming them, which the hub gives the kind they have now
//!   (a new volunteer is named by no row yet, as a new member).
//!
//! Anything else the view reads — an organisation's credit code or branch name
//! corrected, branches, teams, scoring rates, benefits, rules, the schema — makes the
//! whole view derived again ([`Derivation::Whole`]), because other entities' rows read
//! it: an org's citywide id on every row naming it (rows name an org by its key, so
//! the hub cannot find them by the old id); a branch or team is counted with its
//! members; a scoring rate or benefit on the passbook entries earned or spent by it.
//! A touched organisation whose citywide id is not its key or is another key's too is
//! left whole (rows naming the key, or the other org's row, read it).

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ChangeHash, ObjType, ReadDoc, ScalarValue, Value};

use crate::doc::{CommunityDoc, DocError};
use crate::id::{
    ActivityId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId, RoundId,
    ServiceId, TeamId, VolunteerId, VolunteerServiceId, WishId,
};
use crate::lifecycle::{ClaimStatus, Claimants, PairingStatus, PostStatus};
use crate::model::{
    Activity, Actor, Branch, Community, Entity, Member, Org, Pairing, PointsEntry, Post, Project,
    Round, ServiceRecord, Team, Void, Volunteer, VolunteerService, Wish,
};
use crate::project::ProjectStatus;
use crate::view::{CommunityView, Voidable, WithStatus};

mod touched;

pub use touched::Touched;
use touched::touched_since;

/// The result of deriving a document again after a change.
#[derive(Debug, Clone)]
pub enum Derivation {
    /// The change reached something the figures cannot follow entity by entity (or
    /// there were no earlier heads): the whole view, and why.
    Whole {
        /// The view of the document.
        view: Box<CommunityView>,
        /// Why the whole view was derived.
        reason: WholeReason,
    },
    /// Only the entities the change touched, read again.
    Entities(Box<EntityDelta>),
}

/// Why a change was not followed entity by entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeReason {
    /// No earlier heads were given, or the document does not hold them.
    NoEarlierHeads,
    /// The change reached a collection (or a root key) that other rows read.
    Collection(&'static str),
    /// A touched entity was removed, or a touched pairing or project is a street's (its
    /// rows are filed under the street's code, at its host only).
    Unfollowed(&'static str),
    /// A touched entity (or one it names) cannot be read.
    Malformed(&'static str),
}

/// The touched entities as the document holds them now, folded and voided as the
/// whole view would have them, and what their rows read of other entities.
#[derive(Debug, Clone)]
pub struct EntityDelta {
    /// Code and name.
    pub community: Community,
    /// What the change touched.
    pub touched: Touched,
    /// The touched wishes that exist, with their folded status.
    pub wishes: BTreeMap<WishId, WithStatus<Wish, ClaimStatus>>,
    /// The touched service records that exist.
    pub services: BTreeMap<ServiceId, Voidable<ServiceRecord>>,
    /// The touched passbook entries that exist (stored, or earned by a record).
    pub passbook: BTreeMap<PointsEntryId, Voidable<PointsEntry>>,
    /// The touched activities that exist.
    pub activities: BTreeMap<ActivityId, Activity>,
    /// The touched pairings (every one exists, and is the community's own), with
    /// their folded status.
    pub pairings: BTreeMap<PairingId, WithStatus<Pairing, PairingStatus>>,
    /// The touched projects (likewise), with their folded status.
    pub projects: BTreeMap<ProjectId, WithStatus<Project, ProjectStatus>>,
    /// The touched volunteers' service records that exist.
    pub volunteer_services: BTreeMap<VolunteerServiceId, Voidable<VolunteerService>>,
    /// The touched posts that exist, with their folded status (who holds each seat).
    pub posts: BTreeMap<PostId, WithStatus<Post, PostStatus>>,
    /// The participations of the touched activities that count, as
    /// [`CommunityView::participations`] gives them.
    pub participations: Vec<(ActivityId, MemberId)>,
    /// The members the touched entities name (for their orgs), and the touched
    /// members, new or edited ([`Touched::members`]), that exist.
    pub members: BTreeMap<MemberId, Member>,
    /// The functional branches the touched members are placed in that the document
    /// lists (a member's place in one is a row of the group's).
    pub branches: BTreeMap<BranchId, Branch>,
    /// The service teams likewise.
    pub teams: BTreeMap<TeamId, Team>,
    /// Every organisation (a reference resolves to its citywide id through them).
    pub orgs: BTreeMap<OrgId, Org>,
    /// Every round (a wish's row carries its round's name).
    pub rounds: BTreeMap<RoundId, Round>,
    /// The volunteers who claimed a touched wish or whose touched service records
    /// name them (their kind is on the rows), and the touched volunteers that exist.
    pub volunteers: BTreeMap<VolunteerId, Volunteer>,
}

impl Derivation {
    /// Derives `doc` again after it moved on from `before`: the touched entities when
    /// the change can be followed entity by entity, the whole view otherwise.
    pub fn since(doc: &mut CommunityDoc, before: &[ChangeHash]) -> Result<Self, DocError> {
        match touched_since(doc, before)? {
            Ok(touched) => match EntityDelta::read(doc, touched)? {
                Ok(delta) => Ok(Self::Entities(Box::new(delta))),
                Err(reason) => Self::whole(doc, reason),
            },
            Err(reason) => Self::whole(doc, reason),
        }
    }

    fn whole(doc: &CommunityDoc, reason: WholeReason) -> Result<Self, DocError> {
        Ok(Self::Whole {
            view: Box::new(CommunityView::derive(doc)?),
            reason,
        })
    }
}

impl EntityDelta {
    /// Reads the touched entities, widening the set to what their rows depend on: a
    /// void's record or entry, a record's earned entry and its activity (whose
    /// participation it may void), an activity's voided participation records.
    fn read(
        doc: &CommunityDoc,
        mut touched: Touched,
    ) -> Result<Result<Self, WholeReason>, DocError> {
        let (voids, bad) = doc.entities::<Void>()?;
        if !bad.is_empty() {
            return Ok(Err(WholeReason::Malformed("voids")));
        }
        let voids: BTreeMap<_, _> = voids.into_iter().collect();
        let voided_services: BTreeSet<ServiceId> =
            voids.values().filter_map(|v| v.service).collect();
        let voided_entries: BTreeSet<PointsEntryId> =
            voids.values().filter_map(|v| v.points_entry).collect();
        let voided_volunteer_services: BTreeSet<VolunteerServiceId> =
            voids.values().filter_map(|v| v.volunteer_service).collect();

        // A round's name is on the rows of the wishes naming it: those are read again.
        if !touched.rounds.is_empty() {
            match wishes_in_rounds(doc, &touched.rounds) {
                Some(named) => touched.wishes.extend(named),
                None => return Ok(Err(WholeReason::Malformed("wishes"))),
            }
        }
        // A seat a member holds is credited to the member's organisation: the posts in
        // which a touched member holds a seat are read again (a community has a
        // handful; a post whose holders the change moved is touched itself).
        if !touched.members.is_empty() {
            let (posts, bad) = doc.entities::<Post>()?;
            if !bad.is_empty() {
                return Ok(Err(WholeReason::Malformed("posts")));
            }
            for (id, post) in posts {
                let status = PostStatus::fold(&post.events, post.seats);
                let holds = status.holders.iter().any(|holder| {
                    matches!(holder, Actor::Member(member) if touched.members.contains(member))
                });
                if holds {
                    touched.posts.insert(id);
                }
            }
        }

        // Widen until nothing new is named: records name activities, activities name
        // their voided participation records.
        let mut services: BTreeMap<ServiceId, ServiceRecord> = BTreeMap::new();
        let mut activities: BTreeMap<ActivityId, Activity> = BTreeMap::new();
        loop {
            let mut grew = false;
            for id in touched.services.clone() {
                if services.contains_key(&id) {
                    continue;
                }
                let Some(record) = read_one::<ServiceRecord>(doc, id)? else {
                    return Ok(Err(WholeReason::Malformed("services")));
                };
                let Some(record) = record else {
                    return Ok(Err(WholeReason::Unfollowed("services")));
                };
                touched.passbook.insert(ServiceRecord::points_entry_id(id));
                if let Some(activity) = record.activity {
                    grew |= touched.activities.insert(activity);
                }
                services.insert(id, record);
            }
            for id in touched.activities.clone() {
                if activities.contains_key(&id) {
                    continue;
                }
                let Some(activity) = read_one::<Activity>(doc, id)? else {
                    return Ok(Err(WholeReason::Malformed("activities")));
                };
                // A removed activity's rows are removed; nothing else names it.
                let Some(activity) = activity else { continue };
                for key in activity.participants.keys() {
                    let Ok(member) = key.parse::<MemberId>() else {
                        continue;
                    };
                    let record = ServiceRecord::id_for_participation(id, member);
                    if voided_services.contains(&record) && doc.contains::<ServiceRecord>(record)? {
                        grew |= touched.services.insert(record);
                    }
                }
                activities.insert(id, activity);
            }
            if !grew {
                break;
            }
        }

        let mut passbook = BTreeMap::new();
        for id in touched.passbook.clone() {
            let Some(stored) = read_one::<PointsEntry>(doc, id)? else {
                return Ok(Err(WholeReason::Malformed("passbook")));
            };
            // An entry a record earns is derived from the record, and replaces one
            // stored under the same id (as `CommunityView::derive` has it).
            let mut earners: Vec<ServiceId> = touched
                .services
                .iter()
                .copied()
                .filter(|service| ServiceRecord::points_entry_id(*service) == id)
                .collect();
            earners.extend(stored.as_ref().and_then(|entry| entry.service));
            let mut earned = None;
            for service in earners {
                let record = match services.get(&service) {
                    Some(record) => Some(record.clone()),
                    None => match read_one::<ServiceRecord>(doc, service)? {
                        Some(record) => record,
                        None => return Ok(Err(WholeReason::Malformed("services"))),
                    },
                };
                if let Some((earned_id, entry)) = record.and_then(|r| r.earned_entry(service))
                    && earned_id == id
                {
                    earned = Some(entry);
                }
            }
            let Some(entity) = earned.or(stored) else {
                continue;
            };
            let by_service = entity
                .service
                .is_some_and(|service| voided_services.contains(&service));
            let is_voided = voided_entries.contains(&id) || by_service;
            passbook.insert(id, Voidable { entity, is_voided });
        }

        let mut wishes = BTreeMap::new();
        for id in touched.wishes.iter().copied() {
            let Some(wish) = read_one::<Wish>(doc, id)? else {
                return Ok(Err(WholeReason::Malformed("wishes")));
            };
            let Some(entity) = wish else { continue };
            let status = ClaimStatus::fold(&entity.events, Claimants::MembersAndOrgs);
            wishes.insert(id, WithStatus { entity, status });
        }

        // A pairing or project is not removed by any command; one that is gone, or a
        // street's, is left to the whole view (its old rows may be filed under the
        // street's code).
        let mut pairings = BTreeMap::new();
        for id in touched.pairings.iter().copied() {
            let entity = match read_one::<Pairing>(doc, id)? {
                Some(Some(entity)) => entity,
                Some(None) => return Ok(Err(WholeReason::Unfollowed("pairings"))),
                None => return Ok(Err(WholeReason::Malformed("pairings"))),
            };
            if entity.street.is_some() {
                return Ok(Err(WholeReason::Unfollowed("a street's pairing")));
            }
            let status = PairingStatus::fold(&entity.events);
            pairings.insert(id, WithStatus { entity, status });
        }
        let mut projects = BTreeMap::new();
        for id in touched.projects.iter().copied() {
            let entity = match read_one::<Project>(doc, id)? {
                Some(Some(entity)) => entity,
                Some(None) => return Ok(Err(WholeReason::Unfollowed("projects"))),
                None => return Ok(Err(WholeReason::Malformed("projects"))),
            };
            if entity.street.is_some() {
                return Ok(Err(WholeReason::Unfollowed("a street's project")));
            }
            let status = ProjectStatus::fold(&entity.events);
            projects.insert(id, WithStatus { entity, status });
        }

        let services: BTreeMap<ServiceId, Voidable<ServiceRecord>> = services
            .into_iter()
            .map(|(id, entity)| {
                let is_voided = voided_services.contains(&id);
                (id, Voidable { entity, is_voided })
            })
            .collect();
        let participations: Vec<(ActivityId, MemberId)> = activities
            .iter()
            .flat_map(|(activity_id, activity)| {
                let services = &services;
                activity
                    .participants
                    .iter()
                    .filter(|(_, participation)| participation.is_attended())
                    .filter_map(move |(key, _)| {
                        let member: MemberId = key.parse().ok()?;
                        let record = ServiceRecord::id_for_participation(*activity_id, member);
                        let is_voided = services.get(&record).is_some_and(|s| s.is_voided);
                        (!is_voided).then_some((*activity_id, member))
                    })
            })
            .collect();

        // A removed record's row is removed; nothing else reads it.
        let mut volunteer_services = BTreeMap::new();
        for id in touched.volunteer_services.iter().copied() {
            let entity = match read_one::<VolunteerService>(doc, id)? {
                Some(Some(entity)) => entity,
                Some(None) => continue,
                None => return Ok(Err(WholeReason::Malformed("volunteer_services"))),
            };
            let is_voided = voided_volunteer_services.contains(&id);
            volunteer_services.insert(id, Voidable { entity, is_voided });
        }

        // A removed post's rows are removed; nothing else reads it.
        let mut posts = BTreeMap::new();
        for id in touched.posts.iter().copied() {
            let entity = match read_one::<Post>(doc, id)? {
                Some(Some(entity)) => entity,
                Some(None) => continue,
                None => return Ok(Err(WholeReason::Malformed("posts"))),
            };
            let status = PostStatus::fold(&entity.events, entity.seats);
            posts.insert(id, WithStatus { entity, status });
        }

        // The members and volunteers the rows name.
        let mut named: BTreeSet<MemberId> = BTreeSet::new();
        let mut claimed_by_volunteers: BTreeSet<VolunteerId> = BTreeSet::new();
        for wish in wishes.values() {
            match &wish.status.claimant {
                Some(Actor::Member(member)) => {
                    named.insert(*member);
                }
                Some(Actor::Volunteer(volunteer)) => {
                    claimed_by_volunteers.insert(*volunteer);
                }
                _ => {}
            }
        }
        named.extend(services.values().map(|s| s.entity.member));
        named.extend(passbook.values().map(|e| e.entity.member));
        named.extend(participations.iter().map(|(_, member)| *member));
        claimed_by_volunteers.extend(volunteer_services.values().map(|s| s.entity.volunteer));
        // A touched volunteer's own row is written, and the rows naming them take their
        // kind from it.
        claimed_by_volunteers.extend(touched.volunteers.iter().copied());
        // A seat held by a member is credited to the member's organisation.
        named.extend(posts.values().flat_map(|post| {
            post.status
                .holders
                .iter()
                .filter_map(|holder| match holder {
                    Actor::Member(member) => Some(*member),
                    _ => None,
                })
        }));
        // A new member in a functional branch or service team has a place on the
        // group's rows: the group is read to know it exists (a member naming one the
        // document does not list is in no group, as the whole view has it). A followed
        // change touches no group, so the group's own row stands as it is.
        let mut members = BTreeMap::new();
        let mut branches = BTreeMap::new();
        let mut teams = BTreeMap::new();
        for id in touched.members.iter().copied() {
            let member = match read_one::<Member>(doc, id)? {
                Some(Some(member)) => member,
                // Made and removed since: it had no row and has none.
                Some(None) => continue,
                None => return Ok(Err(WholeReason::Malformed("members"))),
            };
            if let Some(branch) = member.branch
                && !branches.contains_key(&branch)
            {
                match read_one::<Branch>(doc, branch)? {
                    Some(Some(entity)) => {
                        branches.insert(branch, entity);
                    }
                    Some(None) => {}
                    None => return Ok(Err(WholeReason::Malformed("branches"))),
                }
            }
            if let Some(team) = member.team
                && !teams.contains_key(&team)
            {
                match read_one::<Team>(doc, team)? {
                    Some(Some(entity)) => {
                        teams.insert(team, entity);
                    }
                    Some(None) => {}
                    None => return Ok(Err(WholeReason::Malformed("teams"))),
                }
            }
            members.insert(id, member);
        }
        for id in named {
            if members.contains_key(&id) {
                continue;
            }
            match read_one::<Member>(doc, id)? {
                Some(Some(member)) => {
                    members.insert(id, member);
                }
                Some(None) => {}
                None => return Ok(Err(WholeReason::Malformed("members"))),
            }
        }
        let mut volunteers = BTreeMap::new();
        for id in claimed_by_volunteers {
            match read_one::<Volunteer>(doc, id)? {
                Some(Some(volunteer)) => {
                    volunteers.insert(id, volunteer);
                }
                Some(None) => {}
                None => return Ok(Err(WholeReason::Malformed("volunteers"))),
            }
        }
        let (orgs, bad) = doc.entities::<Org>()?;
        if !bad.is_empty() {
            return Ok(Err(WholeReason::Malformed("orgs")));
        }
        let orgs: BTreeMap<OrgId, Org> = orgs.into_iter().collect();
        // A new or edited organisation is followed when its row is its own: known
        // citywide by its key (rows naming the key read the same) and by no other key
        // (whose row it would merge with, reported in on the earlier day). An edited
        // one's citywide id is the one it had (`touched_since` saw to it).
        for id in touched.orgs.iter().copied() {
            let Some(org) = orgs.get(&id) else {
                // Made and removed since: it had no row and has none.
                if doc.contains::<Org>(id)? {
                    return Ok(Err(WholeReason::Malformed("orgs")));
                }
                continue;
            };
            let citywide = org.id();
            if citywide != id
                || orgs
                    .iter()
                    .any(|(key, other)| *key != id && other.id() == citywide)
            {
                return Ok(Err(WholeReason::Unfollowed(
                    "a new org known by another key",
                )));
            }
        }
        let (rounds, bad) = doc.entities::<Round>()?;
        if !bad.is_empty() {
            return Ok(Err(WholeReason::Malformed("rounds")));
        }

        Ok(Ok(Self {
            community: doc.community()?,
            touched,
            wishes,
            services,
            passbook,
            activities,
            pairings,
            projects,
            volunteer_services,
            posts,
            participations,
            members,
            branches,
            teams,
            orgs,
            rounds: rounds.into_iter().collect(),
            volunteers,
        }))
    }
}

/// The wishes whose round is one of `rounds`, each read for that field alone (a
/// wish of no round has none); `None` when one cannot be read.
fn wishes_in_rounds(doc: &CommunityDoc, rounds: &BTreeSet<RoundId>) -> Option<Vec<WishId>> {
    let automerge = doc.automerge();
    let wishes = match automerge.get(automerge::ROOT, Wish::COLLECTION) {
        Ok(Some((Value::Object(ObjType::Map), wishes))) => wishes,
        Ok(None) => return Some(Vec::new()),
        _ => return None,
    };
    let mut named = Vec::new();
    for key in automerge.keys(&wishes) {
        let wish = match automerge.get(&wishes, key.as_str()) {
            Ok(Some((Value::Object(ObjType::Map), wish))) => wish,
            _ => return None,
        };
        let round = match automerge.get(&wish, "round") {
            Ok(Some((Value::Scalar(value), _))) => match value.as_ref() {
                ScalarValue::Str(text) => Some(text.parse::<RoundId>().ok()?),
                ScalarValue::Null => None,
                _ => return None,
            },
            Ok(None) => None,
            _ => return None,
        };
        if round.is_some_and(|round| rounds.contains(&round)) {
            named.push(key.parse().ok()?);
        }
    }
    Some(named)
}

/// One entity: `Some(Some(..))` read, `Some(None)` absent, `None` unreadable.
fn read_one<E: Entity>(doc: &CommunityDoc, id: E::Id) -> Result<Option<Option<E>>, DocError> {
    match doc.entity::<E>(id) {
        Ok(entity) => Ok(Some(entity)),
        Err(DocError::Hydrate { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}
