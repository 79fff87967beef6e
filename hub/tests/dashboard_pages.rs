//! The dashboard's pages over the sample city: headline worded as the articles word
//! it, drill-down, the language switch, the organisation page, rankings and sync
//! health, errors, self-contained pages, and no personal data anywhere on the hub.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;

/// Text that exists only in the documents' personal or descriptive fields: a member's
/// name and position, a resident's label, a wish's title and detail, a service's
/// description. None of it may reach the hub's tables, pages or API.
const PRIVATE: [&str; 6] = ["张婷", "科员", "彭女士", "微波炉", "热饭", "陪独居老人"];

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
        // The Guangzhou rule and the ranking.
        r#"<b data-figure="members_with_claimed_wish">4</b>"#,
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
        r#"hreflang="zh-CN">中文</a>"#,
    ] {
        assert!(html.contains(phrase), "missing `{phrase}`");
    }
    assert!(
        server
            .get("/")
            .text()
            .contains(r#"hreflang="en">English</a>"#)
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
    assert!(community.contains("✗"), "not seen for two days");
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

#[test]
fn rankings_and_health_pages() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let rankings = server.get("/rankings?by=wishes_fulfilled").text();
    assert!(rankings.contains("<b>实现心愿</b>"));
    assert!(rankings.contains(&format!(r#"data-org="{}""#, city.big_org)));
    // The formula-named organisation is shown as text, escaped.
    assert!(rankings.contains("=HYPERLINK(&quot;http://x&quot;,&quot;点我&quot;)"));
    let health = server.get("/health?lang=en").text();
    assert!(
        health
            .contains(r#"<b class="bad" data-figure="communities_not_synced_24h">1</b> not seen"#)
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
    assert!(text.contains("2026-02-30") && text.contains("Cannot show this page"));
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
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for index in 0..columns {
                if let Ok(text) = row.get::<_, String>(index) {
                    for private in PRIVATE {
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
