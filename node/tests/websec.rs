//! What a web page the worker visits can do to the node (issue 10 §2): nothing. A
//! cross-site form post, a `text/plain` fetch and a DNS-rebound read are each refused
//! with a 4xx and write or show nothing, while the node's own pages keep working; and
//! a password cannot be guessed at network speed.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::{
    Answer, RunningNode, TestNode, form_token, init_node, member_body, request, wish_body,
};
use wishtree_node::server::Access;

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const EVIL: (&str, &str) = ("Origin", "http://evil.example");

/// One request to `node`, whose answer must have `expected` status.
fn check(
    node: &TestNode,
    (method, path): (&str, &str),
    headers: &[(&str, &str)],
    body: &[u8],
    expected: u16,
) -> Answer {
    let answer = request(node.address, method, path, Some(body), headers);
    assert_eq!(
        answer.status,
        expected,
        "{method} {path} with {headers:?}: {}",
        answer.text()
    );
    answer
}

fn activity_form(title: &str, token: Option<&str>) -> Vec<u8> {
    let mut fields = vec![
        ("title", title),
        ("category", "safety"),
        ("date", "2026-07-15"),
        ("hours", "1.5"),
        ("place", "惠新苑社区居委会"),
    ];
    if let Some(token) = token {
        fields.push(("csrf_token", token));
    }
    serde_urlencoded::to_string(&fields).unwrap().into_bytes()
}

fn titles(node: &TestNode, path: &str) -> Vec<String> {
    let (status, list) = node.get(path);
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|record| record["title"].as_str().unwrap().to_owned())
        .collect()
}

fn error_of(answer: &Answer) -> String {
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[test]
fn a_cross_site_form_post_creates_no_activity() {
    let node = TestNode::start();
    let own_origin = format!("http://{}", node.address);
    let token = form_token(&request(node.address, "GET", "/activities", None, &[]).text());
    let post = ("POST", "/activities");

    // The attack as tried: another site's page posts a form, without our token.
    let refused = check(
        &node,
        post,
        &[FORM, EVIL],
        &activity_form("钓鱼", None),
        403,
    );
    assert!(
        error_of(&refused).contains("evil.example"),
        "{}",
        refused.text()
    );
    // Even with the token (which a foreign page cannot read) a foreign origin is refused,
    let with_token = activity_form("钓鱼", Some(&token));
    check(&node, post, &[FORM, EVIL], &with_token, 403);
    check(&node, post, &[FORM, ("Origin", "null")], &with_token, 403);
    // and so is what the browser marks as another site, or another app on localhost.
    check(
        &node,
        post,
        &[FORM, ("Sec-Fetch-Site", "cross-site")],
        &with_token,
        403,
    );
    check(
        &node,
        post,
        &[FORM, ("Sec-Fetch-Site", "same-site")],
        &with_token,
        403,
    );
    // An old browser that sends neither header still cannot supply the token.
    let refused = check(&node, post, &[FORM], &activity_form("钓鱼", None), 403);
    assert!(
        error_of(&refused).contains("reload the page"),
        "{}",
        refused.text()
    );
    check(
        &node,
        post,
        &[FORM],
        &activity_form("钓鱼", Some("0123")),
        403,
    );
    assert_eq!(titles(&node, "/api/activities"), Vec::<String>::new());

    // The node's own page, as the browser sends it, works.
    let headers = [
        FORM,
        ("Origin", own_origin.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    let body = activity_form("青少年七彩暑期安全教育", Some(&token));
    let created = check(&node, post, &headers, &body, 303);
    assert!(
        created
            .header("location")
            .unwrap()
            .starts_with("/activities/")
    );
    assert_eq!(
        titles(&node, "/api/activities"),
        vec!["青少年七彩暑期安全教育".to_owned()]
    );
}

#[test]
fn a_text_plain_fetch_creates_no_wish() {
    let node = TestNode::start();
    let wish = wish_body("希望有一台微波炉").to_string();
    let post = ("POST", "/api/wishes");

    // The attack as tried: a cross-site fetch with a text/plain JSON body needs no
    // preflight; so does an unlabelled body or a form.
    let refused = check(
        &node,
        post,
        &[("Content-Type", "text/plain")],
        wish.as_bytes(),
        415,
    );
    assert!(
        error_of(&refused).contains("Content-Type: application/json"),
        "{}",
        refused.text()
    );
    check(
        &node,
        post,
        &[("Content-Type", "text/plain;charset=UTF-8"), EVIL],
        wish.as_bytes(),
        403,
    );
    check(
        &node,
        post,
        &[("Content-Type", "multipart/form-data; boundary=x")],
        wish.as_bytes(),
        415,
    );
    let form = serde_urlencoded::to_string([("title", "微波炉")]).unwrap();
    check(&node, post, &[FORM], form.as_bytes(), 415);
    // A JSON body from a foreign origin is refused too (a browser would have needed a
    // preflight the node never grants).
    check(
        &node,
        post,
        &[("Content-Type", "application/json"), EVIL],
        wish.as_bytes(),
        403,
    );
    assert_eq!(titles(&node, "/api/wishes"), Vec::<String>::new());

    // JSON as JSON, with or without a charset, is what the API takes.
    check(
        &node,
        post,
        &[("Content-Type", "application/json")],
        wish.as_bytes(),
        201,
    );
    let second = wish_body("轮椅").to_string();
    let json_utf8 = ("Content-Type", "application/json; charset=utf-8");
    check(&node, post, &[json_utf8], second.as_bytes(), 201);
    assert_eq!(titles(&node, "/api/wishes").len(), 2);
}

#[test]
fn a_foreign_host_reads_no_member() {
    let node = TestNode::start();
    let (status, created) = node.post("/api/members", &member_body("王建国"));
    assert_eq!(status, 201, "{created}");
    let port = node.address.port().to_string();

    // The attack as tried: DNS rebinding makes attacker.example point at the node.
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_owned(),
        format!("localhost.attacker.example:{port}"),
        "localhost:1".to_owned(),
    ] {
        let answer = check(&node, ("GET", "/api/members"), &[("Host", &host)], b"", 421);
        let text = answer.text();
        assert!(
            !text.contains("13800000000") && !text.contains("行宫东街"),
            "{text}"
        );
        assert!(text.contains("--http-host"), "{text}");
        check(&node, ("GET", "/"), &[("Host", &host)], b"", 421);
        let wish = wish_body("x").to_string();
        check(
            &node,
            ("POST", "/api/wishes"),
            &[("Host", &host)],
            wish.as_bytes(),
            421,
        );
    }
    assert_eq!(titles(&node, "/api/wishes"), Vec::<String>::new());

    // The names of this computer, with the port or without, are the node's own.
    for host in [
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let answer = check(&node, ("GET", "/api/members"), &[("Host", &host)], b"", 200);
        assert!(answer.text().contains("13800000000"));
    }
}

#[test]
fn the_node_sends_no_cors_headers() {
    let node = TestNode::start();
    let preflight = [
        EVIL,
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ];
    for answer in [
        request(node.address, "OPTIONS", "/api/wishes", None, &preflight),
        request(node.address, "GET", "/api/wishes", None, &[EVIL]),
        request(node.address, "GET", "/", None, &[EVIL]),
    ] {
        assert!(
            answer
                .headers
                .iter()
                .all(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-")),
            "{:?}",
            answer.headers
        );
    }
}

#[test]
fn wrong_passwords_must_wait_after_five() {
    let node = TestNode::start_with(Access::PasswordRequired);
    // "x:wrong horse!" and "x:correct horse"
    let wrong = [("Authorization", "Basic eDp3cm9uZyBob3JzZSE=")];
    let right = [("Authorization", "Basic eDpjb3JyZWN0IGhvcnNl")];
    for _ in 0..5 {
        check(&node, ("GET", "/api/status"), &wrong, b"", 401);
    }
    let throttled = check(&node, ("GET", "/api/status"), &wrong, b"", 429);
    let wait: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "Retry-After: {wait}");
    assert!(
        error_of(&throttled).contains("wait"),
        "{}",
        throttled.text()
    );
    // While the client must wait, even the right password is not tried: otherwise the
    // wait would not slow a guesser down.
    check(&node, ("GET", "/api/status"), &right, b"", 429);
    // A write is refused as well, and writes nothing.
    let wish = json!({"title": "x"}).to_string();
    let mut headers = right.to_vec();
    headers.push(("Content-Type", "application/json"));
    check(
        &node,
        ("POST", "/api/wishes"),
        &headers,
        wish.as_bytes(),
        429,
    );
}

#[test]
fn a_browser_that_logged_in_is_not_made_to_wait_by_a_guesser() {
    let node = TestNode::start_with(Access::PasswordRequired);
    let wrong = [("Authorization", "Basic eDp3cm9uZyBob3JzZSE=")];
    let right = [("Authorization", "Basic eDpjb3JyZWN0IGhvcnNl")];
    check(&node, ("GET", "/api/status"), &right, b"", 200);
    for _ in 0..5 {
        check(&node, ("GET", "/api/status"), &wrong, b"", 401);
    }
    check(&node, ("GET", "/api/status"), &wrong, b"", 429);
    check(&node, ("GET", "/api/status"), &right, b"", 200);
}

#[test]
fn the_operator_names_the_hosts_a_lan_opens_the_node_by() {
    let dir = tempfile::tempdir().unwrap();
    drop(init_node(dir.path()));
    let node = RunningNode::start_with_env(
        dir.path(),
        &[(
            "WISHTREE_HTTP_HOSTS",
            "node.example.lan,Forwarded.example:9000",
        )],
    );
    let port = node.address.port();
    for (host, expected) in [
        (format!("node.example.lan:{port}"), 200),
        ("node.example.lan".to_owned(), 200),
        ("forwarded.example:9000".to_owned(), 200),
        ("forwarded.example:9001".to_owned(), 421),
        (format!("attacker.example:{port}"), 421),
    ] {
        let answer = request(node.address, "GET", "/api/status", None, &[("Host", &host)]);
        assert_eq!(answer.status, expected, "Host: {host}: {}", answer.text());
    }
}
