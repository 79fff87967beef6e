//! Volunteers beyond the members (issue 14, item 5) on the node: registered on the
//! 志愿者 page and by `POST /api/volunteers` with their name and phone kept out of the
//! document, offered among the claimants of a wish (not of a post) and on the service
//! form, their service recorded and voided on their own pages. Good input saves and
//! says 已保存; bad input is refused at its field in Chinese (in English by the API)
//! and nothing is written.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{assert_at_field, assert_no_english, download, get, post_form, post_ok};
use support::{TestNode, member_body, wish_body};

/// How many records `GET /api/{list}` answers.
fn count(node: &TestNode, list: &str) -> usize {
    let (status, records) = node.get(&format!("/api/{list}"));
    assert_eq!(status, 200, "{list}");
    records.as_array().unwrap().len()
}

/// A volunteer registered on the page: their id.
fn register(node: &TestNode, label: &str, kind: &str) -> String {
    let (location, page) = post_ok(
        node,
        "/volunteers",
        &[
            ("label", label),
            ("kind", kind),
            ("name", "王建国"),
            ("phone", "138 0000 1111"),
            ("specialties", "理发，修家电"),
            ("registered_on", "2026-09-01"),
        ],
    );
    assert!(location.starts_with("/volunteers/"), "{location}");
    let text = page.text();
    assert!(text.contains(label) && text.contains("王建国"), "{text}");
    assert!(text.contains("13800001111"), "the phone as its digits");
    assert_no_english(&text);
    location.trim_start_matches("/volunteers/").to_owned()
}

/// A published wish: its id.
fn published_wish(node: &TestNode, title: &str) -> String {
    let (status, wish) = node.post("/api/wishes", &wish_body(title));
    assert_eq!(status, 201, "{wish}");
    let id = wish["id"].as_str().unwrap().to_owned();
    let (status, _) = node.post(&format!("/api/wishes/{id}/publish"), &json!({}));
    assert_eq!(status, 200);
    id
}

#[test]
fn a_volunteer_is_registered_on_the_page_and_bad_input_writes_nothing() {
    let node = TestNode::start();
    let page = get(&node, "/volunteers").text();
    assert!(page.contains("id=\"volunteers\">暂无"), "{page}");
    assert_no_english(&page);

    let good = [
        ("label", "退休党员 王老师"),
        ("kind", "retired"),
        ("name", "王建国"),
        ("registered_on", "2026-09-01"),
    ];
    let with = |field: &'static str, value: &'static str| {
        let mut fields = good.to_vec();
        fields.retain(|(name, _)| *name != field);
        fields.push((field, value));
        fields
    };
    for (fields, at) in [
        (with("label", ""), "label"),
        (with("name", ""), "name"),
        (with("kind", "teacher"), "kind"),
        (with("registered_on", "2999-01-01"), "registered_on"),
        (with("phone", "12ab"), "phone"),
    ] {
        let answer = post_form(&node, "/volunteers", &fields);
        assert_eq!(answer.status, 400, "{fields:?}: {}", answer.text());
        let text = answer.text();
        assert_at_field(&text, at, "");
        assert_no_english(&text);
        assert_eq!(
            count(&node, "volunteers"),
            0,
            "{fields:?} wrote though refused"
        );
    }

    let id = register(&node, "退休党员 王老师", "retired");
    let (status, record) = node.get(&format!("/api/volunteers/{id}"));
    assert_eq!(status, 200);
    assert_eq!(record["kind"], "retired");
    assert_eq!(record["name"], "王建国");
    assert_eq!(record["specialties"], json!(["理发", "修家电"]));

    // The node's own file carries the name and phone; the page does not.
    let (_, rows) = download(&node, "/volunteers.csv");
    assert_eq!(rows[0][0], "称呼");
    assert_eq!(rows[1][0], "退休党员 王老师");
    assert_eq!(rows[1][1], "离退休党员");
    assert_eq!(rows[0][6..], ["姓名（仅本机）", "联系电话（仅本机）"]);
    assert_eq!(rows[1][6..], ["王建国", "13800001111"]);
    assert!(!get(&node, "/volunteers").text().contains("王建国"));

    // The personal data is on the node only: the document carries the label.
    let mut node = node;
    node.stop();
    let mut replica = wishtree_node::replica::Replica::open(node.dir.path()).unwrap();
    let document = serde_json::to_string(&*replica.view().unwrap()).unwrap();
    assert!(document.contains("退休党员 王老师"));
    assert!(!document.contains("王建国") && !document.contains("13800001111"));
}

#[test]
fn a_volunteer_claims_a_wish_once_and_holds_no_post() {
    let node = TestNode::start();
    let volunteer = register(&node, "学生党员 小李", "student");
    let (_, member) = node.post("/api/members", &member_body("张婷"));
    let member = member["id"].as_str().unwrap().to_owned();
    let wish = published_wish(&node, "希望有人陪我聊天");

    // The wish's claim form offers the volunteer beside the members; a post's does not.
    let wish_page = get(&node, &format!("/wishes/{wish}")).text();
    assert!(
        wish_page.contains(&format!("value=\"volunteer:{volunteer}\"")),
        "{wish_page}"
    );
    let (status, post) = node.post(
        "/api/posts",
        &json!({"kind": "environment", "title": "楼道卫生岗", "seats": 2}),
    );
    assert_eq!(status, 201, "{post}");
    let post = post["id"].as_str().unwrap().to_owned();
    let post_page = get(&node, &format!("/posts/{post}")).text();
    assert!(!post_page.contains("volunteer:"), "{post_page}");
    let (status, body) = node.post(
        &format!("/api/posts/{post}/claim"),
        &json!({"by": format!("volunteer:{volunteer}")}),
    );
    assert_eq!(status, 409, "{body}");

    let by_volunteer = format!("volunteer:{volunteer}");
    post_ok(
        &node,
        &format!("/wishes/{wish}/claim"),
        &[("by", &by_volunteer)],
    );
    let (_, record) = node.get(&format!("/api/volunteers/{volunteer}"));
    assert_eq!(record["wishes_claimed"], json!([wish]));
    let volunteer_page = get(&node, &format!("/volunteers/{volunteer}")).text();
    assert!(
        volunteer_page.contains("id=\"volunteer-wishes-count\">1<"),
        "{volunteer_page}"
    );

    // A second claim, by a member or the volunteer again, changes nothing.
    let answer = post_form(
        &node,
        &format!("/wishes/{wish}/claim"),
        &[("by", &format!("member:{member}"))],
    );
    assert_eq!(answer.status, 409, "{}", answer.text());
    assert!(
        answer.text().contains("已被他人先认领"),
        "{}",
        answer.text()
    );
    let (status, body) = node.post(
        &format!("/api/wishes/{wish}/claim"),
        &json!({"by": by_volunteer}),
    );
    assert_eq!(status, 409, "{body}");
    let (_, wish_record) = node.get(&format!("/api/wishes/{wish}"));
    assert_eq!(wish_record["status"]["claimant"], json!(by_volunteer));

    // The board names the volunteer by their label.
    assert!(get(&node, "/board").text().contains("学生党员 小李"));
}

#[test]
fn a_volunteers_service_is_recorded_apart_and_voided_with_a_reason() {
    let node = TestNode::start();
    let volunteer = register(&node, "爱心人士 李阿姨", "resident");
    let path = format!("/volunteers/{volunteer}/services");

    // Bad input: no hours, a day to come.
    for (fields, at) in [
        (
            vec![("date", "2026-10-08"), ("hours", "0"), ("category", "aid")],
            "hours",
        ),
        (
            vec![("date", "2999-10-08"), ("hours", "1"), ("category", "aid")],
            "date",
        ),
    ] {
        let answer = post_form(&node, &path, &fields);
        assert_eq!(answer.status, 400, "{}", answer.text());
        assert_at_field(&answer.text(), at, "");
    }
    let (location, page) = post_ok(
        &node,
        &path,
        &[
            ("date", "2026-10-08"),
            ("hours", "1.5"),
            ("category", "aid"),
            ("description", "陪独居老人聊天"),
        ],
    );
    assert!(location.starts_with("/volunteer-services/"), "{location}");
    assert!(page.text().contains("陪独居老人聊天"));
    let service = location
        .trim_start_matches("/volunteer-services/")
        .to_owned();

    // The services form offers volunteers too; their record is theirs, not a member's.
    let services_page = get(&node, "/services").text();
    assert!(services_page.contains(&format!("value=\"volunteer:{volunteer}\"")));
    let (location, _) = post_ok(
        &node,
        "/services",
        &[
            ("member", &format!("volunteer:{volunteer}")),
            ("date", "2026-10-09"),
            ("hours", "2"),
            ("category", "environment"),
            ("item", "other"),
        ],
    );
    assert!(location.starts_with("/volunteer-services/"), "{location}");
    assert_eq!(count(&node, "services"), 0, "no member's service record");
    let (status, by_api) = node.post(
        "/api/services",
        &json!({"member": format!("volunteer:{volunteer}"), "date": "2026-10-10",
                "minutes": 30, "category": "aid"}),
    );
    assert_eq!(status, 201, "{by_api}");
    assert_eq!(by_api["volunteer"], json!(volunteer));
    assert_eq!(by_api["is_voided"], json!(false));
    let (status, body) = node.post(
        "/api/services",
        &json!({"member": "worker:陈", "date": "2026-10-10", "minutes": 30, "category": "aid"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "member");

    // Voided with a reason, once.
    let void = format!("/volunteer-services/{service}/void");
    let answer = post_form(&node, &void, &[("reason", "")]);
    assert_eq!(answer.status, 400);
    assert_at_field(&answer.text(), "reason", "");
    let (_, page) = post_ok(&node, &void, &[("reason", "重复登记")]);
    assert!(page.text().contains("已作废"));
    let answer = post_form(&node, &void, &[("reason", "再次作废")]);
    assert_eq!(answer.status, 409, "{}", answer.text());
    let (_, record) = node.get(&format!("/api/volunteers/{volunteer}"));
    let voided: Vec<bool> = record["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|service| service["is_voided"].as_bool().unwrap())
        .collect();
    assert_eq!(voided.iter().filter(|is| **is).count(), 1, "{record}");
    assert_eq!(voided.len(), 3);
    let voids = get(&node, "/voids").text();
    assert!(
        voids.contains(&format!("/volunteer-services/{service}")),
        "{voids}"
    );

    // A record or volunteer that is not there is the styled 404.
    for missing in [
        "/volunteers/00000000000000000000000000000000",
        "/volunteer-services/00000000000000000000000000000000",
        "/volunteers/x",
    ] {
        assert_eq!(get(&node, missing).status, 404, "{missing}");
    }
    let answer = post_form(
        &node,
        "/volunteers/00000000000000000000000000000000/services",
        &[("date", "2026-10-08"), ("hours", "1"), ("category", "aid")],
    );
    assert_eq!(answer.status, 404);
}

#[test]
fn the_api_registers_and_refuses_in_english() {
    let node = TestNode::start();
    let body = json!({
        "label": "退休党员 王老师", "kind": "retired", "name": "王建国",
        "phone": "13800001111", "registered_on": "2026-09-01",
    });
    let (status, created) = node.post("/api/volunteers", &body);
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["phone"], "13800001111");
    for (field, value) in [
        ("kind", json!("alumni")),
        ("label", json!("")),
        ("name", json!(null)),
        ("registered_on", json!("tomorrow")),
        ("nickname", json!("老王")),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let (status, answer) = node.post("/api/volunteers", &bad);
        assert_eq!(status, 400, "{field}: {answer}");
        assert!(answer["error"].as_str().unwrap().is_ascii(), "{answer}");
    }
    assert_eq!(count(&node, "volunteers"), 1);
    let (status, _) = node.get("/api/volunteers/nothex");
    assert_eq!(status, 400);
    let (status, _) = node.get("/api/volunteers/00000000000000000000000000000000");
    assert_eq!(status, 404);
}
