//! Property test: re-deriving a community entity by entity (only the rows of what a
//! change touched rewritten, the rollups shifted by the difference) gives the same
//! rows as re-deriving it whole, in every raw, rollup, market and ranking table, after
//! every step of random command sequences — claims, services, redemptions, voids,
//! activities and participations, pairings made and ended, projects through their
//! lifecycle and stages (letters of intent, joint approval), volunteers' services and
//! their voids, service posts opened, their seats claimed and released and the posts
//! withdrawn, members (in no group, a functional branch or a service team) and
//! organisations (units and their party branches) reporting in, members' ledgers
//! corrected (their organisation, group, day, or a field no row reads), rounds made,
//! closed and renamed, volunteers registered, claiming wishes and changing kind,
//! units renamed — every one followed entity by entity (the first of a collection the
//! document lacks is derived whole, and so is an org's credit code corrected by
//! hand, which moves its citywide id). A second community of the same district shares the district
//! rollups.
//!
//! On both stores (issue 15): each side's SQLite file, and with `WISHTREE_TEST_PG`
//! set (`scripts/with-test-pg`) a PostgreSQL database each, the rows compared as
//! rendered by the type each column is declared with.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use proptest::prelude::*;
use std::sync::Arc;

use wishtree_hub::figure_store::FigureStore;
use wishtree_hub::figures::{self, CommunitySync, RAW_TABLES};
use wishtree_hub::sql::{DbExt, Dialect, SqlError, params};
use wishtree_hub::store::{PgStore, SqliteStore};
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::{
    ActivityId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId, RoundId,
    ServiceId, TeamId, VoidId, VolunteerId, VolunteerServiceId, WishId,
};
use wishtree_protocol::model::{
    Actor, EventKind, Member, Org, PostKind, Round, ScoringItem, Share, Volunteer, VolunteerKind,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::view_delta::{Derivation, WholeReason};
use wishtree_protocol::{CommunityDoc, Date};
use wishtree_testkit::community::{fields_of, member_fields};
use wishtree_testkit::postgres::{TEST_PG_VARIABLE, TestDatabase};

/// The tables compared, besides the raw ones.
const DERIVED_TABLES: [&str; 13] = [
    "fig_months",
    "fig_org_months",
    "fig_district_months",
    "fig_district_org_months",
    "fig_district_days",
    "fig_wait_days",
    "fig_district_wait_days",
    "fig_points_ranked",
    "fig_points_ranked_district",
    "fig_district_orgs",
    "fig_market_wishes",
    "fig_market_offers",
    "fig_communities",
];

/// One change to the community, its picks taken modulo what exists.
#[derive(Debug, Clone)]
enum Step {
    SubmitWish {
        in_round: bool,
    },
    WishEvent {
        wish: usize,
        kind: usize,
        by: usize,
    },
    MoveWish {
        wish: usize,
        round: bool,
    },
    RecordService {
        member: usize,
        day: i32,
        minutes: u32,
    },
    Redeem {
        member: usize,
        points: u32,
    },
    VoidService {
        service: usize,
    },
    VoidPoints {
        entry: usize,
    },
    AddActivity {
        day: i32,
        organiser: Option<usize>,
    },
    Participate {
        activity: usize,
        member: usize,
        attended: bool,
    },
    AddPairing {
        org: usize,
        day: i32,
    },
    EndPairing {
        pairing: usize,
    },
    SubmitProject,
    ProjectEvent {
        project: usize,
        kind: usize,
        by: usize,
    },
    SendIntent {
        project: usize,
        org: usize,
        percent: u32,
    },
    ApproveProject {
        project: usize,
        units: usize,
    },
    RecordVolunteerService {
        volunteer: usize,
        day: i32,
        minutes: u32,
    },
    VoidVolunteerService {
        service: usize,
    },
    AddPost {
        seats: u32,
    },
    PostEvent {
        post: usize,
        kind: usize,
        by: usize,
    },
    /// A member reporting in, of an organisation or none, in no group (0), the
    /// branch (1) or the team (2): followed entity by entity, with their place.
    AddMember {
        org: Option<usize>,
        group: usize,
    },
    /// A unit reporting in, or (with `party_of`) a party branch of one.
    AddOrg {
        party_of: Option<usize>,
    },
    /// An existing member's ledger corrected (`UpdateMember`): a field no row reads (0),
    /// their organisation (1, `pick` among the orgs and none), their group (2, `pick`
    /// among none, the branch and the team) or their reported-in day (3).
    EditMember {
        member: usize,
        what: usize,
        pick: usize,
    },
    /// A unit reporting in again (`AddOrg` of its credit code): its name and day
    /// corrected, its citywide id the same — followed, unless its credit code had been
    /// corrected by hand (below), which this puts back.
    EditOrg {
        unit: usize,
        day: i32,
    },
    /// An organisation's credit code corrected by hand: its citywide id, on every row
    /// naming it, moves — derived whole.
    RecodeOrg {
        org: usize,
    },
    AddRound,
    /// A round closed: its last day, which no row reads.
    CloseRound {
        round: usize,
    },
    /// A round renamed by hand (no command renames one): its wishes' rows carry the
    /// name.
    RenameRound {
        round: usize,
    },
    AddVolunteer,
    /// A volunteer's kind corrected by hand (no command edits a registration): the
    /// rows of their wishes and records carry it.
    EditVolunteer {
        volunteer: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any::<bool>().prop_map(|in_round| Step::SubmitWish { in_round }),
        6 => (any::<usize>(), 0..6usize, any::<usize>())
            .prop_map(|(wish, kind, by)| Step::WishEvent { wish, kind, by }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(wish, round)| Step::MoveWish { wish, round }),
        4 => (any::<usize>(), 0..120i32, 0..200u32)
            .prop_map(|(member, day, minutes)| Step::RecordService { member, day, minutes }),
        2 => (any::<usize>(), 1..5u32).prop_map(|(member, points)| Step::Redeem { member, points }),
        2 => any::<usize>().prop_map(|service| Step::VoidService { service }),
        1 => any::<usize>().prop_map(|entry| Step::VoidPoints { entry }),
        2 => (0..120i32, proptest::option::of(any::<usize>()))
            .prop_map(|(day, organiser)| Step::AddActivity { day, organiser }),
        4 => (any::<usize>(), any::<usize>(), any::<bool>())
            .prop_map(|(activity, member, attended)| Step::Participate { activity, member, attended }),
        3 => (proptest::option::of(any::<usize>()), prop_oneof![3 => Just(0usize), 1 => 1..3usize])
            .prop_map(|(org, group)| Step::AddMember { org, group }),
        2 => proptest::option::of(any::<usize>()).prop_map(|party_of| Step::AddOrg { party_of }),
        1 => Just(Step::AddRound),
        2 => (any::<usize>(), 0..120i32).prop_map(|(unit, day)| Step::EditOrg { unit, day }),
        1 => any::<usize>().prop_map(|org| Step::RecodeOrg { org }),
        1 => any::<usize>().prop_map(|round| Step::CloseRound { round }),
        1 => any::<usize>().prop_map(|round| Step::RenameRound { round }),
        // Their organisation, which the most rows read, half the time.
        4 => (any::<usize>(), prop_oneof![Just(1usize), 0..4usize], any::<usize>())
            .prop_map(|(member, what, pick)| Step::EditMember { member, what, pick }),
        1 => any::<usize>().prop_map(|volunteer| Step::EditVolunteer { volunteer }),
        2 => (any::<usize>(), 0..120i32).prop_map(|(org, day)| Step::AddPairing { org, day }),
        1 => any::<usize>().prop_map(|pairing| Step::EndPairing { pairing }),
        2 => Just(Step::SubmitProject),
        4 => (any::<usize>(), 0..9usize, any::<usize>())
            .prop_map(|(project, kind, by)| Step::ProjectEvent { project, kind, by }),
        2 => (any::<usize>(), any::<usize>(), 1..34u32)
            .prop_map(|(project, org, percent)| Step::SendIntent { project, org, percent }),
        2 => (any::<usize>(), 1..4usize)
            .prop_map(|(project, units)| Step::ApproveProject { project, units }),
        2 => (any::<usize>(), 0..120i32, 1..200u32).prop_map(|(volunteer, day, minutes)| {
            Step::RecordVolunteerService { volunteer, day, minutes }
        }),
        1 => any::<usize>().prop_map(|service| Step::VoidVolunteerService { service }),
        1 => (1..4u32).prop_map(|seats| Step::AddPost { seats }),
        4 => (any::<usize>(), 0..4usize, any::<usize>())
            .prop_map(|(post, kind, by)| Step::PostEvent { post, kind, by }),
        1 => Just(Step::AddVolunteer),
    ]
}

/// The community being changed, with what its steps pick from.
struct Community {
    writer: Writer,
    orgs: Vec<OrgId>,
    members: Vec<MemberId>,
    wishes: Vec<WishId>,
    rounds: Vec<RoundId>,
    services: Vec<ServiceId>,
    entries: Vec<PointsEntryId>,
    activities: Vec<ActivityId>,
    pairings: Vec<PairingId>,
    projects: Vec<ProjectId>,
    volunteers: Vec<VolunteerId>,
    volunteer_services: Vec<VolunteerServiceId>,
    posts: Vec<PostId>,
    /// Units reported in (their credit codes are `credit_code(0..units)`).
    units: u32,
    /// The functional branch and the service team a new member may be placed in.
    branch: BranchId,
    team: TeamId,
    /// The last step made a collection the document did not have.
    made_collection: bool,
    /// The last step changed what the view's whole derivation must follow.
    expect_whole: bool,
    minute: i64,
}

impl Community {
    fn new() -> Self {
        let mut writer = Writer::new(code("130903001001"), "名人社区", 11, at_minute(0));
        let orgs: Vec<OrgId> = (0..2)
            .map(|n| {
                writer.add_org(
                    credit_code(n),
                    "沧州市发改委党组",
                    Some(date("2026-01-05")),
                    at_minute(1),
                )
            })
            .collect();
        let members = (0..4)
            .map(|n| {
                let org = (n % 3 != 2).then(|| orgs[n % orgs.len()]);
                writer.add_member(org, date("2026-02-01"), at_minute(2))
            })
            .collect();
        let rounds = vec![writer.add_round(
            "第一批",
            date("2026-01-01"),
            Some(date("2026-06-30")),
            at_minute(3),
        )];
        let branch = BranchId::from_bytes(writer.ids.bytes());
        writer.run(
            Command::AddBranch {
                id: branch,
                name: Name::parse("name", "名人社区楼栋功能型党支部").unwrap(),
                secretary: None,
                founded_on: date("2026-01-05"),
            },
            at_minute(4),
        );
        let team = TeamId::from_bytes(writer.ids.bytes());
        writer.run(
            Command::AddTeam {
                id: team,
                name: Name::parse("name", "法律援助服务队").unwrap(),
                focus: Label::parse("focus", "法律援助").unwrap(),
            },
            at_minute(5),
        );
        Self {
            writer,
            orgs,
            members,
            wishes: Vec::new(),
            rounds,
            services: Vec::new(),
            entries: Vec::new(),
            activities: Vec::new(),
            pairings: Vec::new(),
            projects: Vec::new(),
            volunteers: Vec::new(),
            volunteer_services: Vec::new(),
            posts: Vec::new(),
            units: 2,
            branch,
            team,
            made_collection: false,
            expect_whole: false,
            minute: 10,
        }
    }

    fn pick<T: Copy>(list: &[T], n: usize) -> Option<T> {
        (!list.is_empty()).then(|| list[n % list.len()])
    }

    /// Applies a step; a command the document refuses (a claim of a withdrawn wish,
    /// a redemption beyond the balance) changes nothing.
    fn apply(&mut self, step: &Step) {
        self.made_collection = false;
        self.expect_whole = false;
        self.minute += 60 * 7;
        let at = at_minute(self.minute);
        let day = |offset: i32| Date::from_days(date("2026-01-01").to_days() + offset);
        let mut new_id = || self.writer.ids.bytes();
        let command = match step.clone() {
            Step::SubmitWish { in_round } => {
                let id = self.writer.submit_wish(at);
                self.wishes.push(id);
                if in_round && let Some(round) = self.rounds.first().copied() {
                    Command::MoveWishToRound {
                        id,
                        round: Some(round),
                    }
                } else {
                    return;
                }
            }
            Step::WishEvent { wish, kind, by } => {
                let Some(id) = Self::pick(&self.wishes, wish) else {
                    return;
                };
                let kind = [
                    EventKind::Publish,
                    EventKind::Claim,
                    EventKind::Fulfil,
                    EventKind::Withdraw,
                    EventKind::Release,
                    EventKind::Claim,
                ][kind];
                let volunteer = Self::pick(&self.volunteers, by).filter(|_| by % 5 == 4);
                let by = match (kind, by % 3, volunteer) {
                    (EventKind::Claim | EventKind::Release | EventKind::Fulfil, _, Some(v)) => {
                        Actor::Volunteer(v)
                    }
                    (EventKind::Claim | EventKind::Release, 0, _) => {
                        Actor::Org(self.orgs[by % self.orgs.len()])
                    }
                    (EventKind::Claim | EventKind::Release | EventKind::Fulfil, _, _) => {
                        Actor::Member(self.members[by % self.members.len()])
                    }
                    _ => worker(),
                };
                Command::WishEvent {
                    id,
                    kind,
                    by,
                    note: wishtree_testkit::community::note_for(kind),
                }
            }
            Step::MoveWish { wish, round } => {
                let Some(id) = Self::pick(&self.wishes, wish) else {
                    return;
                };
                Command::MoveWishToRound {
                    id,
                    round: round.then(|| self.rounds[wish % self.rounds.len()]),
                }
            }
            Step::RecordService {
                member,
                day: offset,
                minutes,
            } => {
                let id = ServiceId::from_bytes(new_id());
                self.services.push(id);
                Command::RecordService {
                    id,
                    member: self.members[member % self.members.len()],
                    date: day(offset),
                    minutes,
                    category: PostKind::Aid,
                    item: ScoringItem::Other,
                    description: Detail::parse("description", "探访").unwrap(),
                }
            }
            Step::Redeem { member, points } => {
                let id = PointsEntryId::from_bytes(new_id());
                self.entries.push(id);
                Command::Redeem {
                    id,
                    member: self.members[member % self.members.len()],
                    points,
                    reason: Label::parse("reason", "兑换").unwrap(),
                }
            }
            Step::VoidService { service } => {
                let Some(service) = Self::pick(&self.services, service) else {
                    return;
                };
                Command::VoidService {
                    id: VoidId::from_bytes(new_id()),
                    service,
                    reason: Label::parse("reason", "录入错误").unwrap(),
                }
            }
            Step::VoidPoints { entry } => {
                let Some(entry) = Self::pick(&self.entries, entry) else {
                    return;
                };
                Command::VoidPoints {
                    id: VoidId::from_bytes(new_id()),
                    entry,
                    reason: Label::parse("reason", "录入错误").unwrap(),
                }
            }
            Step::AddActivity {
                day: offset,
                organiser,
            } => {
                let organiser = organiser.map(|n| self.orgs[n % self.orgs.len()]);
                let id = self.writer.add_activity(day(offset), 90, organiser, at);
                self.activities.push(id);
                return;
            }
            Step::Participate {
                activity,
                member,
                attended,
            } => {
                let Some(activity) = Self::pick(&self.activities, activity) else {
                    return;
                };
                let member = self.members[member % self.members.len()];
                // A worker's confirmation is attendance, with a service record of
                // the activity (which a void may cancel); a sign-up is not.
                if attended {
                    self.services
                        .push(ServiceRecordId::for_participation(activity, member));
                    Command::AddParticipant { activity, member }
                } else {
                    Command::SignUp { activity, member }
                }
            }
            Step::AddMember { org, group } => {
                let org = org.map(|n| self.orgs[n % self.orgs.len()]);
                let id = MemberId::from_bytes(new_id());
                self.members.push(id);
                Command::AddMember {
                    id,
                    member: MemberFields {
                        branch: (group == 1).then_some(self.branch),
                        team: (group == 2).then_some(self.team),
                        ..member_fields(org, day(self.members.len() as i32 * 7))
                    },
                }
            }
            Step::AddOrg { party_of: None } => {
                let id = self.writer.add_org(
                    credit_code(self.units),
                    "沧州市教育局党组",
                    Some(day(3 + self.orgs.len() as i32 * 11)),
                    at,
                );
                self.units += 1;
                self.orgs.push(id);
                return;
            }
            Step::AddOrg {
                party_of: Some(unit),
            } => {
                let party_org = format!("第{}党支部", self.orgs.len());
                let id = self.writer.add_party_org(
                    credit_code(unit as u32 % self.units),
                    "沧州市发改委",
                    &party_org,
                    Some(day(2 + self.orgs.len() as i32 * 13)),
                    at,
                );
                self.orgs.push(id);
                return;
            }
            Step::AddRound => {
                let name = format!("第{}批", self.rounds.len() + 1);
                let opens = day(200 + self.rounds.len() as i32 * 30);
                let closes = Date::from_days(opens.to_days() + 29);
                let id = self.writer.add_round(&name, opens, Some(closes), at);
                self.rounds.push(id);
                return;
            }
            Step::AddPairing { org, day: offset } => {
                let org = self.orgs[org % self.orgs.len()];
                let id = self.writer.add_pairing(org, day(offset), at);
                self.pairings.push(id);
                return;
            }
            Step::EndPairing { pairing } => {
                let Some(id) = Self::pick(&self.pairings, pairing) else {
                    return;
                };
                Command::EndPairing {
                    id,
                    note: Detail::parse("note", "协议到期").unwrap(),
                }
            }
            Step::SubmitProject => {
                let id = self.writer.submit_project(at);
                self.projects.push(id);
                return;
            }
            Step::ProjectEvent { project, kind, by } => {
                let Some(id) = Self::pick(&self.projects, project) else {
                    return;
                };
                let kind = [
                    EventKind::Publish,
                    EventKind::Claim,
                    EventKind::Fulfil,
                    EventKind::Withdraw,
                    EventKind::Release,
                    EventKind::Start,
                    EventKind::Terminate,
                    EventKind::Reject,
                    EventKind::Claim,
                ][kind];
                let by = match kind {
                    EventKind::Claim | EventKind::Release if by % 3 != 0 => {
                        Actor::Org(self.orgs[by % self.orgs.len()])
                    }
                    _ => worker(),
                };
                Command::ProjectEvent {
                    id,
                    kind,
                    by,
                    note: wishtree_testkit::community::note_for(kind),
                }
            }
            Step::SendIntent {
                project,
                org,
                percent,
            } => {
                let Some(id) = Self::pick(&self.projects, project) else {
                    return;
                };
                let Some(share) = Share::from_percent(percent) else {
                    return;
                };
                Command::SendIntent {
                    id,
                    unit: self.orgs[org % self.orgs.len()],
                    share,
                    note: Detail::parse("note", "提供材料").unwrap(),
                }
            }
            Step::ApproveProject { project, units } => {
                let Some(id) = Self::pick(&self.projects, project) else {
                    return;
                };
                let units = self.orgs.iter().copied().take(units).collect();
                Command::ApproveProject {
                    id,
                    units,
                    note: Detail::parse("note", "").unwrap(),
                }
            }
            Step::RecordVolunteerService {
                volunteer,
                day: offset,
                minutes,
            } => {
                let Some(volunteer) = Self::pick(&self.volunteers, volunteer) else {
                    return;
                };
                let id = self
                    .writer
                    .record_volunteer_service(volunteer, day(offset), minutes, at);
                self.volunteer_services.push(id);
                self.made_collection = self.volunteer_services.len() == 1;
                return;
            }
            Step::VoidVolunteerService { service } => {
                let Some(service) = Self::pick(&self.volunteer_services, service) else {
                    return;
                };
                Command::VoidVolunteerService {
                    id: VoidId::from_bytes(new_id()),
                    service,
                    reason: Label::parse("reason", "录入错误").unwrap(),
                }
            }
            Step::AddPost { seats } => {
                let id = PostId::from_bytes(new_id());
                self.posts.push(id);
                self.made_collection = self.posts.len() == 1;
                Command::AddPost {
                    id,
                    kind: PostKind::Aid,
                    title: Title::parse("title", "楼栋长").unwrap(),
                    detail: Detail::parse("detail", "联系本楼住户").unwrap(),
                    seats,
                }
            }
            Step::PostEvent { post, kind, by } => {
                let Some(id) = Self::pick(&self.posts, post) else {
                    return;
                };
                let kind = [
                    EventKind::Claim,
                    EventKind::Release,
                    EventKind::Claim,
                    EventKind::Withdraw,
                ][kind];
                let by = match (kind, by % 3) {
                    (EventKind::Withdraw, _) => worker(),
                    (_, 0) => Actor::Org(self.orgs[by % self.orgs.len()]),
                    _ => Actor::Member(self.members[by % self.members.len()]),
                };
                Command::PostEvent {
                    id,
                    kind,
                    by,
                    note: wishtree_testkit::community::note_for(kind),
                }
            }
            Step::EditMember { member, what, pick } => {
                let id = self.members[member % self.members.len()];
                let Ok(Some(now)) = self.writer.doc.entity::<Member>(id) else {
                    return;
                };
                let mut fields = fields_of(&now);
                match what {
                    0 => {
                        fields.position =
                            Label::parse("position", &format!("科员{}", self.minute)).unwrap()
                    }
                    1 => fields.org = self.orgs.get(pick % (self.orgs.len() + 1)).copied(),
                    2 => {
                        fields.branch = (pick % 3 == 1).then_some(self.branch);
                        fields.team = (pick % 3 == 2).then_some(self.team);
                    }
                    _ => fields.reported_in = day(40 + (pick % 50) as i32),
                }
                Command::UpdateMember { id, member: fields }
            }
            Step::EditOrg { unit, day: offset } => {
                let code = credit_code(unit as u32 % self.units);
                let id = Org::id_for(&code);
                let Ok(Some(now)) = self.writer.doc.entity::<Org>(id) else {
                    return;
                };
                self.expect_whole = now.credit_code != code;
                self.writer.add_org(
                    code,
                    &format!("沧州市发改委党组{offset}"),
                    Some(day(offset)),
                    at,
                );
                return;
            }
            Step::RecodeOrg { org } => {
                let id = self.orgs[org % self.orgs.len()];
                let Ok(Some(mut edited)) = self.writer.doc.entity::<Org>(id) else {
                    return;
                };
                edited.credit_code = credit_code(500 + org as u32 % 7);
                self.expect_whole = true;
                self.writer.doc.put_entity(id, &edited).unwrap();
                self.writer.doc.commit(at);
                return;
            }
            Step::CloseRound { round } => Command::CloseRound {
                id: self.rounds[round % self.rounds.len()],
            },
            Step::RenameRound { round } => {
                let id = self.rounds[round % self.rounds.len()];
                let Ok(Some(mut edited)) = self.writer.doc.entity::<Round>(id) else {
                    return;
                };
                edited.name = format!("{}（更正{}）", edited.name, self.minute);
                self.writer.doc.put_entity(id, &edited).unwrap();
                self.writer.doc.commit(at);
                return;
            }
            Step::EditVolunteer { volunteer } => {
                let Some(id) = Self::pick(&self.volunteers, volunteer) else {
                    return;
                };
                let Ok(Some(mut edited)) = self.writer.doc.entity::<Volunteer>(id) else {
                    return;
                };
                edited.kind = match edited.kind {
                    VolunteerKind::Retired => VolunteerKind::Student,
                    VolunteerKind::Student => VolunteerKind::Resident,
                    VolunteerKind::Resident => VolunteerKind::Retired,
                };
                edited.registered_on = day(volunteer as i32 % 90);
                self.writer.doc.put_entity(id, &edited).unwrap();
                self.writer.doc.commit(at);
                return;
            }
            Step::AddVolunteer => {
                // Of each kind in turn: the kind is on the rows of their records.
                let kind = [
                    VolunteerKind::Retired,
                    VolunteerKind::Student,
                    VolunteerKind::Resident,
                ][self.volunteers.len() % 3];
                let id = self.writer.add_volunteer(kind, day(5), at);
                self.volunteers.push(id);
                self.made_collection = self.volunteers.len() == 1;
                return;
            }
        };
        if self.writer.doc.execute(&command, &worker(), at).is_err() {
            self.writer.doc.rollback();
        }
    }
}

/// The id of the service record a worker's confirmation of attendance writes.
struct ServiceRecordId;

impl ServiceRecordId {
    fn for_participation(activity: ActivityId, member: MemberId) -> ServiceId {
        wishtree_protocol::model::ServiceRecord::id_for_participation(activity, member)
    }
}

fn sync() -> CommunitySync {
    CommunitySync {
        last_seen_at: Some(NOW),
        changed_at: Some(NOW),
        changes: 3,
        attested_changes: 1,
        ..CommunitySync::default()
    }
}

/// Re-derives the whole community in `store`.
fn rederive_whole(store: &FigureStore, doc: &CommunityDoc) {
    let view = CommunityView::derive(doc).unwrap();
    store
        .write(|db| figures::rederive_community(db, doc.code(), &view, &sync()))
        .unwrap();
}

/// Which database the two sides derive into.
#[derive(Debug, Clone, Copy)]
enum Backend {
    /// A lone hub's SQLite file each.
    Sqlite,
    /// A PostgreSQL database each, in the cluster `WISHTREE_TEST_PG` names.
    Postgres,
}

/// The two sides' figure tables: one derived entity by entity, one whole.
struct Sides {
    by_entity: FigureStore,
    whole: FigureStore,
    _dir: tempfile::TempDir,
    /// Dropped after the stores, which hold connections to them.
    _databases: Vec<TestDatabase>,
}

impl Sides {
    fn open(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let open = |name: &str| {
                    FigureStore::Local(Arc::new(SqliteStore::open(&dir.path().join(name)).unwrap()))
                };
                Self {
                    by_entity: open("by_entity.sqlite"),
                    whole: open("whole.sqlite"),
                    _dir: dir,
                    _databases: Vec::new(),
                }
            }
            Backend::Postgres => {
                let databases: Vec<TestDatabase> = (0..2)
                    .map(|_| TestDatabase::create(PG_TEST).expect("the cluster was found"))
                    .collect();
                let open = |database: &TestDatabase| {
                    FigureStore::Shared(Arc::new(PgStore::open(database.url()).unwrap()))
                };
                Self {
                    by_entity: open(&databases[0]),
                    whole: open(&databases[1]),
                    _dir: dir,
                    _databases: databases,
                }
            }
        }
    }
}

/// Every row of a table, each rendered the same on either database (every column read
/// as the type it is declared with), in a fixed order.
fn rows_of(store: &FigureStore, table: &str) -> Vec<String> {
    store
        .read(|db| {
            let columns = match db.dialect() {
                Dialect::Sqlite => "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid",
                Dialect::Postgres => {
                    "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT)
                     FROM information_schema.columns
                     WHERE table_schema = current_schema() AND CAST(table_name AS TEXT) = ?1
                     ORDER BY ordinal_position"
                }
            };
            let columns: Vec<String> = db.query_map(columns, params![table], |row| {
                Ok(row.get::<String>(1)?.to_ascii_lowercase())
            })?;
            let mut rows = db.query_map(&format!("SELECT * FROM {table}"), params![], |row| {
                let mut values = Vec::with_capacity(columns.len());
                for (index, declared) in columns.iter().enumerate() {
                    let value = if declared.contains("int") {
                        row.get::<Option<i64>>(index)?.map(|v| v.to_string())
                    } else if declared.contains("text") || declared.contains("char") {
                        row.get::<Option<String>>(index)?.map(|v| format!("{v:?}"))
                    } else if declared.contains("blob") || declared.contains("bytea") {
                        row.get::<Option<Vec<u8>>>(index)?
                            .map(|v| format!("{v:02x?}"))
                    } else if declared.contains("real") || declared.contains("doub") {
                        row.get::<Option<f64>>(index)?.map(|v| v.to_string())
                    } else {
                        panic!("{table} has a column declared {declared}");
                    };
                    values.push(value.unwrap_or_else(|| "NULL".to_owned()));
                }
                Ok(values.join(", "))
            })?;
            rows.sort();
            Ok::<_, SqlError>(rows)
        })
        .unwrap()
}

fn check_sequence(steps: Vec<Step>) -> Result<(), TestCaseError> {
    check_sequence_on(steps, Backend::Sqlite)
}

fn check_sequence_on(steps: Vec<Step>, backend: Backend) -> Result<(), TestCaseError> {
    let sides = Sides::open(backend);
    let (by_entity, whole) = (&sides.by_entity, &sides.whole);
    // A neighbour in the same district, so the district rollups sum two communities.
    let mut neighbour = Writer::new(code("130903001002"), "行宫社区", 12, at_minute(0));
    let member = neighbour.add_member(None, date("2026-02-01"), at_minute(1));
    neighbour.record_service(member, date("2026-01-20"), 30, at_minute(2));
    let wish = neighbour.submit_wish(at_minute(3));
    neighbour.wish_event(wish, EventKind::Publish, worker(), at_minute(4));
    for store in [by_entity, whole] {
        rederive_whole(store, &neighbour.doc);
    }

    let mut community = Community::new();
    // No earlier heads: the whole view.
    let first = Derivation::since(&mut community.writer.doc, &[]).unwrap();
    let first_is_whole = matches!(
        first,
        Derivation::Whole {
            reason: WholeReason::NoEarlierHeads,
            ..
        }
    );
    prop_assert!(first_is_whole, "no earlier heads, yet not the whole view");
    rederive_whole(by_entity, &community.writer.doc);
    let mut heads = community.writer.doc.heads();

    for (number, step) in steps.iter().enumerate() {
        community.apply(step);
        let doc = &mut community.writer.doc;
        let now = doc.heads();
        if now == heads {
            continue;
        }
        match Derivation::since(doc, &heads).unwrap() {
            Derivation::Entities(delta) => {
                prop_assert!(
                    !community.expect_whole,
                    "step {number} {step:?} was followed"
                );
                by_entity
                    .write(|db| figures::rederive_entities(db, doc.code(), &delta, &sync()))
                    .unwrap();
            }
            Derivation::Whole { view, reason } => {
                // The first of a kind of record may make its collection at the root (a
                // document made before volunteers has none), which is read whole.
                let made =
                    community.made_collection && matches!(reason, WholeReason::Collection(_));
                prop_assert!(
                    made || community.expect_whole,
                    "step {number} {step:?}: {reason:?}"
                );
                by_entity
                    .write(|db| figures::rederive_community(db, doc.code(), &view, &sync()))
                    .unwrap();
            }
        }
        heads = now;
        rederive_whole(whole, doc);
        for table in RAW_TABLES.iter().chain(&DERIVED_TABLES) {
            prop_assert_eq!(
                rows_of(by_entity, table),
                rows_of(whole, table),
                "{} after step {} {:?}",
                table,
                number,
                step
            );
        }
    }
    Ok(())
}

/// The test's name where PostgreSQL is missing.
const PG_TEST: &str = "by-entity property test on PostgreSQL";

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 300, ..ProptestConfig::default() })]

    #[test]
    fn by_entity_equals_whole_after_every_step(steps in proptest::collection::vec(step(), 1..40)) {
        check_sequence(steps)?;
    }
}

/// The same sequences with both sides' figures in PostgreSQL, a database each per
/// case. Fewer cases (about 20 s in all): PostgreSQL is a round trip per statement.
#[test]
fn by_entity_equals_whole_after_every_step_on_postgres() {
    // Without a cluster the test is skipped loudly, or fails when every test must run,
    // once and before any case: a panic inside a case would be shrunk as a failure.
    if std::env::var(TEST_PG_VARIABLE).is_err() {
        let _skipped = TestDatabase::create(PG_TEST);
        return;
    }
    let config = ProptestConfig {
        cases: 10,
        max_shrink_iters: 30,
        ..ProptestConfig::default()
    };
    proptest!(config, |(steps in proptest::collection::vec(step(), 1..40))| {
        check_sequence_on(steps, Backend::Postgres)?;
    });
}

/// A few steps every run takes, whatever proptest draws: a claim, a service voided, a
/// participation voided, a redemption voided.
#[test]
fn a_fixed_sequence_by_entity_equals_whole() {
    check_sequence(vec![
        Step::SubmitWish { in_round: true },
        Step::WishEvent {
            wish: 0,
            kind: 0,
            by: 0,
        },
        Step::WishEvent {
            wish: 0,
            kind: 1,
            by: 1,
        },
        Step::RecordService {
            member: 0,
            day: 3,
            minutes: 60,
        },
        Step::RecordService {
            member: 1,
            day: 40,
            minutes: 30,
        },
        Step::VoidService { service: 0 },
        Step::AddActivity {
            day: 9,
            organiser: Some(1),
        },
        Step::Participate {
            activity: 0,
            member: 2,
            attended: true,
        },
        Step::Participate {
            activity: 0,
            member: 3,
            attended: false,
        },
        Step::VoidService { service: 2 },
        Step::Redeem {
            member: 1,
            points: 1,
        },
        Step::VoidPoints { entry: 0 },
        Step::AddMember {
            org: Some(0),
            group: 0,
        },
        Step::WishEvent {
            wish: 0,
            kind: 2,
            by: 1,
        },
    ])
    .unwrap();
}

/// A project taken jointly through its stages (its units and credits rewritten at each
/// step), a volunteer's service recorded and voided, a post's seats claimed by a
/// member and an organisation and one released, the post withdrawn, and a pairing
/// made and ended, each step but the volunteer's registration followed entity by
/// entity.
#[test]
fn a_joint_project_a_post_a_pairing_and_a_volunteer_s_service_by_entity_equal_whole() {
    let project = |kind| Step::ProjectEvent {
        project: 0,
        kind,
        by: 0,
    };
    check_sequence(vec![
        Step::SubmitProject,
        project(0),
        Step::SendIntent {
            project: 0,
            org: 0,
            percent: 30,
        },
        Step::SendIntent {
            project: 0,
            org: 1,
            percent: 20,
        },
        Step::ApproveProject {
            project: 0,
            units: 2,
        },
        project(5),
        project(2),
        Step::AddVolunteer,
        Step::RecordVolunteerService {
            volunteer: 0,
            day: 30,
            minutes: 90,
        },
        Step::VoidVolunteerService { service: 0 },
        Step::AddPost { seats: 2 },
        Step::PostEvent {
            post: 0,
            kind: 0,
            by: 1,
        },
        Step::PostEvent {
            post: 0,
            kind: 0,
            by: 3,
        },
        Step::PostEvent {
            post: 0,
            kind: 1,
            by: 1,
        },
        Step::PostEvent {
            post: 0,
            kind: 3,
            by: 0,
        },
        Step::AddPairing { org: 1, day: 12 },
        Step::AddPairing { org: 0, day: 70 },
        Step::EndPairing { pairing: 0 },
        Step::SubmitProject,
        project(1),
    ])
    .unwrap();
}

/// Units and a party branch reporting in, members reporting in to them (one in no
/// organisation), each followed entity by entity, and working at once, members placed
/// in the branch or the team on reporting in too.
#[test]
fn members_and_orgs_reporting_in_by_entity_equal_whole() {
    check_sequence(vec![
        Step::AddOrg { party_of: None },
        Step::AddMember {
            org: Some(2),
            group: 0,
        },
        Step::RecordService {
            member: 4,
            day: 20,
            minutes: 45,
        },
        Step::AddOrg { party_of: Some(0) },
        Step::AddMember {
            org: Some(3),
            group: 0,
        },
        Step::AddMember {
            org: None,
            group: 0,
        },
        Step::AddMember {
            org: Some(3),
            group: 1,
        },
        Step::AddMember {
            org: Some(0),
            group: 2,
        },
        Step::SubmitWish { in_round: false },
        Step::WishEvent {
            wish: 0,
            kind: 0,
            by: 0,
        },
        Step::WishEvent {
            wish: 0,
            kind: 1,
            by: 5,
        },
        Step::AddPost { seats: 2 },
        Step::PostEvent {
            post: 0,
            kind: 0,
            by: 5,
        },
    ])
    .unwrap();
}

/// Existing members, rounds, volunteers and orgs edited, each followed entity by
/// entity (an org's credit code corrected is derived whole, and so is putting it back): a
/// member holding a wish, a service, a passbook entry, a participation and a seat
/// moves to another organisation, to none, into the branch, to another day and has a
/// field no row reads corrected; a round with a wish is renamed and closed; a
/// volunteer holding a wish and a service record changes kind; a unit with a pairing is
/// renamed.
#[test]
fn members_rounds_volunteers_and_orgs_edited_by_entity_equal_whole() {
    let edit = |what, pick| Step::EditMember {
        member: 1,
        what,
        pick,
    };
    let claim = |wish, by| Step::WishEvent { wish, kind: 1, by };
    let publish = |wish| Step::WishEvent {
        wish,
        kind: 0,
        by: 0,
    };
    check_sequence(vec![
        Step::SubmitWish { in_round: true },
        publish(0),
        claim(0, 1),
        Step::RecordService {
            member: 1,
            day: 20,
            minutes: 60,
        },
        Step::Redeem {
            member: 1,
            points: 1,
        },
        Step::AddActivity {
            day: 30,
            organiser: None,
        },
        Step::Participate {
            activity: 0,
            member: 1,
            attended: true,
        },
        Step::AddPost { seats: 2 },
        Step::PostEvent {
            post: 0,
            kind: 0,
            by: 1,
        },
        edit(1, 0),
        edit(0, 0),
        edit(2, 1),
        edit(3, 7),
        edit(1, 2),
        edit(1, 1),
        Step::RenameRound { round: 0 },
        Step::CloseRound { round: 0 },
        Step::AddRound,
        Step::AddVolunteer,
        Step::SubmitWish { in_round: false },
        publish(1),
        claim(1, 4),
        Step::RecordVolunteerService {
            volunteer: 0,
            day: 10,
            minutes: 30,
        },
        Step::EditVolunteer { volunteer: 0 },
        Step::EditVolunteer { volunteer: 0 },
        Step::AddPairing { org: 1, day: 12 },
        Step::EditOrg { unit: 1, day: 50 },
        Step::RecodeOrg { org: 1 },
        Step::EditOrg { unit: 1, day: 60 },
        Step::EditOrg { unit: 1, day: 70 },
    ])
    .unwrap();
}
