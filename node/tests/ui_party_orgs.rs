//! A unit's party organisations on the node's pages (issue 14, item 4): the worker
//! picks the unit from the city's directory, then gives a branch's name (or leaves it
//! empty for 单位党组织本级); the list shows 单位 and 党组织 apart; a member is linked to
//! a branch by its full name. The form offers the branches the city's directory lists
//! for the unit chosen, and a branch it lacks can still be typed. A branch named twice,
//! or with too long a name, is shown again at its field in Chinese with nothing
//! written; the JSON API says the same in English. A branch the city takes off its
//! list is no longer offered once the node has synced.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{assert_at_field, assert_no_english, get, post_form, post_ok};
use support::{TestNode, node_with_city, node_with_directory, receive_city};
use wishtree_node::server::Access;
use wishtree_protocol::city::CityCommand;
use wishtree_protocol::model::Org;
use wishtree_protocol::text::Name;
use wishtree_testkit::community::credit_code;

const NDRC: &str = "沧州市发展和改革委员会机关党委";

fn org_count(node: &TestNode) -> usize {
    let (status, orgs) = node.get("/api/orgs");
    assert_eq!(status, 200);
    orgs.as_array().unwrap().len()
}

/// Adds a party organisation of the commission by the form, and answers its id.
fn add(node: &TestNode, party_org: &str) -> String {
    let code = credit_code(1).to_string();
    let fields = [("credit_code", code.as_str()), ("party_org", party_org)];
    let (location, page) = post_ok(node, "/orgs", &fields);
    assert_no_english(&page.text());
    location.trim_start_matches("/orgs/").to_owned()
}

#[test]
fn a_branch_is_added_under_its_unit_and_listed_apart_from_the_units_own() {
    let code = credit_code(1).to_string();
    let node = node_with_directory(&[(&code, NDRC)]);
    let form = get(&node, &format!("/orgs?code={code}")).text();
    assert!(form.contains("id=\"party_org\""), "{form}");
    assert!(form.contains("留空为单位党组织本级"), "{form}");

    let own = add(&node, "");
    assert_eq!(own, Org::id_for(&credit_code(1)).to_string());
    let branch = add(&node, " 第一党支部 ");
    assert_eq!(
        branch,
        Org::id_for_party_org(&credit_code(1), "第一党支部").to_string()
    );
    let (_, record) = node.get(&format!("/api/orgs/{branch}"));
    assert_eq!(record["party_org"], "第一党支部", "{record}");
    assert_eq!(record["name"], NDRC, "{record}");
    assert_eq!(record["credit_code"], code.as_str(), "{record}");

    let list = get(&node, "/orgs").text();
    assert_no_english(&list);
    for shown in [">单位<", ">党组织<", ">第一党支部<", ">单位党组织本级<"] {
        assert!(list.contains(shown), "{shown}: {list}");
    }
    let page = get(&node, &format!("/orgs/{branch}")).text();
    assert!(page.contains(&format!("{NDRC} 第一党支部")), "{page}");

    // A member is linked to the branch, chosen by its full name.
    let members = get(&node, "/members").text();
    assert!(
        members.contains(&format!("value=\"org:{branch}\"")),
        "{members}"
    );
    assert!(members.contains(&format!("{NDRC} 第一党支部")), "{members}");
    let (location, _) = post_ok(
        &node,
        "/members",
        &[
            ("name", "张婷"),
            ("work_unit", "沧州市发改委"),
            ("org", &format!("org:{branch}")),
            ("reported_in", "2026-05-20"),
        ],
    );
    let member = location.trim_start_matches("/members/");
    let (_, record) = node.get(&format!("/api/members/{member}"));
    assert_eq!(record["org"], branch.as_str(), "{record}");
    let page = get(&node, &format!("/orgs/{branch}")).text();
    assert!(page.contains("张婷"), "{page}");
}

#[test]
fn the_form_offers_the_branches_the_city_lists_for_the_unit_chosen() {
    let code = credit_code(1).to_string();
    let other = credit_code(2).to_string();
    let unit = |credit_code: &str, name: &str| CityCommand::PutOrg {
        credit_code: credit_code.parse().unwrap(),
        name: Name::parse("name", name).unwrap(),
    };
    let branch = |name: &str| CityCommand::PutBranch {
        credit_code: credit_code(1),
        name: Name::parse("name", name).unwrap(),
    };
    let node = node_with_city(vec![
        unit(&code, NDRC),
        unit(&other, "沧州市财政局"),
        branch("第一党支部"),
        branch("机关第二党支部"),
    ]);

    // Chosen from the directory, the unit's branches are offered on the name's field.
    let form = get(&node, &format!("/orgs?code={code}")).text();
    assert_no_english(&form);
    assert!(
        form.contains("id=\"party_org\" name=\"party_org\" value=\"\" list=\"party_org-choices\""),
        "{form}"
    );
    assert!(
        form.contains("<datalist id=\"party_org-choices\">"),
        "{form}"
    );
    for offered in ["第一党支部", "机关第二党支部"] {
        assert!(
            form.contains(&format!("<option value=\"{offered}\">")),
            "{offered}: {form}"
        );
    }
    assert!(
        form.contains("全市名录中该单位的党支部：机关第二党支部、第一党支部"),
        "{form}"
    );
    // A unit the directory lists no branch of, and the form before a unit is chosen,
    // offer none.
    for address in [format!("/orgs?code={other}"), "/orgs".to_owned()] {
        let page = get(&node, &address).text();
        assert!(!page.contains("datalist"), "{address}: {page}");
        assert!(page.contains("id=\"party_org\""), "{address}: {page}");
    }

    // The branch offered is taken as listed; one the directory lacks is still typed.
    let listed = add(&node, "第一党支部");
    assert_eq!(
        listed,
        Org::id_for_party_org(&credit_code(1), "第一党支部").to_string()
    );
    let typed = add(&node, "退休党支部");
    let (_, record) = node.get(&format!("/api/orgs/{typed}"));
    assert_eq!(record["party_org"], "退休党支部", "{record}");
    assert_eq!(org_count(&node), 2);
}

#[test]
fn a_branch_the_city_removes_is_no_longer_offered_once_the_node_syncs() {
    use wishtree_protocol::city::CityDoc;
    let code = credit_code(1).to_string();
    let branch = |name: &str| Name::parse("name", name).unwrap();
    let node = TestNode::start_prepared(Access::Open, |replica| {
        // The city of the test community (110118001002) is 1101.
        let mut city = CityDoc::new(&"1101".parse().unwrap(), [7; 16]).unwrap();
        let now = wishtree_node::now();
        let put = CityCommand::PutOrg {
            credit_code: credit_code(1),
            name: Name::parse("name", NDRC).unwrap(),
        };
        city.execute(&put, now).unwrap();
        for name in ["第一党支部", "机关第二党支部"] {
            let put = CityCommand::PutBranch {
                credit_code: credit_code(1),
                name: branch(name),
            };
            city.execute(&put, now).unwrap();
        }
        receive_city(replica, &mut city);
        // Put by mistake, removed at the hub, and the removal synced in a later session.
        let remove = CityCommand::RemoveBranch {
            credit_code: credit_code(1),
            name: branch("第一 党支部"),
        };
        city.execute(&remove, now).unwrap();
        receive_city(replica, &mut city);
    });

    let form = get(&node, &format!("/orgs?code={code}")).text();
    assert_no_english(&form);
    assert!(form.contains("<option value=\"机关第二党支部\">"), "{form}");
    assert!(!form.contains("<option value=\"第一党支部\">"), "{form}");
    assert!(
        form.contains("全市名录中该单位的党支部：机关第二党支部。"),
        "{form}"
    );
    // A worker may still type it: the directory offers names, it does not forbid them.
    let typed = add(&node, "第一党支部");
    let (_, record) = node.get(&format!("/api/orgs/{typed}"));
    assert_eq!(record["party_org"], "第一党支部", "{record}");
}

#[test]
fn a_branch_named_twice_or_too_long_is_refused_at_its_field_with_nothing_written() {
    let code = credit_code(1).to_string();
    let node = node_with_directory(&[(&code, NDRC)]);
    add(&node, "第一党支部");
    let long = "支".repeat(101);
    // (branch typed, message beside the field)
    let cases = [
        ("第一党支部", "该单位已有同名的党组织"),
        ("第一 党支部", "该单位已有同名的党组织"),
        (long.as_str(), "太长了"),
    ];
    for (typed, message) in cases {
        let fields = [("credit_code", code.as_str()), ("party_org", typed)];
        let refused = post_form(&node, "/orgs", &fields);
        assert_eq!(refused.status, 400, "{typed}");
        let text = refused.text();
        assert_at_field(&text, "party_org", message);
        assert_no_english(&text);
        assert!(text.contains(&format!("value=\"{typed}\"")), "{typed} kept");
        assert_eq!(org_count(&node), 1, "{typed}: nothing written");
    }
}

#[test]
fn the_json_api_adds_a_branch_and_refuses_a_second_of_the_same_name() {
    let code = credit_code(1).to_string();
    let node = node_with_directory(&[(&code, NDRC)]);
    let body = json!({"credit_code": code, "name": NDRC, "party_org": "第二党支部"});
    let (status, record) = node.post("/api/orgs", &body);
    assert_eq!(status, 201, "{record}");
    assert_eq!(record["party_org"], "第二党支部", "{record}");
    let (status, refused) = node.post("/api/orgs", &body);
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["field"], "party_org", "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("already has a party organisation"),
        "{refused}"
    );
    let blank = json!({"credit_code": code, "name": NDRC, "party_org": "  "});
    let (status, record) = node.post("/api/orgs", &blank);
    assert!(status == 200 || status == 201, "{record}");
    assert!(
        record["party_org"].is_null(),
        "blank is the unit's own: {record}"
    );
    assert_eq!(org_count(&node), 2);
}
