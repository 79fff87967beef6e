//! Accounts shared by two hub processes on one PostgreSQL store (issue 15 item 3 with
//! item 4): an account added with `wishtree-hub account add … --store` signs in at
//! either process, the cookie one process signed is taken by the other, a token works
//! at both, `account revoke` ends the session and the token at both at the next
//! request, and `account audit` shows what both processes logged; and failed logins at
//! either process count toward one throttle.
//!
//! The hubs and the CLI are real processes (`hub-process`, the `wishtree-hub` command
//! line); requests go over real sockets. The database is one of its own in the cluster
//! of `scripts/with-test-pg`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command as Process, Stdio};

use wishtree_testkit::http::{Answer, Request};
use wishtree_testkit::login::{Session, log_in};
use wishtree_testkit::postgres::TestDatabase;
use wishtree_testkit::socket;
use wishtree_tests::hub_child::{HubChild, free_udp_port};

/// The `wishtree-hub` command line as a binary of this package.
const HUB_PROCESS: &str = env!("CARGO_BIN_EXE_hub-process");
const PASSWORD: &str = "correct horse battery";

#[test]
fn an_account_added_once_serves_at_both_processes_and_a_revocation_ends_it_at_both() {
    let Some(database) = TestDatabase::create("accounts of two hub processes on PostgreSQL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = database.url();
    let hub_dirs = [dir.path().join("hub-one"), dir.path().join("hub-two")];
    let hubs = two_hubs_with_yunhe(url, &hub_dirs);
    let [one, two] = [hubs[0].http_addr(), hubs[1].http_addr()];

    // Signed in at the second process; the cookie is taken at the first too.
    let session = log_in(&mut |request| send(two, request), "yunhe", PASSWORD);
    for hub in [one, two] {
        assert_eq!(
            send(hub, session.on(Request::get("/"))).status,
            200,
            "{hub}"
        );
    }
    // A token issued through the second directory, while both run, works at both.
    let issued = hub_cli(
        &[
            "account",
            "token",
            "--data",
            &text(&hub_dirs[1]),
            "--store",
            url,
            "yunhe",
        ],
        None,
    );
    let token = issued
        .lines()
        .find(|line| line.starts_with("wt_"))
        .expect("the token is printed")
        .to_owned();
    let bearer = format!("Bearer {token}");
    let export = |hub: SocketAddr| {
        send(
            hub,
            Request::get("/api/figures.csv").header("Authorization", &bearer),
        )
    };
    assert_eq!(export(one).status, 200);
    assert_eq!(export(two).status, 200);
    // An export by the session at the first process, to be in the audit log too.
    let by_session = send(
        one,
        session.on(Request::get("/api/figures.csv?region=130903")),
    );
    assert_eq!(by_session.status, 200);

    let revoked = hub_cli(
        &[
            "account",
            "revoke",
            "--data",
            &text(&hub_dirs[0]),
            "--store",
            url,
            "yunhe",
        ],
        None,
    );
    assert!(revoked.contains("revoked yunhe"), "{revoked}");
    for hub in [one, two] {
        assert_signed_out(hub, &session);
        assert_eq!(export(hub).status, 401, "the token ends at {hub}");
    }
    // Nor can it sign in again, at either.
    let refused = log_in_refused(one, "yunhe");
    assert_eq!(refused.status, 401);

    let audit = hub_cli(
        &[
            "account",
            "audit",
            "--data",
            &text(&hub_dirs[1]),
            "--store",
            url,
        ],
        None,
    );
    let lines: Vec<&str> = audit.lines().collect();
    let has = |account: &str, action: &str, what: &str| {
        lines.iter().any(|line| {
            let fields: Vec<&str> = line.split("  ").collect();
            fields.get(1) == Some(&account)
                && fields.get(2) == Some(&action)
                && fields.get(3).is_some_and(|field| field.contains(what))
        })
    };
    assert!(
        has("operator", "account-add", "yunhe district 130903"),
        "{audit}"
    );
    assert!(has("operator", "account-token", "yunhe"), "{audit}");
    assert!(has("operator", "account-revoke", "yunhe"), "{audit}");
    // The login at the second process, the exports at both, the refused login at the
    // first: one log.
    assert!(has("yunhe", "login", "from 127.0.0.1"), "{audit}");
    assert_eq!(
        lines
            .iter()
            .filter(|line| line.contains("  yunhe  export  /api/figures.csv"))
            .count(),
        3,
        "{audit}"
    );
    assert!(has("yunhe", "export", "region=130903"), "{audit}");
    assert!(has("yunhe", "login-failed", "from 127.0.0.1"), "{audit}");
    for hub in hubs {
        hub.stop();
    }
}

#[test]
fn failed_logins_at_either_process_count_toward_one_throttle() {
    let Some(database) = TestDatabase::create("login throttle of two hub processes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hub_dirs = [dir.path().join("hub-one"), dir.path().join("hub-two")];
    let hubs = two_hubs_with_yunhe(database.url(), &hub_dirs);
    let [one, two] = [hubs[0].http_addr(), hubs[1].http_addr()];

    // Three wrong passwords at the first process, two at the second: each alone is
    // under the five a name is allowed, together they are five.
    for (attempt, hub) in [one, one, one, two, two].into_iter().enumerate() {
        let answer = try_login(hub, "yunhe", "wrong password");
        assert_eq!(answer.status, 401, "attempt {} at {hub}", attempt + 1);
    }
    // The sixth try waits at either, the right password too.
    for hub in [one, two] {
        let sixth = try_login(hub, "yunhe", PASSWORD);
        assert_eq!(sixth.status, 429, "at {hub}");
        assert!(
            sixth.text().contains("登录失败次数过多"),
            "{}",
            sixth.text()
        );
    }
    for hub in hubs {
        hub.stop();
    }
}

/// Two processes of one hub on the PostgreSQL at `url`, in `hub_dirs` (initialised
/// here, the second with the first's key), with the account `yunhe` ([`PASSWORD`])
/// added through the first's directory before either runs.
fn two_hubs_with_yunhe(url: &str, hub_dirs: &[std::path::PathBuf; 2]) -> [HubChild; 2] {
    hub_cli(
        &[
            "init",
            "--data",
            &text(&hub_dirs[0]),
            "--city",
            "1309",
            "--store",
            url,
        ],
        None,
    );
    // The second process is the same hub: its key, copied, before its `init`.
    std::fs::create_dir_all(&hub_dirs[1]).unwrap();
    std::fs::copy(
        hub_dirs[0].join(wishtree_hub::data_dir::KEY_FILE),
        hub_dirs[1].join(wishtree_hub::data_dir::KEY_FILE),
    )
    .unwrap();
    hub_cli(
        &[
            "init",
            "--data",
            &text(&hub_dirs[1]),
            "--city",
            "1309",
            "--store",
            url,
        ],
        None,
    );

    // Added through the first process's directory, while neither runs.
    let added = hub_cli(
        &[
            "account",
            "add",
            "--data",
            &text(&hub_dirs[0]),
            "--store",
            url,
            "--role",
            "district",
            "--scope",
            "130903",
            "--name",
            "yunhe",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert!(added.contains("account yunhe created"), "{added}");
    [
        HubChild::start(
            HUB_PROCESS,
            &hub_dirs[0],
            free_udp_port(),
            &["--store", url],
        ),
        HubChild::start(
            HUB_PROCESS,
            &hub_dirs[1],
            free_udp_port(),
            &["--store", url],
        ),
    ]
}

/// Runs `wishtree-hub` as the operator does, with `stdin` piped in if given, and
/// answers what it printed; panics, showing its error, if it fails.
fn hub_cli(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Process::new(HUB_PROCESS)
        .args(args)
        .env_remove("WISHTREE_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub command runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        writeln!(input, "{text}").unwrap();
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "wishtree-hub {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn send(hub: SocketAddr, request: Request) -> Answer {
    socket::send(hub, &request).expect("the hub answers")
}

/// The session's cookie, still signed, is refused: the page sends it to the login,
/// and the login page does not send it back.
fn assert_signed_out(hub: SocketAddr, session: &Session) {
    let page = send(hub, session.on(Request::get("/")));
    assert_eq!(page.status, 303, "the session ends at {hub}");
    assert_eq!(page.header("location"), Some("/login"));
    assert_eq!(send(hub, session.on(Request::get("/login"))).status, 200);
}

/// A login of `name` with [`PASSWORD`] through the form, expected to be refused.
fn log_in_refused(hub: SocketAddr, name: &str) -> Answer {
    try_login(hub, name, PASSWORD)
}

/// A login of `name` with `password` through the form, as a browser sends it.
fn try_login(hub: SocketAddr, name: &str, password: &str) -> Answer {
    let page = send(hub, Request::get("/login"));
    let cookie = wishtree_testkit::login::cookies(&page).join("; ");
    let token = wishtree_testkit::login::form_token(&page.text()).unwrap();
    send(
        hub,
        Request::new("POST", "/login")
            .header("Cookie", &cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(wishtree_testkit::login::form(&[
                ("csrf_token", &token),
                ("name", name),
                ("password", password),
                ("next", "/"),
            ])),
    )
}

fn text(path: &Path) -> String {
    path.display().to_string()
}
