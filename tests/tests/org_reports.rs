//! Report-back to the unit (issue 13) end to end: two community nodes in two districts,
//! each with a member of one unit, seal 2026H1 and evaluate; their documents sync into
//! a real hub over loopback QUIC, whose figures worker derives the unit's reports. The
//! unit's account sees both members' sealed reports with the verified mark, a record
//! back-dated after the seal as an amendment, its annual report with its own text, and
//! a CSV export that is audited; another unit, a district without the unit's members
//! and any personal field get 403.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use wishtree_hub::run::RunningHub;
use wishtree_node::run::RunningNode;
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::{MemberId, ServiceId};
use wishtree_protocol::model::{EvaluationGrade, Org, PostKind};
use wishtree_protocol::text::{Detail, Label, Name};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, HalfYear};
use wishtree_testkit::community::credit_code;
use wishtree_testkit::login::{Session, form, form_token, log_in};
use wishtree_testkit::{Answer, Request, socket};
use wishtree_tests::city::{
    CityViewer, add_account, any_port, enrolled_node, hub_holds_node, init_hub, now, start_hub,
    wait_until,
};

const LIMIT: Duration = Duration::from_secs(30);

fn first_half() -> HalfYear {
    HalfYear::new(2026, 1).unwrap()
}

fn random_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).unwrap();
    id
}

/// Records on `node` the unit (`unit`) and one member of it who served an hour in
/// March, seals 2026H1, evaluates the member; with `late`, then writes a service
/// back-dated into the sealed half-year.
async fn member_with_sealed_half_year(
    node: &RunningNode,
    unit: CreditCode,
    name: &str,
    late: bool,
) -> MemberId {
    let mut replica = node.replica.lock().await;
    let now = now();
    replica
        .execute(
            &Command::AddOrg {
                credit_code: unit,
                name: Name::parse("name", "沧州市发改委党组").unwrap(),
                reported_in: None,
            },
            now,
        )
        .unwrap();
    let member = MemberId::from_bytes(random_id());
    replica
        .execute(
            &Command::AddMember {
                id: member,
                member: MemberFields {
                    name: Name::parse("name", name).unwrap(),
                    work_unit: Label::parse("work_unit", "沧州市发展和改革委员会").unwrap(),
                    org: Some(Org::id_for(&unit)),
                    position: Label::parse("position", "科员").unwrap(),
                    specialties: Vec::new(),
                    intentions: Vec::new(),
                    reported_in: "2026-03-01".parse().unwrap(),
                    branch: None,
                    team: None,
                },
            },
            now,
        )
        .unwrap();
    let service = |date: &str, minutes, description: &str| Command::RecordService {
        id: ServiceId::from_bytes(random_id()),
        member,
        date: date.parse().unwrap(),
        minutes,
        category: PostKind::Aid,
        item: wishtree_protocol::model::ScoringItem::Other,
        description: Detail::parse("description", description).unwrap(),
    };
    replica
        .execute(&service("2026-03-10", 60, "陪老人聊天"), now)
        .unwrap();
    replica.seal(first_half(), now).unwrap();
    replica
        .execute(
            &Command::Evaluate {
                member,
                period: first_half(),
                grade: EvaluationGrade::Excellent,
                comment: Detail::parse("comment", "积极参加社区服务").unwrap(),
            },
            now,
        )
        .unwrap();
    if late {
        replica
            .execute(&service("2026-05-01", 45, "补录：送菜上门"), now)
            .unwrap();
    }
    member
}

fn get(address: SocketAddr, path: &str, account: &CityViewer) -> Answer {
    socket::send(
        address,
        &Request::get(path).header("Authorization", &account.authorization),
    )
    .unwrap()
}

fn json(answer: &Answer) -> Value {
    serde_json::from_str(&answer.text()).unwrap_or(Value::Null)
}

fn session(address: SocketAddr, account: &CityViewer) -> Session {
    log_in(
        &mut |request| socket::send(address, &request).unwrap(),
        &account.name,
        &account.password,
    )
}

fn page(address: SocketAddr, path: &str, session: &Session) -> Answer {
    socket::send(address, &session.on(Request::get(path))).unwrap()
}

struct City {
    _dir: tempfile::TempDir,
    hub_dir: std::path::PathBuf,
    hub: RunningHub,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_sees_its_members_sealed_reports_across_two_districts_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let (unit, other_unit) = (credit_code(1), credit_code(2));
    let unit_account = add_account(&hub_dir, "org", unit.as_str(), "unit-a").unwrap();
    let other_account = add_account(&hub_dir, "org", other_unit.as_str(), "unit-b").unwrap();
    let district = add_account(&hub_dir, "district", "130903", "yunhe").unwrap();
    let empty_district = add_account(&hub_dir, "district", "130904", "elsewhere").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let city = City {
        _dir: dir,
        hub_dir,
        hub,
    };
    let http = city.hub.http_addr;

    let (yunhe, xinhua): (CommunityCode, CommunityCode) = (
        "130903001001".parse().unwrap(),
        "130902001001".parse().unwrap(),
    );
    let first = enrolled_node(&city.hub, &city.hub_dir, yunhe)
        .await
        .unwrap();
    let second = enrolled_node(&city.hub, &city.hub_dir, xinhua)
        .await
        .unwrap();
    let li = member_with_sealed_half_year(&first, unit, "李明", true).await;
    let wang = member_with_sealed_half_year(&second, unit, "王芳", false).await;
    for (node, code) in [(&first, yunhe), (&second, xinhua)] {
        hub_holds_node(&city.hub, node, code, LIMIT).await.unwrap();
    }

    let reports = format!("/api/orgs/{}/reports?period=2026H1", unit.as_str());
    wait_until(LIMIT, "the unit's two reports at the hub", || {
        json(&get(http, &reports, &unit_account))["members"]
            .as_array()
            .is_some_and(|members| {
                members.len() == 2 && members.iter().all(|m| m["seal"]["state"] == "verified")
            })
    })
    .await
    .unwrap_or_else(|error| panic!("{error}: {}", get(http, &reports, &unit_account).text()));
    let answer = json(&get(http, &reports, &unit_account));
    let members = answer["members"].as_array().unwrap();
    let by_name = |name: &str| members.iter().find(|m| m["name"] == name).unwrap();
    let (li_row, wang_row) = (by_name("李明"), by_name("王芳"));
    assert_eq!(li_row["community"], yunhe.as_str());
    assert_eq!(wang_row["community"], xinhua.as_str());
    for row in [li_row, wang_row] {
        assert_eq!(row["grade"], "excellent");
        assert_eq!(row["comment"], "积极参加社区服务");
        // The sealed hour only: the back-dated 45 minutes are an amendment.
        assert_eq!(row["totals"]["service_minutes"], 60);
    }
    // The late service, and the points it earned: two amendments.
    assert_eq!(li_row["amendments"], 2);
    assert_eq!(wang_row["amendments"], 0);

    // One member's report: the seal verified, the late record an amendment.
    let li_path = format!(
        "/api/orgs/{}/members/{yunhe}/{li}?period=2026H1",
        unit.as_str()
    );
    let detail = json(&get(http, &li_path, &unit_account));
    assert_eq!(detail["name"], "李明");
    assert_eq!(detail["report"]["seal"]["verified"], true);
    let amendments = detail["report"]["amendments"].as_array().unwrap();
    let service = amendments
        .iter()
        .find(|amendment| amendment["record"] == "service")
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(service["change"], "added");
    assert_eq!(service["title"], "补录：送菜上门");

    // The page marks both reports verified; the member's page shows the amendment.
    let unit_session = session(http, &unit_account);
    let list = page(
        http,
        &format!("/orgs/{}/reports?period=2026H1", unit.as_str()),
        &unit_session,
    );
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.text().matches("data-seal=\"verified\"").count(), 2);
    assert!(list.text().contains("已验签") && list.text().contains("李明"));
    let li_page = page(
        http,
        &format!("/orgs/{}/members/{yunhe}/{li}?period=2026H1", unit.as_str()),
        &unit_session,
    );
    assert_eq!(li_page.status, 200);
    assert!(li_page.text().contains("封存后补录"), "{}", li_page.text());
    // The member's report as CSV is the node's file (one writer): its figures, the
    // seal verified, the amendment listed apart; not sealed yet, 404; another unit, 403.
    let li_csv = format!("/orgs/{}/members/{yunhe}/{li}/csv", unit.as_str());
    let file = page(http, &format!("{li_csv}?period=2026H1"), &unit_session);
    assert_eq!(file.status, 200, "{}", file.text());
    let csv = file.text();
    assert!(csv.contains("项目,数值") && csv.contains("李明"), "{csv}");
    assert!(csv.contains("社区签名已核验"), "{csv}");
    assert!(csv.contains("封存后的补录与更正（不计入本报告）"), "{csv}");
    assert!(
        file.header("content-disposition")
            .is_some_and(|value| value.contains("attachment")),
        "a download"
    );
    let unsealed = page(http, &format!("{li_csv}?period=2026H2"), &unit_session);
    assert_eq!(unsealed.status, 404, "{}", unsealed.text());
    let refused = page(
        http,
        &format!("{li_csv}?period=2026H1"),
        &session(http, &other_account),
    );
    assert_eq!(refused.status, 403, "{}", refused.text());

    // The district of one member sees that member only; a district with none, 403.
    let yunhe_view = json(&get(http, &reports, &district));
    let names: Vec<&Value> = yunhe_view["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["name"])
        .collect();
    assert_eq!(names, ["李明"]);
    let wang_path = format!(
        "/api/orgs/{}/members/{xinhua}/{wang}?period=2026H1",
        unit.as_str()
    );
    let refusals = [
        (&other_account, reports.clone(), "another unit's members"),
        (&other_account, li_path.clone(), "another unit's member"),
        (
            &empty_district,
            reports.clone(),
            "a district without members",
        ),
        (
            &district,
            wang_path.clone(),
            "a member outside the district",
        ),
        (
            &unit_account,
            format!("{li_path}&fields=name,phone"),
            "a personal field",
        ),
        (
            &unit_account,
            format!("{li_path}&fields=address"),
            "a personal field",
        ),
    ];
    for (account, path, what) in refusals {
        let answer = get(http, &path, account);
        assert_eq!(answer.status, 403, "{what}: {}", answer.text());
    }
    let other_session = session(http, &other_account);
    for path in [
        format!("/orgs/{}/annual?year=2026", unit.as_str()),
        format!("/orgs/{}/annual.csv?year=2026", unit.as_str()),
        format!("/orgs/{}/reports", unit.as_str()),
    ] {
        let answer = page(http, &path, &other_session);
        assert_eq!(answer.status, 403, "another unit at {path}");
    }

    // The annual report: the unit writes its text; the second half-year is not sealed.
    let annual = format!("/orgs/{}/annual", unit.as_str());
    // The unit's home redirects, so its forms' token is read off the annual page.
    let unit_token = form_token(&page(http, &annual, &unit_session).text()).unwrap();
    let post = |text: &str| {
        let body = form(&[
            ("csrf_token", &unit_token),
            ("year", "2026"),
            ("text", text),
        ]);
        unit_session.on(Request::new("POST", &annual)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body))
    };
    let saved = socket::send(http, &post("本单位党员全部到社区报到。")).unwrap();
    assert_eq!(saved.status, 303, "{}", saved.text());
    let too_long = socket::send(http, &post(&"长".repeat(4001))).unwrap();
    assert_eq!(too_long.status, 400);
    assert!(too_long.text().contains("最多 4000"), "{}", too_long.text());
    // A district viewer may read the unit's annual report, not write it.
    let district_session = session(http, &district);
    assert!(!district_session.form_token.is_empty());
    let other_form = {
        let body = form(&[
            ("csrf_token", &district_session.form_token),
            ("year", "2026"),
            ("text", "写别人的报告"),
        ]);
        other_session.on(Request::new("POST", &annual)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body))
    };
    assert_eq!(socket::send(http, &other_form).unwrap().status, 403);
    let report = page(http, &format!("{annual}?year=2026"), &unit_session);
    assert_eq!(report.status, 200);
    let text = report.text();
    assert!(text.contains("本单位党员全部到社区报到。"), "{text}");
    assert!(text.contains("data-sealed=\"2026H1\""), "{text}");
    assert!(text.contains("data-not-sealed=\"2026H2\""), "{text}");
    assert!(!text.contains("写别人的报告"));

    // A CSV export is Excel-safe and audited before it is answered.
    let csv = get(
        http,
        &format!("{}&lang=zh", reports.replace("/reports?", "/reports.csv?")),
        &unit_account,
    );
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.text().starts_with('\u{feff}'));
    assert!(csv.text().contains("已验签") && csv.text().contains("王芳"));
    let annual_csv = page(http, &format!("{annual}.csv?year=2026"), &unit_session);
    assert_eq!(annual_csv.status, 200);
    assert!(annual_csv.text().contains("本单位党员全部到社区报到。"));
    let store = wishtree_hub::data_dir::open_store(&city.hub_dir).unwrap();
    let entries =
        wishtree_hub::accounts::AccountStore::audit_entries(&store, None, Some("unit-a")).unwrap();
    let exported: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.action == "export")
        .map(|entry| entry.what.as_str())
        .collect();
    assert!(
        exported.iter().any(|what| what.contains("/reports.csv")),
        "{exported:?}"
    );
    assert!(
        exported.iter().any(|what| what.contains("/annual.csv")),
        "{exported:?}"
    );
    assert!(
        entries
            .iter()
            .any(|entry| entry.action == "view" && entry.what.contains(&li.to_string())),
        "the member's report was viewed"
    );

    first.stop().await;
    second.stop().await;
    city.hub.stop().await;
}
