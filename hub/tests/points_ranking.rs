//! Points rankings at the hub (issue 13, item 5): the members of a region ranked by the
//! points they earned in a half-year, as JSON, CSV and the 积分排行 page, for viewers
//! whose scope holds the region — a district viewer asking another district's ranking
//! gets 403, an organisation account gets 403 — and only by half-year.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use serde_json::Value;

/// (rank, points, community) of a JSON ranking.
fn places(ranking: &Value) -> Vec<(u64, u64, String)> {
    ranking["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rank"].as_u64().unwrap(),
                m["points"].as_u64().unwrap(),
                m["community_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn members_are_ranked_by_the_points_they_earned_in_the_half_year() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    // The sample city at 10 points an hour: in 2026H2 名人社区's three members earned
    // 15 each (an activity of 90 minutes), 北环桥社区's one 8, 朝阳社区's one 5; in
    // 2026H1 世纪城社区's two 25 each and a 名人社区 member 20 (120 minutes).
    let second = server.json("/api/rankings/points?region=1309&period=2026H2");
    assert_eq!(second["ranked"], 5, "{second}");
    let names = |n: &str| n.to_owned();
    assert_eq!(
        places(&second),
        [
            (1, 15, names("名人社区")),
            (1, 15, names("名人社区")),
            (1, 15, names("名人社区")),
            (4, 8, names("北环桥社区")),
            (5, 5, names("朝阳社区")),
        ]
    );
    let first = server.json("/api/rankings/points?region=1309&period=2026H1");
    assert_eq!(
        places(&first),
        [
            (1, 25, names("世纪城社区")),
            (1, 25, names("世纪城社区")),
            (3, 20, names("名人社区")),
        ]
    );
    // A street, and a limit: the count is of everyone ranked there.
    let street = server.json("/api/rankings/points?region=130903001&period=2026H2&limit=2");
    assert_eq!(
        (street["ranked"].as_u64(), places(&street).len()),
        (Some(4), 2)
    );
    let district = server.json("/api/rankings/points?region=130902&period=2026H2");
    assert_eq!(district["ranked"], 0);

    // The file a person opens.
    let file = server.get("/api/rankings/points.csv?region=1309&period=2026H2");
    assert_eq!(file.status, 200);
    let text = file.text();
    assert!(
        text.starts_with("\u{feff}名次,党员,社区代码,社区,积分\r\n"),
        "{text}"
    );
    // Names come from the documents the hub holds; this server holds none (nor does
    // any figure table hold a name).
    assert!(
        text.contains("5,,\"=\"\"130903002001\"\"\",朝阳社区,5\r\n"),
        "{text}"
    );

    // The page, and the half-year only.
    let page = server.get("/rankings/points?region=1309&period=2026H2");
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(
        page.contains("积分排行") && page.contains("2026年下半年"),
        "{page}"
    );
    assert!(page.contains("北环桥社区"));
    for bad in [
        "/api/rankings/points?region=1309&from=2026-01-01&to=2026-03-31",
        "/api/rankings/points?region=1309&period=2026-07",
        "/api/rankings/points?region=1309&period=2026H2&limit=0",
        "/rankings/points?region=1309&period=2026-07",
    ] {
        assert_eq!(server.get(bad).status, 400, "{bad}");
    }
}

#[test]
fn a_ranking_is_shown_only_to_viewers_whose_scope_holds_its_region() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let (district, unit) = district_and_unit(&server);
    let status = |session: &Session, path: &str| server.send(session.on(Request::get(path))).status;
    for (path, expected) in [
        ("/api/rankings/points?region=130903&period=2026H2", 200),
        (
            "/api/rankings/points?region=130903001001&period=2026H2",
            200,
        ),
        ("/api/rankings/points.csv?region=130903&period=2026H2", 200),
        ("/rankings/points?region=130903", 200),
        ("/api/rankings/points?region=130902&period=2026H2", 403),
        ("/api/rankings/points.csv?region=130902&period=2026H2", 403),
        ("/api/rankings/points?region=1309&period=2026H2", 403),
        ("/rankings/points?region=130902", 403),
        ("/rankings/points?region=1309", 403),
    ] {
        assert_eq!(status(&district, path), expected, "{path}");
    }
    for path in [
        "/api/rankings/points?region=130903&period=2026H2",
        "/rankings/points?region=1309",
    ] {
        assert_eq!(status(&unit, path), 403, "{path}");
    }
    // The district's own ranking holds nobody from elsewhere.
    let own = server
        .send(district.on(Request::get("/api/rankings/points?period=2026H1")))
        .json();
    assert_eq!(own["region"], "130903", "{own}");
    assert_eq!(places(&own), [(1, 20, "名人社区".to_owned())]);
}
