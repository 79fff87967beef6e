//! The web UI in headless Chromium: a worker records a wish on the intake form,
//! publishes it, claims it for a member, and sees its apple turn red
//! (`tests/js/browser-node.mjs`); the JSON API then agrees the wish is claimed.
//!
//! Needs node.js, Debian's Chromium at /usr/bin/chromium and `npm ci` in `tests/js`
//! (`scripts/test-all` installs them). Without them the test is skipped loudly, or
//! fails when `WISHTREE_REQUIRE_ALL_TESTS=1`.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::TestNode;

/// How long the browser may take for the whole walk.
const DEADLINE: Duration = Duration::from_secs(120);

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

/// What is missing to run the browser, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    if !PathBuf::from("/usr/bin/chromium").exists() {
        missing.push("Chromium at /usr/bin/chromium".to_owned());
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node.js".to_owned());
    }
    if !js_dir().join("node_modules/playwright-core").exists() {
        missing.push("playwright-core (npm ci in tests/js)".to_owned());
    }
    missing
}

#[test]
fn a_worker_records_publishes_and_claims_a_wish_and_the_apple_turns_red() {
    let missing = missing_tools();
    if !missing.is_empty() {
        let message = format!("the browser test needs {}", missing.join(", "));
        if std::env::var("WISHTREE_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
            panic!("{message}; scripts/test-all installs them");
        }
        eprintln!("\n!!! SKIPPED node browser test: {message} !!!\n");
        return;
    }
    let node = TestNode::start();
    let (status, _) = node.post(
        "/api/members",
        &json!({"name": "张婷", "work_unit": "密云区城关派出所", "reported_in": "2026-05-20"}),
    );
    assert_eq!(status, 201);

    let mut child = Command::new("node")
        .arg("browser-node.mjs")
        .arg(format!("http://{}", node.address))
        .current_dir(js_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("the browser did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let wish = summary["wish"].as_str().unwrap();
    let (status, record) = node.get(&format!("/api/wishes/{wish}"));
    assert_eq!(status, 200);
    assert_eq!(record["status"]["state"], "claimed", "{record}");
    assert_eq!(record["title"], "希望有一台微波炉");
}
