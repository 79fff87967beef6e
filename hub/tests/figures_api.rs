//! The figures API over a small sample city: the figures a department would check by
//! hand, drill-down, organisations, rankings, sync health, CSV (columns, BOM, formula
//! injection) and the 400s that name what was wrong.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use serde_json::Value;

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

#[test]
fn city_figures_count_what_the_communities_recorded() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let figures = server.json("/api/figures?region=1309");
    assert_eq!(figures["name"], "沧州市");
    assert_eq!(figures["region"], "1309");
    for (key, expected) in [
        ("communities", 4.0),
        ("communities_synced_24h", 3.0),
        ("members_reported", 7.0),
        ("orgs_reported", 2.0),
        ("pairings", 1.0),
        ("activities", 2.0),
        // 3 people × 90 min and 2 × 150 min in activities; 120, 45 and 30 alone.
        ("participations", 5.0),
        ("service_records", 8.0),
        ("service_minutes", 765.0),
        ("service_hours", 12.75),
        // 10 points an hour, rounded per record: 15×3 + 25×2 + 20 + 8 + 5.
        ("points_earned", 128.0),
        ("points_redeemed", 0.0),
        ("members_with_claimed_wish", 4.0),
        ("orgs_with_claimed_project", 1.0),
        // Days to claim 3, 1, 2, 1, 5; to fulfil 10, 4, 10.
        ("median_days_to_claim", 2.0),
        ("median_days_to_fulfil", 10.0),
    ] {
        assert_eq!(number(&figures, key), expected, "{key}");
    }
    let wishes = &figures["wishes"];
    for (state, expected) in [
        ("total", 7),
        ("submitted", 0),
        ("published", 1),
        ("claimed", 2),
        ("fulfilled", 3),
        ("rejected", 1),
        ("withdrawn", 0),
    ] {
        assert_eq!(wishes[state], expected, "wishes.{state}");
    }
    assert_eq!(figures["projects"]["fulfilled"], 1);
    assert_eq!(number(&figures, "wishes_fulfilled_rate"), 3.0 / 6.0);
    assert_eq!(
        number(&figures, "members_with_claimed_wish_rate"),
        4.0 / 7.0
    );
}

#[test]
fn periods_cut_facts_by_their_day_and_stocks_by_the_end() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    // Wishes submitted in the first half-year: all but the one of day 200 (July 20).
    let first_half = server.json("/api/figures?region=1309&period=2026H1");
    assert_eq!(first_half["wishes"]["total"], 6);
    assert_eq!(first_half["from"], "2026-01-01");
    assert_eq!(first_half["to"], "2026-06-30");
    // Members who reported in by the end of March: 2026-01-20, 02-02, 02-03, 02-10, 03-03.
    let march = server.json("/api/figures?region=1309&to=2026-03-31");
    assert_eq!(march["members_reported"], 5);
    // July: the activity of the 15th and the service of the 1st and 21st.
    let july = server.json("/api/figures?region=1309&period=2026-07");
    assert_eq!(july["activities"], 1);
    assert_eq!(july["participations"], 3);
    assert_eq!(july["service_minutes"], 270 + 45 + 30);
    // A period of days inside a month reads the raw rows.
    let days = server.json("/api/figures?region=1309&from=2026-07-10&to=2026-07-20");
    assert_eq!(days["service_minutes"], 270);
    let months = server.json("/api/figures/months?region=1309");
    let july_row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2026-07")
        .unwrap();
    assert_eq!(july_row["service_minutes"], 345);
}

#[test]
fn children_drill_down_from_city_to_community() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let districts = server.json("/api/figures/children?region=1309");
    let districts = districts.as_array().unwrap();
    let names: Vec<(&str, &str)> = districts
        .iter()
        .map(|d| {
            (
                d["region"].as_str().unwrap(),
                d["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(names, [("130902", "新华区"), ("130903", "运河区")]);
    let members: u64 = districts
        .iter()
        .map(|d| d["figures"]["members_reported"].as_u64().unwrap())
        .sum();
    assert_eq!(members, 7);

    let streets = server.json("/api/figures/children?region=130903");
    let streets = streets.as_array().unwrap();
    assert_eq!(streets.len(), 2);
    assert_eq!(streets[1]["region"], "130903002");
    assert!(
        streets[1]["name"].is_null(),
        "an unnamed street has no name"
    );

    let communities = server.json("/api/figures/children?region=130903001");
    let names: Vec<&str> = communities
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["名人社区", "北环桥社区"]);
    let none = server.json("/api/figures/children?region=130903001001");
    assert_eq!(none.as_array().unwrap().len(), 0);
}

#[test]
fn an_organisation_is_one_across_communities() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let profile = server.json(&format!("/api/orgs/{}/figures", city.big_org));
    assert_eq!(profile["name"], "沧州市发改委党组");
    let figures = &profile["figures"];
    // Named in 名人, 北环桥 and 世纪城; reported in to 名人 and 世纪城.
    assert_eq!(figures["communities"], 3);
    assert_eq!(figures["orgs_reported"], 1);
    assert_eq!(figures["members_reported"], 4);
    assert_eq!(figures["pairings"], 1);
    assert_eq!(figures["activities"], 1);
    // Its members: 90+90 in the 名人 activity, 120 alone, 45 in 北环桥, 150 in 世纪城.
    assert_eq!(figures["service_minutes"], 90 + 90 + 120 + 45 + 150);
    // Wishes held by its members: w1 (fulfilled), w5 (claimed), w7 (fulfilled).
    assert_eq!(figures["wishes"]["claimed"], 1);
    assert_eq!(figures["wishes"]["fulfilled"], 2);
    assert_eq!(figures["projects"]["fulfilled"], 1);
    assert_eq!(figures["orgs_with_claimed_project"], 1);
    let communities = profile["communities"].as_array().unwrap();
    let reported: Vec<(&str, bool)> = communities
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap(),
                c["is_reported"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("130902001001", true),
            ("130903001001", true),
            ("130903001002", false)
        ]
    );
    // The credit code names the same organisation.
    let by_code = server.json(&format!("/api/orgs/{}/figures", credit_code(1)));
    assert_eq!(by_code["org"], profile["org"]);
    let unknown = server.get(&format!("/api/orgs/{}/figures", credit_code(77)));
    assert_eq!(unknown.status, 404);

    let ranking = server.json("/api/rankings/orgs?region=1309");
    let first = &ranking.as_array().unwrap()[0];
    assert_eq!(first["org"], profile["org"]);
    assert_eq!(first["rank"], 1);
    assert_eq!(first["service_minutes"], figures["service_minutes"]);
    let by_wishes = server.json("/api/rankings/orgs?region=1309&by=wishes_claimed&limit=1");
    assert_eq!(by_wishes.as_array().unwrap().len(), 1);
    let communities = server.json("/api/rankings/communities?region=1309&by=members");
    assert_eq!(communities[0]["name"], "名人社区");
    assert_eq!(communities[0]["members"], 3);
}

#[test]
fn communities_show_sync_and_attestation() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let statuses = server.json("/api/communities?region=1309");
    let statuses = statuses.as_array().unwrap();
    assert_eq!(statuses.len(), 4);
    let stale: Vec<&str> = statuses
        .iter()
        .filter(|s| s["is_synced_24h"] == false)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["北环桥社区"]);
    assert_eq!(statuses[0]["attested_share"], 0.8);
}

#[test]
fn coverage_and_campaigns_come_from_the_city_document() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    // The 发改委 declared 5 in-service members, 4 of whom reported in (two districts);
    // the other unit declared 2, none reported in.
    let coverage = server.json("/api/coverage?region=1309");
    assert_eq!(
        (
            &coverage["units"],
            &coverage["in_service_members"],
            &coverage["reported"]
        ),
        (&Value::from(2), &Value::from(7), &Value::from(4)),
        "{coverage}"
    );
    let units = coverage["by_unit"].as_array().unwrap();
    assert_eq!(units[0]["name"], "公式单位", "the most behind first");
    assert_eq!(
        (&units[1]["reported"], &units[1]["behind"]),
        (&Value::from(4), &Value::from(1))
    );
    // In 新华区 only the member who lives there counts.
    let xinhua = server.json("/api/coverage?region=130902");
    assert_eq!(xinhua["reported"], 1, "{xinhua}");
    let (header, rows) = read_csv(&server.get("/api/coverage.csv?region=1309"));
    assert_eq!(
        header[..4],
        [
            "统一社会信用代码",
            "单位",
            "在职党员（申报）",
            "已到社区报到"
        ]
    );
    assert_eq!(rows.len(), 2);

    let campaigns = server.json("/api/campaigns?region=1309");
    let members = &campaigns[0];
    assert_eq!(members["rule"], "member_claims_wish");
    assert_eq!(
        (&members["eligible"], &members["met"], &members["behind"]),
        (&Value::from(7), &Value::from(4), &Value::from(3))
    );
}

/// A CSV as a spreadsheet program reads it: the byte-order mark first, then records.
fn read_csv(answer: &Answer) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(answer.body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    let mut reader = csv::Reader::from_reader(&answer.body[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The file name a browser saves a download under: RFC 5987's `filename*`, decoded.
fn saved_as(answer: &Answer) -> String {
    let disposition = answer.header("content-disposition").unwrap();
    let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap();
    let mut bytes = Vec::new();
    let mut rest = encoded.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            bytes.push(u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap(), 16).unwrap());
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn csv_reads_back_as_the_columns_a_person_expects() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let json = server.json("/api/figures?region=130903");
    for answer in [
        server.get("/api/figures.csv?region=130903"),
        server.get_with("/api/figures?region=130903", &[("Accept", "text/csv")]),
    ] {
        assert_eq!(answer.status, 200);
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("text/csv"),
            "{:?}",
            answer.headers
        );
        let (header, rows) = read_csv(&answer);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            &header[..4],
            ["地区代码", "地区或单位", "起始日期", "截止日期"]
        );
        let row = &rows[0];
        let cell = |key: &str| row[header.iter().position(|h| h == key).unwrap()].as_str();
        // The code stays text in Excel and WPS: `="130903"`, never 130903 as a number.
        assert_eq!(cell("地区代码"), r#"="130903""#);
        assert_eq!(cell("地区或单位"), "运河区");
        for (column, key) in [
            ("社区数", "communities"),
            ("报到党员", "members_reported"),
            ("报到单位党组织", "orgs_reported"),
            ("共建对子", "pairings"),
            ("服务活动（次）", "activities"),
            ("参加人次", "participations"),
            ("服务时长（分钟）", "service_minutes"),
            ("爱心积分存入", "points_earned"),
        ] {
            assert_eq!(cell(column), json[key].to_string(), "{column}");
        }
        for (column, state) in [
            ("微心愿征集", "total"),
            ("微心愿已认领", "claimed"),
            ("微心愿已实现", "fulfilled"),
            ("微心愿已驳回", "rejected"),
        ] {
            assert_eq!(cell(column), json["wishes"][state].to_string(), "{column}");
        }
        assert_eq!(saved_as(&answer), "指标-运河区-all.csv");
    }

    // The ranking names organisations, not ids; the organisation named `=HYPERLINK(…)`
    // arrives as text, not as a formula; the period and the order are in the file name.
    let ranking = server.get("/api/rankings/orgs.csv?region=1309&period=2026H2&by=members");
    assert_eq!(saved_as(&ranking), "排名-单位-沧州市-2026H2.csv");
    assert!(
        ranking
            .header("content-disposition")
            .unwrap()
            .starts_with(r#"attachment; filename="org-ranking-1309-2026H2.csv"; "#)
    );
    let (header, rows) = read_csv(&ranking);
    assert_eq!(
        &header[..5],
        ["名次", "单位", "党组织", "统一社会信用代码", "报到党员"]
    );
    assert!(
        rows.iter()
            .any(|row| row[1] == "沧州市发改委党组" && row[2] == "本级")
    );
    assert!(
        rows.iter()
            .any(|row| row[1] == r#"'=HYPERLINK("http://x","点我")"#)
    );
    let text = ranking.text();
    for row in &rows {
        for cell in row {
            assert!(
                !(cell.len() == 32 && cell.bytes().all(|b| b.is_ascii_hexdigit())),
                "an id `{cell}` in {text}"
            );
            let is_code = cell.starts_with("=\"") && cell.ends_with('"');
            assert!(
                is_code || !cell.starts_with(['=', '+', '-', '@']),
                "live formula cell `{cell}` in {text}"
            );
        }
    }
    // Ordered by members, as asked.
    let members: Vec<u64> = rows.iter().map(|row| row[4].parse().unwrap()).collect();
    assert!(
        members.windows(2).all(|pair| pair[0] >= pair[1]),
        "{members:?}"
    );

    let (header, rows) = read_csv(&server.get("/api/communities.csv?region=1309"));
    assert_eq!(
        &header[..5],
        [
            "社区代码",
            "社区",
            "上次同步",
            "数据上次更新",
            "24小时内同步"
        ]
    );
    let stale = rows.iter().find(|row| row[1] == "北环桥社区").unwrap();
    assert_eq!(stale[0], r#"="130903001002""#);
    assert_eq!(stale[4], "否");

    // In English the headers are the API's keys.
    let (header, _) = read_csv(&server.get("/api/communities.csv?region=1309&lang=en"));
    assert_eq!(&header[..3], ["code", "name", "last_seen_at"]);
}

#[test]
fn bad_input_gets_400_naming_what_was_wrong() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    for (path, named) in [
        ("/api/figures?region=12345", "12345"),
        ("/api/figures?region=13a9", "13a9"),
        ("/api/figures?from=2026-13-01", "2026-13-01"),
        ("/api/figures?to=yesterday", "yesterday"),
        ("/api/figures?from=2026-05-01&to=2026-04-01", "2026-05-01"),
        ("/api/figures?period=2026H3", "2026H3"),
        ("/api/figures?period=2026H1&from=2026-01-01", "period"),
        ("/api/figures/children?region=1", "region"),
        ("/api/orgs/nonsense/figures", "nonsense"),
        ("/api/rankings/orgs?by=beauty", "beauty"),
        ("/api/rankings/orgs?limit=0", "limit"),
        ("/api/figures.csv?region=999", "999"),
    ] {
        let answer = server.get(path);
        assert_eq!(answer.status, 400, "{path}: {}", answer.text());
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(named), "{path}: {message}");
        assert!(!message.ends_with('.'), "{message}");
    }
    assert_eq!(server.get("/api/nothing").status, 404);
}

#[test]
fn metrics_are_served_for_prometheus() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let answer = server.get("/metrics");
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = answer.text();
    for name in [
        "wishtree_hub_connected_nodes",
        "wishtree_hub_sync_sessions_total",
        "wishtree_hub_received_bytes_total",
        "wishtree_hub_sent_bytes_total",
        "wishtree_hub_merge_seconds_count",
        "wishtree_hub_figure_refresh_seconds_count",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
}

/// Percent-encodes a query value byte by byte.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn query_value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        any::<String>(),
        "[0-9０-９ -]{0,14}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
        "[0-9]{4}(H[0-9]|-[0-9]{2})",
        "[0-9a-f]{32}",
        "[0-9A-Z]{18}",
        Just(String::new()),
    ]
}

/// Whatever the query string holds, the API and the dashboard answer with figures or
/// with a 400/404 that says what was wrong; never a server error.
#[test]
fn any_query_gets_an_answer_or_a_named_refusal() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let paths = vec![
        "/api/figures",
        "/api/figures.csv",
        "/api/figures/children",
        "/api/figures/months",
        "/api/rankings/orgs",
        "/api/rankings/communities",
        "/api/communities",
        "/",
        "/rankings",
        "/health",
    ];
    let strategy = (
        proptest::collection::vec(query_value(), 7),
        proptest::sample::select(paths),
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&strategy, |(values, path)| {
            let keys = ["region", "from", "to", "period", "org", "by", "limit"];
            let query: Vec<String> = keys
                .iter()
                .zip(&values)
                .filter(|(_, value)| !value.is_empty())
                .map(|(key, value)| format!("{key}={}", encode(value)))
                .collect();
            let query = query.join("&");
            let answer = server.get(&format!("{path}?{query}"));
            prop_assert!(
                matches!(answer.status, 200 | 400 | 403 | 404),
                "{} for {path}?{query}: {}",
                answer.status,
                answer.text()
            );
            if matches!(answer.status, 400 | 403) && path.starts_with("/api") {
                let body: Value = serde_json::from_slice(&answer.body).unwrap();
                prop_assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()));
            }
            Ok(())
        })
        .unwrap();
}
