//! A newcomer's own hub: the data directory given once in `WISHTREE_DATA`, as for the
//! node, and the city's districts and streets named with `wishtree-hub region`, so that
//! the dashboard shows names where it showed bare codes.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use wishtree_testkit::login::{Session, log_in};
use wishtree_testkit::socket;
use wishtree_testkit::{Answer, Request};

/// Runs the hub binary with `WISHTREE_DATA` set instead of `--data`.
fn hub(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(args)
        .env("WISHTREE_DATA", data)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `wishtree-hub run` on loopback port 0, killed when dropped, with a city viewer
/// signed in.
struct RunningHub {
    child: Child,
    dashboard: SocketAddr,
    session: Session,
}

impl RunningHub {
    fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    fn start_with(data: &Path, extra: &[&str]) -> Self {
        // Standard input is empty here, so the hub draws the password and prints it.
        let added = hub(
            data,
            &[
                "account", "add", "--role", "city", "--scope", "1309", "--name", "city",
            ],
        );
        assert!(added.status.success(), "{}", text(&added));
        let printed = text(&added);
        let password = printed
            .lines()
            .find_map(|line| {
                line.split_once("password (shown once; the hub keeps only its hash): ")
            })
            .map(|(_, password)| password.trim().to_owned())
            .unwrap_or_else(|| panic!("no password printed: {printed}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
            .args(["run", "--quic", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .args(extra)
            .env("WISHTREE_DATA", data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut dashboard = None;
        // The hub prints three lines once it listens; if it fails, stdout ends.
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(address) = line.strip_prefix("dashboard: http://") {
                dashboard = Some(address.trim_end_matches('/').parse().unwrap());
                break;
            }
        }
        let Some(dashboard) = dashboard else {
            let _ = child.kill();
            panic!("the hub printed no dashboard address");
        };
        let session = log_in(
            &mut |request| socket::send(dashboard, &request).unwrap(),
            "city",
            &password,
        );
        Self {
            child,
            dashboard,
            session,
        }
    }

    /// The dashboard page at `path`, as text.
    fn page(&self, path: &str) -> String {
        let answer = self.answer(path, &self.dashboard.to_string());
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        answer.text()
    }

    /// The answer to a GET of `path` that names `host` in its Host header, over a real
    /// connection to the running binary.
    fn answer(&self, path: &str, host: &str) -> Answer {
        let request = self.session.on(Request::get(path).header("Host", host));
        socket::send(self.dashboard, &request).unwrap()
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn heading(code: &str, shown: &str) -> String {
    format!(r#"<h1 data-region="{code}">{shown}</h1>"#)
}

#[test]
fn a_newcomer_names_districts_and_streets_and_the_running_dashboard_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let running = RunningHub::start(&data);
    assert!(
        running
            .page("/?region=130903")
            .contains(&heading("130903", "130903"))
    );

    let named = hub(&data, &["region", "name", "130903", "运河区"]);
    assert!(named.status.success(), "{}", text(&named));
    assert!(
        running
            .page("/?region=130903")
            .contains(&heading("130903", "运河区")),
        "the running hub shows the name on its next page"
    );

    // A community's name is its node's; a region of another city is a mistake.
    let community = hub(&data, &["region", "name", "130903001001", "名人社区"]);
    assert!(!community.status.success());
    assert!(
        text(&community).contains("comes from its node"),
        "{}",
        text(&community)
    );
    let elsewhere = hub(&data, &["region", "name", "110105", "朝阳区"]);
    assert!(!elsewhere.status.success());
    assert!(
        text(&elsewhere).contains("of city 1309"),
        "{}",
        text(&elsewhere)
    );

    // One bad row: its line is named and nothing of the file is written.
    let file = dir.path().join("regions.csv");
    std::fs::write(
        &file,
        "code,name\n130903001,水月寺街道\n13090300x,南环中路街道\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let bad = hub(&data, &["region", "import", file]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("line 3: "), "{}", text(&bad));
    assert!(text(&bad).contains("nothing was written"), "{}", text(&bad));
    assert!(
        running
            .page("/?region=130903001")
            .contains(&heading("130903001", "130903001"))
    );

    std::fs::write(
        file,
        "code,name\n130903001,水月寺街道\n130903002,南环中路街道\n130903,运河区（新）\n",
    )
    .unwrap();
    let good = hub(&data, &["region", "import", file]);
    assert!(good.status.success(), "{}", text(&good));
    assert!(text(&good).contains("named 3 region(s)"), "{}", text(&good));
    for (code, name) in [
        ("130903001", "水月寺街道"),
        ("130903002", "南环中路街道"),
        ("130903", "运河区（新）"),
    ] {
        let page = running.page(&format!("/?region={code}"));
        assert!(page.contains(&heading(code, name)), "{code}: no {name}");
    }
}

#[test]
fn every_command_takes_the_data_directory_from_wishtree_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    assert!(data.join("hub.key").exists());
    let roster = hub(&data, &["roster"]);
    assert!(roster.status.success(), "{}", text(&roster));
    let backup = dir.path().join("backup.sqlite");
    let backup_run = hub(&data, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(backup_run.status.success(), "{}", text(&backup_run));
    assert!(backup.exists());
    // `--data` still wins over the variable.
    let other = dir.path().join("nothing");
    let explicit = hub(&data, &["roster", "--data", other.to_str().unwrap()]);
    assert!(!explicit.status.success());
    assert!(
        text(&explicit).contains("wishtree-hub init"),
        "{}",
        text(&explicit)
    );
}

#[test]
fn the_operator_names_the_host_the_dashboard_is_opened_by() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let running = RunningHub::start_with(&data, &["--http-host", "dashboard.city.example"]);
    let port = running.dashboard.port();
    let named = running.answer("/", &format!("dashboard.city.example:{port}"));
    assert_eq!(named.status, 200, "{}", named.text());
    // Any other name is what DNS rebinding would send: refused, and no figure shown.
    let foreign = running.answer("/", &format!("attacker.example:{port}"));
    assert_eq!(foreign.status, 421, "{}", foreign.text());
    assert!(
        !foreign.text().contains("data-figure"),
        "{}",
        foreign.text()
    );
}

#[test]
fn the_example_config_of_deploy_starts_the_hub_and_serves_every_command() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/hub.toml");
    let example = example.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    // WISHTREE_DATA (set by `hub`) overrides the file's /var/lib path, as flags do.
    let init = hub(&data, &["--config", example, "init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let running = RunningHub::start_with(&data, &["--config", example]);
    assert!(running.page("/").contains("<html"));
    // The same file serves a command that takes only some of its keys.
    let roster = hub(&data, &["--config", example, "roster"]);
    assert!(roster.status.success(), "{}", text(&roster));
}

#[test]
fn logs_are_json_lines_when_stderr_is_not_a_terminal_and_text_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    assert!(hub(&data, &["init", "--city", "1309"]).status.success());
    let first_log_line = |format: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
            .args(format)
            .args(["run", "--quic", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .env("WISHTREE_DATA", &data)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read on a thread of its own, so that a hub that never logs fails the test in
        // bounded time instead of hanging it.
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stderr).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = lines.recv_timeout(std::time::Duration::from_secs(20));
        let _ = child.kill();
        let _ = child.wait();
        line.expect("the hub logs a line within 20 s of starting")
    };
    let line = first_log_line(&[]);
    let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|error| {
        panic!("not a JSON line ({error}): {line}");
    });
    assert_eq!(entry["level"], "INFO", "{line}");
    assert!(
        entry["timestamp"].as_str().unwrap().ends_with('Z'),
        "{line}"
    );
    assert!(
        entry["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("listening"),
        "{line}"
    );
    let line = first_log_line(&["--log-format", "text"]);
    assert!(
        line.contains(" INFO hub ") && line.contains("listening"),
        "{line}"
    );
}

#[test]
fn the_operator_sets_units_and_campaigns_and_the_running_dashboard_measures_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let running = RunningHub::start(&data);
    assert!(running.page("/").contains("市平台尚未设定活动规则"));

    let code = "91350100M000100Y43";
    let unknown = hub(
        &data,
        &["city", "members", "--credit-code", code, "--members", "220"],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("not in the city's directory"),
        "{}",
        text(&unknown)
    );
    for args in [
        &[
            "city",
            "org",
            "--credit-code",
            code,
            "--name",
            "沧州市发改委党组",
        ][..],
        &["city", "members", "--credit-code", code, "--members", "220"][..],
        &[
            "city",
            "campaign",
            "--title",
            "“双微”行动",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ][..],
    ] {
        let done = hub(&data, args);
        assert!(done.status.success(), "{args:?}: {}", text(&done));
    }
    let none = hub(
        &data,
        &["city", "members", "--credit-code", code, "--members", "0"],
    );
    assert!(!none.status.success());
    assert!(text(&none).contains("at least 1"), "{}", text(&none));

    // The running hub picks the city document up and derives its rows.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut page = String::new();
    while std::time::Instant::now() < deadline {
        page = running.page("/");
        if page.contains("“双微”行动") && page.contains("申报的 1 个单位共有在职党员 220 名")
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let rows = std::process::Command::new("sqlite3")
        .arg(data.join("hub.sqlite"))
        .arg("select count(*) from fig_directory; select count(*) from fig_campaigns;")
        .output()
        .unwrap();
    panic!(
        "the dashboard does not show the campaign and the unit: {} {}",
        String::from_utf8_lossy(&rows.stdout),
        page.len()
    );
}

#[test]
fn the_operator_names_a_streets_host_inside_the_street_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let host = |street: &str, community: &str| {
        hub(
            &data,
            &[
                "city",
                "street-host",
                "--street",
                street,
                "--community",
                community,
            ],
        )
    };
    for (street, community, said) in [
        ("130903", "130903001001", "is not a street of this city"),
        ("440103001", "440103001001", "is not a street of this city"),
        ("130903001", "130903002001", "is not in street 130903001"),
        ("130903001", "130903001", "bad --community"),
    ] {
        let refused = host(street, community);
        assert!(!refused.status.success(), "{street} {community}");
        assert!(text(&refused).contains(said), "{}", text(&refused));
    }
    let done = host("130903001", "130903001001");
    assert!(done.status.success(), "{}", text(&done));
}

#[test]
fn the_operator_lists_a_units_branches_for_every_node_to_offer() {
    use wishtree_hub::store::StoredDoc;
    use wishtree_protocol::city::CityDoc;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = hub(&data, &["init", "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let help = hub(&data, &["city", "branch", "--help"]);
    for said in [
        "List a party branch (党支部) of a unit of the directory",
        "--remove",
    ] {
        assert!(text(&help).contains(said), "{said}: {}", text(&help));
    }

    let code = "91350100M000100Y43";
    let branch = |name: &str| {
        hub(
            &data,
            &["city", "branch", "--credit-code", code, "--name", name],
        )
    };
    let unknown = branch("第一党支部");
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("not in the city's directory; add it first (city org)"),
        "{}",
        text(&unknown)
    );
    let org = hub(
        &data,
        &[
            "city",
            "org",
            "--credit-code",
            code,
            "--name",
            "沧州市发改委",
        ],
    );
    assert!(org.status.success(), "{}", text(&org));
    for (name, said) in [
        (" ", "name is empty"),
        (&*"支".repeat(101), "at most 100 are allowed"),
    ] {
        let refused = branch(name);
        assert!(!refused.status.success(), "{name}");
        assert!(text(&refused).contains(said), "{}", text(&refused));
    }
    let bad_code = hub(
        &data,
        &[
            "city",
            "branch",
            "--credit-code",
            "91350100M000100Y44",
            "--name",
            "第一党支部",
        ],
    );
    assert!(!bad_code.status.success());
    assert!(
        text(&bad_code).contains("bad --credit-code"),
        "{}",
        text(&bad_code)
    );
    // Listed twice, and a second branch: the document lists each branch once.
    for name in ["第一党支部", "第一党支部", "机关第二党支部"] {
        let done = branch(name);
        assert!(done.status.success(), "{name}: {}", text(&done));
    }

    // What every node receives: the unit with its two branches.
    let stores = wishtree_hub::data_dir::open_stores(&data, None).unwrap();
    let bytes = stores.store.doc_bytes(StoredDoc::City).unwrap().unwrap();
    let city = CityDoc::load(&bytes, Some(&"1309".parse().unwrap()), [9; 16]).unwrap();
    let view = city.view().unwrap();
    let listed: Vec<&String> = view.orgs[code].branches.values().collect();
    assert_eq!(listed, ["机关第二党支部", "第一党支部"]);

    // One listed by mistake is taken off (spaces aside); taken off again, refused by
    // name.
    let remove = |name: &str| {
        hub(
            &data,
            &[
                "city",
                "branch",
                "--credit-code",
                code,
                "--name",
                name,
                "--remove",
            ],
        )
    };
    let removed = remove("第一 党支部");
    assert!(removed.status.success(), "{}", text(&removed));
    let again = remove("第一党支部");
    assert!(!again.status.success());
    assert!(
        text(&again).contains("第一党支部 is not among the branches the city lists"),
        "{}",
        text(&again)
    );
    let bytes = stores.store.doc_bytes(StoredDoc::City).unwrap().unwrap();
    let city = CityDoc::load(&bytes, Some(&"1309".parse().unwrap()), [9; 16]).unwrap();
    let view = city.view().unwrap();
    let listed: Vec<&String> = view.orgs[code].branches.values().collect();
    assert_eq!(listed, ["机关第二党支部"]);
}
