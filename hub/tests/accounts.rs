//! Accounts and scopes at the hub (issue 15, item 3): every refusal shown. A district
//! viewer is refused another district's figures, files and pages; an organisation
//! account every unit's page but its own and every region's figures; nobody signed
//! in gets anything but the login page and `/metrics`; a form without its CSRF token
//! is refused; a sixth wrong password is a 429; a revoked account's live session and
//! token are refused at its next request; every export is in the audit log, which the
//! operator reads with `wishtree-hub account audit`; the CLI refuses a bad role or
//! scope with exit code 2 and writes nothing.

#![allow(clippy::unwrap_used)]

mod figures_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use figures_support::*;
use proptest::prelude::*;
use wishtree_hub::accounts::Role;
use wishtree_testkit::login::{cookies, form, form_token};

/// 运河区's viewer, the big unit's account, and the city server they share.
struct Accounts {
    server: Server,
    district: Session,
    unit: Session,
    _city: SampleCity,
}

fn accounts() -> Accounts {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let (district, unit) = district_and_unit(&server);
    Accounts {
        district,
        unit,
        server,
        _city: city,
    }
}

impl Accounts {
    /// The status of a GET of `path` as `session`.
    fn status(&self, session: &Session, path: &str) -> u16 {
        self.server.send(session.on(Request::get(path))).status
    }
}

#[test]
fn a_district_viewer_sees_its_district_only() {
    let accounts = accounts();
    let district = &accounts.district;
    // (path, status) for 运河区's viewer: its own district and what is under it are
    // open, in JSON, in CSV and as pages; the city, 新华区 and a bare region are not.
    for (path, expected) in [
        ("/api/figures?region=130903", 200),
        ("/api/figures?region=130903001", 200),
        ("/api/figures.csv?region=130903", 200),
        ("/api/figures/children?region=130903", 200),
        ("/api/rankings/orgs?region=130903", 200),
        ("/?region=130903", 200),
        ("/rankings?region=130903", 200),
        ("/health?region=130903", 200),
        ("/api/figures?region=130902", 403),
        ("/api/figures.csv?region=130902", 403),
        ("/api/figures/children?region=1309", 403),
        ("/api/figures/months.csv?region=130902", 403),
        ("/api/rankings/orgs?region=1309", 403),
        ("/api/rankings/communities.csv?region=130902", 403),
        ("/api/communities?region=130902", 403),
        ("/api/figures?region=", 200),
        ("/?region=130902", 403),
        ("/?region=1309", 403),
        ("/rankings?region=130902", 403),
        ("/health?region=1309", 403),
    ] {
        assert_eq!(accounts.status(district, path), expected, "{path}");
    }
    // With no region asked, the district is where everything starts: its figures, not
    // the city's.
    let own = accounts
        .server
        .send(district.on(Request::get("/api/figures")))
        .json();
    let asked = accounts.server.json("/api/figures?region=130903");
    assert_eq!(own, asked);
    assert_ne!(own, accounts.server.json("/api/figures?region=1309"));
    // A refused page says why in Chinese; the API in English.
    let page = accounts
        .server
        .send(district.on(Request::get("/?region=130902")));
    assert!(page.text().contains("您的账号无权查看"), "{}", page.text());
    let api = accounts
        .server
        .send(district.on(Request::get("/api/figures?region=130902")));
    assert!(
        api.json()["error"]
            .as_str()
            .unwrap()
            .contains("sees region 130903"),
        "{}",
        api.text()
    );
    // An organisation's page, over the district only.
    let org = format!("/orgs/{}", credit_code(1));
    assert_eq!(accounts.status(district, &org), 200);
    assert_eq!(
        accounts.status(district, &format!("{org}?region=130902")),
        403
    );
}

#[test]
fn an_organisation_account_sees_its_own_unit_only() {
    let accounts = accounts();
    let unit = &accounts.unit;
    let (own, other) = (credit_code(1), credit_code(2));
    for (path, expected) in [
        (format!("/orgs/{own}"), 200),
        (format!("/api/orgs/{own}/figures"), 200),
        (format!("/api/orgs/{own}/communities.csv"), 200),
        (format!("/orgs/{other}"), 403),
        (format!("/orgs/{}", accounts._city.formula_org), 403),
        ("/orgs/not-a-code".to_owned(), 403),
        (format!("/api/orgs/{other}/figures"), 403),
        (format!("/api/orgs/{other}/communities.csv"), 403),
        ("/api/figures".to_owned(), 403),
        ("/api/figures?region=1309".to_owned(), 403),
        ("/api/rankings/orgs".to_owned(), 403),
        ("/api/communities.csv".to_owned(), 403),
        ("/?region=1309".to_owned(), 403),
        ("/rankings".to_owned(), 403),
        ("/health".to_owned(), 403),
    ] {
        assert_eq!(accounts.status(unit, &path), expected, "{path}");
    }
    // Its home is its unit's page, whose header has no region navigation.
    let home = accounts.server.send(unit.on(Request::get("/")));
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), Some(&*format!("/orgs/{own}")));
    let page = accounts
        .server
        .send(unit.on(Request::get(&format!("/orgs/{own}"))))
        .text();
    assert!(!page.contains(r#"href="/rankings"#), "{page}");
    assert!(page.contains("big-unit"));
}

#[test]
fn nobody_signed_in_gets_the_login_page_and_metrics_only() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    for path in [
        "/api/figures",
        "/api/figures.csv",
        "/api/figures/children?region=1309",
        "/api/orgs/00000000000000000000000000000000/figures",
        "/api/rankings/orgs.csv",
        "/api/communities",
        "/api/nowhere",
    ] {
        let answer = server.anonymous(path);
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{path}");
        assert!(!answer.text().contains("members_reported"), "{path}");
    }
    for (path, login) in [
        ("/", "/login"),
        ("/?region=130903", "/login?next=%2F%3Fregion%3D130903"),
        ("/rankings", "/login?next=%2Frankings"),
        ("/health", "/login?next=%2Fhealth"),
        ("/orgs/x", "/login?next=%2Forgs%2Fx"),
        ("/nowhere", "/login?next=%2Fnowhere"),
    ] {
        let answer = server.anonymous(path);
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.header("location"), Some(login), "{path}");
    }
    let login = server.anonymous("/login");
    assert_eq!(login.status, 200);
    assert!(login.text().contains("登录"));
    assert!(
        cookies(&login)
            .iter()
            .any(|cookie| cookie.starts_with("wishtree_login="))
    );
    let set_cookie = login.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    assert_eq!(server.anonymous("/metrics").status, 200);
    // Someone else's cookie, or a made-up one, is nobody.
    for cookie in [
        "wishtree_session=00.0.00",
        "wishtree_session=",
        "wishtree_session=zz.1.zz; wishtree_session=0",
    ] {
        let answer = server.send_anonymous(Request::get("/api/figures").header("Cookie", cookie));
        assert_eq!(answer.status, 401, "{cookie}");
    }
    let answer =
        server.send_anonymous(Request::get("/api/figures").header("Authorization", "Bearer wt_00"));
    assert_eq!(answer.status, 401);
    // A token is for the API: a page does not take it.
    let token = add_token(&city.database, "city");
    let page = server
        .send_anonymous(Request::get("/").header("Authorization", &format!("Bearer {token}")));
    assert_eq!(page.status, 303);
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let session = server.log_in("city");
    assert!(
        !session.form_token.is_empty(),
        "the pages carry the session's token"
    );
    let post = |body: String, cookie: &str| {
        server.send_anonymous(
            Request::new("POST", "/logout")
                .header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body),
        )
    };
    // No token, another session's token, the login form's token: refused, and the
    // session lives on.
    let other = server.log_in("city");
    for body in [
        String::new(),
        form(&[("csrf_token", "")]),
        form(&[("csrf_token", &other.form_token)]),
        form(&[("csrf_token", &"0".repeat(64))]),
    ] {
        assert_eq!(post(body.clone(), &session.cookie).status, 403, "{body}");
    }
    assert_eq!(server.send(session.on(Request::get("/"))).status, 200);
    // The login form without the token of its login cookie is refused too.
    let page = server.anonymous("/login");
    let login_cookie = cookies(&page).join("; ");
    let token = form_token(&page.text()).unwrap();
    let login = |pairs: &[(&str, &str)], cookie: &str| {
        server
            .send_anonymous(
                Request::new("POST", "/login")
                    .header("Cookie", cookie)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form(pairs)),
            )
            .status
    };
    let typed = [("name", "city"), ("password", PASSWORD)];
    assert_eq!(login(&typed, &login_cookie), 403);
    assert_eq!(
        login(&[typed[0], typed[1], ("csrf_token", &token)], ""),
        403,
        "the token without its cookie"
    );
    assert_eq!(
        login(&[typed[0], typed[1], ("csrf_token", &token)], &login_cookie),
        303
    );
    // With its token, the logout ends the session: its cookie is nobody's now.
    let logout = post(
        form(&[("csrf_token", &session.form_token)]),
        &session.cookie,
    );
    assert_eq!(logout.status, 303);
    assert_eq!(logout.header("location"), Some("/login"));
    assert_eq!(server.send(session.on(Request::get("/"))).status, 303);
    assert_eq!(server.send(other.on(Request::get("/"))).status, 200);
}

#[test]
fn a_sixth_wrong_password_is_answered_429() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    let page = server.anonymous("/login");
    let cookie = cookies(&page).join("; ");
    let token = form_token(&page.text()).unwrap();
    let try_password = |password: &str| {
        server.send_anonymous(
            Request::new("POST", "/login")
                .header("Cookie", &cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("csrf_token", &token),
                    ("name", "city"),
                    ("password", password),
                ])),
        )
    };
    for attempt in 1..=5 {
        let answer = try_password("wrong password");
        assert_eq!(answer.status, 401, "attempt {attempt}");
        assert!(answer.text().contains("账号或密码不正确"));
        assert!(
            answer.text().contains(r#"value="city""#),
            "the name stays typed"
        );
    }
    let sixth = try_password("wrong password");
    assert_eq!(sixth.status, 429);
    assert!(
        sixth.text().contains("登录失败次数过多"),
        "{}",
        sixth.text()
    );
    // The right password waits too: the name is blocked, not just the wrong guesses.
    assert_eq!(try_password(PASSWORD).status, 429);
    // The failures are logged with the name, never with what was typed.
    let log = audit_log(&city.database);
    assert_eq!(log.matches("login-failed").count(), 5, "{log}");
    assert!(!log.contains("wrong password"), "{log}");
}

#[test]
fn a_revoked_accounts_session_and_token_are_refused_at_once() {
    let city = sample_city();
    let server = Server::start(&city.database, "1309");
    add_account(&city.database, Role::District, "130903", "yunhe");
    let session = server.log_in("yunhe");
    let token = add_token(&city.database, "yunhe");
    let bearer = format!("Bearer {token}");
    let api = || {
        server
            .send(Request::get("/api/figures").header("Authorization", &bearer))
            .status
    };
    assert_eq!(server.send(session.on(Request::get("/"))).status, 200);
    assert_eq!(api(), 200);

    let store = wishtree_hub::store::SqliteStore::open(&city.database).unwrap();
    wishtree_hub::accounts::AccountStore::revoke_account(&store, "yunhe", NOW).unwrap();

    let page = server.send(session.on(Request::get("/")));
    assert_eq!(page.status, 303, "the live session ends");
    assert_eq!(page.header("location"), Some("/login"));
    let login = server.send(session.on(Request::get("/login")));
    assert_eq!(login.status, 200, "the login page, not back to the page");
    assert_eq!(api(), 401, "the token ends");
    assert_eq!(
        server
            .send(session.on(Request::get("/api/figures.csv")))
            .status,
        401
    );
    // And the password no longer signs in.
    let login = server.anonymous("/login");
    let answer = server.send_anonymous(
        Request::new("POST", "/login")
            .header("Cookie", &cookies(&login).join("; "))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("csrf_token", &form_token(&login.text()).unwrap()),
                ("name", "yunhe"),
                ("password", PASSWORD),
            ])),
    );
    assert_eq!(answer.status, 401);
}

#[test]
fn every_export_and_every_view_of_an_organisation_is_in_the_audit_log() {
    let accounts = accounts();
    let server = &accounts.server;
    let exports = [
        "/api/figures.csv?region=130903",
        "/api/figures/children.csv?region=130903",
        "/api/rankings/orgs.csv?region=130903",
        "/api/communities.csv?region=130903",
    ];
    for path in exports {
        let answer = server.send(accounts.district.on(Request::get(path)));
        assert_eq!(answer.status, 200, "{path}");
    }
    // CSV asked by the Accept header is an export as well.
    let by_accept = server.send(
        accounts
            .district
            .on(Request::get("/api/figures?region=130903001"))
            .header("Accept", "text/csv"),
    );
    assert_eq!(by_accept.status, 200);
    let own = format!("/orgs/{}", credit_code(1));
    assert_eq!(
        server.send(accounts.unit.on(Request::get(&own))).status,
        200
    );
    // A refused export is no export.
    assert_eq!(
        accounts.status(&accounts.district, "/api/figures.csv?region=130902"),
        403
    );

    let log = audit_log(&accounts.server.database);
    for path in exports {
        assert!(
            log.contains(&format!("yunhe  export  {path}")),
            "{path}: {log}"
        );
    }
    assert!(
        log.contains("yunhe  export  /api/figures?region=130903001"),
        "{log}"
    );
    assert!(log.contains(&format!("big-unit  view  {own}")), "{log}");
    // The units' ranking is per-organisation data too, on the API and as a page.
    for path in [
        "/api/rankings/orgs?region=130903",
        "/rankings?region=130903",
    ] {
        assert_eq!(accounts.status(&accounts.district, path), 200);
        assert!(
            audit_log(&accounts.server.database).contains(&format!("yunhe  view  {path}")),
            "{path}"
        );
    }
    assert!(!log.contains("region=130902"), "{log}");
    assert!(log.contains("yunhe  login"), "{log}");
    // One account's lines, and the lines of a day.
    let own_lines = hub_cli(
        &accounts.server.database,
        &["account", "audit", "--account", "big-unit"],
    );
    assert!(own_lines.contains("big-unit  view"), "{own_lines}");
    assert!(!own_lines.contains("yunhe"), "{own_lines}");
    let none = hub_cli(
        &accounts.server.database,
        &["account", "audit", "--since", "2099-01-01"],
    );
    assert!(none.trim().is_empty(), "{none}");
}

/// Bad input to `account add` exits with 2 and writes nothing; good input creates an
/// account that `account list` shows without any secret.
#[test]
fn the_cli_refuses_a_bad_role_or_scope_with_exit_code_2() {
    let (_dir, data) = new_hub();
    let add = |role: &str, scope: &str, name: &str, password: &str| {
        run_hub(
            &data,
            &[
                "account",
                "add",
                "--role",
                role,
                "--scope",
                scope,
                "--name",
                name,
                "--password-stdin",
            ],
            password,
        )
    };
    for (role, scope, name, password, said) in [
        ("admin", "1309", "x", PASSWORD, "role `admin` is not a role"),
        (
            "district",
            "1309",
            "x",
            PASSWORD,
            "a district viewer's scope is a region code of 6 digits",
        ),
        (
            "district",
            "110105",
            "x",
            PASSWORD,
            "this hub serves region 1309",
        ),
        ("street", "130903", "x", PASSWORD, "of 9 digits"),
        ("org", "91130900MA0000001X", "x", PASSWORD, "credit code"),
        ("org", "130903", "x", PASSWORD, "credit code"),
        (
            "city",
            "1309",
            "two words",
            PASSWORD,
            "cannot be an account name",
        ),
        ("city", "1309", "x", "short", "use at least 8"),
        ("city", "1309", "x", "", "standard input is empty"),
    ] {
        let output = add(role, scope, name, &format!("{password}\n"));
        let printed = text(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{role} {scope} {name}: {printed}"
        );
        assert!(printed.contains(said), "{role} {scope} {name}: {printed}");
    }
    let listed = text(&run_hub(&data, &["account", "list"], ""));
    assert!(listed.contains("no accounts"), "{listed}");

    assert!(
        add("district", "130903", "yunhe", "correct horse battery\n")
            .status
            .success()
    );
    let again = add("street", "130903001", "yunhe", "correct horse battery\n");
    assert_eq!(again.status.code(), Some(2), "a name is never reused");
    let listed = text(&run_hub(&data, &["account", "list"], ""));
    assert!(listed.contains("yunhe  district  130903"), "{listed}");
    assert!(
        !listed.contains("argon2") && !listed.contains("horse"),
        "{listed}"
    );
    let token = run_hub(&data, &["account", "token", "nobody"], "");
    assert_eq!(token.status.code(), Some(2));
    let revoked = run_hub(&data, &["account", "revoke", "yunhe"], "");
    assert!(revoked.status.success(), "{}", text(&revoked));
    assert!(text(&run_hub(&data, &["account", "list"], "")).contains("revoked"));
    assert_eq!(
        run_hub(&data, &["account", "token", "yunhe"], "")
            .status
            .code(),
        Some(2),
        "a revoked account gets no token"
    );
    let audit = text(&run_hub(&data, &["account", "audit"], ""));
    assert!(
        audit.contains("operator  account-add  yunhe district 130903"),
        "{audit}"
    );
    assert!(audit.contains("operator  account-revoke  yunhe"), "{audit}");
    assert_eq!(
        run_hub(&data, &["account", "audit", "--since", "yesterday"], "")
            .status
            .code(),
        Some(2)
    );
}

/// `run --metrics ADDR` serves `/metrics` there, open; the dashboard's address then
/// has none, and asks for a login like every other path.
#[test]
fn metrics_can_be_bound_to_their_own_address() {
    let (_dir, data) = new_hub();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args([
            "run",
            "--quic",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
        ])
        .env("WISHTREE_DATA", &data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut dashboard = None;
    let mut metrics = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(address) = line.strip_prefix("dashboard: http://") {
            dashboard = Some(address.trim_end_matches('/').parse().unwrap());
        }
        if let Some(address) = line.strip_prefix("metrics: http://") {
            metrics = Some(address.trim_end_matches("/metrics").parse().unwrap());
            break;
        }
    }
    let (dashboard, metrics): (std::net::SocketAddr, std::net::SocketAddr) =
        (dashboard.unwrap(), metrics.unwrap());
    let scraped = wishtree_testkit::socket::send(metrics, &Request::get("/metrics")).unwrap();
    let beside = wishtree_testkit::socket::send(dashboard, &Request::get("/metrics")).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(scraped.status, 200);
    assert!(scraped.text().contains("# TYPE"), "{}", scraped.text());
    assert_eq!(beside.status, 303, "{}", beside.text());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever bytes a login form carries — with a good CSRF token or none — the hub
    /// answers with a refusal or the form again, never a server error, and signs no
    /// one in.
    #[test]
    fn any_login_body_is_refused_without_a_server_error(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        with_token in any::<bool>(),
    ) {
        let server = login_server();
        let page = server.anonymous("/login");
        let cookie = cookies(&page).join("; ");
        let mut sent = body.clone();
        if with_token {
            let token = form_token(&page.text()).unwrap();
            sent.extend_from_slice(format!("&csrf_token={token}").as_bytes());
        }
        let answer = server.send_anonymous(
            Request::new("POST", "/login")
                .header("Cookie", &cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(sent),
        );
        prop_assert!(
            matches!(answer.status, 400 | 401 | 403 | 429),
            "{}: {}", answer.status, answer.text()
        );
    }
}

/// One server for every case of the property test (a sample city takes a while).
fn login_server() -> &'static Server {
    static SERVER: std::sync::OnceLock<(Server, SampleCity)> = std::sync::OnceLock::new();
    &SERVER
        .get_or_init(|| {
            let city = sample_city();
            (Server::start(&city.database, "1309"), city)
        })
        .0
}

/// The audit log as `wishtree-hub account audit` prints it, for the hub database at
/// `database` (whose directory is made a hub directory with a key file first).
fn audit_log(database: &Path) -> String {
    hub_cli(database, &["account", "audit"])
}

fn hub_cli(database: &Path, args: &[&str]) -> String {
    let data = database.parent().unwrap();
    let key = data.join("hub.key");
    if !key.exists() {
        wishtree_common::key_file::create(&key, &[9; 32]).unwrap();
    }
    let output = run_hub(data, args, "");
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// A new hub of 沧州市 (1309) in a temp dir, as `wishtree-hub init` makes it.
fn new_hub() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let init = run_hub(&data, &["init", "--city", "1309"], "");
    assert!(init.status.success(), "{}", text(&init));
    (dir, data)
}

/// Runs the hub binary on `data` with `stdin` piped in.
fn run_hub(data: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(args)
        .env("WISHTREE_DATA", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads stdin may be gone before this write: its pipe
    // is closed then, and its output says why.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
