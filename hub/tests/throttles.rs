//! The throttles (`accounts::LoginThrottle`) under tries at once, and when their
//! count cannot be read. Twenty wrong passwords fired together at one name let five
//! through to the password check, not twenty, whether the count is in memory, in one
//! SQLite file or in PostgreSQL shared by two processes. A shared store that fails
//! refuses every try it cannot count: the login page answers 503 without checking the
//! password, a card exchange an internal error, and a card session's claim, check-in
//! or sign-up, and a resident's submission, an internal error with nothing appended
//! to the community's inbox; each is taken again once the store is mended.

#![allow(clippy::unwrap_used)]

mod figures_support;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use figures_support::{
    Answer, NOW, Request, Server, Writer, at_minute, code, date, region, worker,
};
use wishtree_hub::accounts::{
    Account, AccountError, AccountStore, AnnualText, AuditEntry, LoginThrottle, NewAccount,
    SessionKey,
};
use wishtree_hub::clock::Clock;
use wishtree_hub::http::HubHttpState;
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubOptions, stored};
use wishtree_hub::store::{EnrolledRole, HubStore, PgStore, SqliteStore};
use wishtree_protocol::Timestamp;
use wishtree_protocol::card::{CardSecret, MemberCard};
use wishtree_protocol::checkin::CheckInCode;
use wishtree_protocol::command::Command;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{ActivityId, CardId, CheckInCodeId, OrgId, WishId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::EventKind;
use wishtree_protocol::submission::{EncryptionKeyPair, SignedEncryptionKey};
use wishtree_testkit::login::{cookies, form, form_token};
use wishtree_testkit::postgres::TestDatabase;

const TRIES: usize = 20;

/// Fires [`TRIES`] wrong passwords for one name from as many addresses at `throttles`
/// in turn, every try checked before any is known to have failed (each waits for all
/// to be checked before it fails: the worst a guesser can hope for); answers how many
/// got through to the password check.
async fn tries_at_once(throttles: &[Arc<LoginThrottle>]) -> usize {
    let now = Timestamp::from_millis(1_000_000_000);
    let checked = Arc::new(tokio::sync::Barrier::new(TRIES));
    let tries: Vec<_> = (0..TRIES)
        .map(|n| {
            let throttle = Arc::clone(&throttles[n % throttles.len()]);
            let checked = Arc::clone(&checked);
            tokio::spawn(async move {
                let client = IpAddr::from([198, 51, 100, u8::try_from(n).unwrap()]);
                let attempt = throttle.take("yunhe", client, now).await.unwrap();
                checked.wait().await;
                // The password was wrong: the attempt stays counted.
                attempt.is_some()
            })
        })
        .collect();
    let mut through = 0;
    for try_ in tries {
        through += usize::from(try_.await.unwrap());
    }
    through
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_in_memory_pass_five() {
    assert_eq!(tries_at_once(&[Arc::new(LoginThrottle::new())]).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_on_one_sqlite_file_pass_five() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let throttles: Vec<_> = (0..2)
        .map(|_| {
            let store: Arc<dyn AccountStore> = Arc::new(SqliteStore::open(&path).unwrap());
            Arc::new(LoginThrottle::new().shared(store, "login"))
        })
        .collect();
    assert_eq!(tries_at_once(&throttles).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_at_two_processes_on_postgres_pass_five() {
    let Some(database) = TestDatabase::create("tries at once on PostgreSQL") else {
        return;
    };
    // Two stores on one database stand for two hub processes.
    let throttles: Vec<_> = (0..2)
        .map(|_| {
            let store: Arc<dyn AccountStore> = Arc::new(PgStore::open(database.url()).unwrap());
            Arc::new(LoginThrottle::new().shared(store, "login"))
        })
        .collect();
    assert_eq!(tries_at_once(&throttles).await, 5);
}

/// The hub's SQLite accounts, whose throttle calls fail once `broken` (the
/// PostgreSQL store unreachable, say), and which counts the password checks asked of
/// it (`login_candidate`, which the login runs argon2 on).
#[derive(Debug)]
struct Breakable {
    store: SqliteStore,
    broken: Arc<AtomicBool>,
    candidates: Arc<AtomicUsize>,
}

impl Breakable {
    fn throttle(&self) -> Result<(), AccountError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(AccountError::Damaged(
                "the throttle table is gone".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

impl AccountStore for Breakable {
    fn add_account(
        &self,
        account: &NewAccount,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Account, AccountError> {
        self.store.add_account(account, password_hash, now)
    }
    fn list_accounts(&self) -> Result<Vec<Account>, AccountError> {
        self.store.list_accounts()
    }
    fn login_candidate(&self, name: &str) -> Result<Option<(Account, String)>, AccountError> {
        self.candidates.fetch_add(1, Ordering::SeqCst);
        self.store.login_candidate(name)
    }
    fn revoke_account(&self, name: &str, now: Timestamp) -> Result<Account, AccountError> {
        self.store.revoke_account(name, now)
    }
    fn add_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Account, AccountError> {
        self.store.add_token(name, token_hash, now)
    }
    fn account_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Account>, AccountError> {
        self.store.account_by_token(token_hash)
    }
    fn open_session(
        &self,
        account: &Account,
        session: &[u8; 16],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), AccountError> {
        self.store.open_session(account, session, now, expires_at)
    }
    fn session_account(
        &self,
        session: &[u8; 16],
        now: Timestamp,
    ) -> Result<Option<Account>, AccountError> {
        self.store.session_account(session, now)
    }
    fn close_session(&self, session: &[u8; 16]) -> Result<(), AccountError> {
        self.store.close_session(session)
    }
    fn audit(
        &self,
        at: Timestamp,
        account: &str,
        action: &str,
        what: &str,
    ) -> Result<(), AccountError> {
        self.store.audit(at, account, action, what)
    }
    fn audit_entries(
        &self,
        since: Option<Timestamp>,
        account: Option<&str>,
    ) -> Result<Vec<AuditEntry>, AccountError> {
        self.store.audit_entries(since, account)
    }
    fn annual_text(&self, org: OrgId, year: i32) -> Result<Option<AnnualText>, AccountError> {
        self.store.annual_text(org, year)
    }
    fn save_annual_text(
        &self,
        org: OrgId,
        year: i32,
        text: &str,
        at: Timestamp,
        by: &str,
    ) -> Result<(), AccountError> {
        self.store.save_annual_text(org, year, text, at, by)
    }
    fn session_key(&self) -> Result<SessionKey, AccountError> {
        self.store.session_key()
    }
    fn take_try(
        &self,
        kind: &str,
        keys: &[(&str, usize)],
        at: Timestamp,
        after: Timestamp,
    ) -> Result<bool, AccountError> {
        self.throttle()?;
        self.store.take_try(kind, keys, at, after)
    }
    fn forget_try(&self, kind: &str, keys: &[&str], at: Timestamp) -> Result<(), AccountError> {
        self.throttle()?;
        self.store.forget_try(kind, keys, at)
    }
    fn failures_after(
        &self,
        kind: &str,
        keys: &[&str],
        after: Timestamp,
    ) -> Result<Vec<usize>, AccountError> {
        self.throttle()?;
        self.store.failures_after(kind, keys, after)
    }
    fn sweep_failures(&self, before: Timestamp) -> Result<u64, AccountError> {
        self.throttle()?;
        self.store.sweep_failures(before)
    }
}

#[test]
fn a_throttle_that_cannot_count_refuses_logins_with_503_and_cards_with_an_internal_error() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let (broken, candidates) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let accounts = Breakable {
        store: SqliteStore::open(&database).unwrap(),
        broken: Arc::clone(&broken),
        candidates: Arc::clone(&candidates),
    };
    let state =
        HubHttpState::with_accounts(&database, Arc::new(Metrics::new()), Arc::new(accounts))
            .unwrap()
            .with_scope(region("1309"))
            .with_clock(Clock::new(|| NOW));
    // Signs the city viewer in while the store works.
    let server = Server::start_with(&database, state, "1309");
    let page = server.anonymous("/login");
    let cookie = cookies(&page).join("; ");
    let token = form_token(&page.text()).unwrap();
    let log_in = |password: &str| {
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
    let exchange = || {
        server.send_anonymous(
            Request::new("POST", "/api/card-session")
                .header("Content-Type", "application/json")
                .body(br#"{"card":"not a card"}"#.as_slice()),
        )
    };
    assert_eq!(log_in("wrong password").status, 401);
    // This hub has no documents behind it: a card that gets past the throttle is
    // refused by the check itself.
    let answer = exchange();
    assert_eq!(answer.status, 500, "{}", answer.text());
    assert!(answer.text().contains("serves no member pages"));

    broken.store(true, Ordering::SeqCst);
    let checked = candidates.load(Ordering::SeqCst);
    for password in ["wrong password", figures_support::PASSWORD] {
        let answer = log_in(password);
        assert_eq!(answer.status, 503, "{}", answer.text());
        assert!(answer.text().contains("暂时无法登录"), "{}", answer.text());
        assert!(answer.header("set-cookie").is_none(), "no session");
    }
    assert_eq!(
        candidates.load(Ordering::SeqCst),
        checked,
        "no password is checked"
    );
    let answer = exchange();
    assert_eq!(answer.status, 500, "{}", answer.text());
    let refusal = answer.json();
    assert_eq!(refusal["reason"], "internal");
    assert!(
        refusal["error"]
            .as_str()
            .unwrap()
            .contains("the count of failed tries cannot be read"),
        "{refusal}"
    );

    // Back: the right password signs in again, and is no failure.
    broken.store(false, Ordering::SeqCst);
    assert_eq!(log_in(figures_support::PASSWORD).status, 303);
}

/// A hub holding community 130903001001, whose node (key `[7; 32]`) recorded a
/// member with a card, a published wish and an activity today; its accounts are
/// [`Breakable`], so the member limits count in a store the test can break.
struct MemberHub {
    server: Server,
    hub: Arc<Hub>,
    broken: Arc<AtomicBool>,
    card: String,
    wish: WishId,
    activity: ActivityId,
    node: KeyPair,
    _dir: tempfile::TempDir,
}

const HOME: &str = "130903001001";

impl MemberHub {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("hub.sqlite");
        let community = code(HOME);
        let node = KeyPair::from_secret([7; 32]);
        let mut writer = Writer::new(community, "行宫社区", 1, at_minute(0));
        let member = writer.add_member(None, date("2026-07-01"), at_minute(1));
        let wish = writer.submit_wish(at_minute(2));
        writer.wish_event(wish, EventKind::Publish, worker(), at_minute(3));
        let activity = writer.add_activity(NOW.date_in_shanghai(), 120, None, at_minute(4));
        let (issued, expires) = (at_minute(5), NOW.plus_millis(30 * 24 * 3600 * 1000));
        let card = MemberCard::issue(
            &node,
            community,
            member,
            CardId::from_bytes([3; 16]),
            issued,
            expires,
            CardSecret::from_bytes([4; 16]),
        );
        writer.run(
            Command::IssueCard {
                id: card.statement.card,
                member,
                issued,
                expires,
                secret_hash: card.statement.secret_hash,
            },
            at_minute(5),
        );
        // The key residents' details are sealed to, as the node publishes it.
        let encryption = EncryptionKeyPair::from_seed([8; 32]);
        writer
            .doc
            .put_encryption_key(&SignedEncryptionKey::sign(
                &node,
                community,
                encryption.public(),
                at_minute(5),
            ))
            .unwrap();
        let store = Arc::new(SqliteStore::open(&database).unwrap());
        store
            .enroll(
                node.public(),
                EnrolledRole::Node { community },
                at_minute(0),
            )
            .unwrap();
        store
            .append_chunk(
                stored(DocId::Community(community)),
                &writer.doc.save(),
                at_minute(6),
            )
            .unwrap();
        let clock = Clock::new(|| NOW);
        let hub = Hub::new(
            store,
            KeyPair::from_secret([9; 32]),
            region("1309"),
            Arc::new(Metrics::new()),
            HubOptions {
                clock: clock.clone(),
                ..HubOptions::default()
            },
        )
        .unwrap();
        let broken = Arc::new(AtomicBool::new(false));
        let accounts = Breakable {
            store: SqliteStore::open(&database).unwrap(),
            broken: Arc::clone(&broken),
            candidates: Arc::default(),
        };
        let state =
            HubHttpState::with_accounts(&database, Arc::new(Metrics::new()), Arc::new(accounts))
                .unwrap()
                .with_scope(region("1309"))
                .with_clock(clock)
                .with_hub(Arc::clone(&hub));
        let server = Server::start_with(&database, state, "1309");
        Self {
            server,
            hub,
            broken,
            card: card.to_text(),
            wish,
            activity,
            node,
            _dir: dir,
        }
    }

    /// The card session a phone holds once it exchanged the card.
    fn card_session(&self) -> String {
        let body = serde_json::json!({ "card": self.card });
        let answer = self.post(None, "/api/card-session", &body);
        assert_eq!(answer.status, 200, "{}", answer.text());
        cookies(&answer).join("; ")
    }

    fn post(&self, cookie: Option<&str>, path: &str, body: &serde_json::Value) -> Answer {
        let mut request = Request::json("POST", path, body);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        self.server.send_anonymous(request)
    }

    /// A check-in code the node shows for the activity now.
    fn check_in_code(&self) -> String {
        let id = CheckInCodeId::from_bytes([5; 16]);
        CheckInCode::issue(&self.node, code(HOME), self.activity, id, NOW).to_text()
    }

    /// The community's inbox at the hub, where a member's request is appended: its
    /// heads and its entries.
    fn inbox(&self) -> (Vec<automerge::ChangeHash>, usize) {
        let heads = self.hub.heads(DocId::Inbox(code(HOME))).unwrap();
        (heads, self.hub.inbox_entries(code(HOME)).unwrap().len())
    }
}

#[test]
fn member_requests_a_throttle_cannot_count_are_refused_and_append_nothing() {
    let hub = MemberHub::start();
    let session = hub.card_session();
    let requests = [
        (
            "/api/market/claims",
            serde_json::json!({ "wish": hub.wish.to_string() }),
        ),
        (
            "/api/market/checkins",
            serde_json::json!({ "code": hub.check_in_code(), "direction": "in" }),
        ),
        (
            "/api/market/sign-ups",
            serde_json::json!({ "activity": hub.activity.to_string() }),
        ),
    ];

    hub.broken.store(true, Ordering::SeqCst);
    let before = hub.inbox();
    assert_eq!(before.1, 0);
    for (path, body) in &requests {
        let answer = hub.post(Some(&session), path, body);
        assert_eq!(answer.status, 500, "{path}: {}", answer.text());
        let refusal = answer.json();
        assert_eq!(refusal["reason"], "internal", "{path}: {refusal}");
        assert!(
            refusal["error"]
                .as_str()
                .unwrap()
                .contains("the count of requests cannot be kept"),
            "{path}: {refusal}"
        );
        assert_eq!(
            refusal["message_zh"], "平台暂时无法受理您的请求，请稍后再试",
            "{path}: the request's refusal, not the card's"
        );
        assert_eq!(hub.inbox(), before, "{path} appends nothing");
    }

    // Mended: the same requests are taken, each appended once.
    hub.broken.store(false, Ordering::SeqCst);
    for (appended, (path, body)) in requests.iter().enumerate() {
        let answer = hub.post(Some(&session), path, body);
        assert_eq!(answer.status, 202, "{path}: {}", answer.text());
        assert_eq!(answer.json()["status"], "pending", "{path}");
        assert_eq!(hub.inbox().1, appended + 1, "{path}");
    }
}

#[test]
fn a_resident_submission_a_throttle_cannot_count_is_refused_and_appends_nothing() {
    let hub = MemberHub::start();
    let submission = serde_json::json!({
        "community": HOME, "title": "需要一台轮椅", "kind": "goods", "group": "elderly_alone",
        "name": "王阿姨", "phone": "13800138000", "address": "幸福里3号楼2单元",
    });

    hub.broken.store(true, Ordering::SeqCst);
    let before = hub.inbox();
    let answer = hub.post(None, "/api/submissions", &submission);
    assert_eq!(answer.status, 500, "{}", answer.text());
    let refusal = answer.json();
    assert_eq!(refusal["reason"], "internal", "{refusal}");
    assert_eq!(
        refusal["error"], "the hub cannot take submissions now: try again later",
        "the store's error goes to the log, not to the resident"
    );
    assert_eq!(hub.inbox(), before, "nothing is appended");

    // Mended: the same submission is taken and appended once.
    hub.broken.store(false, Ordering::SeqCst);
    let answer = hub.post(None, "/api/submissions", &submission);
    assert_eq!(answer.status, 202, "{}", answer.text());
    assert_eq!(answer.json()["status"], "pending");
    assert_eq!(hub.inbox().1, before.1 + 1);
}
