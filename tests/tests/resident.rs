//! Residents' sealed submissions end to end (issue 12, item 4), over real loopback
//! QUIC and HTTP: a resident opens the poster's form at the hub and submits a wish;
//! the hub seals the name, phone and address to the node's key and appends only
//! ciphertext to the inbox, so no byte of them is in any file of the hub's data
//! directory (SQLite and its WAL included); the node opens them into its private
//! tables and records the wish as submitted; the receipt code follows it from 待审核
//! to green, red and fulfilled. Every refusal (size, flood, community, malformed body,
//! a bad field) has its own words and appends nothing. The same submission as JSON
//! (`POST /api/submissions`) is sealed the same way and refused the same way, in JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use wishtree_hub::run::RunningHub;
use wishtree_node::api::{self, Action};
use wishtree_node::run::RunningNode;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::Actor;
use wishtree_protocol::submission::ReceiptCode;
use wishtree_protocol::text::Detail;
use wishtree_testkit::http::{Answer, Request};
use wishtree_testkit::login::{cookies, form, form_token};
use wishtree_tests::city::{
    any_port, enrolled_node, hub_holds_node, init_hub, record_member, start_hub, wait_until,
};

const LIMIT: Duration = Duration::from_secs(20);
const NAME: &str = "欧阳秀英";
const PHONE: &str = "13987654321";
const ADDRESS: &str = "幸福里社区七号楼三单元602室";

fn code() -> CommunityCode {
    "130903001001".parse().unwrap()
}

fn send(hub: &RunningHub, request: Request) -> Answer {
    let address = hub.http_addr;
    let request = request
        .header("Host", &address.to_string())
        .header("Origin", &format!("http://{address}"));
    wishtree_testkit::socket::send(address, &request).unwrap()
}

/// Opens the form as a phone does: its nonce cookie and token.
fn open_form(hub: &RunningHub) -> (String, String) {
    let page = send(hub, Request::get(&format!("/m/wish/new?c={}", code())));
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("提交微心愿") && html.contains("lang=\"zh-CN\""));
    let cookie = cookies(&page).join("; ");
    (cookie, form_token(&html).unwrap())
}

/// Posts the form with `fields` (the token and community added).
fn post(hub: &RunningHub, session: &(String, String), fields: &[(&str, &str)]) -> Answer {
    let c = code().to_string();
    let mut pairs = vec![("csrf_token", session.1.as_str()), ("c", c.as_str())];
    pairs.extend_from_slice(fields);
    post_body(hub, session, form(&pairs))
}

fn post_body(hub: &RunningHub, session: &(String, String), body: String) -> Answer {
    send(
        hub,
        Request::new("POST", "/m/wish/new")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &session.0)
            .body(body),
    )
}

fn wish_fields<'a>(title: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("kind", "goods"),
        ("group", "elderly_alone"),
        ("name", NAME),
        ("phone", phone),
        ("address", ADDRESS),
    ]
}

/// Every file under `dir`, recursively, with its bytes.
fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(every_file(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path.display().to_string(), bytes));
        }
    }
    found
}

fn assert_no_personal_bytes(dir: &Path) {
    let files = every_file(dir);
    assert!(files.iter().any(|(name, _)| name.ends_with("hub.sqlite")));
    for (name, bytes) in &files {
        for secret in [NAME, PHONE, ADDRESS] {
            let needle = secret.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|window| window == needle),
                "{name} holds a resident's personal field in plaintext"
            );
        }
    }
}

fn lookup_state(hub: &RunningHub, receipt: &str) -> String {
    let page = send(
        hub,
        Request::get(&format!("/m/wish/lookup?c={}&code={receipt}", code())),
    );
    assert_eq!(page.status, 200);
    let html = page.text();
    for secret in [NAME, PHONE, ADDRESS] {
        assert!(!html.contains(secret), "the look-up shows personal data");
    }
    let at = html
        .find("data-state=\"")
        .map(|at| at + "data-state=\"".len());
    at.map(|at| html[at..].split('"').next().unwrap().to_owned())
        .unwrap_or_default()
}

async fn act(node: &RunningNode, wish: &str, step: &str, by: Option<Actor>) {
    let mut replica = node.replica.lock().await;
    let note = Detail::parse("note", "").unwrap();
    api::WISHES
        .act(
            &mut replica,
            wish,
            step,
            Action { by, note },
            wishtree_node::now(),
        )
        .unwrap();
}

async fn started() -> (tempfile::TempDir, RunningHub, RunningNode) {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let node = enrolled_node(&hub, &hub_dir, code()).await.unwrap();
    hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
    (dir, hub, node)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_submission_is_sealed_at_the_hub_and_opened_by_the_node_only() {
    let (dir, hub, node) = started().await;
    // The node's poster links to the hub's form for its community, with its QR code.
    let poster = send_node(&node, "/poster");
    assert!(poster.contains(&format!("/m/wish/new?c={}", code())));
    assert!(poster.contains("<svg") && poster.contains("点单"));
    let session = open_form(&hub);
    let answer = post(&hub, &session, &wish_fields("希望有一台助行器", PHONE));
    assert_eq!(answer.status, 303, "{}", answer.text());
    let location = answer.header("location").unwrap().to_owned();
    let receipt = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let receipt_code: ReceiptCode = receipt.parse().unwrap();
    let page = send(&hub, Request::get(&location)).text();
    assert!(page.contains(&receipt) && page.contains("回执码"));

    // The node, connected, takes it in: a submitted wish, the fields opened into its
    // private tables only.
    let wish = receipt_code.wish(code());
    wait_until(LIMIT, "the node to take the submission in", || {
        node.replica
            .try_lock()
            .is_ok_and(|replica| replica.resident_private(wish).ok().flatten().is_some())
    })
    .await
    .unwrap();
    {
        let mut replica = node.replica.lock().await;
        let private = replica.resident_private(wish).unwrap().unwrap();
        assert_eq!(
            (private.real_name.as_str(), private.phone.as_str()),
            (NAME, PHONE)
        );
        assert_eq!(private.address, ADDRESS);
        let view = replica.view().unwrap();
        assert_eq!(view.wishes[&wish].status.state, ClaimState::Submitted);
        assert_eq!(view.wishes[&wish].entity.title, "希望有一台助行器");
    }
    // The worker's page for the wish shows them (核实遴选).
    let ui = send_node(&node, &format!("/wishes/{wish}"));
    assert!(ui.contains(NAME) && ui.contains(PHONE) && ui.contains(ADDRESS));

    // No byte of them anywhere in the hub's data directory, WAL included, while the
    // hub runs and after it stopped.
    let hub_dir = dir.path().join("hub");
    assert_no_personal_bytes(&hub_dir);

    // The receipt follows the wish: 待审核, then green, red, fulfilled.
    let wish_id = wish.to_string();
    hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
    assert_eq!(lookup_state(&hub, &receipt), "submitted");
    let member = record_member(&node, "李明").await;
    for (step, by, state) in [
        ("publish", None, "published"),
        ("claim", Some(Actor::Member(member)), "claimed"),
        ("fulfil", None, "fulfilled"),
    ] {
        act(&node, &wish_id, step, by).await;
        hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
        assert_eq!(lookup_state(&hub, &receipt), state, "after {step}");
    }
    node.stop().await;
    hub.stop().await;
    assert_no_personal_bytes(&hub_dir);
}

fn send_node(node: &RunningNode, path: &str) -> String {
    let address = node.http_addr;
    let request = Request::get(path).header("Host", &address.to_string());
    let answer = wishtree_testkit::socket::send(address, &request).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_has_its_own_words_and_appends_nothing() {
    let (_dir, hub, node) = started().await;
    let session = open_form(&hub);
    let entries = || hub.hub().inbox_entries(code()).unwrap().len();
    let refused = |answer: &Answer, status: u16, reason: &str, words: &str| {
        assert_eq!(answer.status, status, "{}", answer.text());
        let html = answer.text();
        assert!(
            html.contains(&format!("data-refusal=\"{reason}\"")),
            "{html}"
        );
        assert!(html.contains(words), "{html}");
    };

    let big = "长".repeat(4000);
    let answer = post(&hub, &session, &wish_fields(&big, PHONE));
    refused(&answer, 413, "too_large", "提交内容过长");

    let answer = post_body(
        &hub,
        &session,
        form(&[
            ("csrf_token", &session.1),
            ("c", "999999999999"),
            ("title", "x"),
        ]),
    );
    refused(&answer, 404, "unknown_community", "找不到这个社区");
    let answer = send(&hub, Request::get("/m/wish/new?c=abc"));
    refused(&answer, 404, "unknown_community", "找不到这个社区");

    // Not the form: the community twice, or no community at all.
    let c = code().to_string();
    let twice = form(&[("csrf_token", &session.1), ("c", &c), ("c", &c)]);
    refused(
        &post_body(&hub, &session, twice),
        400,
        "malformed",
        "表单无法识别",
    );
    let none = form(&[("csrf_token", &session.1), ("title", "x")]);
    refused(
        &post_body(&hub, &session, none),
        400,
        "malformed",
        "表单无法识别",
    );

    // A bad field is said beside it, and what was typed is in no message.
    let answer = post(&hub, &session, &wish_fields("希望有人陪诊", "139-abc-000"));
    assert_eq!(answer.status, 400);
    let html = answer.text();
    assert!(html.contains("id=\"phone-error\""), "{html}");
    assert!(html.contains("请填写有效的电话号码"));
    assert!(!html.contains("“139-abc-000”"));

    // Without the form's token, the web guard refuses before the handler.
    let no_token = form(&[("c", &c), ("title", "x")]);
    assert_eq!(post_body(&hub, &session, no_token).status, 403);

    assert_eq!(entries(), 0, "no refusal appended anything");

    // A flood from one address: the first ten are taken, the next refused.
    for n in 0..wishtree_hub::http::SUBMISSIONS_PER_ADDRESS {
        let title = format!("希望有人帮忙修水管{n}");
        let answer = post(&hub, &session, &wish_fields(&title, PHONE));
        assert_eq!(answer.status, 303, "{}", answer.text());
    }
    let taken = entries();
    assert_eq!(taken, wishtree_hub::http::SUBMISSIONS_PER_ADDRESS);
    let answer = post(&hub, &session, &wish_fields("再来一条", PHONE));
    refused(&answer, 429, "flood", "提交过于频繁");
    assert_eq!(entries(), taken);
    node.stop().await;
    hub.stop().await;
}

fn post_json(hub: &RunningHub, body: &str) -> Answer {
    send(
        hub,
        Request::new("POST", "/api/submissions")
            .header("Content-Type", "application/json")
            .body(body.to_owned()),
    )
}

fn json_wish(community: &str, title: &str, phone: &str) -> String {
    serde_json::json!({
        "community": community, "title": title, "kind": "goods", "group": "elderly_alone",
        "name": NAME, "phone": phone, "address": ADDRESS,
    })
    .to_string()
}

/// Issue 12, item 4 as JSON: sealed as the form seals, looked up by its receipt, and
/// each refusal — too large, not an object of strings, an unknown community, a bad
/// field (named), a flood from one address — in JSON with its own words, appending
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_submission_is_sealed_and_refused_as_the_form_is() {
    let (dir, hub, node) = started().await;
    let c = code().to_string();
    let entries = || hub.hub().inbox_entries(code()).unwrap().len();

    let accepted = post_json(&hub, &json_wish(&c, "希望有一台电风扇", PHONE));
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let answer = accepted.json();
    let receipt = answer["receipt"].as_str().unwrap().to_owned();
    assert!(receipt.parse::<ReceiptCode>().is_ok(), "{answer}");
    assert_eq!(entries(), 1);
    assert_eq!(lookup_state(&hub, &receipt), "submitted");
    assert_no_personal_bytes(&dir.path().join("hub"));

    let big = "长".repeat(4000);
    let refusals = [
        (
            "too_large",
            413,
            post_json(&hub, &json_wish(&c, &big, PHONE)),
        ),
        (
            "malformed",
            400,
            post_json(&hub, "{\"community\": 130903001001}"),
        ),
        ("malformed", 400, post_json(&hub, "\u{0}\u{ff}不是JSON")),
        (
            "unknown_community",
            404,
            post_json(&hub, &json_wish("999999999999", "x", PHONE)),
        ),
        (
            "field",
            400,
            post_json(&hub, &json_wish(&c, "希望有人陪诊", "139-abc-000")),
        ),
    ];
    let mut words = std::collections::HashSet::new();
    for (reason, status, answer) in &refusals {
        assert_eq!(answer.status, *status, "{reason}: {}", answer.text());
        let body = answer.json();
        assert_eq!(body["reason"], *reason, "{body}");
        assert!(body["error"].as_str().is_some_and(|error| error.is_ascii()));
        let zh = body["message_zh"].as_str().unwrap().to_owned();
        assert!(!zh.is_ascii(), "{reason}: Chinese words");
        assert!(
            !body.to_string().contains("139-abc-000"),
            "nothing typed repeated"
        );
        words.insert(zh);
    }
    assert_eq!(words.len(), 4, "each refusal has its own words");
    assert_eq!(refusals[4].2.json()["field"], "phone");
    assert_eq!(entries(), 1, "no refusal appended anything");

    // A flood from one address: the one taken counts, the tenth is the last.
    for n in 1..wishtree_hub::http::SUBMISSIONS_PER_ADDRESS {
        let title = format!("希望有人帮忙修水管{n}");
        let answer = post_json(&hub, &json_wish(&c, &title, PHONE));
        assert_eq!(answer.status, 202, "{}", answer.text());
    }
    let taken = entries();
    let flooded = post_json(&hub, &json_wish(&c, "再来一条", PHONE));
    assert_eq!(flooded.status, 429, "{}", flooded.text());
    assert_eq!(flooded.json()["reason"], "flood");
    assert_eq!(entries(), taken);
    node.stop().await;
    hub.stop().await;
}

/// Runs `tests/js/browser-resident.mjs` with `args`; its JSON summary.
async fn phone_in_chromium(args: Vec<String>) -> serde_json::Value {
    let mut command = std::process::Command::new("node");
    command
        .arg("browser-resident.mjs")
        .args(args)
        .current_dir(wishtree_testkit::browser::js_dir());
    let stdout =
        tokio::task::spawn_blocking(move || wishtree_testkit::browser::run_to_end(command))
            .await
            .unwrap();
    serde_json::from_str(stdout.trim()).unwrap()
}

/// A resident's phone (Chromium at 360 px) submits through the poster's form and
/// follows the wish by its receipt code; no byte of the personal fields is in the hub's
/// data directory, and the node shows them after decryption.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_submits_from_a_phone_in_chromium() {
    if !wishtree_testkit::browser::available("resident submission browser test") {
        return;
    }
    let (dir, hub, node) = started().await;
    let base = format!("http://{}", hub.http_addr);
    let c = code().to_string();
    let submitted = phone_in_chromium(
        ["submit", &base, &c, NAME, PHONE, ADDRESS]
            .map(str::to_owned)
            .to_vec(),
    )
    .await;
    assert_eq!(submitted["state"], "submitted", "{submitted}");
    let receipt = submitted["receipt"].as_str().unwrap().to_owned();
    let wish = receipt.parse::<ReceiptCode>().unwrap().wish(code());
    wait_until(LIMIT, "the node to take the submission in", || {
        node.replica
            .try_lock()
            .is_ok_and(|replica| replica.resident_private(wish).ok().flatten().is_some())
    })
    .await
    .unwrap();
    let ui = send_node(&node, &format!("/wishes/{wish}"));
    assert!(ui.contains(NAME) && ui.contains(PHONE) && ui.contains(ADDRESS));
    assert_no_personal_bytes(&dir.path().join("hub"));

    act(&node, &wish.to_string(), "publish", None).await;
    hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
    let looked =
        phone_in_chromium(["lookup", &base, &c, &receipt].map(str::to_owned).to_vec()).await;
    assert_eq!(looked["state"], "published", "{looked}");
    node.stop().await;
    hub.stop().await;
    assert_no_personal_bytes(&dir.path().join("hub"));
}
