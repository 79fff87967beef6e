//! The dashboard's pages over the sample city: headline worded as the articles word
//! it, drill-down, the language switch, the organisation page, rankings and sync
//! health, errors, self-contained pages, and no personal data anywhere on the hub.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::accounts::Role;

/// Text that exists only in the documents' personal or descriptive fields: a member's
/// name and position, a resident's label, a wish's title and detail, a service's
/// description. None of it may reach the hub's figure tables, pages or API — but the
/// report-back rows ([`REPORT_BACK`]), which hold a unit's members' names and sealed
/// reports for that unit's own pages.
const PRIVATE: [&str; 6] = ["张婷", "科员", "彭女士", "微波炉", "热饭", "陪独居老人"];

/// The report-back tables, and what even they never hold: a member's position, a
/// resident's label, a wish's detail.
const REPORT_BACK: [&str; 2] = ["fig_unit_members", "fig_member_reports"];
const NEVER: [&str; 3] = ["科员", "彭女士", "热饭"];

#[test]
fn the_overview_speaks_as_the_articles_do() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text();
    for phrase in [
        r#"<html lang="zh-CN">"#,
        r#"全市 <b data-figure="members_reported">7</b> 名在职党员到社区报到"#,
        r#"<b data-figure="orgs_reported">2</b> 个单位党组织报到"#,
        r#"共建对子 <b data-figure="pairings">1</b> 个"#,
        r#"微心愿 征集 <b data-figure="wishes_total">7</b> 个、认领 <b data-figure="wishes_claimed">5</b> 个、实现 <b data-figure="wishes_fulfilled">3</b> 个"#,
        r#"服务活动 <b data-figure="activities">2</b> 次、<b data-figure="participations">5</b> 人次、<b data-figure="service_hours">12.8</b> 小时"#,
        r#"解决问题 <b data-figure="projects_fulfilled">1</b> 件"#,
        "沧州市",
        // The funnel, the bar chart by district, the monthly charts.
        "征集 7",
        "认领 5 (71%)",
        "实现 3 (43%)",
        r#"<a href="/?region=130903"><text"#,
        "各区报到党员",
        "每月服务时长（小时）",
        "每月微心愿",
        // The city's campaigns (the Guangzhou rule, from the city document) and the
        // ranking: 4 of the 7 members hold a wish, 1 of the 2 units a project.
        "“双微”行动：党员领办微心愿",
        r#"在职党员至少领办 1 个微心愿：<b data-campaign-met="4">4</b> / 7 名达到"#,
        r#"data-campaign-behind="3""#,
        r#"单位党组织至少认领 1 个民生微项目：<b data-campaign-met="1">1</b> / 2 个达到"#,
        // Report-in coverage: the 发改委's 4 of 5 members and none of the other unit's 2.
        r#"申报的 2 个单位共有在职党员 7 名，已到社区报到 <b data-figure="coverage_reported">4</b> 名"#,
        r#"<li data-behind="2">公式单位：尚有 2 名未报到"#,
        r#"<li data-behind="1">沧州市发改委党组：尚有 1 名未报到"#,
        "沧州市发改委党组",
        r#"<b class="bad" data-figure="communities_synced_24h">3</b>"#,
    ] {
        assert!(html.contains(phrase), "missing `{phrase}`");
    }
    // Self-contained: no script, stylesheet or image is fetched from anywhere.
    for external in ["<script src", "<link", "<img", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
}

#[test]
fn the_language_switch_gives_english() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let html = server.get("/?lang=en").text();
    for phrase in [
        r#"<html lang="en">"#,
        r#"<b data-figure="members_reported">7</b> in-service party members reported in to their communities citywide"#,
        r#"Micro-wishes: <b data-figure="wishes_total">7</b> collected"#,
        r#"<b data-figure="projects_fulfilled">1</b> problems solved"#,
        r#"href="/?region=130903&amp;lang=en""#,
        r#"hreflang="zh-CN" lang="zh-CN">中文</a>"#,
    ] {
        assert!(html.contains(phrase), "missing `{phrase}`");
    }
    assert!(
        server
            .get("/")
            .text()
            .contains(r#"hreflang="en" lang="en">English</a>"#)
    );
}

#[test]
fn drill_down_reaches_streets_and_communities() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let district = server.get("/?region=130903").text();
    assert!(district.contains(r#"<h1 data-region="130903">运河区</h1>"#));
    assert!(district.contains(r#"全区 <b data-figure="members_reported">5</b>"#));
    assert!(district.contains("各街道报到党员"));
    assert!(district.contains(r#"data-region="130903001">水月寺街道</a>"#));
    // A street without a known name shows its code.
    assert!(district.contains(r#"data-region="130903002">130903002</a>"#));

    let street = server.get("/?region=130903002").text();
    assert!(street.contains(r#"<h1 data-region="130903002">130903002</h1>"#));
    assert!(
        street.contains(r#"data-region="130903">运河区</a>"#),
        "crumbs"
    );

    let community = server.get("/?region=130903001002").text();
    assert!(community.contains(r#"<h1 data-region="130903001002">北环桥社区</h1>"#));
    assert!(community.contains(r#"本社区 <b data-figure="members_reported">1</b>"#));
    assert!(
        community.contains(r#"data-community="130903001002""#),
        "status row"
    );
    assert!(
        community.contains(r#"data-synced="false">否，超过 24 小时</td>"#),
        "not seen for two days, said in words"
    );
}

#[test]
fn the_organisation_page_shows_its_members_across_communities() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let page = server.get(&format!("/orgs/{}", city.big_org));
    assert_eq!(page.status, 200);
    let html = page.text();
    for phrase in [
        "沧州市发改委党组",
        r#"在 <b data-figure="communities">3</b> 个社区有记录，<b data-figure="members_reported">4</b> 名在职党员到社区报到"#,
        r#"服务 <b data-figure="service_hours">8.2</b> 小时"#,
        "世纪城社区",
        "北环桥社区",
        "名人社区",
    ] {
        assert!(html.contains(phrase), "missing `{phrase}`");
    }
    let missing = server.get(&format!("/orgs/{}", credit_code(55)));
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("data-error"));
}

/// The campaign that asks every member: the unit's own page names its members who are
/// behind (of the big unit's four, the one of 名人社区 who claimed no wish); a viewer's
/// page of the same unit counts them only.
#[test]
fn the_unit_sees_its_members_behind_by_name_and_a_viewer_by_count() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    add_account(&city.database, Role::Org, credit_code(1).as_str(), "unit");
    let unit = server.log_in("unit");
    let path = format!("/orgs/{}", city.big_org);
    let own = server.send(unit.on(Request::get(&path))).text();
    assert!(own.contains(r#"<p data-behind="1">"#), "{own}");
    let behind = &own[own.find(r#"class="behind""#).unwrap()..];
    assert!(
        behind.contains(r#"<td class="text member-name">张婷</td>"#),
        "{behind}"
    );
    assert!(behind.contains("名人社区"));
    let viewer = server.get(&path).text();
    assert!(viewer.contains(r#"<p data-behind="1">"#));
    assert!(!viewer.contains(r#"class="behind""#) && !viewer.contains("张婷"));
}

#[test]
fn rankings_and_health_pages() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let rankings = server.get("/rankings?by=wishes_fulfilled").text();
    assert!(rankings.contains(r#"<b aria-current="true">实现心愿</b>"#));
    assert!(rankings.contains(&format!(r#"data-org="{}""#, city.big_org)));
    // The formula-named organisation is shown as text, escaped.
    assert!(rankings.contains("=HYPERLINK(&quot;http://x&quot;,&quot;点我&quot;)"));
    let health = server.get("/health?lang=en").text();
    assert!(
        health.contains(
            r#"<b class="bad" data-figure="communities_not_synced_24h">1</b> not synced"#
        )
    );
    let first_row = health.find("data-community=").unwrap();
    assert!(
        health[first_row..].starts_with(r#"data-community="130903001002""#),
        "the stale community is listed first"
    );
}

#[test]
fn bad_requests_get_a_page_that_names_the_problem() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let page = server.get("/?region=12345");
    assert_eq!(page.status, 400);
    assert!(page.text().contains("12345"));
    let page = server.get("/rankings?lang=en&from=2026-02-30");
    assert_eq!(page.status, 400);
    let text = page.text();
    assert!(text.contains("from: `2026-02-30` is not a date"), "{text}");
    assert!(text.contains(r#"name="from" value="2026-02-30""#), "{text}");
}

/// A refused period is shown on the page, at the period form, in the page's language,
/// with what was typed kept; the API keeps its English.
#[test]
fn a_refused_period_is_shown_in_chinese_at_the_form() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    for (path, typed, message) in [
        (
            "/?from=2026-05-01&to=2026-04-01",
            [("from", "2026-05-01"), ("to", "2026-04-01")],
            "起始日期 2026-05-01 晚于截止日期 2026-04-01，请对调两个日期",
        ),
        (
            "/rankings?from=%E6%98%A8%E5%A4%A9&by=wishes_fulfilled",
            [("from", "昨天"), ("to", "")],
            "起始日期“昨天”不是有效日期，请写成 2026-07-01 或 2026/07/01",
        ),
        (
            "/health?to=2026-13-01",
            [("from", ""), ("to", "2026-13-01")],
            "截止日期“2026-13-01”不是有效日期",
        ),
    ] {
        let page = server.get(path);
        let html = page.text();
        if path.starts_with("/health") {
            // Sync health has no period: it is as of now.
            assert_eq!(page.status, 200, "{path}");
            continue;
        }
        assert_eq!(page.status, 400, "{path}");
        assert!(html.contains(r#"<form class="period""#), "{path}: the form");
        assert!(html.contains(message), "{path}: {html}");
        assert!(html.contains(r#"role="alert""#), "{path}");
        for (field, value) in typed {
            assert!(
                html.contains(&format!(r#"name="{field}" value="{value}""#)),
                "{path}: {field} keeps `{value}`"
            );
        }
        assert!(!html.contains("swap from and to"), "{path}");
    }
    // The order of the ranking survives a refused period.
    let page = server.get("/rankings?from=x&by=wishes_fulfilled").text();
    assert!(page.contains(r#"name="by" value="wishes_fulfilled""#));
    let api = server.get("/api/figures?from=2026-05-01&to=2026-04-01");
    assert_eq!(api.status, 400);
    assert!(api.text().contains("swap from and to"));
}

#[test]
fn dates_are_read_as_people_type_them() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let dashed = server.get("/?from=2026-07-01&to=2026-12-31");
    for typed in [
        "/?from=2026/07/01&to=2026/12/31",
        "/?from=2026.7.1&to=2026.12.31",
    ] {
        let page = server.get(typed);
        assert_eq!(page.status, 200, "{typed}");
        let html = page.text();
        assert!(
            html.contains(r#"name="from" value="2026-07-01""#),
            "{typed}"
        );
        let figure = |html: &str| {
            let at = html.find(r#"data-figure="service_hours">"#).unwrap();
            html[at..].split("</b>").next().unwrap().to_owned()
        };
        assert_eq!(figure(&html), figure(&dashed.text()), "{typed}");
    }
    assert_eq!(server.get("/api/figures?from=2026/07/01").status, 200);
}

#[test]
fn an_unknown_region_or_page_is_a_styled_404() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    for (path, said) in [
        ("/nowhere", "没有这个页面"),
        (
            &*format!("/orgs/{}", credit_code(55)),
            "本平台没有这个单位党组织的记录",
        ),
    ] {
        let page = server.get(path);
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text();
        assert!(
            html.contains("<style>") && html.contains("<nav"),
            "{path}: styled"
        );
        assert!(html.contains(said), "{path}: {html}");
    }
    // A region of the hub's city, even with no community of its own, is a page.
    assert_eq!(server.get("/?region=130903002").status, 200);
    assert_eq!(server.get("/?region=130999").status, 200);
    // Outside it, a city viewer is refused: a region above or beside its city is not
    // its to see, whatever the hub holds (the scope tests in `accounts.rs`).
    for path in ["/?region=13", "/?region=9999", "/rankings?region=1310"] {
        let page = server.get(path);
        assert_eq!(page.status, 403, "{path}");
        assert!(page.text().contains("您的账号无权查看"), "{path}");
    }
    let api = server.get("/api/nowhere");
    assert_eq!(api.status, 404);
    assert!(api.text().starts_with(r#"{"error""#));
}

#[test]
fn the_language_switch_and_the_downloads_keep_the_period_and_the_order() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let html = server
        .get("/rankings?region=130903&by=wishes_fulfilled&from=2026-07-01&to=2026-12-31")
        .text();
    for kept in [
        // The language switch.
        r#"href="/rankings?region=130903&amp;from=2026-07-01&amp;to=2026-12-31&amp;by=wishes_fulfilled&amp;lang=en""#,
        // The CSV of the ranking.
        r#"href="/api/rankings/orgs.csv?region=130903&amp;by=wishes_fulfilled&amp;from=2026-07-01&amp;to=2026-12-31""#,
        // The period form.
        r#"name="by" value="wishes_fulfilled""#,
    ] {
        assert!(html.contains(kept), "missing `{kept}`");
    }
}

#[test]
fn the_viewer_gets_presets_alerts_and_plain_words() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let html = server.get("/").text();
    // NOW is 2026-08-01 in Shanghai.
    for preset in [
        r#"href="/?region=1309&amp;from=2026-01-01&amp;to=2026-12-31">本年</a>"#,
        r#"href="/?region=1309&amp;from=2026-01-01&amp;to=2026-06-30">上半年</a>"#,
        r#"href="/?region=1309&amp;from=2026-07-01&amp;to=2026-12-31">下半年</a>"#,
        r#"href="/?region=1309&amp;from=2026-07-01&amp;to=2026-07-31">上月</a>"#,
    ] {
        assert!(html.contains(preset), "missing `{preset}`");
    }
    // 名人社区's third wish was published on 2026-05-02 and nobody claimed it.
    assert!(
        html.contains("名人社区</a>：1 个微心愿发布后超过 30 天无人认领（最早 2026-05-01 提交）"),
        "{html}"
    );
    // In January the organisation's members reported in and did no service yet.
    let january = server.get("/?from=2026-01-01&to=2026-01-31").text();
    assert!(
        january.contains("个单位党组织本期间没有服务记录") && january.contains("沧州市发改委党组"),
        "{january}"
    );
    // No jargon for viewers: no key names, no 枢纽, no 签名覆盖 or 变更数.
    for jargon in [
        ">members_reported<",
        ">wishes.total<",
        "枢纽",
        "签名覆盖",
        "变更数",
        "✓",
        "✗",
        "⚠",
    ] {
        for path in ["/", "/health", "/?region=130903001002"] {
            assert!(
                !server.get(path).text().contains(jargon),
                "{path} shows `{jargon}`"
            );
        }
    }
}

/// The print sheet drops what only a screen needs and prints the title, the period and
/// the time of the data on A4.
#[test]
fn the_print_sheet_keeps_title_period_and_time() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let html = server.get("/?period=2026H1").text();
    let print = &html[html.find("@media print").unwrap()..];
    assert!(print.contains("@page{size:A4"));
    assert!(print.contains("header nav,header a.lang,header form.logout,form.period,.downloads"));
    assert!(html.contains(r#"<p class="print-only">统计期间：2026-01-01 至 2026-06-30</p>"#));
    assert!(html.contains("数据时间："));
}

#[test]
fn no_personal_data_reaches_the_hub() {
    let city = sample_city();
    // Not in any table of the hub's database.
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.iter().any(|t| t == "fig_wishes"));
    for table in &tables {
        // The market's table holds what `/m/` shows anyone of a published wish: its
        // title and the label the worker chose for the resident (DESIGN §10), and
        // nothing else — no detail, no member, no position.
        let shown_to_anyone: &[&str] = if table == "fig_market_wishes" {
            &["彭女士", "微波炉"]
        } else {
            &[]
        };
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for index in 0..columns {
                if let Ok(text) = row.get::<_, String>(index) {
                    let forbidden: &[&str] = if REPORT_BACK.contains(&table.as_str()) {
                        &NEVER
                    } else {
                        &PRIVATE
                    };
                    for private in forbidden
                        .iter()
                        .filter(|private| !shown_to_anyone.contains(private))
                    {
                        assert!(!text.contains(private), "{table} holds `{text}`");
                    }
                }
            }
        }
    }
    // Not on any page or in any answer.
    let server = Server::start(&city.database, "1309");
    let org = city.big_org;
    for path in [
        "/".to_owned(),
        "/?region=130903001001".to_owned(),
        format!("/orgs/{org}"),
        "/rankings".to_owned(),
        "/health".to_owned(),
        "/api/figures?region=130903001001".to_owned(),
        "/api/figures/children?region=130903001".to_owned(),
        format!("/api/orgs/{org}/figures"),
        format!("/api/orgs/{org}/communities.csv"),
        "/api/rankings/orgs.csv".to_owned(),
        "/api/communities".to_owned(),
    ] {
        let text = server.get(&path).text();
        for private in PRIVATE {
            assert!(!text.contains(private), "{path} shows `{private}`");
        }
    }
}
