//! Collection rounds (分批) on the node: the JSON API (`/api/rounds`, `?round=` on
//! `/api/wishes`) and the pages — the list with the form that opens a round, a
//! round's page and its close button, the wish form's round choice, the move of a
//! recorded wish to another round (`/api/wishes/{id}/round` and the form on the wish's
//! page), and the tree and the board cut by round. Good input saves; bad input is refused at its field in
//! Chinese (in English, with the field, by the API) and nothing is written.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{assert_at_field, assert_no_english, download, get, post_form, post_ok};
use support::{TestNode, member_body, wish_body};
use wishtree_protocol::Date;

/// The node's today, `days` on (back, if negative), as the API writes dates.
fn day(days: i32) -> String {
    let today = wishtree_node::now().date_in_shanghai();
    Date::from_days(today.to_days() + days).to_string()
}

/// A form's fields as posted.
type Fields<'a> = &'a [(&'a str, &'a str)];

fn rounds(node: &TestNode) -> usize {
    let (status, list) = node.get("/api/rounds");
    assert_eq!(status, 200);
    list.as_array().unwrap().len()
}

/// Two rounds through the API: the first closed ten days ago, the second open since.
fn two_rounds(node: &TestNode) -> (String, String) {
    let mut ids = Vec::new();
    for (name, opens, closes) in [
        ("第一批", day(-40), Some(day(-10))),
        ("第二批", day(-9), None),
    ] {
        let (status, round) = node.post(
            "/api/rounds",
            &json!({ "name": name, "opens": opens, "closes": closes }),
        );
        assert_eq!(status, 201, "{round}");
        ids.push(round["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

#[test]
fn the_api_opens_lists_and_closes_rounds_and_places_wishes() {
    let node = TestNode::start();
    let (first, second) = two_rounds(&node);
    let (_, listed) = node.get("/api/rounds");
    assert_eq!(listed[0]["name"], "第一批");
    assert_eq!(listed[0]["is_closed"], true);
    assert_eq!(listed[1]["is_closed"], false);

    // Today's wish goes in the second round; one may be placed in the first.
    let (status, today) = node.post("/api/wishes", &wish_body("希望有一台微波炉"));
    assert_eq!(status, 201);
    assert_eq!(today["round"], second.as_str());
    let mut picked = wish_body("想要一个新书包");
    picked["round"] = json!(first);
    let (status, picked) = node.post("/api/wishes", &picked);
    assert_eq!(status, 201, "{picked}");
    assert_eq!(picked["round"], first.as_str());
    let (_, in_first) = node.get(&format!("/api/wishes?round={first}"));
    assert_eq!(in_first.as_array().unwrap().len(), 1);
    let (_, none) = node.get("/api/wishes?round=none");
    assert_eq!(none.as_array().unwrap().len(), 0);
    let (_, round) = node.get(&format!("/api/rounds/{second}"));
    assert_eq!(round["wishes"], 1);

    let (status, closed) = node.post(&format!("/api/rounds/{second}/close"), &json!({}));
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["closes"], day(0));

    // Refusals, each in English with its field or state, nothing written.
    let before = rounds(&node);
    for (body, status, words) in [
        (
            json!({ "name": "第一批", "opens": day(10) }),
            400,
            "name: the community already has a round of this name",
        ),
        (
            json!({ "name": "第三批", "opens": day(-20), "closes": day(-15) }),
            400,
            "opens: the round's days overlap round 第一批",
        ),
        (
            json!({ "name": "第三批", "opens": day(10), "closes": day(5) }),
            400,
            "closes must be on or after",
        ),
        (
            json!({ "name": "第三批", "opens": "明天" }),
            400,
            "opens: `明天` is not a date",
        ),
        (json!({ "name": "", "opens": day(10) }), 400, "name"),
        (json!({ "name": "第三批" }), 400, "opens is missing"),
    ] {
        let (answer, error) = node.post("/api/rounds", &body);
        assert_eq!(answer, status, "{body}: {error}");
        assert!(
            error["error"].as_str().unwrap().contains(words),
            "{body}: {error}"
        );
    }
    assert_eq!(rounds(&node), before);
    let (status, error) = node.post(&format!("/api/rounds/{second}/close"), &json!({}));
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"], "round 第二批 is closed already");
    let (status, _) = node.post("/api/rounds/not-an-id/close", &json!({}));
    assert_eq!(status, 400);
    let (status, _) = node.get("/api/wishes?round=not-an-id");
    assert_eq!(status, 400);
    let mut unknown = wish_body("没有的批次");
    unknown["round"] = json!("00000000000000000000000000000000");
    let (status, _) = node.post("/api/wishes", &unknown);
    assert_eq!(status, 404, "a round that is not there");
}

#[test]
fn the_rounds_page_opens_and_closes_a_round_and_refuses_in_chinese() {
    let node = TestNode::start();
    let page = get(&node, "/rounds").text();
    assert!(page.contains("id=\"rounds\">暂无"), "{page}");
    assert!(
        page.contains(&format!("value=\"{}\"", day(0))),
        "opens defaults to today"
    );
    assert_no_english(&page);

    let (location, page) = post_ok(&node, "/rounds", &[("name", "第一批"), ("opens", &day(-5))]);
    assert!(location.starts_with("/rounds/"), "{location}");
    assert!(page.text().contains("征集中"), "{}", page.text());
    assert_no_english(&page.text());
    let round = location.trim_start_matches("/rounds/").to_owned();

    // Each refusal beside its field, in Chinese, nothing written.
    let cases: [(Fields, &str, &str); 5] = [
        (
            &[("name", "第一批"), ("opens", &day(30))],
            "name",
            "已有同名的批次",
        ),
        (
            &[("name", "第二批"), ("opens", &day(10))],
            "opens",
            "与“第一批”的日期重叠",
        ),
        (
            &[
                ("name", "第二批"),
                ("opens", &day(40)),
                ("closes", &day(35)),
            ],
            "closes",
            "",
        ),
        (
            &[("name", "第二批"), ("opens", "下周")],
            "opens",
            "不是有效的日期",
        ),
        (&[("name", ""), ("opens", &day(40))], "name", ""),
    ];
    for (fields, field, words) in cases {
        let answer = post_form(&node, "/rounds", fields);
        assert_eq!(answer.status, 400, "{fields:?}: {}", answer.text());
        let text = answer.text();
        assert_at_field(&text, field, words);
        assert_no_english(&text);
        assert_eq!(rounds(&node), 1, "{fields:?} wrote though refused");
    }

    // Closed today, then closing again is refused with why, nothing written.
    let (_, page) = post_ok(&node, &format!("/rounds/{round}/close"), &[]);
    let text = page.text();
    assert!(
        text.contains("今天截止") && text.contains(&day(0)),
        "{text}"
    );
    assert!(
        !text.contains("id=\"close-form\""),
        "no close button once closing today"
    );
    let again = post_form(&node, &format!("/rounds/{round}/close"), &[]);
    assert_eq!(again.status, 409);
    assert!(
        again.text().contains("“第一批”已经截止"),
        "{}",
        again.text()
    );
    assert!(!again.text().contains("id=\"close-form\""));
    assert_no_english(&again.text());
    assert_eq!(get(&node, &format!("/rounds/{round}/close")).status, 200);
    assert_eq!(get(&node, "/rounds/not-an-id").status, 404);

    let (_, rows) = download(&node, "/rounds.csv");
    assert_eq!(rows[0][..4], ["批次", "开始日期", "截止日期", "状态"]);
    assert_eq!(rows[1][0], "第一批");
}

#[test]
fn the_wish_form_the_tree_and_the_board_go_by_round() {
    let node = TestNode::start();
    let page = get(&node, "/wishes/new").text();
    assert!(
        !page.contains("name=\"round\""),
        "no round choice without rounds"
    );
    assert!(!get(&node, "/").text().contains("id=\"round-filter\""));
    let (first, second) = two_rounds(&node);

    let page = get(&node, "/wishes/new").text();
    assert!(page.contains("今天属于第二批"), "{page}");
    let wish = |title: &str, round: &str| {
        let fields = [
            ("title", title),
            ("kind", "goods"),
            ("group", "disabled"),
            ("resident_label", "行宫社区 彭女士"),
            ("round", round),
        ];
        let (location, page) = post_ok(&node, "/wishes", &fields);
        (
            location.trim_start_matches("/wishes/").to_owned(),
            page.text(),
        )
    };
    let (today, page) = wish("希望有一台微波炉", "");
    assert!(page.contains("第二批"), "the wish page names its round");
    let (old, _) = wish("想要一个新书包", &first);
    let bad = post_form(
        &node,
        "/wishes",
        &[
            ("title", "x"),
            ("kind", "goods"),
            ("group", "disabled"),
            ("resident_label", "x"),
            ("round", "nonsense"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert_at_field(&bad.text(), "round", "");

    // The tree of one round shows its wishes only; of no round, none here.
    let tree = |query: &str| get(&node, &format!("/{query}")).text();
    let (all, in_first, unassigned) = (
        tree(""),
        tree(&format!("?round={first}")),
        tree("?round=none"),
    );
    assert!(all.contains("希望有一台微波炉") && all.contains("想要一个新书包"));
    assert!(in_first.contains("想要一个新书包") && !in_first.contains("希望有一台微波炉"));
    assert!(!unassigned.contains("想要一个新书包") && !unassigned.contains("希望有一台微波炉"));
    assert!(all.contains("id=\"round-filter\""));
    assert_no_english(&in_first);
    assert_eq!(get(&node, "/?round=nonsense").status, 400);

    // The board cut by round: claimed wishes of that round only.
    let (_, member) = node.post("/api/members", &member_body("张婷"));
    let by = format!("member:{}", member["id"].as_str().unwrap());
    for id in [&today, &old] {
        for (action, body) in [("publish", json!({})), ("claim", json!({ "by": by }))] {
            let (status, answer) = node.post(&format!("/api/wishes/{id}/{action}"), &body);
            assert_eq!(status, 200, "{answer}");
        }
    }
    // The wish ledger's file names each wish's round.
    let (_, rows) = download(&node, "/wishes.csv");
    let round_of = |title: &str| {
        rows.iter()
            .find(|row| row[0] == title)
            .unwrap()
            .last()
            .cloned()
    };
    assert_eq!(round_of("希望有一台微波炉").as_deref(), Some("第二批"));
    assert_eq!(round_of("想要一个新书包").as_deref(), Some("第一批"));

    let board = get(&node, &format!("/board?round={second}")).text();
    assert!(
        board.contains("希望有一台微波炉") && !board.contains("想要一个新书包"),
        "{board}"
    );
    assert_no_english(&board);
}

/// A recorded wish moves to another round — by the API and by the form on its page —
/// and out of every round; each bad move is refused (in English with its field by the
/// API, in Chinese beside the choice by the page) and nothing is written.
#[test]
fn a_wish_moves_to_another_round_by_the_api_and_by_its_page() {
    let node = TestNode::start();
    let (first, second) = two_rounds(&node);
    let (_, wish) = node.post("/api/wishes", &wish_body("希望有一台微波炉"));
    let id = wish["id"].as_str().unwrap().to_owned();
    assert_eq!(wish["round"], second.as_str());
    let api = format!("/api/wishes/{id}/round");
    let (status, moved) = node.post(&api, &json!({ "round": first }));
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["round"], first.as_str());
    let (status, moved) = node.post(&api, &json!({ "round": "none" }));
    assert_eq!(status, 200, "{moved}");
    assert!(moved["round"].is_null(), "未分批: {moved}");

    let record = || node.get(&format!("/api/wishes/{id}")).1;
    let before = record();
    for (path, body, status, words) in [
        (
            api.as_str(),
            json!({ "round": "none" }),
            400,
            "round: the wish is in no round (未分批) already; choose another round",
        ),
        (
            api.as_str(),
            json!({ "round": "00000000000000000000000000000000" }),
            404,
            "there is no round",
        ),
        (api.as_str(), json!({ "round": "第一批" }), 400, "round"),
        (api.as_str(), json!({}), 400, "round is missing"),
        (
            "/api/wishes/00000000000000000000000000000000/round",
            json!({ "round": first }),
            404,
            "there is no wish",
        ),
        (
            "/api/wishes/not-an-id/round",
            json!({ "round": first }),
            400,
            "id",
        ),
    ] {
        let (answer, error) = node.post(path, &body);
        assert_eq!(answer, status, "{path} {body}: {error}");
        assert!(
            error["error"].as_str().unwrap().contains(words),
            "{path} {body}: {error}"
        );
        assert_eq!(record(), before, "{path} {body} wrote though refused");
    }

    // The page offers every other round (not 未分批, where the wish is) and moves it.
    let page = get(&node, &format!("/wishes/{id}")).text();
    let form = &page[page.find("id=\"round-form\"").expect("the move form")..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains(&format!("value=\"{first}\""))
            && form.contains(&format!("value=\"{second}\""))
    );
    assert!(!form.contains("value=\"none\""), "{form}");
    assert_no_english(&page);
    let (location, moved) = post_ok(&node, &format!("/wishes/{id}/round"), &[("round", &second)]);
    assert_eq!(location, format!("/wishes/{id}"));
    assert!(moved.text().contains("第二批"), "{}", moved.text());
    assert_eq!(record()["round"], second.as_str());

    let before = record();
    let cases: [(Fields, u16, &str); 3] = [
        (&[("round", &second)], 409, "心愿已在这个批次中"),
        (&[("round", "")], 400, ""),
        (&[("round", "nonsense")], 400, "编号不对"),
    ];
    for (fields, status, words) in cases {
        let answer = post_form(&node, &format!("/wishes/{id}/round"), fields);
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.text());
        assert_at_field(&answer.text(), "round", words);
        assert_no_english(&answer.text());
        assert_eq!(record(), before, "{fields:?} wrote though refused");
    }
    assert_eq!(get(&node, &format!("/wishes/{id}/round")).status, 200);
}
