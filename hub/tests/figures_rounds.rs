//! Figures cut by collection round (批次): each wish row keeps its round's name, a
//! region's figures asked with `round=` count the wishes of the rounds of that name in
//! every community (and nothing else changes), as do the regions below and the months
//! (`/api/figures/children`, `/api/figures/months`), the JSON and the CSV say the round,
//! the dashboard offers the region's rounds, and a bad `round=` is a 400.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::figures::{self, Filter, Period, RoundCut};
use wishtree_protocol::model::{Actor, EventKind};

const DAY: i64 = 60 * 24;

/// Two communities of one street: 名人社区 with 第一批 (January) and 第二批 (from
/// February), 北环桥社区 with its own 第一批; a wish of each round, and one before
/// any round (未分批).
fn city_with_rounds() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let mut a = Writer::new(code("130903001001"), "名人社区", 71, at_minute(0));
    let member = a.add_member(None, date("2026-01-02"), at_minute(1));
    let before_rounds = a.submit_wish(at_minute(2));
    a.add_round(
        "第一批",
        date("2026-01-01"),
        Some(date("2026-01-31")),
        at_minute(3),
    );
    a.add_round("第二批", date("2026-02-01"), None, at_minute(4));
    let first = a.submit_wish(at_minute(10 * DAY));
    a.wish_event(first, EventKind::Publish, worker(), at_minute(10 * DAY + 1));
    a.wish_event(
        first,
        EventKind::Claim,
        Actor::Member(member),
        at_minute(12 * DAY),
    );
    let second = a.submit_wish(at_minute(40 * DAY));
    a.wish_event(
        second,
        EventKind::Publish,
        worker(),
        at_minute(40 * DAY + 1),
    );
    let _ = before_rounds;
    deliver(&database, &a.doc, Some(NOW));

    let mut b = Writer::new(code("130903001002"), "北环桥社区", 72, at_minute(0));
    b.add_round("第一批", date("2026-01-01"), None, at_minute(3));
    let other_first = b.submit_wish(at_minute(20 * DAY));
    b.wish_event(
        other_first,
        EventKind::Reject,
        worker(),
        at_minute(21 * DAY),
    );
    deliver(&database, &b.doc, Some(NOW));
    (dir, database)
}

fn figures_of(
    database: &std::path::Path,
    region_text: &str,
    round: Option<&str>,
) -> figures::Figures {
    let connection = rusqlite::Connection::open(database).unwrap();
    let filter = Filter {
        region: region(region_text),
        period: Period::all(),
        org: None,
        round: round.map(|name| RoundCut::parse(name).unwrap().unwrap()),
    };
    figures::figures(&connection, &filter, NOW).unwrap()
}

#[test]
fn a_round_cuts_the_wish_figures_of_every_community_by_its_name() {
    let (_dir, database) = city_with_rounds();
    let all = figures_of(&database, "130903001", None);
    assert_eq!(all.wishes.total, 4);
    assert_eq!(all.round, None);

    // 第一批 of both communities: one claimed, one rejected.
    let first = figures_of(&database, "130903001", Some("第一批"));
    assert_eq!(first.wishes.total, 2);
    assert_eq!(first.wishes.claimed, 1);
    assert_eq!(first.wishes.rejected, 1);
    assert_eq!(first.members_with_claimed_wish, 1);
    assert_eq!(first.median_days_to_claim, Some(2.0));
    assert_eq!(first.wishes_fulfilled_rate, Some(0.0));
    // What belongs to no round is as uncut.
    assert_eq!(first.members_reported, all.members_reported);
    assert_eq!(first.round.as_ref().map(RoundCut::as_str), Some("第一批"));

    // One community's 第一批 alone, and a round nobody has.
    assert_eq!(
        figures_of(&database, "130903001001", Some("第一批"))
            .wishes
            .total,
        1
    );
    let second = figures_of(&database, "130903001", Some("第二批"));
    assert_eq!((second.wishes.total, second.wishes.published), (1, 1));
    assert_eq!(second.median_days_to_claim, None);
    assert_eq!(
        figures_of(&database, "1309", Some("第九批")).wishes.total,
        0
    );

    let connection = rusqlite::Connection::open(&database).unwrap();
    assert_eq!(
        figures::round_names(&connection, &region("1309")).unwrap(),
        ["第一批", "第二批"]
    );
    assert_eq!(
        figures::round_names(&connection, &region("130903001002")).unwrap(),
        ["第一批"]
    );
}

#[test]
fn the_api_csv_and_dashboard_take_a_round_and_refuse_a_bad_one() {
    let (_dir, database) = city_with_rounds();
    let server = Server::start(&database, "1309");
    let figures = server.json("/api/figures?region=1309&round=%E7%AC%AC%E4%B8%80%E6%89%B9");
    assert_eq!(figures["round"], "第一批");
    assert_eq!(figures["wishes"]["total"], 2);
    let csv = server.get("/api/figures.csv?region=1309&round=%E7%AC%AC%E4%BA%8C%E6%89%B9");
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(
        text.contains("微心愿征集批次") && text.contains("第二批"),
        "{text}"
    );

    let long = "批".repeat(41);
    let answer = server.get(&format!("/api/figures?region=1309&round={long}"));
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert!(answer.text().contains("round must be a round's name"));

    let page = server.get("/?region=1309").text();
    assert!(page.contains("id=\"round-form\""), "{page}");
    assert!(
        page.contains("<option value=\"第二批\">第二批</option>"),
        "{page}"
    );
    let cut = server
        .get("/?region=1309&round=%E7%AC%AC%E4%B8%80%E6%89%B9")
        .text();
    assert!(cut.contains("id=\"round-shown\""), "{cut}");
    assert!(cut.contains("<option value=\"第一批\" selected>"), "{cut}");
    assert_eq!(
        server.get(&format!("/?region=1309&round={long}")).status,
        400
    );
}

/// The regions below and the months, asked with `round=`: each community's and each
/// month's wish columns count the wishes of the rounds of that name alone, the other
/// columns are as uncut, and a bad `round=` is a 400.
#[test]
fn a_round_cuts_the_regions_below_and_the_months() {
    let (_dir, database) = city_with_rounds();
    let server = Server::start(&database, "1309");
    let first = "%E7%AC%AC%E4%B8%80%E6%89%B9";
    let second = "%E7%AC%AC%E4%BA%8C%E6%89%B9";

    let wishes_by_child = |query: &str| -> Vec<(String, u64)> {
        let children = server.json(&format!("/api/figures/children?region=130903001{query}"));
        children
            .as_array()
            .unwrap()
            .iter()
            .map(|child| {
                let total = child["figures"]["wishes"]["total"].as_u64().unwrap();
                (child["region"].as_str().unwrap().to_owned(), total)
            })
            .collect()
    };
    let pair = |code: &str, total| (code.to_owned(), total);
    assert_eq!(
        wishes_by_child(""),
        [pair("130903001001", 3), pair("130903001002", 1)]
    );
    assert_eq!(
        wishes_by_child(&format!("&round={first}")),
        [pair("130903001001", 1), pair("130903001002", 1)]
    );
    let cut = server.json(&format!(
        "/api/figures/children?region=130903001&round={first}"
    ));
    assert_eq!(cut[0]["figures"]["round"], "第一批");
    assert_eq!(cut[0]["figures"]["members_reported"], 1, "no round's");

    // (month, wishes collected, claimed, fulfilled, members reported).
    let months = |query: &str| -> Vec<(String, u64, u64, u64, u64)> {
        let months = server.json(&format!("/api/figures/months?region=130903001{query}"));
        months
            .as_array()
            .unwrap()
            .iter()
            .map(|month| {
                let count = |key: &str| month[key].as_u64().unwrap();
                (
                    month["month"].as_str().unwrap().to_owned(),
                    count("wishes_total"),
                    count("wishes_claimed"),
                    count("wishes_fulfilled"),
                    count("members_reported"),
                )
            })
            .collect()
    };
    let row = |month: &str, total, claimed, members| (month.to_owned(), total, claimed, 0, members);
    assert_eq!(
        months(""),
        [row("2026-01", 3, 1, 1), row("2026-02", 1, 0, 0)]
    );
    assert_eq!(
        months(&format!("&round={first}")),
        [row("2026-01", 2, 1, 1), row("2026-02", 0, 0, 0)]
    );
    assert_eq!(
        months(&format!("&round={second}")),
        [row("2026-01", 0, 0, 1), row("2026-02", 1, 0, 0)]
    );
    let csv = server.get(&format!(
        "/api/figures/months.csv?region=130903001&round={first}"
    ));
    assert_eq!(csv.status, 200, "{}", csv.text());

    let long = "批".repeat(41);
    for path in ["children", "months"] {
        let answer = server.get(&format!("/api/figures/{path}?region=1309&round={long}"));
        assert_eq!(answer.status, 400, "{path}: {}", answer.text());
    }
}
