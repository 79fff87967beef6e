//! What a web page the city's staff visit can do to the hub (issue 10 §2): read no
//! figures through DNS rebinding, send nothing that changes state, and get no CORS
//! header that would let it read across origins.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;

/// One request to `server`, whose answer must have `expected` status.
fn check(
    server: &Server,
    (method, path): (&str, &str),
    headers: &[(&str, &str)],
    expected: u16,
) -> Answer {
    let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
    let answer = server.request(method, path, headers, body);
    assert_eq!(
        answer.status,
        expected,
        "{method} {path} with {headers:?}: {}",
        answer.text()
    );
    answer
}

#[test]
fn a_foreign_host_reads_no_figures() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let port = server.address.port().to_string();
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_owned(),
        "localhost:1".to_owned(),
    ] {
        for path in ["/api/figures", "/", "/metrics", "/api/communities.csv"] {
            let answer = check(&server, ("GET", path), &[("Host", &host)], 421);
            let text = answer.text();
            assert!(!text.contains("members_reported"), "{path}: {text}");
            assert!(text.contains("--http-host"), "{path}: {text}");
        }
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let answer = check(&server, ("GET", "/api/figures"), &[("Host", &host)], 200);
        assert!(answer.text().contains("members_reported"));
    }
}

#[test]
fn a_foreign_page_may_post_nothing() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let own_origin = server.url();
    let json = ("Content-Type", "application/json");
    let refused = check(
        &server,
        ("POST", "/api/figures"),
        &[json, ("Origin", "http://evil.example")],
        403,
    );
    assert!(
        refused.text().contains("evil.example"),
        "{}",
        refused.text()
    );
    for headers in [
        [
            ("Content-Type", "text/plain"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "same-site"),
        ],
        [json, ("Origin", "null")],
    ] {
        check(&server, ("POST", "/"), &headers, 403);
        check(&server, ("DELETE", "/api/figures"), &headers, 403);
    }
    // A form without the hub's token, and a text/plain body, are refused even when the
    // browser sends no origin at all.
    check(
        &server,
        ("POST", "/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        403,
    );
    check(
        &server,
        ("POST", "/api/figures"),
        &[("Content-Type", "text/plain")],
        415,
    );
    // What passes the guard meets routes that only read.
    check(
        &server,
        ("POST", "/api/figures"),
        &[json, ("Origin", &own_origin)],
        405,
    );
    // The figures are as they were.
    assert_eq!(server.json("/api/figures")["members_reported"], 7);
}

#[test]
fn the_hub_sends_no_cors_headers() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let evil = ("Origin", "http://evil.example");
    for (method, headers) in [
        (
            "OPTIONS",
            vec![evil, ("Access-Control-Request-Method", "GET")],
        ),
        ("GET", vec![evil]),
    ] {
        let answer = server.request(method, "/api/figures", &headers, b"");
        assert!(
            answer
                .headers
                .iter()
                .all(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-")),
            "{method}: {:?}",
            answer.headers
        );
    }
}
