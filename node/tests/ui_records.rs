//! The rest of the community's ledger on the node's pages: functional branches and
//! service teams with their members, individual service records, redemptions, and
//! corrections (a record voided with its reason), each with its list, its page, the
//! form that adds to it and its CSV; the member ledger's CSV with the personal items;
//! the board's pledges. Good input saves and says 已保存; bad input is shown again in
//! Chinese at its field and nothing is written; a record that is not there is the
//! styled 404.

#![allow(clippy::unwrap_used)]

mod support;

use support::ui::{assert_at_field, assert_no_english, download, get, post_form, post_ok};
use support::{TestNode, member_body};

/// How many records `GET /api/{list}` answers.
fn count(node: &TestNode, list: &str) -> usize {
    let (status, records) = node.get(&format!("/api/{list}"));
    assert_eq!(status, 200, "{list}");
    records.as_array().unwrap().len()
}

/// A member recorded through the API: their id.
fn member(node: &TestNode, name: &str) -> String {
    let (status, body) = node.post("/api/members", &member_body(name));
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Posts a form that must be refused: 400, the message at `field`, nothing added to
/// `list`, and the page in Chinese.
fn refused(node: &TestNode, (path, fields): (&str, &[(&str, &str)]), field: &str, list: &str) {
    let before = count(node, list);
    let answer = post_form(node, path, fields);
    assert_eq!(answer.status, 400, "{path}: {}", answer.text());
    let text = answer.text();
    assert_at_field(&text, field, "");
    assert_no_english(&text);
    assert_eq!(count(node, list), before, "{path} wrote though refused");
}

#[test]
fn branches_and_teams_are_founded_joined_and_listed_with_their_members() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    let page = get(&node, "/branches").text();
    assert!(page.contains("id=\"branches\">暂无"), "{page}");
    assert_no_english(&page);

    // Bad input: no name, a founding day in the future, a secretary who is no one.
    let no_name: &[(&str, &str)] = &[("name", ""), ("founded_on", "2026-05-01")];
    refused(&node, ("/branches", no_name), "name", "branches");
    let later: &[(&str, &str)] = &[("name", "第一支部"), ("founded_on", "2999-01-01")];
    refused(&node, ("/branches", later), "founded_on", "branches");
    let nobody: &[(&str, &str)] = &[
        ("name", "第一支部"),
        ("secretary", "x"),
        ("founded_on", "2026-05-01"),
    ];
    refused(&node, ("/branches", nobody), "secretary", "branches");

    let (location, page) = post_ok(
        &node,
        "/branches",
        &[
            ("name", "行宫社区在职党员功能型党支部"),
            ("secretary", &zhang),
            ("founded_on", "2026-05-01"),
        ],
    );
    assert!(location.starts_with("/branches/"), "{location}");
    let text = page.text();
    assert!(
        text.contains("张婷") && text.contains("2026-05-01"),
        "{text}"
    );
    assert_no_english(&text);
    let branch = location.trim_start_matches("/branches/").to_owned();

    refused(
        &node,
        ("/teams", &[("name", ""), ("focus", "法律援助")]),
        "name",
        "teams",
    );
    let (location, _) = post_ok(
        &node,
        "/teams",
        &[("name", "法律援助服务队"), ("focus", "法律援助")],
    );
    let team = location.trim_start_matches("/teams/").to_owned();

    // The member joins both on their own ledger form, which keeps them on a later edit.
    let (_, api) = node.get(&format!("/api/members/{zhang}"));
    let edit = [
        ("name", "张婷"),
        ("work_unit", "密云区城关派出所"),
        ("position", "民警"),
        ("reported_in", "2026-05-20"),
        ("branch", branch.as_str()),
        ("team", team.as_str()),
    ];
    assert!(api["name"] == "张婷");
    post_ok(&node, &format!("/members/{zhang}"), &edit);
    let member_page = get(&node, &format!("/members/{zhang}")).text();
    assert!(
        member_page.contains(&format!("value=\"{branch}\" selected")),
        "the edit form keeps the branch"
    );
    for (path, count_id) in [
        (format!("/branches/{branch}"), "group-count"),
        (format!("/teams/{team}"), "group-count"),
    ] {
        let text = get(&node, &path).text();
        assert!(
            text.contains(&format!("id=\"{count_id}\">1<")),
            "{path}: {text}"
        );
        assert!(text.contains("张婷"), "{path}");
        assert_no_english(&text);
    }
    let (name, rows) = download(&node, "/branches.csv");
    assert!(name.starts_with("功能型党支部-"), "{name}");
    assert_eq!(rows[0], ["支部名称", "支部书记", "成立日期", "党员人数"]);
    assert_eq!(
        rows[1],
        ["行宫社区在职党员功能型党支部", "张婷", "2026-05-01", "1"]
    );
    let (_, rows) = download(&node, "/teams.csv");
    assert_eq!(rows[1], ["法律援助服务队", "法律援助", "1"]);
}

#[test]
fn service_is_recorded_and_a_mistaken_record_is_voided_with_its_reason() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    let page = get(&node, "/services").text();
    assert!(page.contains("id=\"service-form\""), "{page}");
    assert_no_english(&page);

    let good = |hours: &'static str| {
        vec![
            ("member", zhang.clone()),
            ("date", "2026-06-01".to_owned()),
            ("hours", hours.to_owned()),
            ("category", "aid".to_owned()),
            ("description", "陪独居老人就医".to_owned()),
        ]
    };
    let as_fields =
        |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };
    for (field, value, at) in [
        ("member", "", "member"),
        ("hours", "一个半小时", "hours"),
        ("hours", "30", "hours"),
        ("date", "2999-01-01", "date"),
        ("category", "knitting", "category"),
    ] {
        let mut fields = as_fields(&good("1.5"));
        fields
            .iter_mut()
            .filter(|(name, _)| *name == field)
            .for_each(|(_, v)| *v = value.to_owned());
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        refused(&node, ("/services", &fields), at, "services");
    }

    let fields: Vec<(&str, String)> = good("1.5");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (location, page) = post_ok(&node, "/services", &fields);
    let service = location.trim_start_matches("/services/").to_owned();
    let text = page.text();
    assert!(
        text.contains("陪独居老人就医") && text.contains("1.5"),
        "{text}"
    );
    assert!(text.contains("id=\"record-state\">有效"), "{text}");
    assert_no_english(&text);

    // A void needs its reason; refused, nothing is voided.
    let void_path = format!("/services/{service}/void");
    let answer = post_form(&node, &void_path, &[("reason", "")]);
    assert_eq!(answer.status, 400);
    assert_at_field(&answer.text(), "reason", "");
    assert_eq!(count(&node, "voids"), 0);
    let (back, page) = post_ok(&node, &void_path, &[("reason", "日期登记错误")]);
    assert_eq!(back, format!("/services/{service}"));
    let text = page.text();
    assert!(text.contains("id=\"record-state\">已作废"), "{text}");
    assert!(text.contains("日期登记错误"), "{text}");
    // Voided twice: refused, said in Chinese.
    let again = post_form(&node, &void_path, &[("reason", "再次更正")]);
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("已经作废"), "{}", again.text());
    assert_eq!(count(&node, "voids"), 1);

    let voids = get(&node, "/voids").text();
    assert!(
        voids.contains("日期登记错误") && voids.contains("张婷"),
        "{voids}"
    );
    assert_no_english(&voids);
    let (_, rows) = download(&node, "/services.csv");
    assert_eq!(
        rows[0],
        [
            "日期",
            "党员",
            "服务内容",
            "类别",
            "时长（小时）",
            "积分",
            "状态",
            "更正理由"
        ]
    );
    assert_eq!(rows[1][6..], ["已作废", "日期登记错误"]);
    let (name, rows) = download(&node, "/voids.csv");
    assert!(name.starts_with("更正记录-"), "{name}");
    assert_eq!(rows[1][2], "日期登记错误");
}

#[test]
fn points_are_redeemed_from_the_ledger_and_a_redemption_can_be_voided() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    let (status, _) = node.post(
        "/api/services",
        &serde_json::json!({"member": zhang, "date": "2026-06-01", "minutes": 120, "category": "aid"}),
    );
    assert_eq!(status, 201);
    let (_, passbook) = node.get(&format!("/api/members/{zhang}/passbook"));
    let balance = passbook["balance"].as_i64().unwrap();
    assert!(balance > 0, "{passbook}");

    // Redemptions are chosen from the catalogue (福利目录).
    let benefit = |title: &str, cost: i64| {
        let (status, body) = node.post(
            "/api/benefits",
            &serde_json::json!({"title": title, "cost": cost}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let detergent = benefit("兑换洗衣液一瓶", 1);
    let too_dear = benefit("兑换电饭煲", balance + 1);
    refused(
        &node,
        ("/redemptions", &[("member", ""), ("benefit", &detergent)]),
        "member",
        "voids",
    );
    let answer = post_form(
        &node,
        "/redemptions",
        &[("member", &zhang), ("benefit", &too_dear)],
    );
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert!(answer.text().contains("积分不足"), "{}", answer.text());
    let answer = post_form(
        &node,
        "/redemptions",
        &[("member", &zhang), ("benefit", "两分")],
    );
    assert_at_field(&answer.text(), "benefit", "编号不对");

    let (location, page) = post_ok(
        &node,
        "/redemptions",
        &[("member", &zhang), ("benefit", &detergent)],
    );
    let entry = location.trim_start_matches("/redemptions/").to_owned();
    assert!(page.text().contains("兑换洗衣液一瓶"));
    assert_no_english(&page.text());
    let list = get(&node, "/redemptions").text();
    assert!(list.contains("兑换洗衣液一瓶"), "{list}");
    let (_, rows) = download(&node, "/redemptions.csv");
    assert_eq!(rows[1][1..5], ["张婷", "1", "兑换洗衣液一瓶", "有效"]);

    post_ok(
        &node,
        &format!("/redemptions/{entry}/void"),
        &[("reason", "误操作")],
    );
    let (_, passbook) = node.get(&format!("/api/members/{zhang}/passbook"));
    assert_eq!(
        passbook["balance"].as_i64().unwrap(),
        balance,
        "the points are back"
    );
}

#[test]
fn a_record_that_is_not_there_is_the_styled_not_found_page() {
    let node = TestNode::start();
    let zhang = member(&node, "张婷");
    let missing = "0".repeat(32);
    for path in [
        format!("/branches/{missing}"),
        format!("/teams/{missing}"),
        format!("/services/{missing}"),
        format!("/redemptions/{missing}"),
        format!("/voids/{missing}"),
        "/services/not-an-id".to_owned(),
    ] {
        let answer = get(&node, &path);
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.text().contains("没有找到"), "{path}");
    }
    // A void posted for a record that is not there writes nothing.
    for path in [
        format!("/services/{missing}/void"),
        format!("/redemptions/{missing}/void"),
    ] {
        let answer = post_form(&node, &path, &[("reason", "误操作")]);
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.text().contains("没有找到"));
    }
    // A service's earn entry is no redemption: its page is not found, and it cannot
    // be voided as one.
    let (_, service) = node.post(
        "/api/services",
        &serde_json::json!({"member": zhang, "date": "2026-06-01", "minutes": 60, "category": "aid"}),
    );
    let earned = service["points_entry"]["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&node, &format!("/redemptions/{earned}")).status, 404);
    let answer = post_form(
        &node,
        &format!("/redemptions/{earned}/void"),
        &[("reason", "误操作")],
    );
    assert_eq!(answer.status, 404);
    assert_eq!(count(&node, "voids"), 0);
}

#[test]
fn the_member_ledger_exports_with_the_personal_items_and_the_board_shows_pledges() {
    let node = TestNode::start();
    member(&node, "张婷");
    let (name, rows) = download(&node, "/members.csv");
    assert!(name.starts_with("在职党员信息台账"), "{name}");
    assert_eq!(
        rows[0][..8],
        [
            "姓名",
            "所在单位",
            "现任职务",
            "个人特长",
            "服务意向",
            "家庭住址（仅本机）",
            "联系方式（仅本机）",
            "报到日期"
        ]
    );
    assert_eq!(rows[1][5..7], ["行宫东街 3 号", "13800000000"]);
    assert!(
        get(&node, "/members")
            .text()
            .contains("href=\"/members.csv\"")
    );
    let (_, rows) = download(&node, "/activities.csv");
    assert_eq!(rows.len(), 1, "the heads only");
    // Every list page links its CSV: the wish lists link the wish ledger.
    for path in [
        "/wishes/closed",
        "/wishes/in/published",
        "/activities",
        "/voids",
    ] {
        let text = get(&node, path).text();
        assert!(text.contains(".csv\""), "{path} has no CSV link");
    }

    let board = get(&node, "/board").text();
    assert!(board.contains("亮身份"), "{board}");
    assert!(
        board.contains("张婷") && board.contains("密云区城关派出所"),
        "{board}"
    );
    assert!(
        !board.contains("13800000000"),
        "nothing personal on the board"
    );
    assert_no_english(&board);
}
