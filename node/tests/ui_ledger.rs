//! The community ledger's pages beyond wishes and members, as a worker's browser uses
//! them: unit organisations added from the city's directory (or typed with a checked
//! credit code), one organisation with what it does here, pairings signed and ended
//! with their reason, and their CSV ledgers. Good input saves and says 已保存; bad
//! input is shown again in Chinese at its field with what was typed, and nothing is
//! written; a record that is not there is the styled 404.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{assert_at_field, assert_no_english, download, get, get_en, post_form, post_ok};
use support::{TestNode, node_with_directory};
use wishtree_testkit::community::credit_code;

/// A form's fields as posted.
type Fields<'a> = &'a [(&'a str, &'a str)];

const NDRC: &str = "沧州市发展和改革委员会机关党委";
const HOSPITAL: &str = "沧州市人民医院党委";

/// A node whose directory lists the development commission and the hospital:
/// (node, the commission's code, the hospital's code).
fn node_with_two_units() -> (TestNode, String, String) {
    let ndrc = credit_code(1).to_string();
    let hospital = credit_code(2).to_string();
    let node = node_with_directory(&[(&ndrc, NDRC), (&hospital, HOSPITAL)]);
    (node, ndrc, hospital)
}

fn org_count(node: &TestNode) -> usize {
    let (status, orgs) = node.get("/api/orgs");
    assert_eq!(status, 200);
    orgs.as_array().unwrap().len()
}

/// Adds the unit of `code` from the form, and answers its id.
fn add_org(node: &TestNode, code: &str, name: &str) -> String {
    let (location, page) = post_ok(node, "/orgs", &[("credit_code", code), ("name", name)]);
    assert!(location.starts_with("/orgs/"), "{location}");
    assert_no_english(&page.text());
    location.trim_start_matches("/orgs/").to_owned()
}

#[test]
fn a_unit_is_chosen_from_the_citys_directory_by_name_or_code_and_keeps_its_name() {
    let (node, ndrc, hospital) = node_with_two_units();
    let empty = get(&node, "/orgs");
    assert_eq!(empty.status, 200);
    let text = empty.text();
    assert!(text.contains("id=\"orgs\">暂无"), "{text}");
    assert!(text.contains("从全市单位名录中选择"));
    assert_no_english(&text);

    // By a part of the name: the commission only, with a link that fills the form.
    let found = get(&node, "/orgs?q=%E5%8F%91%E5%B1%95").text();
    assert!(found.contains(NDRC) && !found.contains(HOSPITAL), "{found}");
    assert!(found.contains(&format!("href=\"/orgs?code={ndrc}#org-form\"")));
    assert_no_english(&found);
    // By the start of the code, typed in lower case with a space.
    let prefix = format!("{} {}", &hospital[..8], &hospital[8..17]).to_lowercase();
    let found = get(&node, &format!("/orgs?q={}", prefix.replace(' ', "+"))).text();
    assert!(found.contains(HOSPITAL) && !found.contains(NDRC), "{found}");

    let chosen = get(&node, &format!("/orgs?code={ndrc}")).text();
    assert!(chosen.contains(&format!("value=\"{ndrc}\"")), "{chosen}");
    assert!(chosen.contains(&format!("value=\"{NDRC}\"")), "{chosen}");

    // A name typed differently gives way to the directory's: one unit, one name.
    let id = add_org(&node, &ndrc, "发改委");
    let (_, org) = node.get(&format!("/api/orgs/{id}"));
    assert_eq!(org["name"], NDRC, "{org}");
    let page = get(&node, &format!("/orgs/{id}")).text();
    assert!(page.contains(NDRC) && page.contains("已收录"), "{page}");
    let found = get(&node, "/orgs?q=%E5%8F%91%E5%B1%95").text();
    assert!(found.contains("已在本社区"), "{found}");

    // Added again: refused with the way to it, nothing written.
    let again = post_form(&node, "/orgs", &[("credit_code", &ndrc)]);
    assert_eq!(again.status, 409);
    assert!(
        again.text().contains("已在本社区台账中"),
        "{}",
        again.text()
    );
    assert_no_english(&again.text());
    assert_eq!(org_count(&node), 1);
}

#[test]
fn a_unit_not_in_the_directory_is_typed_with_a_checked_code() {
    let node = TestNode::start();
    let page = get(&node, "/orgs").text();
    assert!(page.contains("尚未收到全市单位名录"), "{page}");

    let good = credit_code(7).to_string();
    // The last character is the check character: change it and the code is refused.
    let check = good.chars().last().unwrap();
    let wrong = format!("{}{}", &good[..17], if check == '0' { '1' } else { '0' });
    let cases: [(Fields, &str, &str); 4] = [
        (
            &[("credit_code", &wrong), ("name", "沧州市第一中学党委")],
            "credit_code",
            "校验码",
        ),
        (
            &[("credit_code", "9113"), ("name", "沧州市第一中学党委")],
            "credit_code",
            "应为 18 位",
        ),
        (&[("credit_code", &good), ("name", "")], "name", "不能为空"),
        (
            &[
                ("credit_code", &good),
                ("name", "沧州市第一中学党委"),
                ("reported_in", "2999-01-01"),
            ],
            "reported_in",
            "",
        ),
    ];
    for (fields, field, message) in cases {
        let refused = post_form(&node, "/orgs", fields);
        assert_eq!(refused.status, 400, "{fields:?}");
        let text = refused.text();
        assert_at_field(&text, field, message);
        assert_no_english(&text);
        for (_, typed) in fields.iter().filter(|(_, typed)| !typed.is_empty()) {
            assert!(text.contains(&format!("value=\"{typed}\"")), "{typed} kept");
        }
    }
    assert_eq!(org_count(&node), 0, "nothing written");

    let id = add_org(&node, &good.to_lowercase(), "沧州市第一中学党委");
    let page = get(&node, &format!("/orgs/{id}")).text();
    assert!(page.contains("未收录") && page.contains(&good), "{page}");
    let list = get(&node, "/orgs").text();
    assert!(list.contains(&format!("href=\"/orgs/{id}\"")), "{list}");
}

#[test]
fn the_org_page_shows_its_members_pairings_and_what_it_holds() {
    let (node, ndrc, _) = node_with_two_units();
    let id = add_org(&node, &ndrc, "");
    let page = get(&node, &format!("/orgs/{id}")).text();
    for list in ["org-members", "org-posts", "org-projects", "org-wishes"] {
        assert!(
            page.contains(&format!("id=\"{list}\">暂无")),
            "{list}: {page}"
        );
    }
    let (location, _) = post_ok(
        &node,
        "/members",
        &[
            ("name", "张婷"),
            ("work_unit", "沧州市发改委"),
            ("org", &format!("org:{id}")),
            ("reported_in", "2026-05-20"),
        ],
    );
    let member = location.trim_start_matches("/members/").to_owned();
    post_ok(
        &node,
        "/pairings",
        &[
            ("org", &id),
            ("commitments", "每季度开展一次志愿服务"),
            ("signed_on", "2026-03-01"),
        ],
    );
    let (status, wish) = node.post(
        "/api/wishes",
        &json!({"title": "想要一个新书包", "kind": "goods", "group": "student_hardship",
                "resident_label": "小明"}),
    );
    assert_eq!(status, 201);
    let wish = wish["id"].as_str().unwrap().to_owned();
    for (action, body) in [
        ("publish", json!({})),
        ("claim", json!({"by": format!("org:{id}")})),
    ] {
        let (status, answer) = node.post(&format!("/api/wishes/{wish}/{action}"), &body);
        assert_eq!(status, 200, "{action}: {answer}");
    }

    let page = get(&node, &format!("/orgs/{id}")).text();
    assert!(
        page.contains(&format!("href=\"/members/{member}\"")),
        "{page}"
    );
    assert!(page.contains("每季度开展一次志愿服务"));
    assert!(page.contains(&format!("href=\"/wishes/{wish}\"")));
    assert!(page.contains(&format!("href=\"/pairings?org={id}#pairing-form\"")));
    assert_no_english(&page);
    let list = get(&node, "/orgs").text();
    // One member, one active pairing.
    assert!(list.contains("data-label=\"报到党员\">1<"), "{list}");
    assert!(list.contains("data-label=\"有效共建协议\">1<"), "{list}");
}

#[test]
fn a_pairing_is_signed_and_ended_with_its_reason() {
    let (node, ndrc, _) = node_with_two_units();
    let none = get(&node, "/pairings").text();
    assert!(
        none.contains("请先") && none.contains("id=\"pairings\">暂无"),
        "{none}"
    );
    assert_no_english(&none);
    let org = add_org(&node, &ndrc, "");
    let form = get(&node, &format!("/pairings?org={org}")).text();
    assert!(
        form.contains(&format!("<option value=\"{org}\" selected>")),
        "{form}"
    );

    let commitments = "每季度开展一次志愿服务\r\n资助两名困难学生";
    let cases: [(Fields, &str); 3] = [
        (
            &[
                ("org", ""),
                ("commitments", commitments),
                ("signed_on", "2026-03-01"),
            ],
            "org",
        ),
        (
            &[
                ("org", &org),
                ("commitments", commitments),
                ("signed_on", "2999-03-01"),
            ],
            "signed_on",
        ),
        (
            &[
                ("org", &org),
                ("commitments", commitments),
                ("signed_on", "去年"),
            ],
            "signed_on",
        ),
    ];
    for (fields, field) in cases {
        let refused = post_form(&node, "/pairings", fields);
        assert_eq!(refused.status, 400, "{fields:?}");
        let text = refused.text();
        assert_at_field(&text, field, "");
        assert!(
            text.contains("资助两名困难学生"),
            "the commitments are kept"
        );
        assert_no_english(&text);
    }
    let (_, pairings) = node.get("/api/pairings");
    assert_eq!(pairings.as_array().unwrap().len(), 0, "nothing written");

    let (location, page) = post_ok(
        &node,
        "/pairings",
        &[
            ("org", &org),
            ("commitments", commitments),
            ("signed_on", "2026/3/1"),
        ],
    );
    let pairing = location.trim_start_matches("/pairings/").to_owned();
    let text = page.text();
    assert!(text.contains("<li>每季度开展一次志愿服务</li>"), "{text}");
    assert!(text.contains("<li>资助两名困难学生</li>"), "{text}");
    assert!(
        text.contains("2026-03-01") && text.contains(">有效<"),
        "{text}"
    );
    assert!(get(&node, "/board").text().contains("资助两名困难学生"));

    // The end is asked first, and needs its reason — from the page and the API alike.
    let confirm = get(&node, &format!("/pairings/{pairing}/end"));
    assert_eq!(confirm.status, 200);
    assert!(confirm.text().contains("终止这份共建协议？"));
    assert_no_english(&confirm.text());
    let end = format!("/pairings/{pairing}/end");
    let refused = post_form(&node, &end, &[("note", "  ")]);
    assert_eq!(refused.status, 400);
    assert_at_field(&refused.text(), "note", "请填写此项");
    let (status, _) = node.post(&format!("/api/pairings/{pairing}/end"), &json!({}));
    assert_eq!(status, 400);
    let (_, record) = node.get(&format!("/api/pairings/{pairing}"));
    assert_eq!(record["is_active"], true, "{record}");

    let (_, page) = post_ok(&node, &end, &[("note", "协议到期，双方另行续签")]);
    let text = page.text();
    assert!(
        text.contains(">已终止<") && text.contains("协议到期，双方另行续签"),
        "{text}"
    );
    assert!(!text.contains("action-end"));
    assert!(!get(&node, "/board").text().contains("资助两名困难学生"));
    let again = post_form(&node, &end, &[("note", "再次终止")]);
    assert_eq!(again.status, 409);
    assert!(again.text().contains("操作未生效"), "{}", again.text());
}

#[test]
fn organisations_and_pairings_that_are_not_there_are_not_found() {
    let node = TestNode::start();
    let nobody = "0123456789abcdef0123456789abcdef";
    for path in [
        "/orgs/nonsense".to_owned(),
        format!("/orgs/{nobody}"),
        "/pairings/zz".to_owned(),
        format!("/pairings/{nobody}"),
        format!("/pairings/{nobody}/end"),
    ] {
        let answer = get(&node, &path);
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.text().contains("没有找到"), "{path}");
    }
    let answer = post_form(
        &node,
        &format!("/pairings/{nobody}/end"),
        &[("note", "到期")],
    );
    assert_eq!(answer.status, 404);
    assert!(answer.text().contains("没有找到"));
    // A pairing with an organisation that is not there is refused, not written.
    let refused = post_form(
        &node,
        "/pairings",
        &[
            ("org", nobody),
            ("commitments", "志愿服务"),
            ("signed_on", "2026-03-01"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("所选的记录不存在"),
        "{}",
        refused.text()
    );
}

#[test]
fn the_org_and_pairing_ledgers_export_as_a_person_reads_them() {
    let (node, ndrc, _) = node_with_two_units();
    let org = add_org(&node, &ndrc, "");
    let other = credit_code(9).to_string();
    add_org(&node, &other, "沧州市第一中学党委");
    post_ok(
        &node,
        "/pairings",
        &[
            ("org", &org),
            ("commitments", "=1+1、助学"),
            ("signed_on", "2026-03-01"),
        ],
    );
    let (name, rows) = download(&node, "/orgs.csv");
    assert!(name.starts_with("单位党组织台账-"), "{name}");
    assert_eq!(
        rows[0],
        [
            "单位",
            "党组织",
            "统一社会信用代码",
            "报到日期",
            "报到党员（人）",
            "有效共建协议（份）",
            "全市名录",
            "向街道报到日期"
        ]
    );
    assert_eq!(rows.len(), 3);
    // In pinyin order: 沧州市第一中学 (di) before 沧州市发展 (fa).
    assert_eq!(rows[1][0], "沧州市第一中学党委");
    assert_eq!(rows[1][6], "未收录");
    assert_eq!(
        rows[2][..],
        [NDRC, "单位党组织本级", &ndrc, "", "0", "1", "已收录", ""]
    );

    let (name, rows) = download(&node, "/pairings.csv");
    assert!(name.starts_with("共建协议台账-"), "{name}");
    assert_eq!(
        rows[0],
        [
            "单位党组织",
            "承诺事项",
            "签订日期",
            "状态",
            "终止日期",
            "终止理由",
            "签约主体"
        ]
    );
    // A cell Excel would take for a formula is neutralised.
    assert_eq!(rows[1][..4], [NDRC, "'=1+1；助学", "2026-03-01", "有效"]);
    let orgs_page = get(&node, "/orgs").text();
    assert!(orgs_page.contains("href=\"/orgs.csv\""));
    assert!(
        get(&node, "/pairings")
            .text()
            .contains("href=\"/pairings.csv\"")
    );
}

#[test]
fn the_ledger_pages_speak_english_on_request_and_sit_in_the_navigation() {
    let (node, ndrc, _) = node_with_two_units();
    let org = add_org(&node, &ndrc, "");
    let page = get_en(&node, &format!("/orgs/{org}")).text();
    assert!(page.contains("Members reported in here"), "{page}");
    let home = get(&node, "/").text();
    assert!(home.contains("href=\"/orgs\"") && home.contains("href=\"/pairings\""));
    let list = get(&node, "/orgs").text();
    assert!(list.contains("href=\"/orgs\" class=\"current\""), "{list}");
}

fn post_count(node: &TestNode) -> usize {
    let (status, posts) = node.get("/api/posts");
    assert_eq!(status, 200);
    posts.as_array().unwrap().len()
}

#[test]
fn a_post_is_opened_its_seats_claimed_and_released_and_it_is_withdrawn() {
    let node = TestNode::start();
    let empty = get(&node, "/posts").text();
    assert!(empty.contains("id=\"posts\">暂无"), "{empty}");
    assert_no_english(&empty);

    let cases: [(Fields, &str, &str); 3] = [
        (
            &[("kind", "aid"), ("title", ""), ("seats", "2")],
            "title",
            "不能为空",
        ),
        (
            &[("kind", "aid"), ("title", "楼道长"), ("seats", "两个")],
            "seats",
            "",
        ),
        (
            &[("kind", "dance"), ("title", "楼道长"), ("seats", "2")],
            "kind",
            "请从列表中选择",
        ),
    ];
    for (fields, field, message) in cases {
        let refused = post_form(&node, "/posts", fields);
        assert_eq!(refused.status, 400, "{fields:?}");
        let text = refused.text();
        assert_at_field(&text, field, message);
        assert_no_english(&text);
    }
    assert_eq!(post_count(&node), 0, "nothing written");

    let (location, page) = post_ok(
        &node,
        "/posts",
        &[
            ("kind", "aid"),
            ("title", "楼道长"),
            ("detail", "每周走访独居老人"),
            ("seats", "2"),
        ],
    );
    let post = location.trim_start_matches("/posts/").to_owned();
    let text = page.text();
    assert!(text.contains("0 / 2") && text.contains("招募中"), "{text}");
    assert_no_english(&text);

    let (member, _) = post_ok(
        &node,
        "/members",
        &[
            ("name", "张婷"),
            ("work_unit", "城关派出所"),
            ("reported_in", "2026-05-20"),
        ],
    );
    let member = member.trim_start_matches("/members/").to_owned();
    let org = add_org(&node, &credit_code(5).to_string(), "沧州市第一中学党委");
    let claim = format!("/posts/{post}/claim");
    let nobody = post_form(&node, &claim, &[("by", "")]);
    assert_eq!(nobody.status, 400);
    assert!(nobody.text().contains("请选择认领人"), "{}", nobody.text());

    post_ok(&node, &claim, &[("by", &format!("member:{member}"))]);
    let twice = post_form(&node, &claim, &[("by", &format!("member:{member}"))]);
    assert_eq!(twice.status, 409);
    assert!(twice.text().contains("操作未生效"), "{}", twice.text());
    let (_, page) = post_ok(&node, &claim, &[("by", &format!("org:{org}"))]);
    let text = page.text();
    assert!(text.contains("2 / 2") && text.contains("已满员"), "{text}");
    assert!(!text.contains("认领席位"), "a full post offers no seat");
    let board = get(&node, "/board").text();
    assert!(
        board.contains("楼道长") && board.contains("张婷"),
        "{board}"
    );
    assert_eq!(get(&node, &claim).status, 200, "the step's address reloads");

    let (_, page) = post_ok(
        &node,
        &format!("/posts/{post}/release"),
        &[("by", &format!("member:{member}"))],
    );
    assert!(page.text().contains("1 / 2"), "{}", page.text());

    let withdraw = format!("/posts/{post}/withdraw");
    let confirm = get(&node, &withdraw);
    assert_eq!(confirm.status, 200);
    assert!(confirm.text().contains("撤销这个服务岗位？"));
    assert_no_english(&confirm.text());
    let (_, page) = post_ok(&node, &withdraw, &[("note", "岗位调整")]);
    assert!(page.text().contains("已撤销"), "{}", page.text());
    assert!(!get(&node, "/board").text().contains("楼道长"));
    let late = post_form(&node, &claim, &[("by", &format!("member:{member}"))]);
    assert_eq!(late.status, 409);

    let (name, rows) = download(&node, "/posts.csv");
    assert!(name.starts_with("服务岗位台账-"), "{name}");
    assert_eq!(
        rows[0],
        [
            "岗位",
            "类别",
            "岗位职责",
            "席位",
            "已认领",
            "认领人",
            "状态"
        ]
    );
    assert_eq!(
        rows[1][..4],
        ["楼道长", "扶弱济困", "每周走访独居老人", "2"]
    );
    assert_eq!(rows[1][6], "已撤销");

    for path in [
        format!("/posts/{post}/dance"),
        "/posts/zz".to_owned(),
        "/posts/0123456789abcdef0123456789abcdef".to_owned(),
    ] {
        assert_eq!(get(&node, &path).status, 404, "{path}");
    }
    assert_eq!(
        post_form(&node, &format!("/posts/{post}/dance"), &[]).status,
        404
    );
}

fn project_state(node: &TestNode, project: &str) -> String {
    let (_, record) = node.get(&format!("/api/projects/{project}"));
    record["status"]["state"].as_str().unwrap().to_owned()
}

#[test]
fn a_project_goes_from_submitted_to_done_and_closing_steps_ask_first() {
    let node = TestNode::start();
    let empty = get(&node, "/projects").text();
    assert!(empty.contains("id=\"projects\">暂无"), "{empty}");
    assert_no_english(&empty);

    let refused = post_form(
        &node,
        "/projects",
        &[
            ("title", ""),
            ("kind", "micro_project"),
            ("detail", "3号楼"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert_at_field(&refused.text(), "title", "不能为空");
    assert!(refused.text().contains("3号楼"));
    let (_, projects) = node.get("/api/projects");
    assert_eq!(projects.as_array().unwrap().len(), 0, "nothing written");

    let fields = [
        ("title", "加装楼道扶手"),
        ("kind", "micro_project"),
        ("detail", "3号楼老人多"),
    ];
    let (location, page) = post_ok(&node, "/projects", &fields);
    let project = location.trim_start_matches("/projects/").to_owned();
    assert!(page.text().contains("action-publish"));
    assert_no_english(&page.text());
    post_ok(&node, &format!("/projects/{project}/publish"), &[]);

    // Only an organisation claims a project: a member is refused, in Chinese.
    let (member, _) = post_ok(
        &node,
        "/members",
        &[
            ("name", "张婷"),
            ("work_unit", "城关派出所"),
            ("reported_in", "2026-05-20"),
        ],
    );
    let member = member.trim_start_matches("/members/");
    let claim = format!("/projects/{project}/claim");
    let by_member = post_form(&node, &claim, &[("by", &format!("member:{member}"))]);
    assert_eq!(by_member.status, 409, "{}", by_member.text());
    assert_no_english(&by_member.text());
    assert_eq!(project_state(&node, &project), "published");
    let org = add_org(&node, &credit_code(3).to_string(), "沧州市第一中学党委");
    post_ok(&node, &claim, &[("by", &format!("org:{org}"))]);
    assert_eq!(project_state(&node, &project), "claimed");
    assert!(
        get(&node, &format!("/orgs/{org}"))
            .text()
            .contains("加装楼道扶手")
    );

    // A release asks first; then the project is published again.
    let release = format!("/projects/{project}/release");
    let confirm = get(&node, &release);
    assert_eq!(confirm.status, 200);
    assert!(confirm.text().contains("放弃对这个项目的认领？"));
    assert_no_english(&confirm.text());
    post_ok(
        &node,
        &release,
        &[("by", &format!("org:{org}")), ("note", "")],
    );
    assert_eq!(project_state(&node, &project), "published");
    post_ok(&node, &claim, &[("by", &format!("org:{org}"))]);
    let (_, page) = post_ok(
        &node,
        &format!("/projects/{project}/fulfil"),
        &[("note", "扶手已装好")],
    );
    assert!(page.text().contains("扶手已装好"), "{}", page.text());
    assert_eq!(project_state(&node, &project), "fulfilled");

    // A withdrawal needs its reason, kept as typed when refused.
    let (location, _) = post_ok(
        &node,
        "/projects",
        &[("title", "修路灯"), ("kind", "pressing_problem")],
    );
    let second = location.trim_start_matches("/projects/").to_owned();
    let withdraw = format!("/projects/{second}/withdraw");
    let refused = post_form(&node, &withdraw, &[("note", " ")]);
    assert_eq!(refused.status, 400);
    assert_at_field(&refused.text(), "note", "请填写此项");
    assert_eq!(project_state(&node, &second), "submitted");
    let (_, page) = post_ok(&node, &withdraw, &[("note", "街道已统一维修")]);
    assert!(page.text().contains("街道已统一维修"));
    assert_eq!(project_state(&node, &second), "withdrawn");

    let (name, rows) = download(&node, "/projects.csv");
    assert!(name.starts_with("民生微项目台账-"), "{name}");
    assert_eq!(
        rows[0],
        [
            "项目",
            "类型",
            "项目内容",
            "阶段",
            "承接单位（份额）",
            "提交日期",
            "终止理由",
            "征集主体"
        ]
    );
    assert_eq!(
        rows[1][..5],
        [
            "加装楼道扶手",
            "民生微项目",
            "3号楼老人多",
            "完成",
            "沧州市第一中学党委 100%"
        ]
    );
    assert_eq!(rows[2][6], "街道已统一维修");

    for path in [
        format!("/projects/{project}/dance"),
        "/projects/zz".to_owned(),
    ] {
        assert_eq!(get(&node, &path).status, 404, "{path}");
    }
    assert_eq!(
        post_form(&node, &format!("/projects/{project}/dance"), &[]).status,
        404
    );
}
