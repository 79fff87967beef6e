//! Passbook scoring on the node (issue 13, item 5): points per kind of service set per
//! community (积分标准), the benefit catalogue (福利目录) redemptions are chosen from,
//! and the community's points ranking (积分排行) — through the JSON API and the pages,
//! good input and bad, nothing written on a refusal.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::ui::{assert_at_field, assert_no_english, download, get, post_form, post_ok};
use support::{TestNode, member_body};

fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

fn member(node: &TestNode, name: &str) -> String {
    let (status, body) = node.post("/api/members", &member_body(name));
    assert_eq!(status, 201, "{body}");
    id_of(&body)
}

/// Records `minutes` of service of `item` for `member`: the points it earned.
fn serve(node: &TestNode, member: &str, minutes: u32, item: &str) -> u64 {
    let (status, body) = node.post(
        "/api/services",
        &json!({"member": member, "date": "2026-05-01", "minutes": minutes,
                "category": "aid", "item": item}),
    );
    assert_eq!(status, 201, "{body}");
    body["points"].as_u64().unwrap()
}

/// An API refusal: 400 naming `field`, and what `state` reads is unchanged.
fn refused_api(node: &TestNode, answer: (u16, Value), field: &str, state: &str) -> Value {
    let before = node.get(state).1;
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert_eq!(node.get(state).1, before, "{state} changed though refused");
    body
}

fn balance(node: &TestNode, member: &str) -> i64 {
    let (_, book) = node.get(&format!("/api/members/{member}/passbook"));
    book["balance"].as_i64().unwrap()
}

#[test]
fn a_record_earns_the_rate_of_its_kind_in_force_when_it_was_recorded() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    // Not set: the category's points per hour (the default 10).
    assert_eq!(serve(&node, &zhang, 90, "post_duty"), 15);

    let (status, table) = node.put(
        "/api/scoring/post_duty",
        &json!({"points": 20, "per": "hour"}),
    );
    assert_eq!(status, 200, "{table}");
    let duty = &table["items"][1];
    assert_eq!(
        (duty["item"].as_str(), duty["points"].as_u64()),
        (Some("post_duty"), Some(20))
    );
    assert_eq!(serve(&node, &zhang, 90, "post_duty"), 30);
    // Another kind keeps its own rate.
    assert_eq!(serve(&node, &zhang, 90, "other"), 15);

    // Per time: however long the service.
    node.put("/api/scoring/wish", &json!({"points": 8, "per": "time"}));
    assert_eq!(serve(&node, &zhang, 300, "wish"), 8);

    // A change of rate leaves the records already made as they were.
    node.put(
        "/api/scoring/post_duty",
        &json!({"points": 5, "per": "time"}),
    );
    assert_eq!(serve(&node, &zhang, 90, "post_duty"), 5);
    let (_, services) = node.get("/api/services");
    let mut points: Vec<u64> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["points"].as_u64().unwrap())
        .collect();
    points.sort();
    assert_eq!(points, [5, 8, 15, 15, 30]);

    // An activity's participations score as `activity`.
    node.put(
        "/api/scoring/activity",
        &json!({"points": 12, "per": "hour"}),
    );
    let (_, activity) = node.post(
        "/api/activities",
        &json!({"title": "社区义诊", "category": "health", "date": "2026-05-02",
                "minutes": 60, "place": "居委会"}),
    );
    let (status, joined) = node.post(
        &format!("/api/activities/{}/participants", id_of(&activity)),
        &json!({"member": zhang}),
    );
    assert_eq!(status, 201, "{joined}");
    assert_eq!(balance(&node, &zhang), 15 + 30 + 15 + 8 + 5 + 12);
}

#[test]
fn a_bad_rate_is_refused_and_nothing_is_written() {
    let node = TestNode::start();
    let cases: [(&str, Value, &str); 5] = [
        (
            "/api/scoring/post_duty",
            json!({"points": 1001, "per": "hour"}),
            "points",
        ),
        (
            "/api/scoring/post_duty",
            json!({"points": "many", "per": "hour"}),
            "points",
        ),
        (
            "/api/scoring/post_duty",
            json!({"points": 5, "per": "day"}),
            "per",
        ),
        ("/api/scoring/post_duty", json!({"per": "hour"}), "points"),
        (
            "/api/scoring/parade",
            json!({"points": 5, "per": "hour"}),
            "item",
        ),
    ];
    for (path, body, field) in cases {
        refused_api(&node, node.put(path, &body), field, "/api/scoring");
    }
    let (_, table) = node.get("/api/scoring");
    assert!(
        table["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["set"] == false)
    );
}

#[test]
fn a_redemption_is_chosen_from_the_catalogue_within_stock_and_balance() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    serve(&node, &zhang, 180, "other"); // 30 points

    let bad: [(Value, &str); 4] = [
        (json!({"title": "理发一次", "cost": 0}), "cost"),
        (json!({"title": "", "cost": 5}), "title"),
        (json!({"title": "理发一次"}), "cost"),
        (
            json!({"title": "理发一次", "cost": 5, "stock": "some"}),
            "stock",
        ),
    ];
    for (body, field) in bad {
        refused_api(
            &node,
            node.post("/api/benefits", &body),
            field,
            "/api/benefits",
        );
    }

    let (status, haircut) = node.post(
        "/api/benefits",
        &json!({"title": "理发一次", "cost": 10, "stock": 1}),
    );
    assert_eq!(status, 201, "{haircut}");
    assert_eq!(
        (haircut["left"].as_u64(), haircut["is_active"].as_bool()),
        (Some(1), Some(true))
    );
    let haircut = id_of(&haircut);
    let (_, towel) = node.post("/api/benefits", &json!({"title": "毛巾一条", "cost": 25}));
    let towel = id_of(&towel);

    let (status, entry) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "benefit": haircut}),
    );
    assert_eq!(status, 201, "{entry}");
    assert_eq!(
        (
            entry["points"].as_u64(),
            entry["reason"].as_str(),
            entry["benefit"].as_str()
        ),
        (Some(10), Some("理发一次"), Some(haircut.as_str()))
    );
    assert_eq!(balance(&node, &zhang), 20);

    // Out of stock, over the balance, neither a benefit nor points, no such benefit.
    let passbook = format!("/api/members/{zhang}/passbook");
    let before = node.get(&passbook).1;
    let (status, body) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "benefit": haircut}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("out of stock"),
        "{body}"
    );
    let (status, body) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "benefit": towel}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["state"]["balance"], 20, "{body}");
    refused_api(
        &node,
        node.post("/api/redemptions", &json!({"member": zhang})),
        "benefit",
        &passbook,
    );
    let (status, _) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "benefit": "0".repeat(32)}),
    );
    assert_eq!(status, 404);
    assert_eq!(node.get(&passbook).1, before, "a refused redemption wrote");

    // A voided redemption gives its stock back.
    let entry = id_of(&entry);
    let (status, _) = node.post(
        "/api/voids",
        &json!({"points_entry": entry, "reason": "误操作"}),
    );
    assert_eq!(status, 201);
    assert_eq!(node.get(&format!("/api/benefits/{haircut}")).1["left"], 1);

    // Withdrawn: it stays listed, marked, and cannot be chosen or withdrawn again.
    let (status, withdrawn) = node.post(&format!("/api/benefits/{haircut}/withdraw"), &json!({}));
    assert_eq!(
        (status, withdrawn["is_active"].as_bool()),
        (200, Some(false))
    );
    let (status, _) = node.post(&format!("/api/benefits/{haircut}/withdraw"), &json!({}));
    assert_eq!(status, 409);
    let (status, body) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "benefit": haircut}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(node.get("/api/benefits").1.as_array().unwrap().len(), 2);

    // A redemption typed as text before the catalogue still reads, and is still taken.
    let (status, old) = node.post(
        "/api/redemptions",
        &json!({"member": zhang, "points": 3, "reason": "兑换牙膏"}),
    );
    assert_eq!(
        (status, old["benefit"].clone()),
        (201, Value::Null),
        "{old}"
    );
}

#[test]
fn the_pages_set_rates_keep_the_catalogue_redeem_from_it_and_rank_members() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    let li = member(&node, "李强");

    // 积分标准.
    let page = get(&node, "/scoring").text();
    assert!(page.contains("设置积分标准"), "{page}");
    assert_no_english(&page);
    for (points, message) in [("很多", "须填整数"), ("2000", "积分不能超过 1000")] {
        let answer = post_form(
            &node,
            "/scoring",
            &[("item", "post_duty"), ("points", points), ("per", "hour")],
        );
        assert_eq!(answer.status, 400, "{}", answer.text());
        assert_at_field(&answer.text(), "points", message);
        assert_no_english(&answer.text());
    }
    assert!(node.get("/api/scoring").1["items"][1]["set"] == false);
    let (location, page) = post_ok(
        &node,
        "/scoring",
        &[("item", "post_duty"), ("points", "20"), ("per", "hour")],
    );
    assert_eq!(location, "/scoring");
    assert!(page.text().contains("每小时20 分"), "{}", page.text());
    let (_, rows) = download(&node, "/scoring.csv");
    assert_eq!(rows[2][..2], ["岗位值守", "每小时20 分"]);

    // A service recorded on its page scores at its kind's rate.
    post_ok(
        &node,
        "/services",
        &[
            ("member", &zhang),
            ("date", "2026-05-01"),
            ("hours", "1.5"),
            ("category", "aid"),
            ("item", "post_duty"),
        ],
    );
    assert_eq!(balance(&node, &zhang), 30);
    serve(&node, &li, 30, "other");

    // 福利目录.
    let answer = post_form(&node, "/benefits", &[("title", "理发一次"), ("cost", "0")]);
    assert_eq!(answer.status, 400);
    assert_at_field(&answer.text(), "cost", "所需积分至少为 1");
    assert_eq!(node.get("/api/benefits").1.as_array().unwrap().len(), 0);
    let (location, page) = post_ok(
        &node,
        "/benefits",
        &[("title", "理发一次"), ("cost", "10"), ("stock", "5")],
    );
    assert!(page.text().contains("可兑换"), "{}", page.text());
    let haircut = location.trim_start_matches("/benefits/").to_owned();

    // The redeem form lists the catalogue; nothing chosen is refused at its field.
    let page = get(&node, "/redemptions").text();
    assert!(page.contains("理发一次（10 积分）"), "{page}");
    let answer = post_form(
        &node,
        "/redemptions",
        &[("member", &zhang), ("benefit", "")],
    );
    assert_eq!(answer.status, 400);
    assert_at_field(&answer.text(), "benefit", "请填写此项");
    let (_, page) = post_ok(
        &node,
        "/redemptions",
        &[("member", &zhang), ("benefit", &haircut)],
    );
    assert!(page.text().contains("理发一次"));
    assert_eq!(balance(&node, &zhang), 20);
    // From the member's own page too.
    let member_page = get(&node, &format!("/members/{zhang}")).text();
    assert!(member_page.contains("理发一次（10 积分）"), "{member_page}");
    post_ok(
        &node,
        &format!("/members/{zhang}/redeem"),
        &[("benefit", &haircut)],
    );
    assert_eq!(balance(&node, &zhang), 10);
    let answer = post_form(
        &node,
        &format!("/members/{li}/redeem"),
        &[("benefit", &haircut)],
    );
    assert_eq!(answer.status, 409, "{}", answer.text());
    assert!(answer.text().contains("积分不足"), "{}", answer.text());

    // Withdrawn on its page; a second withdrawal says why, in Chinese.
    let (_, page) = post_ok(&node, &format!("/benefits/{haircut}/withdraw"), &[]);
    assert!(page.text().contains("已撤下"));
    let answer = post_form(&node, &format!("/benefits/{haircut}/withdraw"), &[]);
    assert_eq!(answer.status, 409, "{}", answer.text());
    assert!(answer.text().contains("已经撤下"), "{}", answer.text());
    assert!(
        !get(&node, "/redemptions")
            .text()
            .contains("理发一次（10 积分）")
    );

    // 积分排行 for the half-year the points were earned in (by the entry's day).
    let period = wishtree_node::now().date_in_shanghai().half_year();
    let page = get(&node, &format!("/ranking?period={period}")).text();
    assert_no_english(&page);
    let zhang_at = page.find("张婷").unwrap();
    let li_at = page.find("李强").unwrap();
    assert!(zhang_at < li_at, "30 points rank above 5: {page}");
    // Each member's own page shows their place in the community's ranking.
    for (who, place) in [(&zhang, 1), (&li, 2)] {
        let member_page = get(&node, &format!("/members/{who}")).text();
        let standing = format!(r#"<li data-period="{period}"><a href="/ranking?period={period}">"#);
        assert!(member_page.contains(&standing), "{member_page}");
        assert!(
            member_page.contains(&format!(
                r#"本社区积分排名：第 <b class="rank">{place}</b> 名（共 2 人上榜）"#
            )),
            "{member_page}"
        );
    }
    let page = get(&node, "/ranking?period=2001H1").text();
    assert!(page.contains("本期暂无积分"), "{page}");
    assert_eq!(get(&node, "/ranking?period=soon").status, 400);
}
