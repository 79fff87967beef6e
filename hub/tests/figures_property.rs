//! Property test: random cities — communities in two districts, members of shared
//! unit organisations (a unit's own, and two branches of one unit), wishes and projects
//! through every lifecycle, projects in Guangzhou's stages claimed by one to three units
//! jointly (`figures_support/joint.rs`), activities, service, voids and redemptions — are
//! written as community documents through
//! domain commands, synced into a city hub, and every figure, for every region,
//! period and party organisation or unit, equals the same figure computed
//! independently from the generated plan.
//!
//! The data travels the hub's real path: each node's document goes through the
//! sans-IO sync session (node side over a [`MemoryHost`], hub side over the hub's own
//! host and SQLite store), as encoded frames, in one session or split in two so a
//! second session merges into what the hub already holds; then the hub's figures
//! refresh re-derives the community. Only the network and the clock are not real.
//!
//! The plan is the model: what each wish's fate is, who claims it and when, which
//! service is voided. Nothing in the expected figures is read back from a document
//! or a view.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::joint::{JointFacts, StagedPlan, staged_plan, write_staged};
use figures_support::party_orgs::{POOL, org_matches, pool_entry, pool_org, unit_name, unit_of};
use figures_support::streets::{
    StreetFacts, StreetPlan, check_street_children, street_plan, takes_in, write_street,
};
use figures_support::volunteers::{
    VolunteerFacts, VolunteerPlan, expected_volunteers, volunteer_plan, write_volunteers,
};

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use automerge::{AutoCommit, ChangeHash};
use figures_support::*;
use proptest::prelude::*;
use wishtree_hub::figures::refresh_one;
use wishtree_hub::figures::{
    self, Figures, Filter, OrgScope, Period, RankBy, StageCounts, StateCounts,
};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::{EnrolledRole, SqliteStore};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::city::CityCommand;
use wishtree_protocol::command::Command;
use wishtree_protocol::frame::{DocId, Frame, Role, Scope};
use wishtree_protocol::id::{MemberId, OrgId, PointsEntryId, VoidId, VolunteerId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, EventKind, ServiceRecord};
use wishtree_protocol::street::StreetCode;
use wishtree_protocol::sync::memory::MemoryHost;
use wishtree_protocol::sync::{Effect, Ending, Event, Session};
use wishtree_protocol::text::Label;
use wishtree_protocol::{
    CommunityCode, CommunityDoc, Date, HalfYear, RegionLevel, RegionPrefix, Timestamp,
};
use wishtree_testkit::community::note_for;

/// Every plan's days count from here.
const FIRST_DAY: &str = "2025-10-01";

/// What happens to a wish (or project) after it is submitted.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Submitted,
    Published,
    Rejected,
    WithdrawnEarly,
    Claimed,
    Fulfilled { by_worker: bool },
    WithdrawnAfterClaim,
    Released,
    Reclaimed,
}

#[derive(Debug, Clone)]
struct WishPlan {
    submitted_minute: i64,
    fate: Fate,
    /// Picks the claimant among the community's members and organisations.
    claimant: usize,
    second_claimant: usize,
    claim_after_minutes: i64,
    fulfil_after_minutes: i64,
}

#[derive(Debug, Clone)]
struct ActivityPlan {
    day: i32,
    minutes: u32,
    organiser: Option<usize>,
    /// (member pick, voided).
    participants: Vec<(usize, bool)>,
    recorded_minute: i64,
}

#[derive(Debug, Clone)]
struct ServicePlan {
    member: usize,
    day: i32,
    minutes: u32,
    voided: bool,
    recorded_minute: i64,
}

#[derive(Debug, Clone)]
struct CommunityPlan {
    code: CommunityCode,
    /// (organisation of the pool, reported-in day).
    orgs: Vec<(usize, Option<i32>)>,
    /// (organisation pick among the community's, reported-in day).
    members: Vec<(Option<usize>, i32)>,
    /// (organisation pick, signed day, ended).
    pairings: Vec<(usize, i32, bool)>,
    wishes: Vec<WishPlan>,
    projects: Vec<WishPlan>,
    /// Projects in Guangzhou's stages, some claimed jointly by two or three units.
    staged: Vec<StagedPlan>,
    activities: Vec<ActivityPlan>,
    services: Vec<ServicePlan>,
    /// (member pick, points, minute).
    redemptions: Vec<(usize, u32, i64)>,
    /// Volunteers beyond the members, who claim wishes and serve apart.
    volunteers: Vec<VolunteerPlan>,
    /// Street-level records, which count only if the hub's city names this community
    /// its street's host.
    street: StreetPlan,
    /// Hours before [`NOW`] the node last connected.
    seen_hours_ago: i64,
    /// Where the node's first session stops: after that many of the document's
    /// changes (picked among them), the rest arriving in a second session. `None`
    /// sends everything in one session.
    split: Option<prop::sample::Index>,
    /// Whether the node signs its final heads (a first session's heads are signed).
    attest_final: bool,
}

#[derive(Debug, Clone)]
struct CityPlan {
    communities: Vec<CommunityPlan>,
    /// A community whose node connected but whose document never arrived.
    seen_only: Option<(CommunityCode, i64)>,
    periods: Vec<(Option<i32>, Option<i32>)>,
    /// The community the hub's city names host of its street, if any.
    street_host: Option<prop::sample::Index>,
}

/// What the plan says happened, in the terms of the figures.
#[derive(Debug, Default)]
struct Facts {
    communities: Vec<CommunityFacts>,
}

#[derive(Debug, Default)]
struct CommunityFacts {
    code: Option<CommunityCode>,
    last_seen_ms: Option<i64>,
    /// Citywide ids of the organisations the document names, with reported-in days.
    orgs: BTreeMap<OrgId, Option<Date>>,
    /// (member index, organisation, reported-in day).
    members: Vec<(usize, Option<OrgId>, Date)>,
    /// (organisation, signed day, ended).
    pairings: Vec<(OrgId, Date, bool)>,
    wishes: Vec<ClaimFacts>,
    projects: Vec<ClaimFacts>,
    staged: Vec<JointFacts>,
    /// (day, organiser).
    activities: Vec<(Date, Option<OrgId>)>,
    /// Service records that count: (member, day, minutes, from an activity).
    services: Vec<(usize, Date, u32, bool)>,
    /// Passbook entries that count: (member, day, earned or redeemed points).
    points: Vec<(usize, Date, u64, u64)>,
    volunteers: VolunteerFacts,
    street: StreetFacts,
}

#[derive(Debug)]
struct ClaimFacts {
    submitted_day: Date,
    state: &'static str,
    /// The claimant, while the claim is held (claimed or fulfilled).
    member: Option<usize>,
    org: Option<OrgId>,
    volunteer: Option<VolunteerId>,
    claim_days: Option<i64>,
    fulfil_days: Option<i64>,
}

fn day(offset: i32) -> Date {
    Date::from_days(date(FIRST_DAY).to_days() + offset)
}

fn minute(offset: i64) -> Timestamp {
    date(FIRST_DAY)
        .start_in_shanghai()
        .plus_millis(offset * 60_000)
}

/// When a node that connected `hours` before [`NOW`] was seen.
fn seen_at(hours: i64) -> Timestamp {
    Timestamp::from_millis(NOW.as_millis() - hours * 3_600_000)
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        1 => Just(Fate::Submitted),
        1 => Just(Fate::Published),
        1 => Just(Fate::Rejected),
        1 => Just(Fate::WithdrawnEarly),
        2 => Just(Fate::Claimed),
        3 => any::<bool>().prop_map(|by_worker| Fate::Fulfilled { by_worker }),
        1 => Just(Fate::WithdrawnAfterClaim),
        1 => Just(Fate::Released),
        1 => Just(Fate::Reclaimed),
    ]
}

fn wish_plan() -> impl Strategy<Value = WishPlan> {
    (
        0i64..300 * 1440,
        fate(),
        any::<usize>(),
        any::<usize>(),
        0i64..20 * 1440,
        0i64..30 * 1440,
    )
        .prop_map(
            |(submitted_minute, fate, claimant, second, claim_after, fulfil_after)| WishPlan {
                submitted_minute,
                fate,
                claimant,
                second_claimant: second,
                claim_after_minutes: claim_after,
                fulfil_after_minutes: fulfil_after,
            },
        )
}

fn activity_plan() -> impl Strategy<Value = ActivityPlan> {
    (
        0i32..300,
        1u32..300,
        prop::option::of(any::<usize>()),
        prop::collection::vec((any::<usize>(), prop::bool::weighted(0.2)), 0..4),
        0i64..300 * 1440,
    )
        .prop_map(
            |(day, minutes, organiser, participants, recorded_minute)| ActivityPlan {
                day,
                minutes,
                organiser,
                participants,
                recorded_minute,
            },
        )
}

fn service_plan() -> impl Strategy<Value = ServicePlan> {
    (
        any::<usize>(),
        0i32..300,
        1u32..400,
        prop::bool::weighted(0.2),
        0i64..300 * 1440,
    )
        .prop_map(
            |(member, day, minutes, voided, recorded_minute)| ServicePlan {
                member,
                day,
                minutes,
                voided,
                recorded_minute,
            },
        )
}

fn community_plan(code: CommunityCode) -> impl Strategy<Value = CommunityPlan> {
    (
        // Up to three units of the pool, so that a project can be claimed by three jointly.
        prop::collection::vec((0usize..POOL, prop::option::of(0i32..300)), 0..4),
        prop::collection::vec((prop::option::of(any::<usize>()), 0i32..300), 0..6),
        prop::collection::vec((any::<usize>(), 0i32..300, any::<bool>()), 0..3),
        prop::collection::vec(wish_plan(), 0..7),
        (
            prop::collection::vec(wish_plan(), 0..3),
            prop::collection::vec(staged_plan(), 0..3),
        ),
        prop::collection::vec(activity_plan(), 0..3),
        prop::collection::vec(service_plan(), 0..5),
        prop::collection::vec((any::<usize>(), 1u32..40, 0i64..320 * 1440), 0..3),
        prop::collection::vec(volunteer_plan(), 0..3),
        (street_plan(), 0i64..48),
        prop::option::of(any::<prop::sample::Index>()),
        any::<bool>(),
    )
        .prop_map(
            move |(
                orgs,
                members,
                pairings,
                wishes,
                (projects, staged),
                activities,
                services,
                redemptions,
                volunteers,
                (street, seen),
                split,
                attest_final,
            )| {
                let mut seen_orgs = BTreeSet::new();
                let orgs = orgs
                    .into_iter()
                    .filter(|(pool, _)| seen_orgs.insert(*pool))
                    .collect();
                CommunityPlan {
                    code,
                    orgs,
                    members,
                    pairings,
                    wishes,
                    projects,
                    staged,
                    activities,
                    services,
                    redemptions,
                    volunteers,
                    street,
                    seen_hours_ago: seen,
                    split,
                    attest_final,
                }
            },
        )
}

fn all_codes() -> Vec<CommunityCode> {
    let mut codes = Vec::new();
    for district in ["130902", "130903"] {
        for street in ["001", "002"] {
            for community in ["001", "002", "003"] {
                codes.push(code(&format!("{district}{street}{community}")));
            }
        }
    }
    codes
}

fn city_plan() -> impl Strategy<Value = CityPlan> {
    (
        prop::sample::subsequence(all_codes(), 1..=4),
        prop::option::of((prop::sample::select(all_codes()), 0i64..48)),
        prop::collection::vec(
            (prop::option::of(0i32..320), prop::option::of(0i32..320)),
            3,
        ),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_flat_map(|(codes, seen_only, periods, street_host)| {
            let plans: Vec<_> = codes.into_iter().map(community_plan).collect();
            (plans, Just(seen_only), Just(periods), Just(street_host))
        })
        .prop_map(|(communities, seen_only, periods, street_host)| {
            let taken: BTreeSet<CommunityCode> = communities.iter().map(|c| c.code).collect();
            CityPlan {
                seen_only: seen_only.filter(|(code, _)| !taken.contains(code)),
                communities,
                periods,
                street_host,
            }
        })
}

/// Writes a community's plan as commands, one change each, returning the document
/// and the facts the plan says it holds.
fn write_community(
    plan: &CommunityPlan,
    seed: u64,
    hosts_street: bool,
) -> (CommunityDoc, CommunityFacts) {
    let mut w = Writer::new(plan.code, "社区", seed, minute(0));
    let mut facts = CommunityFacts {
        code: Some(plan.code),
        last_seen_ms: Some(seen_at(plan.seen_hours_ago).as_millis()),
        ..CommunityFacts::default()
    };

    // Phase one: the entities.
    let mut orgs: Vec<OrgId> = Vec::new();
    for (pool, reported) in &plan.orgs {
        let reported = reported.map(day);
        let (code, branch) = pool_entry(*pool);
        let unit_name = unit_name(*pool);
        let id = match branch {
            Some(branch) => w.add_party_org(code, &unit_name, branch, reported, minute(1)),
            None => w.add_org(code, &unit_name, reported, minute(1)),
        };
        facts.orgs.insert(id, reported);
        orgs.push(id);
    }
    let pick_org = |pick: usize| (!orgs.is_empty()).then(|| orgs[pick % orgs.len()]);
    let mut members: Vec<MemberId> = Vec::new();
    for (org_pick, reported) in &plan.members {
        let org = org_pick.and_then(pick_org);
        let id = w.add_member(org, day(*reported), minute(2));
        facts.members.push((members.len(), org, day(*reported)));
        members.push(id);
    }
    let (volunteers, volunteer_facts, volunteer_voids) =
        write_volunteers(&mut w, &plan.volunteers, day, minute(2));
    facts.volunteers = volunteer_facts;
    let mut pairings = Vec::new();
    for (org_pick, signed, ended) in &plan.pairings {
        let Some(org) = pick_org(*org_pick) else {
            continue;
        };
        pairings.push((w.add_pairing(org, day(*signed), minute(3)), *ended));
        facts.pairings.push((org, day(*signed), *ended));
    }
    facts.street = write_street(
        &mut w,
        plan.code,
        &plan.street,
        &orgs,
        hosts_street,
        day,
        minute,
    );
    let wishes: Vec<_> = plan
        .wishes
        .iter()
        .map(|wish| w.submit_wish(minute(wish.submitted_minute)))
        .collect();
    let projects: Vec<_> = plan
        .projects
        .iter()
        .map(|project| w.submit_project(minute(project.submitted_minute)))
        .collect();
    let mut activities = Vec::new();
    let mut services = Vec::new();
    let mut earned: BTreeMap<usize, u64> = BTreeMap::new();
    let points_for = |minutes: u32| u64::from((10 * minutes + 30) / 60);
    for activity in &plan.activities {
        let organiser = activity.organiser.and_then(pick_org);
        let id = w.add_activity(day(activity.day), activity.minutes, organiser, minute(5));
        facts.activities.push((day(activity.day), organiser));
        let mut joined = BTreeSet::new();
        for (pick, voided) in &activity.participants {
            if members.is_empty() {
                break;
            }
            let member = pick % members.len();
            if !joined.insert(member) {
                continue;
            }
            let at = minute(activity.recorded_minute);
            w.participate(id, members[member], at);
            let service = ServiceRecord::id_for_participation(id, members[member]);
            services.push((service, *voided));
            if !voided {
                facts
                    .services
                    .push((member, day(activity.day), activity.minutes, true));
                let points = points_for(activity.minutes);
                if points > 0 {
                    facts
                        .points
                        .push((member, at.date_in_shanghai(), points, 0));
                    *earned.entry(member).or_default() += points;
                }
            }
        }
        activities.push(id);
    }
    for service in &plan.services {
        if members.is_empty() {
            break;
        }
        let member = service.member % members.len();
        let at = minute(service.recorded_minute);
        let id = w.record_service(members[member], day(service.day), service.minutes, at);
        services.push((id, service.voided));
        if !service.voided {
            facts
                .services
                .push((member, day(service.day), service.minutes, false));
            let points = points_for(service.minutes);
            if points > 0 {
                facts
                    .points
                    .push((member, at.date_in_shanghai(), points, 0));
                *earned.entry(member).or_default() += points;
            }
        }
    }

    // Phase two: lifecycles, ends, voids, redemptions.
    for (pairing, ended) in &pairings {
        if *ended {
            w.run(
                Command::EndPairing {
                    id: *pairing,
                    note: note_for(EventKind::End),
                },
                minute(290 * 1440),
            );
        }
    }
    for (plan_wish, id) in plan.wishes.iter().zip(&wishes) {
        let claimants = claimant_choices(&members, &volunteers, &orgs, true);
        let run = |w: &mut Writer, kind, by, at| w.wish_event(*id, kind, by, at);
        let wish = live(&mut w, plan_wish, &claimants, &run);
        if let Some(kind) = wish.volunteer.and_then(|v| facts.volunteers.kinds.get(&v)) {
            let held = (*kind, wish.submitted_day, wish.state == "fulfilled");
            facts.volunteers.wishes.push(held);
        }
        facts.wishes.push(wish);
    }
    for (plan_project, id) in plan.projects.iter().zip(&projects) {
        let claimants = claimant_choices(&members, &[], &orgs, false);
        let run = |w: &mut Writer, kind, by, at| w.project_event(*id, kind, by, at);
        facts
            .projects
            .push(live(&mut w, plan_project, &claimants, &run));
    }
    for staged in &plan.staged {
        facts
            .staged
            .extend(write_staged(&mut w, staged, &orgs, minute));
    }
    for (service, voided) in &services {
        if *voided {
            let id = VoidId::from_bytes(w.ids.bytes());
            w.run(
                Command::VoidService {
                    id,
                    service: *service,
                    reason: Label::parse("reason", "录入错误").unwrap(),
                },
                minute(295 * 1440),
            );
        }
    }
    for service in volunteer_voids {
        w.void_volunteer_service(service, minute(295 * 1440));
    }
    let mut balance = earned;
    for (pick, points, at) in &plan.redemptions {
        if members.is_empty() {
            break;
        }
        let member = pick % members.len();
        let available = balance.get(&member).copied().unwrap_or(0);
        if available < u64::from(*points) {
            continue;
        }
        balance.insert(member, available - u64::from(*points));
        let id = PointsEntryId::from_bytes(w.ids.bytes());
        w.run(
            Command::Redeem {
                id,
                member: members[member],
                points: *points,
                reason: Label::parse("reason", "兑换洗衣液").unwrap(),
            },
            minute(*at),
        );
        facts.points.push((
            member,
            minute(*at).date_in_shanghai(),
            0,
            u64::from(*points),
        ));
    }
    (w.doc, facts)
}

/// Who may claim: members and volunteers (for wishes) and organisations.
fn claimant_choices(
    members: &[MemberId],
    volunteers: &[VolunteerId],
    orgs: &[OrgId],
    members_may: bool,
) -> Vec<(Actor, Option<usize>)> {
    let mut out = Vec::new();
    if members_may {
        out.extend(
            members
                .iter()
                .enumerate()
                .map(|(index, id)| (Actor::Member(*id), Some(index))),
        );
        out.extend(volunteers.iter().map(|id| (Actor::Volunteer(*id), None)));
    }
    out.extend(orgs.iter().map(|id| (Actor::Org(*id), None)));
    out
}

/// Runs a wish's or project's fate and says what the fold must make of it.
fn live(
    w: &mut Writer,
    plan: &WishPlan,
    claimants: &[(Actor, Option<usize>)],
    run: &dyn Fn(&mut Writer, EventKind, Actor, Timestamp),
) -> ClaimFacts {
    let submitted = minute(plan.submitted_minute);
    let mut fate = plan.fate;
    if claimants.is_empty()
        && !matches!(
            fate,
            Fate::Submitted | Fate::Published | Fate::Rejected | Fate::WithdrawnEarly
        )
    {
        fate = Fate::Published;
    }
    let first = claimants
        .get(plan.claimant % claimants.len().max(1))
        .cloned();
    let second = claimants
        .get(plan.second_claimant % claimants.len().max(1))
        .cloned();
    let publish_at = submitted.plus_millis(60_000);
    let claim_at = publish_at.plus_millis(plan.claim_after_minutes * 60_000);
    let fulfil_at = claim_at.plus_millis(plan.fulfil_after_minutes * 60_000);
    let worker = worker();
    let mut facts = ClaimFacts {
        submitted_day: submitted.date_in_shanghai(),
        state: "submitted",
        member: None,
        org: None,
        volunteer: None,
        claim_days: None,
        fulfil_days: None,
    };
    let days = |at: Timestamp| {
        (at.as_millis() - submitted.as_millis())
            .div_euclid(86_400_000)
            .max(0)
    };
    let hold = |facts: &mut ClaimFacts, claimant: &(Actor, Option<usize>), at: Timestamp| {
        facts.member = claimant.1;
        facts.org = match claimant.0 {
            Actor::Org(org) => Some(org),
            _ => None,
        };
        facts.volunteer = match claimant.0 {
            Actor::Volunteer(volunteer) => Some(volunteer),
            _ => None,
        };
        facts.claim_days = Some(days(at));
    };
    match fate {
        Fate::Submitted => {}
        Fate::Rejected => {
            run(w, EventKind::Reject, worker, publish_at);
            facts.state = "rejected";
        }
        Fate::Published => {
            run(w, EventKind::Publish, worker, publish_at);
            facts.state = "published";
        }
        Fate::WithdrawnEarly => {
            run(w, EventKind::Publish, worker.clone(), publish_at);
            run(w, EventKind::Withdraw, worker, claim_at);
            facts.state = "withdrawn";
        }
        Fate::Claimed
        | Fate::Fulfilled { .. }
        | Fate::WithdrawnAfterClaim
        | Fate::Released
        | Fate::Reclaimed => {
            // Invariant of the plan: a fate with a claim has a claimant (checked above).
            let first = first.unwrap();
            run(w, EventKind::Publish, worker.clone(), publish_at);
            run(w, EventKind::Claim, first.0.clone(), claim_at);
            match fate {
                Fate::Claimed => {
                    facts.state = "claimed";
                    hold(&mut facts, &first, claim_at);
                }
                Fate::Fulfilled { by_worker } => {
                    let by = if by_worker { worker } else { first.0.clone() };
                    run(w, EventKind::Fulfil, by, fulfil_at);
                    facts.state = "fulfilled";
                    hold(&mut facts, &first, claim_at);
                    facts.fulfil_days = Some(days(fulfil_at));
                }
                Fate::WithdrawnAfterClaim => {
                    run(w, EventKind::Withdraw, worker, fulfil_at);
                    facts.state = "withdrawn";
                }
                Fate::Released => {
                    run(w, EventKind::Release, first.0.clone(), fulfil_at);
                    facts.state = "published";
                }
                _ => {
                    let second = second.unwrap();
                    let again = fulfil_at.plus_millis(3_600_000);
                    run(w, EventKind::Release, worker, fulfil_at);
                    run(w, EventKind::Claim, second.0.clone(), again);
                    facts.state = "claimed";
                    hold(&mut facts, &second, again);
                }
            }
        }
    }
    facts
}

/// A city hub over a store in a temporary directory: the real [`Hub`], its store,
/// its host and its figures refresh, with nothing of the network but the frames.
struct CityHub {
    _dir: tempfile::TempDir,
    database: PathBuf,
    hub: Arc<Hub>,
}

impl CityHub {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("hub.sqlite");
        // The figure tables live beside the store, which makes them on opening.
        let store = Arc::new(SqliteStore::open(&database).unwrap());
        let hub = Hub::new(
            store,
            KeyPair::from_secret([7; 32]),
            region("1309"),
            Arc::new(Metrics::new()),
            HubOptions::default(),
        )
        .unwrap();
        Self {
            _dir: dir,
            database,
            hub,
        }
    }

    /// Enrolls a community's node and returns its key.
    fn enroll(&self, code: CommunityCode, index: u8) -> KeyPair {
        let key = KeyPair::from_secret([index + 10; 32]);
        self.hub
            .store()
            .enroll(
                key.public(),
                EnrolledRole::Node { community: code },
                seen_at(100),
            )
            .unwrap();
        key
    }

    /// One sync session of a node holding `node` (its community's document, or
    /// nothing yet) with the hub, at `now`: the real sessions on both sides, frames
    /// encoded and decoded, pumped until none are in flight, then closed by the node.
    /// Afterwards the hub's figures are refreshed as its worker does.
    fn sync(
        &self,
        code: CommunityCode,
        node_key: &KeyPair,
        node: &mut MemoryHost,
        now: Timestamp,
    ) -> Result<(), TestCaseError> {
        let mut hub_host = self.hub.host(false);
        let mut node_session =
            Session::dial(self.hub.public_key(), Role::Node, Scope::Community(code));
        let mut hub_session = Session::listen(node_key.public());
        let mut to_hub: VecDeque<Vec<u8>> = VecDeque::new();
        let mut to_node: VecDeque<Vec<u8>> = VecDeque::new();
        let mut endings = Vec::new();
        let mut sort = |effects: Vec<Effect>, queue: &mut VecDeque<Vec<u8>>| {
            for effect in effects {
                match effect {
                    Effect::Send(frame) => queue.push_back(frame.encode()),
                    Effect::Refused(reason) => endings.push((Ending::Refused, reason)),
                    Effect::Close { ending, reason } => endings.push((ending, reason)),
                    _ => {}
                }
            }
        };
        let mut pump = |node_session: &mut Session,
                        hub_session: &mut Session,
                        node: &mut MemoryHost,
                        first: Event|
         -> Result<(), TestCaseError> {
            sort(node_session.handle_event(now, first, node), &mut to_hub);
            let mut delivered = 0;
            loop {
                prop_assert!(delivered < 1_000, "the session did not settle");
                if let Some(bytes) = to_hub.pop_front() {
                    let frame = Frame::decode(&bytes).unwrap();
                    let effects = hub_session.handle_event(now, Event::Frame(frame), &mut hub_host);
                    sort(effects, &mut to_node);
                } else if let Some(bytes) = to_node.pop_front() {
                    let frame = Frame::decode(&bytes).unwrap();
                    let effects = node_session.handle_event(now, Event::Frame(frame), node);
                    sort(effects, &mut to_hub);
                } else {
                    return Ok(());
                }
                delivered += 1;
            }
        };
        pump(&mut node_session, &mut hub_session, node, Event::Start)?;
        prop_assert!(node_session.is_open() && hub_session.is_open());
        pump(&mut node_session, &mut hub_session, node, Event::Close)?;
        prop_assert!(node_session.is_closed() && hub_session.is_closed());
        prop_assert!(
            endings.iter().all(|(ending, _)| *ending == Ending::Done),
            "{:?}",
            endings
        );

        // The hub stamps an admission with its own clock; the plan's clock is NOW, so
        // the store is told when this connection happened in the plan's time.
        self.hub.store().record_seen(code, now).unwrap();
        refresh_one(&self.hub, code).unwrap();
        Ok(())
    }

    fn heads(&self, code: CommunityCode) -> Vec<ChangeHash> {
        let mut heads = self.hub.heads(DocId::Community(code)).unwrap();
        heads.sort();
        heads
    }
}

/// What a node sends in each session, and what it signs.
struct NodeSessions {
    /// The node's document at each session.
    documents: Vec<AutoCommit>,
    /// Changes of the final document, and of those the ones under the latest heads
    /// the node signed.
    changes: u64,
    attested: u64,
}

/// Cuts a community's document where the plan splits it.
fn node_sessions(plan: &CommunityPlan, doc: &CommunityDoc) -> NodeSessions {
    let mut full = doc.automerge().clone();
    let changes = full.get_changes(&[]);
    let total = changes.len() as u64;
    let mut documents = Vec::new();
    let mut attested = 0;
    if let Some(split) = &plan.split {
        // The writer's history is one line: the first k changes are a prefix.
        let last = split.index(changes.len());
        let prefix = full.fork_at(&[changes[last].hash()]).unwrap();
        documents.push(prefix);
        attested = last as u64 + 1;
    }
    documents.push(full);
    if plan.attest_final {
        attested = total;
    }
    NodeSessions {
        documents,
        changes: total,
        attested,
    }
}

/// The figures the plan calls for.
fn expected(facts: &Facts, plan: &CityPlan, filter: &Filter) -> Figures {
    let region = &filter.region;
    let period = &filter.period;
    let within = |date: Date| period.contains(date);
    let by_end = |date: Date| period.to().is_none_or(|to| date <= to);
    let org_matches = |org: Option<OrgId>| org_matches(filter, org);
    let since = NOW.as_millis() - figures::SYNC_WINDOW_MS;
    let in_region: Vec<&CommunityFacts> = facts
        .communities
        .iter()
        .filter(|c| c.code.is_some_and(|code| region.contains(&code)))
        .collect();
    let mut communities = 0;
    let mut synced = 0;
    for community in &in_region {
        let named =
            filter.org.is_none() || community.orgs.keys().any(|org| org_matches(Some(*org)));
        if named {
            communities += 1;
            synced += u64::from(community.last_seen_ms.is_some_and(|seen| seen >= since));
        }
    }
    if let Some((code, hours)) = plan.seen_only
        && region.contains(&code)
        && filter.org.is_none()
    {
        communities += 1;
        synced += u64::from(NOW.as_millis() - hours * 3_600_000 >= since);
    }
    let mut figures = Figures {
        region: region.clone(),
        from: period.from(),
        to: period.to(),
        org: filter.org.map(OrgScope::id),
        round: None,
        communities,
        communities_synced_24h: synced,
        members_reported: 0,
        orgs_reported: 0,
        pairings: 0,
        wishes: StateCounts::default(),
        wishes_fulfilled_rate: None,
        median_days_to_claim: None,
        median_days_to_fulfil: None,
        members_with_claimed_wish: 0,
        members_with_claimed_wish_rate: None,
        orgs_with_claimed_project: 0,
        orgs_with_claimed_project_rate: None,
        projects: StateCounts::default(),
        project_stages: StageCounts::default(),
        activities: 0,
        participations: 0,
        service_records: 0,
        service_minutes: 0,
        service_hours: 0.0,
        points_earned: 0,
        points_redeemed: 0,
        volunteers: expected_volunteers(
            in_region.iter().map(|community| &community.volunteers),
            within,
            by_end,
            filter.org.is_some(),
        ),
        // The generated communities have no posts, branches or teams: their figures
        // are tested in `figures_posts.rs`.
        posts: Default::default(),
        groups: Default::default(),
    };
    let mut reported_orgs = BTreeSet::new();
    let mut claiming_members = BTreeSet::new();
    let mut claiming_orgs = BTreeSet::new();
    let mut claim_days = Vec::new();
    let mut fulfil_days = Vec::new();
    for (index, community) in in_region.iter().enumerate() {
        let member_org = |member: usize| community.members[member].1;
        for (org, reported) in &community.orgs {
            if reported.is_some_and(by_end) && org_matches(Some(*org)) {
                reported_orgs.insert(*org);
            }
        }
        figures.members_reported += community
            .members
            .iter()
            .filter(|(_, org, reported)| by_end(*reported) && org_matches(*org))
            .count() as u64;
        figures.pairings += community
            .pairings
            .iter()
            .filter(|(org, signed, ended)| !ended && by_end(*signed) && org_matches(Some(*org)))
            .count() as u64;
        for wish in &community.wishes {
            let credited = wish.org.or_else(|| wish.member.and_then(member_org));
            if !within(wish.submitted_day) || (filter.org.is_some() && !org_matches(credited)) {
                continue;
            }
            count_state(&mut figures.wishes, wish.state);
            if let Some(member) = wish.member {
                claiming_members.insert((index, member));
            }
            claim_days.extend(wish.claim_days);
            fulfil_days.extend(wish.fulfil_days);
        }
        for project in &community.projects {
            if !within(project.submitted_day) || (filter.org.is_some() && !org_matches(project.org))
            {
                continue;
            }
            count_state(&mut figures.projects, project.state);
            count_stage(&mut figures.project_stages, project.state);
            if let Some(org) = project.org {
                claiming_orgs.insert(org);
            }
        }
        // A staged project: once for the region, once for each unit holding it in the
        // stages, and by state for its lead and each unit holding it.
        for staged in community.staged.iter().filter(|s| within(s.submitted_day)) {
            if filter.org.is_none() || staged.credited().into_iter().any(|o| org_matches(Some(o))) {
                count_state(&mut figures.projects, staged.state);
            }
            let holds = |unit: OrgId| org_matches(Some(unit));
            let unit: Option<&dyn Fn(OrgId) -> bool> = filter.org.map(|_| &holds as _);
            staged.count(&mut figures.project_stages, &mut claiming_orgs, unit);
        }
        figures.activities += community
            .activities
            .iter()
            .filter(|(date, organiser)| within(*date) && org_matches(*organiser))
            .count() as u64;
        for (member, date, minutes, from_activity) in &community.services {
            if within(*date) && org_matches(member_org(*member)) {
                figures.service_records += 1;
                figures.service_minutes += u64::from(*minutes);
                figures.participations += u64::from(*from_activity);
            }
        }
        for (member, date, earned, redeemed) in &community.points {
            if within(*date) && org_matches(member_org(*member)) {
                figures.points_earned += earned;
                figures.points_redeemed += redeemed;
            }
        }
    }
    // The streets' own records, kept by their hosts: counted for the street and wider.
    for community in &facts.communities {
        let street = &community.street;
        if !street.hosted.is_some_and(|code| takes_in(region, code)) {
            continue;
        }
        for (org, reported) in &street.report_ins {
            if by_end(*reported) && org_matches(Some(*org)) {
                reported_orgs.insert(*org);
            }
        }
        figures.pairings += street
            .pairings
            .iter()
            .filter(|(org, signed)| by_end(*signed) && org_matches(Some(*org)))
            .count() as u64;
        for submitted in &street.projects {
            if within(*submitted) && filter.org.is_none() {
                count_state(&mut figures.projects, "submitted");
                count_stage(&mut figures.project_stages, "submitted");
            }
        }
    }
    let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    figures.orgs_reported = reported_orgs.len() as u64;
    figures.members_with_claimed_wish = claiming_members.len() as u64;
    figures.orgs_with_claimed_project = claiming_orgs.len() as u64;
    figures.wishes_fulfilled_rate = rate(
        figures.wishes.fulfilled,
        figures.wishes.total - figures.wishes.rejected,
    );
    figures.members_with_claimed_wish_rate =
        rate(figures.members_with_claimed_wish, figures.members_reported);
    figures.orgs_with_claimed_project_rate =
        rate(figures.orgs_with_claimed_project, figures.orgs_reported);
    figures.median_days_to_claim = median(claim_days);
    figures.median_days_to_fulfil = median(fulfil_days);
    figures.service_hours = (figures.service_minutes as f64 / 60.0 * 100.0).round() / 100.0;
    figures
}

/// The stage of a project written with the wish-style events, by the rule
/// ARCHITECTURE.md states (submitted and published are 征集, claimed 立项, fulfilled
/// 完成, rejected and withdrawn 终止); none of these is joint.
fn count_stage(counts: &mut StageCounts, state: &str) {
    match state {
        "submitted" | "published" => counts.collecting += 1,
        "claimed" => counts.approved += 1,
        "fulfilled" => counts.done += 1,
        _ => counts.terminated += 1,
    }
}

fn count_state(counts: &mut StateCounts, state: &str) {
    counts.total += 1;
    match state {
        "submitted" => counts.submitted += 1,
        "published" => counts.published += 1,
        "claimed" => counts.claimed += 1,
        "fulfilled" => counts.fulfilled += 1,
        "rejected" => counts.rejected += 1,
        "withdrawn" => counts.withdrawn += 1,
        other => panic!("unknown state {other}"),
    }
}

fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

fn periods(plan: &CityPlan) -> Vec<Period> {
    let mut out = vec![
        Period::all(),
        Period::half_year(HalfYear::new(2026, 1).unwrap()),
        Period::half_year(HalfYear::new(2025, 2).unwrap()),
        Period::month(2026, 2).unwrap(),
    ];
    for (from, to) in &plan.periods {
        let (from, to) = match (from, to) {
            (Some(a), Some(b)) if a > b => (Some(*b), Some(*a)),
            other => (*other.0, *other.1),
        };
        out.push(Period::new(from.map(day), to.map(day)).unwrap());
    }
    out
}

fn regions(plan: &CityPlan) -> Vec<RegionPrefix> {
    let mut set: BTreeSet<String> = ["", "13", "1309", "130902", "130903", "130904"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for community in &plan.communities {
        set.insert(community.code.as_str()[..9].to_owned());
        set.insert(community.code.as_str().to_owned());
    }
    set.iter().map(|s| region(s)).collect()
}

fn check_city(plan: CityPlan) -> Result<(), TestCaseError> {
    let city = CityHub::new();
    let mut facts = Facts::default();
    let mut nodes = Vec::new();
    let host = plan
        .street_host
        .map(|pick| plan.communities[pick.index(plan.communities.len())].code);
    if let Some(community) = host {
        let designate = CityCommand::DesignateStreetHost {
            street: StreetCode::of(&community).as_region(),
            community,
        };
        city.hub.execute_city(&designate, seen_at(100)).unwrap();
    }
    for (index, community) in plan.communities.iter().enumerate() {
        let hosts_street = host == Some(community.code);
        let (doc, community_facts) = write_community(community, 1000 + index as u64, hosts_street);
        let key = city.enroll(community.code, index as u8);
        nodes.push((key, MemoryHost::new(), node_sessions(community, &doc), doc));
        facts.communities.push(community_facts);
    }
    // Every node's first session, then the second sessions of the split ones: a
    // second session merges into a document the hub has already derived figures from.
    for round in 0..2 {
        for (community, (key, node, sessions, _)) in plan.communities.iter().zip(&mut nodes) {
            let Some(document) = sessions.documents.get(round) else {
                continue;
            };
            let id = DocId::Community(community.code);
            let last = round + 1 == sessions.documents.len();
            let mut document = document.clone();
            if !last || community.attest_final {
                let heads = document.get_heads();
                let signed = SignedHeads::sign(key, community.code, &heads, round as u64 + 1, NOW);
                node.set_own_attestation(id, signed);
            }
            node.insert_doc(id, document);
            // An earlier session happened two hours before the last one.
            let hours = community.seen_hours_ago + if last { 0 } else { 2 };
            city.sync(community.code, key, node, seen_at(hours))?;
        }
    }
    for (community, (_, _, _, doc)) in plan.communities.iter().zip(&mut nodes) {
        let mut heads = doc.automerge_mut().get_heads();
        heads.sort();
        prop_assert_eq!(city.heads(community.code), heads, "{}", community.code);
    }
    if let Some((code, hours)) = plan.seen_only {
        // A node that connects with nothing to send: counted as seen, with no rows.
        let key = city.enroll(code, 200);
        city.sync(code, &key, &mut MemoryHost::new(), seen_at(hours))?;
    }
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    check_campaigns(&city.database, &facts, &plan)?;
    let streets = facts.communities.iter().map(|community| &community.street);
    check_street_children(&connection, streets, &regions(&plan), NOW)?;

    // Every party organisation, and every unit (unit 1 summing its three).
    let orgs: Vec<Option<OrgScope>> = [None]
        .into_iter()
        .chain((0..POOL).map(|index| Some(OrgScope::PartyOrg(pool_org(index)))))
        .chain((1..=3).map(|unit| Some(OrgScope::Unit(credit_code(unit)))))
        .collect();
    for region in regions(&plan) {
        for period in periods(&plan) {
            let org_choices: &[Option<OrgScope>] = if region.as_str().len() <= 6 {
                &orgs
            } else {
                &orgs[..1]
            };
            for org in org_choices {
                let filter = Filter {
                    region: region.clone(),
                    period,
                    org: *org,
                    round: None,
                };
                let actual = figures::figures(&connection, &filter, NOW).unwrap();
                prop_assert_eq!(
                    &actual,
                    &expected(&facts, &plan, &filter),
                    "region {:?}, period {}, org {:?}",
                    region,
                    period,
                    org
                );
            }
            // The months of a period add up to its flows.
            let all = figures::figures(
                &connection,
                &Filter {
                    region: region.clone(),
                    period,
                    org: None,
                    round: None,
                },
                NOW,
            )
            .unwrap();
            let months = figures::monthly(&connection, &region, None, &period, None).unwrap();
            let minutes: u64 = months.iter().map(|m| m.service_minutes).sum();
            let wishes: u64 = months.iter().map(|m| m.wishes_total).sum();
            prop_assert_eq!(minutes, all.service_minutes);
            prop_assert_eq!(wishes, all.wishes.total);
        }
    }

    // Children partition their parent, and rankings agree with the organisations' figures.
    let city = region("1309");
    for period in periods(&plan) {
        let parent = figures::figures(
            &connection,
            &Filter {
                region: city.clone(),
                period,
                org: None,
                round: None,
            },
            NOW,
        )
        .unwrap();
        let children = figures::children(&connection, &city, &period, None, NOW).unwrap();
        let members: u64 = children.iter().map(|c| c.figures.members_reported).sum();
        let minutes: u64 = children.iter().map(|c| c.figures.service_minutes).sum();
        prop_assert_eq!(members, parent.members_reported);
        prop_assert_eq!(minutes, parent.service_minutes);
        let ranking =
            figures::org_ranking(&connection, &city, &period, RankBy::ServiceHours, 10).unwrap();
        for rank in &ranking {
            let org = expected(
                &facts,
                &plan,
                &Filter {
                    region: city.clone(),
                    period,
                    org: Some(OrgScope::PartyOrg(rank.org)),
                    round: None,
                },
            );
            prop_assert_eq!(rank.service.service_minutes, org.service_minutes);
            prop_assert_eq!(rank.service.members, org.members_reported);
            prop_assert_eq!(
                rank.service.wishes_claimed,
                org.wishes.claimed_or_fulfilled()
            );
            prop_assert_eq!(rank.service.projects_fulfilled, org.projects.fulfilled);
            // Each branch is ranked on its own, shown with its unit's name.
            let index = (0..POOL)
                .find(|index| pool_org(*index) == rank.org)
                .unwrap();
            let (code, branch) = pool_entry(index);
            prop_assert_eq!(rank.party_org.as_deref(), branch);
            prop_assert_eq!(&rank.credit_code, code.as_str());
            prop_assert_eq!(&rank.name, &unit_name(index));
        }
        prop_assert!(
            ranking
                .windows(2)
                .all(|pair| pair[0].service.service_minutes >= pair[1].service.service_minutes)
        );
    }
    check_points_rankings(&connection, &facts, &plan)?;
    check_summed_tables(&connection)?;
    let statuses = figures::community_statuses(&connection, &region(""), NOW).unwrap();
    for (community, (_, _, sessions, _)) in facts.communities.iter().zip(&nodes) {
        let status = statuses
            .iter()
            .find(|s| Some(s.code) == community.code)
            .unwrap();
        prop_assert_eq!(
            status.is_synced_24h,
            community
                .last_seen_ms
                .is_some_and(|seen| seen >= NOW.as_millis() - figures::SYNC_WINDOW_MS)
        );
        prop_assert_eq!(status.changes, sessions.changes);
        prop_assert_eq!(status.attested_changes, sessions.attested);
        prop_assert_eq!(
            status.attested_share,
            Some(sessions.attested as f64 / sessions.changes as f64)
        );
    }
    Ok(())
}

/// The tables kept by summing as communities are re-derived (some twice, by a second
/// session) hold what summing the rows they are made of afresh gives: the districts'
/// months (the organisations' too), the districts' days (rows that count and minutes)
/// and the ranked counts.
fn check_summed_tables(connection: &rusqlite::Connection) -> Result<(), TestCaseError> {
    let rows = |sql: &str| -> Vec<(String, i64, i64, i64)> {
        let mut statement = connection.prepare(sql).unwrap();
        statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    prop_assert_eq!(
        rows(
            "SELECT district, month, rows, members_reported + service_minutes + wishes_total
             FROM fig_district_months ORDER BY 1, 2"
        ),
        rows(
            "SELECT substr(community, 1, 6), month, COUNT(*),
                 SUM(members_reported + service_minutes + wishes_total)
             FROM fig_months GROUP BY 1, 2 ORDER BY 1, 2"
        )
    );
    prop_assert_eq!(
        rows(
            "SELECT hex(org) || district, month, rows,
                 members_reported + service_minutes + wishes_total + members_with_claimed_wish
             FROM fig_district_org_months ORDER BY 1, 2"
        ),
        rows(
            "SELECT hex(org) || substr(community, 1, 6), month, COUNT(*),
                 SUM(members_reported + service_minutes + wishes_total + members_with_claimed_wish)
             FROM fig_org_months GROUP BY 1, 2 ORDER BY 1, 2"
        )
    );
    prop_assert_eq!(
        rows("SELECT district, day, rows, service_minutes FROM fig_district_days ORDER BY 1, 2"),
        rows(
            "SELECT district, day, COUNT(*), SUM(minutes) FROM (
                 SELECT substr(community, 1, 6) AS district, reported_day AS day, 0 AS minutes
                     FROM fig_members
                 UNION ALL SELECT substr(community, 1, 6), signed_day, 0 FROM fig_pairings
                     WHERE ended_day IS NULL
                 UNION ALL SELECT substr(community, 1, 6), submitted_day, 0 FROM fig_wishes
                 UNION ALL SELECT substr(community, 1, 6), submitted_day, 0 FROM fig_projects
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_activities
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_participations
                 UNION ALL SELECT substr(community, 1, 6), day, minutes FROM fig_services
                     WHERE is_voided = 0
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_points
                     WHERE is_voided = 0)
             GROUP BY 1, 2 ORDER BY 1, 2"
        )
    );
    prop_assert_eq!(
        rows(
            "SELECT community || ' ' || period, 0, ranked, 0 FROM fig_points_ranked
             ORDER BY 1"
        ),
        rows(
            "SELECT community || ' ' || period, 0, COUNT(*), 0 FROM fig_member_points
             GROUP BY 1 ORDER BY 1"
        )
    );
    Ok(())
}

/// Points rankings for every half-year the plan's entries fall in, in every region:
/// who is ranked, with what points and in which place, equals the plan's earned
/// entries summed per member; and each ranked member's standing in their community,
/// street and city equals the places counted from the plan.
fn check_points_rankings(
    connection: &rusqlite::Connection,
    facts: &Facts,
    plan: &CityPlan,
) -> Result<(), TestCaseError> {
    // (half-year, community, member index) -> points earned.
    let mut earned: BTreeMap<(HalfYear, CommunityCode, usize), u64> = BTreeMap::new();
    for community in &facts.communities {
        let Some(code) = community.code else { continue };
        for (member, date, points, _) in &community.points {
            if *points > 0 {
                *earned.entry((date.half_year(), code, *member)).or_default() += points;
            }
        }
    }
    let halves: BTreeSet<HalfYear> = [day(0), day(300), day(600)]
        .iter()
        .map(|date| date.half_year())
        .chain(earned.keys().map(|(half, _, _)| *half))
        .collect();
    // The place of `points` among the plan's members of `region`: 1 + how many earned more.
    let place = |half: HalfYear, region: &RegionPrefix, points: u64| -> (u64, u64) {
        let within = earned
            .iter()
            .filter(|((h, code, _), _)| *h == half && region.contains(code));
        let (above, of) = within.fold((0, 0), |(above, of), (_, p)| {
            (above + u64::from(*p > points), of + 1)
        });
        (above + 1, of)
    };
    for region in regions(plan) {
        for half in &halves {
            let ranking = figures::points_ranking(connection, &region, *half, 1000).unwrap();
            let mut expected: Vec<(u64, CommunityCode, u64)> = earned
                .iter()
                .filter(|((h, code, _), _)| h == half && region.contains(code))
                .map(|((_, code, _), points)| (place(*half, &region, *points).0, *code, *points))
                .collect();
            expected.sort();
            let mut found: Vec<(u64, CommunityCode, u64)> = ranking
                .members
                .iter()
                .map(|m| (m.rank, m.community, m.points))
                .collect();
            prop_assert!(
                found
                    .windows(2)
                    .all(|pair| pair[0].2 >= pair[1].2 && pair[0].0 <= pair[1].0),
                "not in order: {:?}",
                found
            );
            found.sort();
            prop_assert_eq!(ranking.ranked, expected.len() as u64, "{} {}", region, half);
            prop_assert_eq!(&found, &expected, "{} {}", region, half);
            if region.as_str().is_empty() {
                for ranked in &ranking.members {
                    let standing =
                        figures::standing(connection, ranked.community, ranked.member, *half)
                            .unwrap();
                    prop_assert_eq!(standing.points, ranked.points);
                    for (level, at) in [
                        (RegionLevel::Community, standing.community),
                        (RegionLevel::Street, standing.street),
                        (RegionLevel::City, standing.city),
                    ] {
                        let (rank, of) =
                            place(*half, &ranked.community.region(level), ranked.points);
                        let at = at.unwrap();
                        prop_assert_eq!((at.rank, at.of), (rank, of), "{:?}", level);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Campaigns over every bounded period of the plan, both rules, minimums 1 and 2: how
/// many met each, in each region, equals the count of the plan's claims; and each
/// unit's report-in coverage equals the count of its members in the region.
fn check_campaigns(
    database: &std::path::Path,
    facts: &Facts,
    plan: &CityPlan,
) -> Result<(), TestCaseError> {
    use wishtree_protocol::city::{CampaignRule, CityCommand, CityDoc};
    use wishtree_protocol::id::CampaignId;
    use wishtree_protocol::text::Title;

    let bounded: Vec<(Date, Date)> = periods(plan)
        .iter()
        .filter_map(|period| Some((period.from()?, period.to()?)))
        .collect();
    let mut city = CityDoc::new(&region("1309"), [7; 16]).unwrap();
    let mut asked = Vec::new();
    for (index, (from, to)) in bounded.iter().enumerate() {
        for (rule_index, rule) in [
            CampaignRule::MemberClaimsWish,
            CampaignRule::OrgClaimsProject,
        ]
        .into_iter()
        .enumerate()
        {
            for minimum in 1..=2u32 {
                let title = format!("活动 {index}-{rule_index}-{minimum}");
                let command = CityCommand::AddCampaign {
                    id: CampaignId::from_bytes([
                        index as u8,
                        rule_index as u8,
                        minimum as u8,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        1,
                    ]),
                    title: Title::parse("title", &title).unwrap(),
                    rule,
                    minimum,
                    from: *from,
                    to: *to,
                };
                city.execute(&command, NOW).unwrap();
                asked.push((title, rule, minimum, *from, *to));
            }
        }
    }
    // Every unit of the pool declares 3 in-service members.
    for index in 0..3u32 {
        let credit_code = credit_code(index + 1);
        let put = CityCommand::PutOrg {
            credit_code,
            name: wishtree_protocol::text::Name::parse("name", "单位").unwrap(),
        };
        city.execute(&put, NOW).unwrap();
        let declare = CityCommand::DeclareMembers {
            credit_code,
            in_service_members: 3,
        };
        city.execute(&declare, NOW).unwrap();
    }
    let mut connection = rusqlite::Connection::open(database).unwrap();
    let transaction = connection.transaction().unwrap();
    let view = city.view().unwrap();
    figures::refresh_campaigns(&transaction, &view).unwrap();
    figures::refresh_directory(&transaction, &view).unwrap();
    transaction.commit().unwrap();
    for region in regions(plan) {
        let coverage = figures::coverage(&connection, &region).unwrap();
        for index in 0..3 {
            let org = pool_org(index);
            // A unit's coverage counts the members of all its party organisations.
            let members = facts
                .communities
                .iter()
                .filter(|c| c.code.is_some_and(|code| region.contains(&code)))
                .flat_map(|c| &c.members)
                .filter(|(_, member_org, _)| member_org.and_then(unit_of) == unit_of(org))
                .count() as u64;
            let unit = coverage
                .by_unit
                .iter()
                .find(|unit| unit.org == org)
                .unwrap();
            prop_assert_eq!(
                (unit.reported, unit.behind),
                (members.min(3), 3 - members.min(3))
            );
        }
    }
    for region in regions(plan) {
        let progress = figures::campaign_progress(&connection, &region).unwrap();
        prop_assert_eq!(progress.len(), asked.len());
        for (title, rule, minimum, from, to) in &asked {
            let found = progress.iter().find(|p| &p.title == title).unwrap();
            let period = Period::new(Some(*from), Some(*to)).unwrap();
            let figures = expected(
                facts,
                plan,
                &Filter {
                    region: region.clone(),
                    period,
                    org: None,
                    round: None,
                },
            );
            let within = |day: Date| period.contains(day);
            let in_region = facts
                .communities
                .iter()
                .enumerate()
                .filter(|(_, c)| c.code.is_some_and(|code| region.contains(&code)));
            let mut tally: BTreeMap<(usize, Option<usize>, Option<OrgId>), u32> = BTreeMap::new();
            for (index, community) in in_region {
                match rule {
                    CampaignRule::MemberClaimsWish => {
                        for wish in community.wishes.iter().filter(|w| within(w.submitted_day)) {
                            if let Some(member) = wish.member {
                                *tally.entry((index, Some(member), None)).or_default() += 1;
                            }
                        }
                    }
                    CampaignRule::OrgClaimsProject => {
                        for project in community
                            .projects
                            .iter()
                            .filter(|p| within(p.submitted_day))
                        {
                            if let Some(org) = project.org {
                                // An organisation is one across the city.
                                *tally.entry((0, None, Some(org))).or_default() += 1;
                            }
                        }
                        // A joint project counts for its lead and each unit holding it.
                        for staged in community.staged.iter().filter(|s| within(s.submitted_day)) {
                            for org in staged.credited() {
                                *tally.entry((0, None, Some(org))).or_default() += 1;
                            }
                        }
                    }
                }
            }
            let eligible = match rule {
                CampaignRule::MemberClaimsWish => figures.members_reported,
                CampaignRule::OrgClaimsProject => figures.orgs_reported,
            };
            let met =
                (tally.values().filter(|count| **count >= *minimum).count() as u64).min(eligible);
            prop_assert_eq!(
                (found.eligible, found.met, found.behind),
                (eligible, met, eligible - met),
                "{} in {:?}",
                title,
                region
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_figure_equals_the_figure_of_the_plan(plan in city_plan()) {
        check_city(plan)?;
    }
}
