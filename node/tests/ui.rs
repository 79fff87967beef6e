//! The web UI over real HTTP, as a worker's browser uses it: forms posted, redirects
//! followed, refusals shown with what was typed, the tree's apples changing colour,
//! the language switch, activities with sign-up, passbooks and the half-year report.

#![allow(clippy::unwrap_used)]

mod support;

use support::ui::{assert_at_field, assert_no_english, download, get, get_en, post_form, post_ok};
use support::{Request, TestNode};

fn wish_fields(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", title),
        ("detail", "母亲重病，想更快热饭"),
        ("kind", "goods"),
        ("group", "disabled"),
        ("resident_label", "行宫社区 彭女士"),
        ("resident_name", "彭程"),
        ("resident_phone", "13800000001"),
        ("estimated_value", "400"),
    ]
}

fn add_member(node: &TestNode, name: &str) -> String {
    let (location, page) = post_ok(
        node,
        "/members",
        &[
            ("name", name),
            ("work_unit", "密云区城关派出所"),
            ("position", "民警"),
            ("specialties", "安全教育、普法"),
            ("intentions", "safety"),
            ("intentions", "aid"),
            ("reported_in", "2026-05-20"),
            ("address", "3号楼2单元"),
            ("phone", "13912345678"),
        ],
    );
    assert!(page.text().contains(name));
    location.trim_start_matches("/members/").to_owned()
}

#[test]
fn a_wish_goes_from_the_form_to_a_red_apple() {
    let node = TestNode::start();
    let home = get(&node, "/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("心愿树"));
    assert!(home.text().contains("单机运行"));

    let (location, page) = post_ok(&node, "/wishes", &wish_fields("希望有一台微波炉"));
    let wish = location.trim_start_matches("/wishes/").to_owned();
    assert!(page.text().contains("data-state=\"submitted\""));
    // The resident's real name is shown on this node's own page.
    assert!(page.text().contains("彭程"));

    post_ok(&node, &format!("/wishes/{wish}/publish"), &[]);
    let tree = get(&node, "/").text();
    assert!(
        tree.contains(&format!("id=\"apple-{wish}\" data-state=\"published\"")),
        "{tree}"
    );

    let zhang = add_member(&node, "张婷");
    let li = add_member(&node, "李文杰");
    post_ok(
        &node,
        &format!("/wishes/{wish}/claim"),
        &[("by", &format!("member:{zhang}"))],
    );
    let tree = get(&node, "/").text();
    assert!(
        tree.contains(&format!("id=\"apple-{wish}\" data-state=\"claimed\"")),
        "{tree}"
    );

    // A second claim is refused with the rule's words and the state stays.
    let refused = post_form(
        &node,
        &format!("/wishes/{wish}/claim"),
        &[("by", &format!("member:{li}"))],
    );
    assert_eq!(refused.status, 409);
    assert!(
        refused.text().contains("已被他人先认领"),
        "{}",
        refused.text()
    );

    post_ok(
        &node,
        &format!("/wishes/{wish}/fulfil"),
        &[("note", "送去一台全新的微波炉")],
    );
    let tree = get(&node, "/").text();
    assert!(!tree.contains(&format!("id=\"apple-{wish}\"")));
    assert!(tree.contains("data-count=\"1\""));
    let board = get(&node, "/board").text();
    assert!(board.contains("希望有一台微波炉") && board.contains("张婷"));
}

#[test]
fn a_refused_form_keeps_what_was_typed_and_stores_nothing() {
    let node = TestNode::start();
    let mut fields = wish_fields("");
    fields[4] = ("resident_label", "隆华社区 毛奶奶");
    let refused = post_form(&node, "/wishes", &fields);
    assert_eq!(refused.status, 400);
    let text = refused.text();
    assert_at_field(&text, "title", "不能为空");
    assert!(text.contains("隆华社区 毛奶奶"));
    assert!(text.contains("母亲重病，想更快热饭"));
    assert_no_english(&text);

    let invisible = post_form(&node, "/wishes", &wish_fields("电\u{200B}饭煲"));
    assert_eq!(invisible.status, 400);
    assert_at_field(&invisible.text(), "title", "U+200B");

    let (status, wishes) = node.get("/api/wishes");
    assert_eq!(status, 200);
    assert_eq!(wishes.as_array().unwrap().len(), 0);

    let member = post_form(
        &node,
        "/members",
        &[("name", "王五"), ("reported_in", "2026-13-01")],
    );
    assert_eq!(member.status, 400);
    assert_at_field(
        &member.text(),
        "reported_in",
        "“2026-13-01”不是有效的日期，请写成 2026-11-20",
    );
    assert!(member.text().contains("value=\"2026-13-01\""));
    assert!(member.text().contains("value=\"王五\""));
}

#[test]
fn unknown_records_are_not_found() {
    let node = TestNode::start();
    for path in [
        "/wishes/0123456789abcdef0123456789abcdef",
        "/wishes/nonsense",
        "/members/0123456789abcdef0123456789abcdef",
        "/activities/zz",
    ] {
        assert_eq!(get(&node, path).status, 404, "{path}");
    }
    assert_eq!(post_form(&node, "/wishes/nonsense/claim", &[]).status, 404);
    let (_, page) = post_ok(&node, "/wishes", &wish_fields("想要一个书包"));
    let _ = page;
    let (status, wishes) = node.get("/api/wishes");
    assert_eq!(status, 200);
    let wish = wishes[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        post_form(&node, &format!("/wishes/{wish}/dance"), &[]).status,
        404
    );
}

#[test]
fn the_language_switch_turns_the_pages_english() {
    let node = TestNode::start();
    let switch = node.send(Request::get("/lang/en").header("Referer", "http://127.0.0.1/members"));
    assert_eq!(switch.status, 303);
    assert_eq!(switch.header("location"), Some("/members"));
    assert!(switch.header("set-cookie").unwrap().starts_with("lang=en"));
    let page = get_en(&node, "/").text();
    assert!(page.contains("lang=\"en\""));
    assert!(page.contains("Wish tree"));
    assert!(page.contains("Running alone"));
}

#[test]
fn activities_sign_up_members_once_and_passbooks_show_the_points() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let (location, _) = post_ok(
        &node,
        "/activities",
        &[
            ("title", "青少年七彩暑期安全教育"),
            ("category", "safety"),
            ("date", "2026-07-15"),
            ("hours", "1.5"),
            ("place", "惠新苑社区居委会"),
        ],
    );
    let (_, page) = post_ok(
        &node,
        &format!("{location}/participants"),
        &[("member", &zhang)],
    );
    assert!(
        page.text().contains("id=\"participant-count\">1<"),
        "{}",
        page.text()
    );
    let again = post_form(
        &node,
        &format!("{location}/participants"),
        &[("member", &zhang)],
    );
    assert_eq!(again.status, 409);
    assert!(again.text().contains("已确认出勤"));

    // 1.5 hours at the default 10 points an hour.
    let member = get(&node, &format!("/members/{zhang}")).text();
    assert!(member.contains("id=\"balance\">15<"), "{member}");
    // Redemptions are chosen from the catalogue.
    let benefit = |title: &str, cost: u32| {
        let (status, body) = node.post(
            "/api/benefits",
            &serde_json::json!({"title": title, "cost": cost}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let (oil, rice) = (benefit("兑换粮油", 5), benefit("兑换大米", 16));
    let overdraw = post_form(
        &node,
        &format!("/members/{zhang}/redeem"),
        &[("benefit", &rice)],
    );
    assert_eq!(overdraw.status, 409);
    assert!(overdraw.text().contains("积分不足"));
    // The redemption is shown as chosen; the edit form below keeps the member's own
    // ledger, not the refused redemption's fields.
    assert!(
        overdraw
            .text()
            .contains(&format!("value=\"{rice}\" selected")),
        "{}",
        overdraw.text()
    );
    assert!(overdraw.text().contains("value=\"民警\""));
    let (_, member) = post_ok(
        &node,
        &format!("/members/{zhang}/redeem"),
        &[("benefit", &oil)],
    );
    assert!(member.text().contains("id=\"balance\">10<"));

    let report = get(
        &node,
        &format!("/reports/half-year?member={zhang}&period=2026H2"),
    )
    .text();
    assert!(report.contains("id=\"total-hours\">1.5<"), "{report}");
    assert!(report.contains("id=\"total-activities\">1<"));
    let bad_period = get(
        &node,
        &format!("/reports/half-year?member={zhang}&period=2026H3"),
    );
    assert_eq!(bad_period.status, 400);
    assert!(get(&node, "/reports").text().contains("张婷"));
}

/// The state of a wish, as the JSON API says it.
fn wish_state(node: &TestNode, wish: &str) -> String {
    let (status, body) = node.get(&format!("/api/wishes/{wish}"));
    assert_eq!(status, 200);
    body["status"]["state"].as_str().unwrap().to_owned()
}

fn new_wish(node: &TestNode, title: &str) -> String {
    let (location, _) = post_ok(node, "/wishes", &wish_fields(title));
    location.trim_start_matches("/wishes/").to_owned()
}

#[test]
fn rejecting_withdrawing_and_releasing_ask_first_and_keep_the_reason() {
    let node = TestNode::start();
    let wish = new_wish(&node, "想要一台电风扇");
    let page = get(&node, &format!("/wishes/{wish}")).text();
    // One click only opens the question; nothing on the wish page posts a rejection.
    assert!(
        page.contains(&format!("href=\"/wishes/{wish}/reject\"")),
        "{page}"
    );
    assert!(!page.contains(&format!("action=\"/wishes/{wish}/reject\"")));

    let confirm = get(&node, &format!("/wishes/{wish}/reject"));
    assert_eq!(confirm.status, 200);
    let text = confirm.text();
    assert!(text.contains("驳回这个心愿？"), "{text}");
    assert!(text.contains("理由（必填"));
    assert!(text.contains(&format!("id=\"cancel\" href=\"/wishes/{wish}\"")));

    // Without a reason the step is refused on the question's page, and nothing changes.
    let bare = post_form(&node, &format!("/wishes/{wish}/reject"), &[("note", "  ")]);
    assert_eq!(bare.status, 400);
    assert!(bare.text().contains("请填写此项"), "{}", bare.text());
    assert!(bare.text().contains("id=\"confirm-form\""));
    assert_eq!(wish_state(&node, &wish), "submitted");

    let (_, page) = post_ok(
        &node,
        &format!("/wishes/{wish}/reject"),
        &[("note", "与第二批重复登记")],
    );
    assert_eq!(wish_state(&node, &wish), "rejected");
    assert!(
        page.text().contains("与第二批重复登记"),
        "the reason is in the history"
    );

    // Releasing a claim may go without a reason; withdrawing may not.
    let other = new_wish(&node, "想要一个新书包");
    let zhang = add_member(&node, "张婷");
    post_ok(&node, &format!("/wishes/{other}/publish"), &[]);
    post_ok(
        &node,
        &format!("/wishes/{other}/claim"),
        &[("by", &format!("member:{zhang}"))],
    );
    assert_eq!(get(&node, &format!("/wishes/{other}/release")).status, 200);
    post_ok(&node, &format!("/wishes/{other}/release"), &[("note", "")]);
    assert_eq!(wish_state(&node, &other), "published");
    assert_eq!(
        post_form(&node, &format!("/wishes/{other}/withdraw"), &[]).status,
        400
    );
    post_ok(
        &node,
        &format!("/wishes/{other}/withdraw"),
        &[("note", "居民已自行购买")],
    );

    // Both closed wishes are listed with their reasons, reachable from the tree.
    let tree = get(&node, "/").text();
    assert!(tree.contains("href=\"/wishes/closed\""));
    assert!(!tree.contains(&format!("href=\"/wishes/{wish}\"")));
    let closed = get(&node, "/wishes/closed").text();
    for expected in [
        "想要一台电风扇",
        "与第二批重复登记",
        "想要一个新书包",
        "居民已自行购买",
        "驳回",
        "撤回",
    ] {
        assert!(closed.contains(expected), "{expected}: {closed}");
    }
    // A step with no confirmation answers GET with the wish's page, not a question.
    let publish = get(&node, &format!("/wishes/{wish}/publish"));
    assert_eq!(publish.status, 200);
    assert!(publish.text().contains("id=\"wish-state\""));
    assert!(!publish.text().contains("id=\"confirm-form\""));
}

#[test]
fn long_lists_are_paged_instead_of_cut() {
    let node = TestNode::start();
    for n in 0..53 {
        let (status, _) = node.post(
            "/api/members",
            &serde_json::json!({
                "name": format!("党员{n:02}"),
                "work_unit": "密云区城关派出所",
                "reported_in": "2026-05-20",
            }),
        );
        assert_eq!(status, 201);
    }
    let rows = |text: &str| {
        text.matches("<td data-label=\"姓名\"><a href=\"/members/")
            .count()
    };
    let first = get(&node, "/members").text();
    assert!(first.contains("id=\"member-count\">53<"));
    assert_eq!(rows(&first), 50);
    assert!(first.contains("第 1 / 2 页，共 53 条"), "{first}");
    assert!(first.contains("href=\"/members?page=2#members\""));
    let second = get(&node, "/members?page=2").text();
    assert_eq!(rows(&second), 3);
    assert!(second.contains("党员52") && !second.contains("党员00<"));
    assert!(second.contains("href=\"/members?page=1#members\""));
}

#[test]
fn a_page_that_is_not_there_is_a_styled_page_in_the_readers_language() {
    let node = TestNode::start();
    for path in [
        "/nonsense",
        "/wishes/0123456789abcdef0123456789abcdef",
        "/wishes/in/ripe",
    ] {
        let answer = get(&node, path);
        assert_eq!(answer.status, 404, "{path}");
        let text = answer.text();
        assert!(
            text.contains("<nav>") && text.contains("没有找到"),
            "{path}: {text}"
        );
        assert!(text.contains("返回心愿树"));
    }
    let english = get_en(&node, "/nonsense").text();
    assert!(english.contains("Not found") && english.contains("Back to the wish tree"));
    // The JSON API keeps its own answer.
    let (status, body) = node.get("/api/nonsense");
    assert_eq!(status, 404);
    assert!(body["error"].is_string() || body.is_object(), "{body}");
}

#[test]
fn the_member_page_shows_hours_and_details_and_saves_an_edit() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let (location, _) = post_ok(
        &node,
        "/activities",
        &[
            ("title", "敬老院义诊"),
            ("category", "health"),
            ("date", "2026-07-15"),
            ("hours", "2"),
            ("place", "密云区敬老院"),
        ],
    );
    post_ok(
        &node,
        &format!("{location}/participants"),
        &[("member", &zhang)],
    );
    let page = get(&node, &format!("/members/{zhang}")).text();
    assert!(page.contains("id=\"member-hours\">2.0<"), "{page}");
    for detail in [
        "密云区城关派出所",
        "民警",
        "安全教育",
        "治安维稳",
        "3号楼2单元",
        "13912345678",
    ] {
        assert!(page.contains(detail), "{detail}");
    }
    assert!(!page.contains("id=\"notice\""));

    let (location, page) = post_ok(
        &node,
        &format!("/members/{zhang}"),
        &[
            ("name", "张婷"),
            ("work_unit", "密云区城关派出所"),
            ("position", "副所长"),
            ("specialties", "安全教育"),
            ("intentions", "health"),
            ("reported_in", "2026-05-20"),
            ("address", "5号楼1单元"),
            ("phone", "13912345678"),
        ],
    );
    assert_eq!(location, format!("/members/{zhang}"));
    let text = page.text();
    assert!(text.contains("已保存"), "{text}");
    // Said once: the page opened again has no notice.
    assert!(!get(&node, &location).text().contains("已保存"));
    assert!(text.contains("副所长") && text.contains("5号楼1单元"));
    let (_, member) = node.get(&format!("/api/members/{zhang}"));
    assert_eq!(member["position"], "副所长");
    assert_eq!(member["intentions"], serde_json::json!(["health"]));

    // A refused edit keeps what was typed and changes nothing.
    let refused = post_form(
        &node,
        &format!("/members/{zhang}"),
        &[
            ("name", "张婷"),
            ("position", "所长"),
            ("reported_in", "2026-13-01"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("所长") && refused.text().contains("2026-13-01"));
    let (_, member) = node.get(&format!("/api/members/{zhang}"));
    assert_eq!(member["position"], "副所长");

    // A phone that is no phone is refused at once, in Chinese; one written with
    // spaces is kept as its digits.
    let mut edit = vec![
        ("name", "张婷"),
        ("position", "副所长"),
        ("reported_in", "2026-05-20"),
        ("phone", "1391234"),
    ];
    let refused = post_form(&node, &format!("/members/{zhang}"), &edit);
    assert_eq!(refused.status, 400);
    assert_at_field(&refused.text(), "phone", "不是有效的电话号码");
    assert_no_english(&refused.text());
    edit[3] = ("phone", "139 1234 0000");
    post_ok(&node, &format!("/members/{zhang}"), &edit);
    let (_, member) = node.get(&format!("/api/members/{zhang}"));
    assert_eq!(member["phone"], "13912340000");
}

#[test]
fn the_exports_read_back_as_the_columns_a_person_expects() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let wish = new_wish(&node, "希望有一台微波炉");
    post_ok(&node, &format!("/wishes/{wish}/publish"), &[]);
    post_ok(
        &node,
        &format!("/wishes/{wish}/claim"),
        &[("by", &format!("member:{zhang}"))],
    );
    let closed = new_wish(&node, "想要一台电视");
    post_ok(
        &node,
        &format!("/wishes/{closed}/reject"),
        &[("note", "超出微心愿范围")],
    );
    // The node's clock decides the half-year a download covers by default.
    let today = wishtree_node::now().date_in_shanghai();
    let period = today.half_year();
    let (location, _) = post_ok(
        &node,
        "/activities",
        &[
            ("title", "青少年七彩暑期安全教育"),
            ("category", "safety"),
            ("date", &today.to_string()),
            ("hours", "1.5"),
            ("place", "惠新苑社区居委会"),
        ],
    );
    post_ok(
        &node,
        &format!("{location}/participants"),
        &[("member", &zhang)],
    );

    let (name, rows) = download(&node, "/wishes.csv");
    assert_eq!(name, format!("心愿台账-行宫社区-{period}.csv"));
    assert_eq!(
        rows[0],
        [
            "心愿",
            "详情",
            "类型",
            "困难群体",
            "居民（公开称呼）",
            "状态",
            "提交日期",
            "认领人",
            "认领日期",
            "实现日期",
            "估价（元）",
            "关闭理由",
            "征集批次"
        ]
    );
    assert_eq!(rows.len(), 3);
    let claimed = rows
        .iter()
        .find(|row| row[0] == "希望有一台微波炉")
        .unwrap();
    assert_eq!(
        (
            claimed[2].as_str(),
            claimed[3].as_str(),
            claimed[5].as_str(),
            claimed[7].as_str()
        ),
        ("物资", "残疾人", "已认领", "张婷")
    );
    assert_eq!(claimed[10], "400");
    let rejected = rows.iter().find(|row| row[0] == "想要一台电视").unwrap();
    assert_eq!(
        (rejected[5].as_str(), rejected[11].as_str()),
        ("已驳回", "超出微心愿范围")
    );
    // No 32-character id and no resident's real name or phone leave the node.
    let all = rows.concat().join(",");
    assert!(!all.contains(&zhang) && !all.contains("彭程") && !all.contains("13800000001"));

    let (name, rows) = download(
        &node,
        &format!("/reports/half-year.csv?member={zhang}&period={period}"),
    );
    assert_eq!(name, format!("党员半年报告-张婷-{period}.csv"));
    assert_eq!(rows[0], ["项目", "数值"]);
    assert!(rows.contains(&vec!["党员".to_owned(), "张婷".to_owned()]));
    assert!(rows.contains(&vec!["服务时长（小时）".to_owned(), "1.5".to_owned()]));
    let records = rows.iter().position(|row| row[0] == "记录").unwrap();
    assert_eq!(
        rows[records],
        ["记录", "日期", "内容", "服务类别", "时长（小时）", "状态"]
    );
    // The activity is one row, not an activity and a service.
    let activity_rows: Vec<_> = rows[records + 1..]
        .iter()
        .filter(|row| row.iter().any(|cell| cell == "青少年七彩暑期安全教育"))
        .collect();
    assert_eq!(activity_rows.len(), 1, "{rows:?}");
    assert_eq!(activity_rows[0][0], "活动");
    assert_eq!(activity_rows[0][3], "治安维稳");
    assert!(
        rows.iter()
            .any(|row| row[0] == "微心愿" && row[5] == "已认领")
    );
    assert!(!rows.concat().join(",").contains(&zhang));
}

#[test]
fn the_half_year_report_prints_with_boxes_for_opinion_signature_and_stamp() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let report = get(
        &node,
        &format!("/reports/half-year?member={zhang}&period=2026H2"),
    )
    .text();
    for expected in [
        "社区党组织意见",
        "党员签名",
        "（盖章）",
        "@page{size:A4",
        "id=\"print-line\"",
    ] {
        assert!(report.contains(expected), "{expected}");
    }
}

#[test]
fn a_worker_seals_a_half_year_that_is_over_and_later_records_show_apart() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let service = |date: &str, minutes: u32| {
        let (status, _) = node.post(
            "/api/services",
            &serde_json::json!({"member": zhang, "date": date, "minutes": minutes, "category": "aid"}),
        );
        assert_eq!(status, 201);
    };
    service("2026-03-10", 60);
    let address = format!("/reports/half-year?member={zhang}&period=2026H1");
    let before = get(&node, &address).text();
    assert!(before.contains("id=\"seal-form\""), "{before}");
    assert!(before.contains("封存本半年度"));

    let (location, sealed) = post_ok(
        &node,
        "/reports/seal",
        &[("member", &zhang), ("period", "2026H1")],
    );
    assert_eq!(location, address);
    let sealed = sealed.text();
    assert!(sealed.contains("已封存"), "{sealed}");
    assert!(sealed.contains("社区签名已核验"));
    assert!(!sealed.contains("id=\"seal-form\""));

    // Sealed twice: refused, the report shown again with why.
    let again = post_form(
        &node,
        "/reports/seal",
        &[("member", &zhang), ("period", "2026H1")],
    );
    assert_eq!(again.status, 409);
    assert!(
        again.text().contains("这个半年度已经封存"),
        "{}",
        again.text()
    );
    // A half-year not over yet has no button, and posting anyway is refused.
    let future = format!("/reports/half-year?member={zhang}&period=2099H1");
    assert!(
        get(&node, &future)
            .text()
            .contains("本半年度结束后可以封存")
    );
    let early = post_form(
        &node,
        "/reports/seal",
        &[("member", &zhang), ("period", "2099H1")],
    );
    assert_eq!(early.status, 409);
    assert!(
        early.text().contains("2099年上半年尚未结束"),
        "{}",
        early.text()
    );

    // A period written wrong: refused on a page, in Chinese, nothing sealed.
    let garbled = post_form(
        &node,
        "/reports/seal",
        &[("member", &zhang), ("period", "2026H3")],
    );
    assert_eq!(garbled.status, 400);
    let garbled = garbled.text();
    assert!(garbled.contains("<html"), "{garbled}");
    assert!(garbled.contains("半年度写法有误"), "{garbled}");

    // Back-dated after the seal: listed apart, not counted.
    service("2026-05-01", 30);
    let amended = get(&node, &address).text();
    assert!(amended.contains("id=\"total-hours\">1.0<"), "{amended}");
    assert!(amended.contains("封存后的补录与更正"));
    assert!(amended.contains("封存后补录"));
    assert_no_english(&amended);
    // The community's evaluation, recorded on the sealed report and corrected.
    assert!(amended.contains("id=\"evaluation-form\""));
    let (_, evaluated) = post_ok(
        &node,
        "/reports/evaluate",
        &[
            ("member", &zhang),
            ("period", "2026H1"),
            ("grade", "qualified"),
            ("comment", "按时参加服务"),
        ],
    );
    let evaluated = evaluated.text();
    assert!(
        evaluated.contains("id=\"evaluation-grade\">合格<"),
        "{evaluated}"
    );
    assert!(evaluated.contains("按时参加服务"));
    let (_, corrected) = post_ok(
        &node,
        "/reports/evaluate",
        &[
            ("member", &zhang),
            ("period", "2026H1"),
            ("grade", "excellent"),
            ("comment", ""),
        ],
    );
    assert!(corrected.text().contains("id=\"evaluation-grade\">优秀<"));
    let forged = post_form(
        &node,
        "/reports/evaluate",
        &[
            ("member", &zhang),
            ("period", "2026H1"),
            ("grade", "outstanding"),
        ],
    );
    assert_eq!(forged.status, 400);
    assert!(forged.text().contains("评价未保存"), "{}", forged.text());
    assert!(
        forged.text().contains("id=\"evaluation-grade\">优秀<"),
        "nothing changed"
    );

    // The report's CSV carries the seal, the evaluation and the amendment, apart.
    let csv = get(
        &node,
        &format!("/reports/half-year.csv?member={zhang}&period=2026H1"),
    )
    .text();
    assert!(csv.contains("社区签名已核验"), "{csv}");
    assert!(csv.contains("社区评价等次,优秀"), "{csv}");
    assert!(csv.contains("封存后的补录与更正（不计入本报告）"), "{csv}");
    assert!(csv.contains("封存后补录"), "{csv}");
}

#[test]
fn what_people_type_is_accepted_and_a_refusal_is_chinese_at_the_field() {
    let node = TestNode::start();
    // A value in yuan as people write it.
    let mut fields = wish_fields("希望有一台微波炉");
    fields[7] = ("estimated_value", "400元");
    post_ok(&node, "/wishes", &fields);
    let (_, wishes) = node.get("/api/wishes");
    assert_eq!(wishes[0]["estimated_value"], 400);

    // A date with slashes, and hours that are out of range.
    let activity = [
        ("title", "青少年七彩暑期安全教育"),
        ("category", "safety"),
        ("date", "2026/07/15"),
        ("hours", "30"),
        ("place", "惠新苑社区居委会"),
    ];
    let refused = post_form(&node, "/activities", &activity);
    assert_eq!(refused.status, 400);
    let text = refused.text();
    assert_at_field(&text, "hours", "时长须大于 0 小时、不超过 24 小时");
    for typed in [
        "青少年七彩暑期安全教育",
        "2026/07/15",
        "value=\"30\"",
        "惠新苑社区居委会",
    ] {
        assert!(text.contains(typed), "{typed} was not kept");
    }
    assert_no_english(&text);
    let (_, activities) = node.get("/api/activities");
    assert_eq!(activities.as_array().unwrap().len(), 0);

    let mut activity = activity;
    activity[3] = ("hours", "1.5");
    post_ok(&node, "/activities", &activity);
    let (_, activities) = node.get("/api/activities");
    assert_eq!(activities[0]["date"], "2026-07-15");
    assert_eq!(activities[0]["minutes"], 90);
}

#[test]
fn a_date_after_today_is_refused_and_nothing_is_stored() {
    let node = TestNode::start();
    let tomorrow =
        wishtree_protocol::Date::from_days(wishtree_node::now().date_in_shanghai().to_days() + 1)
            .to_string();
    let member = post_form(
        &node,
        "/members",
        &[("name", "王五"), ("reported_in", &tomorrow)],
    );
    assert_eq!(member.status, 400);
    assert_at_field(&member.text(), "reported_in", "日期不能晚于今天");
    assert_no_english(&member.text());
    let activity = post_form(
        &node,
        "/activities",
        &[
            ("title", "义诊"),
            ("category", "health"),
            ("date", &tomorrow),
            ("hours", "2"),
        ],
    );
    assert_eq!(activity.status, 400);
    assert_at_field(&activity.text(), "date", "日期不能晚于今天");
    let (_, members) = node.get("/api/members");
    assert_eq!(members.as_array().unwrap().len(), 0);
    let (_, activities) = node.get("/api/activities");
    assert_eq!(activities.as_array().unwrap().len(), 0);
}

#[test]
fn the_claim_form_starts_with_nobody_chosen_and_refuses_to_claim_for_nobody() {
    let node = TestNode::start();
    let (location, _) = post_ok(&node, "/wishes", &wish_fields("想要一个书包"));
    post_ok(&node, &format!("{location}/publish"), &[]);
    add_member(&node, "张婷");
    let page = get(&node, &location).text();
    let select = page.find("name=\"by\"").unwrap();
    let first_option = &page[select..][..page[select..].find("</option>").unwrap()];
    assert!(
        first_option.contains("<option value=\"\" selected>请选择认领人"),
        "{first_option}"
    );
    assert!(get(&node, "/").text().contains("请选择认领人"));

    let refused = post_form(&node, &format!("{location}/claim"), &[("by", "")]);
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("id=\"error-by\">请选择认领人"));
    assert_no_english(&refused.text());
    let (_, wish) = node.get(&format!("/api{location}"));
    assert_eq!(wish["status"]["state"], "published", "{wish}");
}

/// After a refused form the address bar holds the path it posted to: reloading it or
/// switching the language there shows the page, not a blank 405.
#[test]
fn the_addresses_forms_post_to_answer_get_with_their_page() {
    let node = TestNode::start();
    let zhang = add_member(&node, "张婷");
    let (wish, _) = post_ok(&node, "/wishes", &wish_fields("想要一个书包"));
    let (activity, _) = post_ok(
        &node,
        "/activities",
        &[
            ("title", "义诊"),
            ("category", "health"),
            ("date", "2026-07-01"),
            ("hours", "2"),
        ],
    );
    let refused = post_form(&node, "/wishes", &wish_fields(""));
    assert_eq!(refused.status, 400);
    for (path, shows) in [
        ("/wishes".to_owned(), "id=\"wish-form\""),
        ("/members".to_owned(), "id=\"member-form\""),
        ("/activities".to_owned(), "id=\"activity-form\""),
        (format!("{wish}/claim"), "id=\"wish-state\""),
        (format!("{wish}/reject"), "id=\"confirm-form\""),
        (format!("/members/{zhang}/redeem"), "name=\"benefit\""),
        (format!("{activity}/participants"), "id=\"participants\""),
    ] {
        let page = get(&node, &path);
        assert_eq!(page.status, 200, "{path}");
        assert!(page.text().contains(shows), "{path}");
        let english = get_en(&node, &path);
        assert_eq!(english.status, 200, "{path}");
    }
    assert_eq!(get(&node, &format!("{wish}/dance")).status, 404);
}

#[test]
fn members_are_listed_in_pinyin_order_as_a_register_is_kept() {
    let node = TestNode::start();
    // By code point 张 (U+5F20) comes before 李 (U+674E) and 王 (U+738B); by pinyin
    // li < wang < zhang.
    for name in ["张婷", "王五", "李强"] {
        add_member(&node, name);
    }
    let page = get(&node, "/members").text();
    let at = |name: &str| page.find(name).unwrap_or_else(|| panic!("{name} missing"));
    assert!(at("李强") < at("王五") && at("王五") < at("张婷"), "{page}");
}
