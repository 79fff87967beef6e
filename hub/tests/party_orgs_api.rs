//! Party organisations under their units at the hub (issue 14, item 4): a unit with
//! its own organisation and two branches, another unit with one branch. The API ranks
//! each branch with its unit's name, answers a branch by its id and the unit (summing
//! its branches) by its credit code, and a unit's account sees its own branches and
//! no other unit's.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::accounts::Role;
use wishtree_protocol::model::Org;

/// The city: in 名人社区, unit 1's own organisation (one member), its 第一党支部 (two
/// members, 90 minutes of service) and 第二党支部 (no member), and unit 2's 第一党支部
/// (one member, 30 minutes).
fn city_with_branches() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let reported = Some(date("2026-03-01"));
    let mut w = Writer::new(code("130903001001"), "名人社区", 7, at_minute(0));
    let own = w.add_org(credit_code(1), "沧州市发改委", reported, at_minute(1));
    let first = w.add_party_org(
        credit_code(1),
        "沧州市发改委",
        "第一党支部",
        reported,
        at_minute(1),
    );
    w.add_party_org(
        credit_code(1),
        "沧州市发改委",
        "第二党支部",
        None,
        at_minute(1),
    );
    let other = w.add_party_org(
        credit_code(2),
        "沧州市第一中学",
        "第一党支部",
        reported,
        at_minute(1),
    );
    w.add_member(Some(own), date("2026-03-02"), at_minute(2));
    for minutes in [60, 30] {
        let member = w.add_member(Some(first), date("2026-03-02"), at_minute(2));
        w.record_service(member, date("2026-03-05"), minutes, at_minute(3));
    }
    let member = w.add_member(Some(other), date("2026-03-02"), at_minute(2));
    w.record_service(member, date("2026-03-05"), 30, at_minute(3));
    deliver(&database, &w.doc, Some(NOW));
    (dir, database)
}

#[test]
fn figures_answer_a_branch_by_its_id_and_a_unit_by_its_credit_code() {
    let (_dir, database) = city_with_branches();
    let server = Server::start(&database, "1309");
    let first = Org::id_for_party_org(&credit_code(1), "第一党支部");
    let own = Org::id_for(&credit_code(1));
    // (asked as, members, minutes of service)
    for (asked, members, minutes) in [
        (credit_code(1).to_string(), 3, 90),
        (first.to_string(), 2, 90),
        (own.to_string(), 1, 0),
        (credit_code(2).to_string(), 1, 30),
    ] {
        let profile = server.json(&format!("/api/orgs/{asked}/figures?region=1309"));
        let figures = &profile["figures"];
        assert_eq!(figures["members_reported"], members, "{asked}: {figures}");
        assert_eq!(figures["service_minutes"], minutes, "{asked}: {figures}");
    }
    // A unit's profile lists its party organisations, its own first; a branch's none.
    let unit = server.json(&format!("/api/orgs/{}/figures", credit_code(1)));
    let listed: Vec<(&str, Option<&str>)> = unit["party_orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["org"].as_str().unwrap(), o["party_org"].as_str()))
        .collect();
    let second = Org::id_for_party_org(&credit_code(1), "第二党支部").to_string();
    let (own, first) = (own.to_string(), first.to_string());
    assert_eq!(
        listed,
        [
            (own.as_str(), None),
            (first.as_str(), Some("第一党支部")),
            (second.as_str(), Some("第二党支部")),
        ]
    );
    let branch = server.json(&format!("/api/orgs/{first}/figures"));
    assert!(branch.get("party_orgs").is_none(), "{branch}");
    // The unit's page links each of them.
    let page = server.get(&format!("/orgs/{}", credit_code(1))).text();
    assert!(page.contains(&format!("href=\"/orgs/{first}\"")), "{page}");
    assert!(page.contains("本单位党组织"), "{page}");
}

#[test]
fn the_ranking_ranks_branches_each_with_its_units_name() {
    let (_dir, database) = city_with_branches();
    let server = Server::start(&database, "1309");
    let ranking = server.json("/api/rankings/orgs?region=1309&by=service_hours");
    let rows = ranking.as_array().unwrap();
    assert_eq!(rows[0]["name"], "沧州市发改委", "{ranking}");
    assert_eq!(rows[0]["party_org"], "第一党支部", "{ranking}");
    assert_eq!(rows[0]["service_minutes"], 90, "{ranking}");
    assert_eq!(rows[1]["name"], "沧州市第一中学", "{ranking}");
    assert_eq!(rows[1]["party_org"], "第一党支部", "{ranking}");
    // The unit's own organisation has no branch name.
    let own = Org::id_for(&credit_code(1)).to_string();
    let own_row = rows.iter().find(|row| row["org"] == own.as_str()).unwrap();
    assert!(own_row.get("party_org").is_none(), "{own_row}");
    // The CSV has the unit and the party organisation in two columns.
    let csv = server.get("/api/rankings/orgs.csv?region=1309&by=service_hours");
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.contains("名次,单位,党组织,统一社会信用代码"), "{text}");
    assert!(text.contains("沧州市发改委,第一党支部,"), "{text}");
    assert!(text.contains("沧州市发改委,本级,"), "{text}");
    // The dashboard shows a branch with its unit's name.
    let page = server.get("/rankings?region=1309").text();
    assert!(page.contains("沧州市发改委 第一党支部"), "{page}");
}

#[test]
fn a_units_account_sees_its_branches_and_no_other_units() {
    let (_dir, database) = city_with_branches();
    let server = Server::start(&database, "1309");
    add_account(&database, Role::Org, credit_code(1).as_str(), "ndrc");
    let unit = server.log_in("ndrc");
    let status = |path: &str| {
        server
            .send(unit.on(Request::get(&format!("/api/orgs/{path}/figures"))))
            .status
    };
    let own_branch = Org::id_for_party_org(&credit_code(1), "第一党支部");
    let other_branch = Org::id_for_party_org(&credit_code(2), "第一党支部");
    assert_eq!(status(credit_code(1).as_str()), 200);
    assert_eq!(status(&own_branch.to_string()), 200);
    assert_eq!(status(&Org::id_for(&credit_code(1)).to_string()), 200);
    assert_eq!(status(credit_code(2).as_str()), 403);
    assert_eq!(status(&other_branch.to_string()), 403);
    // An id no community names is no branch of the unit.
    assert_eq!(status("0123456789abcdef0123456789abcdef"), 403);
    // The unit's page sums its branches.
    let page = server
        .send(unit.on(Request::get(&format!(
            "/api/orgs/{}/figures?region=1309",
            credit_code(1)
        ))))
        .json();
    assert_eq!(page["figures"]["members_reported"], 3, "{page}");
}
