//! Bulletins (通报) over the sample city: issued from the dashboard's form, the change
//! since the previous bulletin against figures read afresh, a bulletin that stays as
//! issued when more records sync in, every refusal (open period, duplicate, bad
//! period or region, out of scope, a street viewer issuing, no CSRF token, anonymous),
//! the print layout, and the CLI.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::accounts::Role;
use wishtree_hub::figures::{self, Filter, Period};
use wishtree_testkit::login::form;

/// Posts the issue form as `session` (the city viewer's unless given) and answers.
fn issue(server: &Server, session: Option<&Session>, region: &str, period: &str) -> Answer {
    let session = session.unwrap_or_else(|| server.session());
    let request = Request::new("POST", "/bulletins")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &session.form_token),
            ("region", region),
            ("period", period),
        ]));
    server.send(session.on(request))
}

/// Issues a bulletin that must be accepted, and answers its number.
fn issued(server: &Server, session: Option<&Session>, region: &str, period: &str) -> i64 {
    let answer = issue(server, session, region, period);
    assert_eq!(answer.status, 303, "{region} {period}: {}", answer.text());
    let location = answer.header("location").unwrap();
    location
        .strip_prefix("/bulletins/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a bulletin's address: {location}"))
}

/// The value of `attribute="key"` cells: `<td attribute="key">value</td>`.
fn cell(html: &str, attribute: &str, key: &str) -> String {
    let start = format!(r#"{attribute}="{key}""#);
    let at = html
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} in the page"));
    let rest = &html[at..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</td>").unwrap();
    rest[open..close].to_owned()
}

fn month_figures(database: &std::path::Path, region_code: &str, month: &str) -> figures::Figures {
    let connection = rusqlite::Connection::open(database).unwrap();
    let filter = Filter {
        region: region(region_code),
        period: Period::parse_named(month).unwrap(),
        org: None,
        round: None,
    };
    figures::figures(&connection, &filter, NOW).unwrap()
}

#[test]
fn the_change_since_the_previous_bulletin_is_the_difference_of_the_two_periods() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let first = issued(&server, None, "1309", "2026-04");
    let page = server.get(&format!("/bulletins/{first}")).text();
    assert!(page.contains("本地区首次发布此类通报"), "{page}");
    // A half-year between two months is another kind: it does not become the
    // previous monthly bulletin.
    issued(&server, None, "1309", "2026H1");
    let second = issued(&server, None, "1309", "2026-05");
    let page = server.get(&format!("/bulletins/{second}")).text();
    assert!(page.contains("沧州市2026年5月“双报到”工作通报"), "{page}");
    assert!(page.contains("上期（2026年4月）"), "{page}");

    let (may, april) = (
        month_figures(&city.database, "1309", "2026-05"),
        month_figures(&city.database, "1309", "2026-04"),
    );
    let change = |now: u64, then: u64| now as i64 - then as i64;
    // (key, the difference read from the figures afresh)
    let expected = [
        (
            "members_reported",
            change(may.members_reported, april.members_reported),
        ),
        (
            "orgs_reported",
            change(may.orgs_reported, april.orgs_reported),
        ),
        (
            "wishes_collected",
            change(may.wishes.total, april.wishes.total),
        ),
        (
            "wishes_claimed",
            change(
                may.wishes.claimed_or_fulfilled(),
                april.wishes.claimed_or_fulfilled(),
            ),
        ),
        (
            "wishes_fulfilled",
            change(may.wishes.fulfilled, april.wishes.fulfilled),
        ),
        (
            "projects_fulfilled",
            change(may.projects.fulfilled, april.projects.fulfilled),
        ),
        ("activities", change(may.activities, april.activities)),
        (
            "participations",
            change(may.participations, april.participations),
        ),
    ];
    for (key, difference) in expected {
        let shown = cell(&page, "data-change", key);
        let shown = shown.trim_start_matches('+');
        assert_eq!(shown, difference.to_string(), "{key}");
    }
    // By hand from the sample city: m2 reported in on 05-10; three wishes were
    // submitted in May against one in April.
    assert_eq!(cell(&page, "data-change", "members_reported"), "+1");
    assert_eq!(cell(&page, "data-change", "wishes_collected"), "+2");
    let hours = may.service_hours - april.service_hours;
    assert_eq!(
        cell(&page, "data-change", "service_hours"),
        format!("+{}", format!("{hours:.1}").trim_end_matches(".0"))
    );
    // The library's change is the page's.
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    let stored = wishtree_hub::bulletins::bulletin(&connection, second)
        .unwrap()
        .unwrap();
    let change = stored.data.change().unwrap();
    assert_eq!(change.members_reported, 1);
    assert_eq!(change.wishes_collected, 2);
    assert_eq!(stored.issued_by, "city");
    assert_eq!(stored.issued_at, NOW);
    // The list shows all three, the latest period first.
    let list = server.get("/bulletins?region=1309").text();
    let order: Vec<usize> = ["2026年5月", "2026年上半年", "2026年4月"]
        .iter()
        .map(|label| list.find(label).unwrap_or_else(|| panic!("{label}")))
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
}

#[test]
fn an_issued_bulletin_stays_as_issued_after_more_records_sync_in() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let id = issued(&server, None, "1309", "2026-05");
    let page = server.get(&format!("/bulletins/{id}")).text();
    let csv = server.get(&format!("/bulletins/{id}/csv")).text();
    let before = month_figures(&city.database, "1309", "2026-05");

    // Late records of May arrive: a community not seen before, with two members
    // reported in and a wish collected in May.
    let mut late = Writer::new(code("130903002002"), "迟报社区", 999, at_minute(0));
    late.add_member(None, date("2026-05-12"), at_minute(60 * 24 * 140));
    late.add_member(None, date("2026-05-13"), at_minute(60 * 24 * 140));
    late.submit_wish(at_minute(60 * 24 * 135));
    deliver(&city.database, &late.doc, Some(NOW));
    let after = month_figures(&city.database, "1309", "2026-05");
    assert_eq!(after.members_reported, before.members_reported + 2);
    assert_eq!(after.wishes.total, before.wishes.total + 1);

    assert_eq!(server.get(&format!("/bulletins/{id}")).text(), page);
    assert_eq!(server.get(&format!("/bulletins/{id}/csv")).text(), csv);
    assert_eq!(
        cell(&page, "data-figure", "members_reported"),
        before.members_reported.to_string()
    );
    // A bulletin issued now counts the late records.
    let june = issued(&server, None, "1309", "2026-06");
    let june = server.get(&format!("/bulletins/{june}")).text();
    assert_eq!(
        cell(&june, "data-figure", "members_reported"),
        (before.members_reported + 2 + 1).to_string(),
        "m3 reported in on 06-01"
    );
}

#[test]
fn open_duplicate_and_malformed_issues_are_refused_beside_the_field() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    issued(&server, None, "1309", "2026-07");
    // (region, period, status, words at the field)
    for (region_code, period, status, words) in [
        (
            "1309",
            "2026-08",
            400,
            "2026年8月尚未结束，不能发布通报：请于 2026-09-01 起发布",
        ),
        ("1309", "2026H2", 400, "2026年下半年尚未结束"),
        ("1309", "2027-01", 400, "尚未结束"),
        ("1309", "2026-07", 409, "本地区2026年7月的通报已由 city 于"),
        ("1309", "2026-13", 400, "期间“2026-13”无法识别"),
        ("1309", "", 400, "无法识别"),
        (
            "130903001001",
            "2026-07",
            400,
            "不能发布通报：通报按市（4 位）、区（6 位）、街道（9 位）",
        ),
    ] {
        let answer = issue(&server, None, region_code, period);
        assert_eq!(
            answer.status,
            status,
            "{region_code} {period}: {}",
            answer.text()
        );
        let html = answer.text();
        assert!(
            html.contains(words),
            "{region_code} {period}: missing {words}\n{html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{period}");
        assert!(html.contains(r#"id="bulletin-problem""#), "{period}");
    }
    // Nothing but the one was stored.
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    let count: i64 = connection
        .query_row("SELECT COUNT(*) FROM bulletins", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
    // In English, the English words.
    let session = server.session();
    let answer = server.send(
        session.on(Request::new("POST", "/bulletins")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("csrf_token", &session.form_token),
                ("region", "1309"),
                ("period", "2026-08"),
                ("lang", "en"),
            ]))),
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer
            .text()
            .contains("2026-08 is not over: it ends on 2026-08-31")
    );
}

#[test]
fn a_district_viewer_sees_and_issues_only_its_own_region() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    add_account(&city.database, Role::District, "130903", "yunhe");
    add_account(&city.database, Role::Street, "130903001", "shuiyuesi");
    add_account(
        &city.database,
        Role::Org,
        &credit_code(1).to_string(),
        "fagaiwei",
    );
    let district = server.log_in("yunhe");
    let street = server.log_in("shuiyuesi");
    let unit = server.log_in("fagaiwei");

    let own = issued(&server, Some(&district), "130903", "2026-05");
    let street_bulletin = issued(&server, Some(&district), "130903001", "2026-05");
    let city_bulletin = issued(&server, None, "1309", "2026-05");
    let other = issued(&server, None, "130902", "2026-05");
    let page = server.get(&format!("/bulletins/{own}")).text();
    assert!(page.contains("运河区2026年5月“双报到”工作通报"), "{page}");
    assert!(page.contains("<span data-issued-by>yunhe</span>"), "{page}");

    let get = |session: &Session, path: &str| server.send(session.on(Request::get(path)));
    // (who, path, status)
    let cases: Vec<(&Session, String, u16)> = vec![
        (&district, format!("/bulletins/{own}"), 200),
        (&district, format!("/bulletins/{own}/csv"), 200),
        (&district, format!("/bulletins/{street_bulletin}"), 200),
        (&district, "/bulletins?region=130903".to_owned(), 200),
        (&district, format!("/bulletins/{city_bulletin}"), 403),
        (&district, format!("/bulletins/{other}"), 403),
        (&district, format!("/bulletins/{other}/csv"), 403),
        (&district, "/bulletins?region=130902".to_owned(), 403),
        (&district, "/bulletins?region=1309".to_owned(), 403),
        (&district, "/bulletins/99999".to_owned(), 404),
        (&district, "/bulletins/x".to_owned(), 404),
        (&street, format!("/bulletins/{street_bulletin}"), 200),
        (&street, format!("/bulletins/{own}"), 403),
        (&unit, format!("/bulletins/{own}"), 403),
        (&unit, "/bulletins".to_owned(), 403),
        // The JSON API answers to the same accounts as the pages.
        (&district, "/api/bulletins".to_owned(), 200),
        (&district, format!("/api/bulletins/{own}"), 200),
        (&district, format!("/api/bulletins/{street_bulletin}"), 200),
        (&district, format!("/api/bulletins/{city_bulletin}"), 403),
        (&district, format!("/api/bulletins/{other}"), 403),
        (&district, "/api/bulletins?region=130902".to_owned(), 403),
        (&district, "/api/bulletins?region=1309".to_owned(), 403),
        (&district, "/api/bulletins?region=13x".to_owned(), 400),
        (&district, "/api/bulletins/99999".to_owned(), 404),
        (&district, "/api/bulletins/x".to_owned(), 404),
        (&street, format!("/api/bulletins/{street_bulletin}"), 200),
        (&street, format!("/api/bulletins/{own}"), 403),
        (&unit, format!("/api/bulletins/{own}"), 403),
        (&unit, "/api/bulletins".to_owned(), 403),
    ];
    for (session, path, status) in cases {
        let answer = get(session, &path);
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
    }
    // The list names the region's own bulletins; one reads back as it was issued.
    let listed: serde_json::Value = get(&district, "/api/bulletins").json();
    let ids: Vec<i64> = listed["bulletins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issued| issued["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![own], "{listed}");
    let read: serde_json::Value = get(&district, &format!("/api/bulletins/{own}")).json();
    assert_eq!(read["id"], own);
    assert_eq!(read["issued_by"], "yunhe");
    assert_eq!(read["data"]["region"], "130903");
    assert_eq!(read["data"]["period"], "2026-05");
    // Issuing outside its region, or as a street viewer, is refused; nothing stored.
    for (session, region_code) in [
        (&district, "130902"),
        (&district, "1309"),
        (&street, "130903001"),
        (&unit, "130903"),
    ] {
        let answer = issue(&server, Some(session), region_code, "2026-06");
        assert_eq!(answer.status, 403, "{region_code}: {}", answer.text());
    }
    let html = get(&street, "/bulletins?region=130903001").text();
    assert!(
        !html.contains(r#"action="/bulletins""#),
        "a street viewer has no form"
    );
    // Without the session's CSRF token the form is refused before anything runs.
    let forged = Request::new("POST", "/bulletins")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("region", "130903"), ("period", "2026-06")]));
    assert_eq!(server.send(district.on(forged)).status, 403);
    // Anonymous: to the login.
    for path in [
        "/bulletins",
        &format!("/bulletins/{own}"),
        &format!("/bulletins/{own}/csv"),
    ] {
        let answer = server.anonymous(path);
        assert_eq!(answer.status, 303, "{path}");
        assert!(
            answer.header("location").unwrap().starts_with("/login"),
            "{path}"
        );
    }
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    let count: i64 = connection
        .query_row("SELECT COUNT(*) FROM bulletins", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 4);
    // The readings and the issues are in the audit log.
    let audited: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('issue bulletin', 'view bulletin')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(audited >= 8, "{audited}");
}

#[test]
fn a_bulletin_prints_on_a4_without_navigation_and_with_its_charts() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let id = issued(&server, None, "1309", "2026H1");
    let html = server.get(&format!("/bulletins/{id}")).text();
    for phrase in [
        // The print sheet: A4, the navigation, forms and links left out.
        "@media print{",
        "@page{size:A4;margin:15mm}",
        "header nav,header a.lang,header form.logout,form.period,.downloads,.crumbs{display:none!important}",
        ".no-print{display:none!important}",
        // The title printed, the charts inline.
        r#"<p class="print-only"><b>沧州市2026年上半年“双报到”工作通报</b></p>"#,
        "半年度通报",
        "微心愿：征集 → 认领 → 实现",
        "各区服务时长（小时）",
        "每月服务时长（小时）",
        r#"<p class="downloads">"#,
        // Rankings and who is behind.
        "各区",
        "社区服务时长前十",
        "单位党组织服务时长前十",
        "沧州市发改委党组",
        r#"data-behind="campaign""#,
        r#"data-behind="units""#,
        r#"data-behind="unhealthy""#,
    ] {
        assert!(html.contains(phrase), "missing `{phrase}`");
    }
    let article = &html[html.find("<article").unwrap()..html.find("</article>").unwrap()];
    assert!(article.matches("<svg").count() >= 3, "three charts");
    assert!(!article.contains("<form"), "no form inside the bulletin");
    for external in ["<script src", "<link", "<img", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
    // The CSV: a spreadsheet's BOM, the title, the headline and the rankings.
    let csv = server.get(&format!("/bulletins/{id}/csv"));
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let text = csv.text();
    assert!(
        text.starts_with("\u{feff}沧州市2026年上半年“双报到”工作通报"),
        "{text}"
    );
    for phrase in [
        "指标,本期,上期,较上期",
        "报到党员（名）,7,",
        "各区",
        "=\"\"130903\"\"",
    ] {
        assert!(text.contains(phrase), "missing `{phrase}` in {text}");
    }
}

#[test]
fn the_operator_issues_and_lists_bulletins_with_the_cli() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let hub = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    };
    assert!(hub(&["init", "--data", data, "--city", "1309"]).0);
    // The machine's clock decides what is over: 2020 is, 2099 is not.
    let issue = ["bulletin", "issue", "--data", data, "--region", "1309"];
    let (ok, text) = hub(&[&issue[..], &["--month", "2020-01"]].concat());
    assert!(ok, "{text}");
    assert!(
        text.contains("issued bulletin 1 of 1309 (1309) for 2020-01"),
        "{text}"
    );
    assert!(hub(&[&issue[..], &["--half", "2020H1"]].concat()).0);
    // (arguments, words of the refusal)
    for (args, words) in [
        (
            &["--month", "2020-01"][..],
            "has a bulletin for 2020-01 already, issued by 平台管理员",
        ),
        (
            &["--month", "2099-12"][..],
            "2099-12 is not over: it ends on 2099-12-31",
        ),
        (&["--half", "2099H2"][..], "is not over"),
        (
            &["--month", "2020H1"][..],
            "--month takes a month as 2026-11",
        ),
        (
            &["--half", "2020-01"][..],
            "--half takes a half-year as 2026H1",
        ),
        (
            &["--month", "2020-13"][..],
            "`2020-13` is not a month or half-year",
        ),
        (
            &["--month", "2020-01", "--half", "2020H1"][..],
            "cannot be used with",
        ),
    ] {
        let (ok, text) = hub(&[&issue[..], args].concat());
        assert!(!ok, "{args:?}: {text}");
        assert!(text.contains(words), "{args:?}: missing {words} in {text}");
    }
    let (ok, text) = hub(&[
        "bulletin", "issue", "--data", data, "--region", "1310", "--month", "2020-01",
    ]);
    assert!(
        !ok && text.contains("is not in this hub's city 1309"),
        "{text}"
    );
    let (ok, text) = hub(&[
        "bulletin",
        "issue",
        "--data",
        data,
        "--region",
        "130903001001",
        "--month",
        "2020-01",
    ]);
    assert!(
        !ok && text.contains("bulletins are issued for a city"),
        "{text}"
    );
    let (ok, text) = hub(&["bulletin", "list", "--data", data, "--region", "1309"]);
    assert!(ok, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("2  2020H1"), "{text}");
    assert!(lines[1].starts_with("1  2020-01"), "{text}");
}
