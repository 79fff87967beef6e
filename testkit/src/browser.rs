//! Running the browser walks of `tests/js` (headless Chromium through playwright-core):
//! whether the tools are here, and one script run to its end within a deadline.
//!
//! Needs node.js, Debian's Chromium at /usr/bin/chromium and `npm ci` in `tests/js`
//! (`scripts/test-all` installs them). Without them a browser test is skipped loudly,
//! or fails when `WISHTREE_REQUIRE_ALL_TESTS=1`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the browser may take for one whole walk.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The folder of the browser scripts, `tests/js` in the workspace.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

/// Whether the browser tests can run here; if not, says so loudly (naming `what` was
/// skipped), or fails when every test must run.
pub fn available(what: &str) -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return true;
    }
    let message = format!("the browser test needs {}", missing.join(", "));
    if std::env::var("WISHTREE_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
        panic!("{message}; scripts/test-all installs them");
    }
    eprintln!("\n!!! SKIPPED {what}: {message} !!!\n");
    false
}

/// Runs `command` to its end within [`DEADLINE`]; its stdout, or a failure with both
/// of its outputs.
pub fn run_to_end(mut command: Command) -> String {
    let mut child = command
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
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
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
