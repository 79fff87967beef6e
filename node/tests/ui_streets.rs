//! The street's pages on the node (issue 14, item 3): on the node of the community the
//! city names host of its street, `/street` lists the units reported in to the street,
//! its pairings and projects, the report-in form records one, and the pairing and
//! project forms offer 本社区 / 本街道; on any other node every street-level write is
//! refused — in Chinese beside the field, or as a 400 naming `party` from the API —
//! and nothing is written.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{assert_at_field, assert_no_english, get, post_form, post_ok};
use support::{TestNode, receive_city};
use wishtree_node::server::Access;
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_testkit::community::credit_code;

/// A node of 110118001002 whose city names `host` the host of street 110118001.
fn node_in_city(host: Option<&'static str>) -> TestNode {
    TestNode::start_prepared(Access::Open, move |replica| {
        let mut city = CityDoc::new(&"1101".parse().unwrap(), [7; 16]).unwrap();
        if let Some(host) = host {
            let designate = CityCommand::DesignateStreetHost {
                street: "110118001".parse().unwrap(),
                community: host.parse().unwrap(),
            };
            city.execute(&designate, wishtree_node::now()).unwrap();
        }
        receive_city(replica, &mut city);
    })
}

/// A unit recorded through the API: its id.
fn unit(node: &TestNode) -> String {
    let body =
        json!({"credit_code": credit_code(1).to_string(), "name": "沧州市委办公室机关党支部"});
    let (status, org) = node.post("/api/orgs", &body);
    assert_eq!(status, 201, "{org}");
    org["id"].as_str().unwrap().to_owned()
}

fn count(node: &TestNode, list: &str) -> usize {
    node.get(&format!("/api/{list}"))
        .1
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn the_host_keeps_the_streets_units_pairings_and_projects() {
    let node = node_in_city(Some("110118001002"));
    let org = unit(&node);
    let page = get(&node, "/street").text();
    assert!(page.contains("街道本级（110118001）"), "{page}");
    assert!(page.contains("href=\"/street\""), "no 街道 in the menu");
    assert!(page.contains("id=\"street-units\">暂无"), "{page}");
    assert_no_english(&page);

    // Bad input is shown beside its field, and nothing is written.
    let no_unit = post_form(
        &node,
        "/street/report-ins",
        &[("org", ""), ("on", "2026-04-01")],
    );
    assert_eq!(no_unit.status, 400);
    assert_at_field(&no_unit.text(), "org", "请填写此项");
    assert_no_english(&no_unit.text());
    let later = post_form(
        &node,
        "/street/report-ins",
        &[("org", &org), ("on", "2999-01-01")],
    );
    assert_eq!(later.status, 400);
    assert_at_field(&later.text(), "on", "日期不能晚于今天");
    assert!(node.get(&format!("/api/orgs/{org}")).1["street_reported_in"].is_null());

    let (location, page) = post_ok(
        &node,
        "/street/report-ins",
        &[("org", &org), ("on", "2026-04-01")],
    );
    assert_eq!(location, "/street");
    let page = page.text();
    let units = &page[page.find("id=\"street-units\"").unwrap()..];
    assert!(units.contains("沧州市委办公室机关党支部") && units.contains("2026-04-01"));
    assert_no_english(&page);

    // The pairing and project forms offer the street as the party.
    let form = get(&node, "/pairings").text();
    assert!(form.contains("本街道") && form.contains("本社区"), "{form}");
    let signed: &[(&str, &str)] = &[
        ("org", &org),
        ("commitments", "结对共建"),
        ("signed_on", "2026-04-02"),
        ("party", "street"),
    ];
    let (pairing, page) = post_ok(&node, "/pairings", signed);
    assert!(
        page.text()
            .contains("id=\"party\" data-street=\"110118001\"")
    );
    let (project, page) = post_ok(
        &node,
        "/projects",
        &[
            ("title", "街道长者饭堂"),
            ("kind", "micro_project"),
            ("party", "street"),
        ],
    );
    assert!(page.text().contains("本街道"));
    // A community's own pairing is not the street's.
    post_ok(
        &node,
        "/pairings",
        &[("org", &org), ("signed_on", "2026-04-03")],
    );

    let page = get(&node, "/street").text();
    let pairings = &page[page.find("id=\"street-pairings\"").unwrap()..];
    assert_eq!(
        pairings.matches("href=\"/pairings/").count(),
        1,
        "{pairings}"
    );
    assert!(pairings.contains(&format!("href=\"{pairing}\"")));
    assert!(page.contains(&format!("href=\"{project}\"")));
    let (_, projects) = node.get("/api/projects");
    assert_eq!(projects[0]["street"], "110118001");

    // The ledgers say whose each record is: the street's report-in, its pairing and
    // its project beside the community's own.
    assert!(
        get(&node, "/street")
            .text()
            .contains("href=\"/pairings.csv\"")
    );
    let orgs = get(&node, "/orgs.csv").text();
    assert!(
        orgs.contains("向街道报到日期") && orgs.contains("2026-04-01"),
        "{orgs}"
    );
    let pairings = get(&node, "/pairings.csv").text();
    assert!(pairings.contains("签约主体"), "{pairings}");
    assert_eq!(pairings.matches("本街道").count(), 1, "{pairings}");
    assert_eq!(pairings.matches("本社区").count(), 1, "{pairings}");
    let projects = get(&node, "/projects.csv").text();
    assert!(
        projects.contains("街道长者饭堂") && projects.contains("本街道"),
        "{projects}"
    );
}

#[test]
fn another_node_writes_nothing_for_the_street() {
    for host in [Some("110118001003"), None] {
        let node = node_in_city(host);
        let org = unit(&node);
        let page = get(&node, "/street").text();
        assert!(page.contains("id=\"not-host\""), "{page}");
        assert!(!page.contains("id=\"report-in-form\""));
        assert!(
            !page.contains("href=\"/street\""),
            "街道 in the menu of another node"
        );
        assert_no_english(&page);
        assert!(!get(&node, "/pairings").text().contains("本街道"));

        // The form, with the street chosen anyway: beside the field, in Chinese.
        let signed: &[(&str, &str)] = &[
            ("org", &org),
            ("signed_on", "2026-04-02"),
            ("party", "street"),
        ];
        let refused = post_form(&node, "/pairings", signed);
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert_at_field(&refused.text(), "party", "街道");
        assert_no_english(&refused.text());
        let project: &[(&str, &str)] = &[
            ("title", "街道长者饭堂"),
            ("kind", "micro_project"),
            ("party", "street"),
        ];
        assert_eq!(post_form(&node, "/projects", project).status, 400);
        let report_in = post_form(
            &node,
            "/street/report-ins",
            &[("org", &org), ("on", "2026-04-01")],
        );
        assert_eq!(report_in.status, 400);
        assert_no_english(&report_in.text());

        // The API says which field, in English.
        let (status, body) = node.post(
            "/api/pairings",
            &json!({"org": org, "signed_on": "2026-04-02", "commitments": [], "party": "street"}),
        );
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["field"], "party");
        let (status, body) = node.post(
            "/api/street/report-ins",
            &json!({"org": org, "on": "2026-04-01"}),
        );
        assert_eq!((status, &body["field"]), (400, &json!("party")), "{body}");
        let (status, _) = node.post(
            "/api/pairings",
            &json!({"org": org, "signed_on": "2026-04-02", "party": "town"}),
        );
        assert_eq!(status, 400);

        assert_eq!(count(&node, "pairings"), 0);
        assert_eq!(count(&node, "projects"), 0);
        assert!(node.get(&format!("/api/orgs/{org}")).1["street_reported_in"].is_null());
    }
}
