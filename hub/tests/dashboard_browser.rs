//! The dashboard in a real browser, served in-process on 127.0.0.1:0.
//!
//! - Headless Chromium driven by playwright-core from node.js drills from the city into
//!   a district, a street and a community, and checks every headline number it reads
//!   against the JSON API (`tests/js/browser-dashboard.mjs`). Needs node.js and `npm ci`
//!   in `tests/js` (`scripts/test-all` installs them).
//! - Chromium driven by chromedriver (WebDriver, spoken over plain HTTP here) opens
//!   every page at a phone's 390×844 and at 1280×900: no horizontal overflow, 44 px tap
//!   targets and legible chart text on the phone, no English words on a Chinese page
//!   but an allow-list, and the print sheet (emulated print media) without navigation
//!   or forms.
//! - Chromium prints the overview on A4 (`Page.printToPDF` through chromedriver).
//! - A city viewer issues a bulletin from its form, opens it, and prints it (print
//!   media: A4, its charts drawn, no navigation).
//!
//! All need Debian's Chromium at /usr/bin/chromium. Without what they need the tests
//! are skipped loudly, or fail when `WISHTREE_REQUIRE_ALL_TESTS=1`.

#![allow(clippy::unwrap_used)]

mod figures_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use figures_support::*;
use serde_json::{Value, json};

/// Whether a test may run: `false` (and a loud line) when a tool is missing, a panic
/// instead when every test must run.
fn can_run(test: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let message = format!("the {test} needs {}", missing.join(", "));
    if std::env::var("WISHTREE_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
        panic!("{message}; scripts/test-all installs them");
    }
    eprintln!("\n!!! SKIPPED {test}: {message} !!!\n");
    false
}

#[test]
fn the_dashboard_in_chromium_shows_the_numbers_of_the_api() {
    if !wishtree_testkit::browser::available("dashboard browser test") {
        return;
    }
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let mut command = Command::new("node");
    command
        .arg("browser-dashboard.mjs")
        .arg(server.url())
        .arg(&server.session().cookie)
        .current_dir(wishtree_testkit::browser::js_dir());
    let stdout = wishtree_testkit::browser::run_to_end(command);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let regions: Vec<&str> = summary["visited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["region"].as_str().unwrap())
        .collect();
    println!("browser walk: {summary}");
    // City, a district, a street, a community, and the community again in English.
    assert_eq!(regions.len(), 5, "{summary}");
    assert_eq!(regions[0], "1309");
    assert_eq!(
        regions[1..4].iter().map(|r| r.len()).collect::<Vec<_>>(),
        [6, 9, 12]
    );
    assert_eq!(regions[3], regions[4]);
    assert_eq!(summary["visited"][0]["members_reported"], 7);
}

/// Words of ASCII letters a Chinese page may show: the language switch, the format of
/// the downloads, the sample city's organisation named like a spreadsheet formula, and
/// the name of the account signed in (`city`).
const ALLOWED_WORDS: [&str; 5] = ["English", "CSV", "HYPERLINK", "http", "city"];

/// What the checks read from a page, in the browser.
const MEASURE: &str = r#"
const visible = (el) => {
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return style.display !== 'none' && style.visibility !== 'hidden' && rect.width > 0 && rect.height > 0;
};
const targets = [...document.querySelectorAll('a, button, input:not([type=hidden])')]
  .filter((el) => !el.closest('svg') && visible(el))
  .map((el) => ({ text: (el.textContent || el.name || '').trim().slice(0, 30), height: el.getBoundingClientRect().height }));
const chartText = [...document.querySelectorAll('svg text')]
  .filter(visible)
  .map((el) => parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a);
const unlabelled = [...document.querySelectorAll('input:not([type=hidden])')]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map((el) => el.name);
return {
  lang: document.documentElement.lang,
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  screenWidth: window.screen.width,
  // The outermost elements reaching past the right edge, to say what overflows.
  overflowing: [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .filter((el) => !el.parentElement.closest('.scroll, .chart-box'))
    .slice(0, 5)
    .map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)),
  text: document.body.innerText,
  targets,
  smallestChartText: chartText.length ? Math.min(...chartText) : null,
  unlabelled,
};
"#;

/// What the print sheet leaves of a page, read with print media emulated.
const PRINTED: &str = r#"
const shown = (selector) => [...document.querySelectorAll(selector)].some((el) => getComputedStyle(el).display !== 'none');
return {
  nav: shown('header nav'),
  switch: shown('header a.lang'),
  form: shown('form.period'),
  downloads: shown('.downloads'),
  printOnly: [...document.querySelectorAll('.print-only')].filter((el) => getComputedStyle(el).display !== 'none').map((el) => el.innerText),
  text: document.body.innerText,
};
"#;

#[test]
fn every_page_fits_a_phone_and_a_desktop_and_speaks_chinese() {
    if !can_run("dashboard WebDriver test", &missing_driver()) {
        return;
    }
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let pages = [
        "/".to_owned(),
        "/?region=130903".to_owned(),
        "/?region=130903001".to_owned(),
        "/?region=130903001002".to_owned(),
        "/?region=1309&from=2026-01-01&to=2029-12-31".to_owned(),
        "/rankings".to_owned(),
        "/rankings?by=wishes_fulfilled&period=2026H2".to_owned(),
        "/health".to_owned(),
        format!("/orgs/{}", city.big_org),
        format!("/orgs/{}/reports?period=2026H1", city.big_org),
        format!("/orgs/{}/annual?year=2026", city.big_org),
        "/?from=2026-05-01&to=2026-04-01".to_owned(),
        "/?region=9999".to_owned(),
    ];
    let driver = Driver::start();
    for (width, height) in [(390, 844), (1280, 900)] {
        let browser = driver.session(width, height);
        browser.sign_in(&server);
        for path in &pages {
            for lang in ["", "lang=en"] {
                let url = match (lang, path.contains('?')) {
                    ("", _) => format!("{}{path}", server.url()),
                    (_, true) => format!("{}{path}&{lang}", server.url()),
                    (_, false) => format!("{}{path}?{lang}", server.url()),
                };
                browser.open(&url);
                let page = browser.run(MEASURE);
                let at = format!("{path} {lang} at {width}×{height}");
                // Against the layout viewport and the window, not `innerWidth`: a phone
                // zooms out to fit a page that is too wide, and `innerWidth` follows.
                let scroll_width = page["scrollWidth"].as_f64().unwrap();
                assert!(
                    scroll_width <= page["clientWidth"].as_f64().unwrap()
                        && scroll_width <= f64::from(width),
                    "{at}: the page is wider than the screen: {page}"
                );
                assert_eq!(
                    page["unlabelled"],
                    json!([]),
                    "{at}: inputs without a label"
                );
                if width < 500 {
                    for target in page["targets"].as_array().unwrap() {
                        assert!(
                            target["height"].as_f64().unwrap() >= 43.5,
                            "{at}: tap target {target} is under 44 px"
                        );
                    }
                }
                if let Some(smallest) = page["smallestChartText"].as_f64() {
                    assert!(smallest >= 10.0, "{at}: chart text of {smallest:.1} px");
                }
                if lang.is_empty() {
                    assert_eq!(page["lang"], "zh-CN");
                    let text = page["text"].as_str().unwrap();
                    let english: Vec<&str> = text
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        // A token with digits is a code (a credit code, a region).
                        .filter(|word| {
                            word.len() > 1 && word.bytes().all(|b| b.is_ascii_alphabetic())
                        })
                        .filter(|word| !ALLOWED_WORDS.contains(word))
                        .collect();
                    assert!(
                        english.is_empty(),
                        "{at}: English on a Chinese page: {english:?}"
                    );
                }
            }
        }
        // The print sheet: no navigation, no language switch, no forms or downloads; the
        // title, the period and the time of the data.
        browser.open(&format!("{}/?period=2026H1", server.url()));
        browser.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }));
        let printed = browser.run(PRINTED);
        for part in ["nav", "switch", "form", "downloads"] {
            assert_eq!(printed[part], false, "the {part} is printed: {printed}");
        }
        assert_eq!(
            printed["printOnly"],
            json!(["沧州市", "统计期间：2026-01-01 至 2026-06-30"])
        );
        let text = printed["text"].as_str().unwrap();
        assert!(text.contains("数据时间："), "{text}");
        assert!(
            !text.contains("English") && !text.contains("查询"),
            "{text}"
        );
    }
}

/// Printed by Chromium's own printing (the DevTools `Page.printToPDF`, through
/// chromedriver, so that the browser is signed in), with the page's `@page` size.
#[test]
fn the_overview_prints_on_a4() {
    if !can_run("print-to-PDF test", &missing_driver()) {
        return;
    }
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let driver = Driver::start();
    let browser = driver.session(1280, 900);
    browser.sign_in(&server);
    browser.open(&format!("{}/?period=2026H1", server.url()));
    let printed = browser.call(
        "goog/cdp/execute",
        json!({ "cmd": "Page.printToPDF", "params": { "preferCSSPageSize": true, "displayHeaderFooter": false } }),
    );
    let data = printed["value"]["data"]
        .as_str()
        .unwrap_or_else(|| panic!("no PDF: {printed}"));
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<&str> = text
        .match_indices("/MediaBox [")
        .map(|(at, _)| text[at..].split(']').next().unwrap())
        .collect();
    assert!(!boxes.is_empty(), "no page in the PDF");
    for media in boxes {
        let numbers: Vec<f64> = media
            .trim_start_matches("/MediaBox [")
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        // A4 is 210 × 297 mm, 595.3 × 841.9 points (Letter would be 612 × 792).
        assert!(
            (numbers[2] - 595.0).abs() < 1.0 && (numbers[3] - 842.0).abs() < 1.0,
            "a page of {numbers:?} points, not A4"
        );
    }
}

/// What the print sheet leaves of the annual report, with print media emulated: the
/// navigation and the unit's form hidden, an `@page` rule of A4 in force, the report
/// and the unit's own text shown.
const PRINTED_ANNUAL: &str = r#"
const shown = (selector) => [...document.querySelectorAll(selector)].some((el) => getComputedStyle(el).display !== 'none');
const pageSizes = [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
  .flatMap((rule) => rule instanceof CSSMediaRule && window.matchMedia(rule.conditionText).matches ? [...rule.cssRules] : [rule])
  .filter((rule) => rule instanceof CSSPageRule)
  .map((rule) => rule.style.getPropertyValue('size'));
const unitText = document.querySelector('.unit-text');
return {
  nav: shown('header nav'),
  form: shown('form.unit-text'),
  downloads: shown('.downloads'),
  pageSizes,
  unitText: unitText && getComputedStyle(unitText).display !== 'none' ? unitText.innerText : null,
  text: document.body.innerText,
};
"#;

/// A unit signs in, opens its members' reports, sees one member's report with the
/// verified mark, and prints its annual report.
#[test]
fn a_unit_sees_a_verified_report_and_prints_its_annual_report() {
    if !can_run("unit report-back browser test", &missing_driver()) {
        return;
    }
    let city = sample_city();
    add_account(
        &city.database,
        wishtree_hub::accounts::Role::Org,
        credit_code(1).as_str(),
        "unit",
    );
    let words = "本单位在职党员全部到社区报到，共建对子运行良好。";
    let store = wishtree_hub::store::SqliteStore::open(&city.database).unwrap();
    wishtree_hub::accounts::AccountStore::save_annual_text(
        &store,
        city.big_org,
        2026,
        words,
        NOW,
        "unit",
    )
    .unwrap();
    drop(store);
    let server = Server::start(&city.database, "1309");
    let session = server.log_in("unit");
    let driver = Driver::start();
    let browser = driver.session(1280, 900);
    browser.sign_in_as(&server, &session);
    browser.open(&format!("{}/", server.url()));
    // The unit's home is its page; its navigation leads to the members' reports.
    let reports = browser.run(
        "return [...document.querySelectorAll('header nav a')].map((a) => a.href).find((href) => href.includes('/reports'));",
    );
    let reports = reports.as_str().unwrap();
    browser.open(&format!("{reports}?period=2026H1"));
    let list = browser.run(
        "return { verified: [...document.querySelectorAll('table.member-reports [data-seal=verified]')].length,          first: document.querySelector('table.member-reports a').href };",
    );
    // 名人社区's two members and 世纪城社区's one, in two districts.
    assert_eq!(list["verified"], 3, "{list}");
    browser.open(list["first"].as_str().unwrap());
    let member = browser.run("return document.querySelector('section.member-report').innerText;");
    let member = member.as_str().unwrap();
    assert!(member.contains("已验签"), "{member}");
    assert!(
        member.contains("社区评价等次") && member.contains("积极参加社区服务"),
        "{member}"
    );

    browser.open(&format!(
        "{}/orgs/{}/annual?year=2026",
        server.url(),
        city.big_org
    ));
    browser.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let printed = browser.run(PRINTED_ANNUAL);
    for part in ["nav", "form", "downloads"] {
        assert_eq!(printed[part], false, "the {part} is printed: {printed}");
    }
    // The CSSOM gives the page size in lower case.
    assert_eq!(printed["pageSizes"], json!(["a4"]), "{printed}");
    assert_eq!(printed["unitText"], words, "{printed}");
    let text = printed["text"].as_str().unwrap();
    assert!(text.contains("一、党员到社区报到和服务情况"), "{text}");
    assert!(
        text.contains("本半年度尚未封存"),
        "2026H2 is said to be unsealed: {text}"
    );
}

fn missing_chromium() -> Vec<String> {
    if PathBuf::from("/usr/bin/chromium").exists() {
        Vec::new()
    } else {
        vec!["Chromium at /usr/bin/chromium (apt-get install chromium)".to_owned()]
    }
}

fn missing_driver() -> Vec<String> {
    let mut missing = missing_chromium();
    let driver = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !driver.is_ok_and(|status| status.success()) {
        missing.push("chromedriver (apt-get install chromium-driver)".to_owned());
    }
    missing
}

/// A chromedriver process on a free port of 127.0.0.1, stopped when dropped.
struct Driver {
    child: Child,
    address: SocketAddr,
}

/// One browser session: a window of a size, closed when dropped.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl Driver {
    fn start() -> Self {
        // A port the system just handed out and took back; chromedriver binds it next.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = std::net::TcpStream::connect(driver.address).is_ok()
                && driver.call("GET", "/status", None)["value"]["ready"] == true;
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            // Polling for the driver's port to open, not guessing how long it takes.
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A session in a window of `width` × `height` CSS pixels; a phone's is emulated
    /// as a phone (touch, the page's viewport meta honoured).
    fn session(&self, width: u32, height: u32) -> Browser<'_> {
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", format!("--window-size={width},{height}")],
        });
        if width < 500 {
            options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0 } });
        }
        let capabilities =
            json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": options } } });
        let answer = self.call("POST", "/session", Some(capabilities));
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Browser {
            driver: self,
            session,
        }
    }

    /// One WebDriver command. chromedriver keeps connections open whatever the request
    /// says, so the answer is read up to its `Content-Length`, not to the end.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let mut stream = std::net::TcpStream::connect(self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer).unwrap();
        serde_json::from_slice(&answer).unwrap_or(Value::Null)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser<'_> {
    /// Gives the browser the session cookie of the server's city viewer (a cookie is
    /// set for the site the window is on, so the login page is opened first).
    fn sign_in(&self, server: &Server) {
        self.sign_in_as(server, server.session());
    }

    /// Gives the browser the session cookie of `session`.
    fn sign_in_as(&self, server: &Server, session: &Session) {
        self.open(&format!("{}/login", server.url()));
        let (name, value) = session.cookie.split_once('=').unwrap();
        let answer = self.call(
            "cookie",
            json!({ "cookie": { "name": name, "value": value, "path": "/", "httpOnly": true } }),
        );
        assert_eq!(answer["value"], Value::Null, "{answer}");
    }

    fn open(&self, url: &str) {
        let answer = self.call("url", json!({ "url": url }));
        assert_eq!(answer["value"], Value::Null, "{url}: {answer}");
    }

    /// Runs `script` (a function body) in the page and gives back what it returns.
    fn run(&self, script: &str) -> Value {
        let answer = self.call("execute/sync", json!({ "script": script, "args": [] }));
        assert!(answer["value"].get("error").is_none(), "{answer}");
        answer["value"].clone()
    }

    /// A Chrome DevTools command, through chromedriver.
    fn cdp(&self, command: &str, params: Value) {
        let answer = self.call(
            "goog/cdp/execute",
            json!({ "cmd": command, "params": params }),
        );
        assert!(
            answer["value"].get("error").is_none(),
            "{command}: {answer}"
        );
    }

    fn call(&self, what: &str, body: Value) -> Value {
        self.driver.call(
            "POST",
            &format!("/session/{}/{what}", self.session),
            Some(body),
        )
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        self.driver
            .call("DELETE", &format!("/session/{}", self.session), None);
    }
}

/// What print media leaves of a bulletin: the navigation, forms and downloads hidden,
/// an `@page` of A4, the title and every chart drawn at a size.
const PRINTED_BULLETIN: &str = r#"
const shown = (selector) => [...document.querySelectorAll(selector)].some((el) => getComputedStyle(el).display !== 'none');
const pageSizes = [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
  .flatMap((rule) => rule instanceof CSSMediaRule && window.matchMedia(rule.conditionText).matches ? [...rule.cssRules] : [rule])
  .filter((rule) => rule instanceof CSSPageRule)
  .map((rule) => rule.style.getPropertyValue('size'));
const charts = [...document.querySelectorAll('svg')].map((svg) => {
  const box = svg.getBoundingClientRect();
  return { shown: getComputedStyle(svg).display !== 'none', width: box.width, height: box.height };
});
return {
  nav: shown('header nav'),
  form: shown('form'),
  downloads: shown('.downloads'),
  pageSizes,
  charts,
  title: document.querySelector('h1') && document.querySelector('h1').innerText,
};
"#;

/// A city viewer issues a month's bulletin from the form, lands on it, and prints it:
/// the print layout renders with its charts.
#[test]
fn a_city_viewer_issues_a_bulletin_opens_it_and_prints_it() {
    if !can_run("bulletin browser test", &missing_driver()) {
        return;
    }
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let driver = Driver::start();
    let browser = driver.session(1280, 900);
    browser.sign_in(&server);
    browser.open(&format!("{}/bulletins?region=1309", server.url()));
    browser.run(
        "const form = document.querySelector('form[action=\"/bulletins\"]');
         form.querySelector('[name=period]').value = '2026-05';
         form.submit();
         return null;",
    );
    // The form posts and the answer redirects to the new bulletin: wait for its address.
    let deadline = Instant::now() + Duration::from_secs(20);
    let path = loop {
        let path =
            browser.run("return document.readyState === 'complete' ? location.pathname : '';");
        let path = path.as_str().unwrap_or_default().to_owned();
        if path.starts_with("/bulletins/") {
            break path;
        }
        assert!(
            Instant::now() < deadline,
            "the issue did not land on a bulletin: {path}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let id: i64 = path.trim_start_matches("/bulletins/").parse().unwrap();
    let connection = rusqlite::Connection::open(&city.database).unwrap();
    let stored: String = connection
        .query_row("SELECT period FROM bulletins WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(stored, "2026-05");
    // Opened afresh from its address, as a reader would.
    browser.open(&format!("{}{path}", server.url()));
    browser.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let printed = browser.run(PRINTED_BULLETIN);
    for part in ["nav", "form", "downloads"] {
        assert_eq!(printed[part], false, "the {part} is printed: {printed}");
    }
    assert_eq!(printed["pageSizes"], json!(["a4"]), "{printed}");
    let title = printed["title"].as_str().unwrap_or_default();
    assert!(
        title.contains("2026年5月") && title.contains("通报"),
        "{printed}"
    );
    let charts = printed["charts"].as_array().unwrap();
    assert!(!charts.is_empty(), "a bulletin has charts: {printed}");
    for chart in charts {
        assert_eq!(chart["shown"], true, "{printed}");
        assert!(chart["width"].as_f64().unwrap() > 50.0, "{printed}");
        assert!(chart["height"].as_f64().unwrap() > 20.0, "{printed}");
    }
}
