//! The dashboard in a real browser: headless Chromium (driven by playwright-core from
//! node.js) opens the dashboard served in-process on 127.0.0.1:0, drills from the city
//! into a district, a street and a community, and checks every headline number it reads
//! against the JSON API (`tests/js/browser-dashboard.mjs`).
//!
//! Needs node.js, Debian's Chromium at /usr/bin/chromium and `npm ci` in `tests/js`
//! (`scripts/test-all` installs them). Without them the test is skipped loudly, or
//! fails when `WISHTREE_REQUIRE_ALL_TESTS=1`.

#![allow(clippy::unwrap_used)]

mod figures_support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use figures_support::*;

/// How long the browser may take for the whole walk.
const DEADLINE: Duration = Duration::from_secs(120);

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

/// What is missing to run the browser, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|status| status.success()) {
        missing.push("node.js (`node`)".to_owned());
    }
    if !PathBuf::from("/usr/bin/chromium").exists() {
        missing.push("Chromium at /usr/bin/chromium (apt-get install chromium)".to_owned());
    }
    if !js_dir()
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        missing.push("playwright-core (run `npm ci` in tests/js)".to_owned());
    }
    missing
}

#[test]
fn the_dashboard_in_chromium_shows_the_numbers_of_the_api() {
    let missing = missing_tools();
    if !missing.is_empty() {
        let message = format!("the browser test needs {}", missing.join(", "));
        if std::env::var("WISHTREE_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
            panic!("{message}; scripts/test-all installs them");
        }
        eprintln!("\n!!! SKIPPED dashboard browser test: {message} !!!\n");
        return;
    }
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let mut child = Command::new("node")
        .arg("browser-dashboard.mjs")
        .arg(server.url())
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
            let _ = child.wait();
            panic!("the browser walk did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "browser walk failed:\n{stdout}\n{stderr}");
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
