//! Service posts with their seats, functional branches and service teams in the hub's
//! figures (issue 14, item 8): a region counts its posts, their seats and the seats
//! held; a unit counts the seats it or its members hold and its members' places in
//! branches and teams; a period ends before a post or group was made leaves it out; a
//! withdrawn post and a released seat no longer count; the JSON, the CSV and the
//! dashboard say them.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::figures::{self, Filter, GroupFigures, OrgScope, Period, PostFigures};
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::{BranchId, MemberId, OrgId, PostId, TeamId};
use wishtree_protocol::model::{Actor, EventKind, PostKind};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::CommunityView;
use wishtree_testkit::community::{Writer, credit_code, fields_of, note};

const DAY: i64 = 60 * 24;

/// One community's posts and groups, as the test builds them.
struct Ledger {
    writer: Writer,
    unit: OrgId,
    other: OrgId,
    /// Two members of `unit`, one of `other`.
    members: [MemberId; 3],
    /// 3 seats: the unit itself and its first member hold one each.
    aid: PostId,
    /// 2 seats: `other`'s member holds one.
    patrol: PostId,
}

impl Ledger {
    fn new() -> Self {
        let mut writer = Writer::new(code("130903001001"), "名人社区", 81, at_minute(0));
        let unit = writer.add_org(credit_code(1), "市发改委机关党委", None, at_minute(1));
        let other = writer.add_org(credit_code(2), "移动公司党委", None, at_minute(2));
        let members = [
            writer.add_member(Some(unit), date("2026-01-02"), at_minute(3)),
            writer.add_member(Some(unit), date("2026-01-02"), at_minute(4)),
            writer.add_member(Some(other), date("2026-01-02"), at_minute(5)),
        ];
        let aid = add_post(&mut writer, 3, at_minute(10 * DAY));
        let patrol = add_post(&mut writer, 2, at_minute(40 * DAY));
        post_event(&mut writer, aid, EventKind::Claim, Actor::Org(unit), 11);
        post_event(
            &mut writer,
            aid,
            EventKind::Claim,
            Actor::Member(members[0]),
            12,
        );
        post_event(
            &mut writer,
            patrol,
            EventKind::Claim,
            Actor::Member(members[2]),
            41,
        );

        // A branch founded in January with both of the unit's members, a team made on
        // day 50 with the unit's first member and the other unit's.
        let branch = BranchId::from_bytes(writer.ids.bytes());
        writer.run(
            Command::AddBranch {
                id: branch,
                name: Name::parse("name", "名人社区楼栋功能型党支部").unwrap(),
                secretary: None,
                founded_on: date("2026-01-05"),
            },
            at_minute(4 * DAY),
        );
        let team = TeamId::from_bytes(writer.ids.bytes());
        writer.run(
            Command::AddTeam {
                id: team,
                name: Name::parse("name", "法律援助服务队").unwrap(),
                focus: Label::parse("focus", "法律援助").unwrap(),
            },
            at_minute(50 * DAY),
        );
        let mut ledger = Ledger {
            writer,
            unit,
            other,
            members,
            aid,
            patrol,
        };
        ledger.place(0, Some(branch), Some(team));
        ledger.place(1, Some(branch), None);
        ledger.place(2, None, Some(team));
        ledger
    }

    /// Puts member `index` in a branch and a team.
    fn place(&mut self, index: usize, branch: Option<BranchId>, team: Option<TeamId>) {
        let view = CommunityView::derive(&self.writer.doc).unwrap();
        let member = view.members[&self.members[index]].clone();
        self.writer.run(
            Command::UpdateMember {
                id: self.members[index],
                member: MemberFields {
                    branch,
                    team,
                    ..fields_of(&member)
                },
            },
            at_minute(60 * DAY + index as i64),
        );
    }
}

fn add_post(writer: &mut Writer, seats: u32, at: wishtree_protocol::Timestamp) -> PostId {
    let id = PostId::from_bytes(writer.ids.bytes());
    writer.run(
        Command::AddPost {
            id,
            kind: PostKind::Aid,
            title: Title::parse("title", "帮扶岗").unwrap(),
            detail: Detail::parse("detail", "每周探访独居老人").unwrap(),
            seats,
        },
        at,
    );
    id
}

fn post_event(writer: &mut Writer, post: PostId, kind: EventKind, by: Actor, day: i64) {
    writer.run(
        Command::PostEvent {
            id: post,
            kind,
            by,
            note: note(),
        },
        at_minute(day * DAY),
    );
}

fn figures_of(database: &std::path::Path, org: Option<OrgId>, period: Period) -> figures::Figures {
    scoped(database, org.map(OrgScope::PartyOrg), period)
}

fn scoped(database: &std::path::Path, org: Option<OrgScope>, period: Period) -> figures::Figures {
    let connection = rusqlite::Connection::open(database).unwrap();
    let filter = Filter {
        region: region("1309"),
        period,
        org,
        round: None,
    };
    figures::figures(&connection, &filter, NOW).unwrap()
}

fn delivered(ledger: &Ledger) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    deliver(&database, &ledger.writer.doc, Some(NOW));
    (dir, database)
}

#[test]
fn a_region_counts_its_posts_seats_held_branches_and_teams() {
    let ledger = Ledger::new();
    let (_dir, database) = delivered(&ledger);
    let city = figures_of(&database, None, Period::all());
    assert_eq!(
        city.posts,
        PostFigures {
            posts: 2,
            seats: 5,
            seats_held: 3
        }
    );
    assert_eq!(
        city.groups,
        GroupFigures {
            branches: 1,
            branch_members: 2,
            teams: 1,
            team_members: 2
        }
    );
}

#[test]
fn a_unit_counts_the_seats_it_and_its_members_hold_and_its_members_places() {
    let ledger = Ledger::new();
    let (_dir, database) = delivered(&ledger);
    let unit = figures_of(&database, Some(ledger.unit), Period::all());
    assert_eq!(
        unit.posts,
        PostFigures {
            posts: 1,
            seats: 3,
            seats_held: 2
        },
        "the unit's own seat and its member's, both in the aid post"
    );
    assert_eq!(
        unit.groups,
        GroupFigures {
            branches: 1,
            branch_members: 2,
            teams: 1,
            team_members: 1
        }
    );
    // The unit by its credit code: its one party organisation's seats and places.
    let by_code = scoped(
        &database,
        Some(OrgScope::Unit(credit_code(1))),
        Period::all(),
    );
    assert_eq!((by_code.posts, by_code.groups), (unit.posts, unit.groups));
    let other = figures_of(&database, Some(ledger.other), Period::all());
    assert_eq!(
        other.posts,
        PostFigures {
            posts: 1,
            seats: 2,
            seats_held: 1
        }
    );
    assert_eq!(
        other.groups,
        GroupFigures {
            branches: 0,
            branch_members: 0,
            teams: 1,
            team_members: 1
        }
    );
}

#[test]
fn a_period_ended_before_a_post_or_group_was_made_leaves_it_out() {
    let ledger = Ledger::new();
    let (_dir, database) = delivered(&ledger);
    // Day 30 of 2026 (the writer's minute 0 is 2026-01-01): the aid post (day 10) and
    // the branch (founded 2026-01-05) were made; the patrol post (day 40) and the team
    // (day 50) not yet.
    let january = Period::new(Some(date("2026-01-01")), Some(date("2026-01-31"))).unwrap();
    let city = figures_of(&database, None, january);
    assert_eq!(
        city.posts,
        PostFigures {
            posts: 1,
            seats: 3,
            seats_held: 2
        }
    );
    assert_eq!((city.groups.branches, city.groups.teams), (1, 0));
}

#[test]
fn a_released_seat_and_a_withdrawn_post_no_longer_count() {
    let mut ledger = Ledger::new();
    let (aid, patrol, member) = (ledger.aid, ledger.patrol, ledger.members[0]);
    post_event(
        &mut ledger.writer,
        aid,
        EventKind::Release,
        Actor::Member(member),
        70,
    );
    post_event(
        &mut ledger.writer,
        patrol,
        EventKind::Release,
        Actor::Member(ledger.members[2]),
        71,
    );
    post_event(
        &mut ledger.writer,
        patrol,
        EventKind::Withdraw,
        worker(),
        72,
    );
    let (_dir, database) = delivered(&ledger);
    let city = figures_of(&database, None, Period::all());
    assert_eq!(
        city.posts,
        PostFigures {
            posts: 1,
            seats: 3,
            seats_held: 1
        }
    );
    let unit = figures_of(&database, Some(ledger.unit), Period::all());
    assert_eq!(
        unit.posts.seats_held, 1,
        "the unit's own seat is still held"
    );
}

#[test]
fn the_json_csv_and_dashboard_say_the_posts_and_groups() {
    let ledger = Ledger::new();
    let (_dir, database) = delivered(&ledger);
    let server = Server::start(&database, "1309");
    let json = server.json("/api/figures");
    assert_eq!(json["posts"]["seats_held"], 3);
    assert_eq!(json["groups"]["branches"], 1);
    let csv = server.get("/api/figures.csv").text();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| {
        let index = header
            .iter()
            .position(|heading| heading.contains(name))
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
        row[index]
    };
    assert_eq!(column("已认领岗位"), "3");
    assert_eq!(column("服务团队成员"), "2");
    let page = server.get("/").text();
    assert!(
        page.contains(r#"data-key="posts.seats_held">3<"#),
        "the dashboard's figures table: {page}"
    );
}
