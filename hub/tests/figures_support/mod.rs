//! Helpers for the figures and dashboard tests: a sample city written as community
//! documents through domain commands (`wishtree_testkit::community::Writer`), delivered
//! into a hub database, and the HTTP router served in-process.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod children;
pub mod joint;
pub mod party_orgs;
pub mod streets;
pub mod volunteers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wishtree_hub::accounts::{self, AccountName, AccountStore, NewAccount, Role, Scope};
use wishtree_hub::figures::{self, CommunitySync};
use wishtree_hub::http::{HubHttpState, guarded, serve};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::store::SqliteStore;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, EvaluationGrade, EventKind, Org};
use wishtree_protocol::seal::SignedSeal;
use wishtree_protocol::text::Detail;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, HalfYear, RegionPrefix, Timestamp};
pub use wishtree_testkit::community::{Writer, credit_code, worker};
pub use wishtree_testkit::login::Session;
use wishtree_testkit::server::InProcessServer;
pub use wishtree_testkit::{Answer, Request};
use wishtree_testkit::{login, oneshot, socket};

/// The instant the sample city is looked at: 2026-08-01 12:00 in Shanghai.
pub const NOW: Timestamp = Timestamp::from_millis(1_785_556_800_000);

pub fn date(text: &str) -> Date {
    text.parse().unwrap()
}

pub fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

pub fn region(text: &str) -> RegionPrefix {
    text.parse().unwrap()
}

/// Derives each document's view and re-derives its community in the hub database,
/// as the hub store does when a document changes.
pub fn deliver(database: &Path, doc: &CommunityDoc, last_seen_at: Option<Timestamp>) {
    let mut connection = rusqlite::Connection::open(database).unwrap();
    wishtree_hub::schema::migrate(&mut connection).unwrap();
    let view = CommunityView::derive(doc).unwrap();
    let sync = CommunitySync {
        last_seen_at,
        changed_at: last_seen_at,
        changes: 10,
        attested_changes: 8,
        ..CommunitySync::default()
    };
    let transaction = connection.transaction().unwrap();
    figures::rederive_community(&transaction, doc.code(), &view, &sync).unwrap();
    transaction.commit().unwrap();
}

/// The key every sample community seals with, which [`deliver_unit_reports`] trusts as
/// the roster would a community's enrolled key.
pub fn seal_key() -> KeyPair {
    KeyPair::from_secret([7; 32])
}

/// Seals 2026H1 of `writer`'s document at `at` with [`seal_key`].
pub fn seal_half_year(writer: &mut Writer, at: Timestamp) {
    let heads = writer.doc.heads();
    let code = writer.doc.code();
    let seal = SignedSeal::sign(
        &seal_key(),
        code,
        HalfYear::new(2026, 1).unwrap(),
        &heads,
        at,
    );
    writer.run(Command::SealPeriod { seal }, at);
}

/// Derives the report-back rows of `doc` into the hub database, trusting seals by
/// [`seal_key`], as the figures worker does with the roster's keys.
pub fn deliver_unit_reports(database: &Path, doc: &mut CommunityDoc) {
    let mut connection = rusqlite::Connection::open(database).unwrap();
    let view = CommunityView::derive(doc).unwrap();
    let signer = seal_key().public();
    let transaction = connection.transaction().unwrap();
    figures::rederive_unit_reports(&transaction, doc, &view, |key| *key == signer).unwrap();
    transaction.commit().unwrap();
}

/// What the sample city holds, for assertions.
pub struct SampleCity {
    pub dir: tempfile::TempDir,
    pub database: PathBuf,
    /// The organisation named like a spreadsheet formula.
    pub formula_org: OrgId,
    /// The organisation with members in two districts.
    pub big_org: OrgId,
}

/// Minutes after 2026-01-01 00:00 Shanghai.
pub fn at_minute(minute: i64) -> Timestamp {
    date("2026-01-01")
        .start_in_shanghai()
        .plus_millis(minute * 60_000)
}

/// A small city (沧州 1309) with two districts, three streets and four communities:
/// members of two organisations, wishes in every state, a project solved, activities
/// and service. One organisation is named like a spreadsheet formula.
pub fn sample_city() -> SampleCity {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let big = credit_code(1);
    let formula = credit_code(2);
    let day = |text: &str| date(text);
    let mut seed = 100;
    let mut community = |code_text: &str, name: &str| {
        seed += 1;
        Writer::new(code(code_text), name, seed, at_minute(0))
    };

    let mut writers = Vec::new();

    // 运河区 (130903), 水月寺街道 (130903001): 名人社区 and 北环桥社区.
    let mut a = community("130903001001", "名人社区");
    let big_a = a.add_org(
        big,
        "沧州市发改委党组",
        Some(day("2026-03-01")),
        at_minute(10),
    );
    let formula_a = a.add_org(
        formula,
        "=HYPERLINK(\"http://x\",\"点我\")",
        Some(day("2026-04-01")),
        at_minute(11),
    );
    let m1 = a.add_member(Some(big_a), day("2026-02-10"), at_minute(20));
    let m2 = a.add_member(Some(big_a), day("2026-05-10"), at_minute(21));
    let m3 = a.add_member(None, day("2026-06-01"), at_minute(22));
    a.add_pairing(big_a, day("2026-03-05"), at_minute(30));
    let w1 = a.submit_wish(at_minute(60 * 24 * 40));
    a.wish_event(w1, EventKind::Publish, worker(), at_minute(60 * 24 * 41));
    a.wish_event(
        w1,
        EventKind::Claim,
        Actor::Member(m1),
        at_minute(60 * 24 * 43),
    );
    a.wish_event(
        w1,
        EventKind::Fulfil,
        Actor::Member(m1),
        at_minute(60 * 24 * 50),
    );
    let w2 = a.submit_wish(at_minute(60 * 24 * 100));
    a.wish_event(
        w2,
        EventKind::Publish,
        worker(),
        at_minute(60 * 24 * 100 + 5),
    );
    a.wish_event(
        w2,
        EventKind::Claim,
        Actor::Org(formula_a),
        at_minute(60 * 24 * 101),
    );
    let w3 = a.submit_wish(at_minute(60 * 24 * 120));
    a.wish_event(w3, EventKind::Publish, worker(), at_minute(60 * 24 * 121));
    let p1 = a.submit_project(at_minute(60 * 24 * 60));
    a.project_event(p1, EventKind::Publish, worker(), at_minute(60 * 24 * 61));
    a.project_event(
        p1,
        EventKind::Claim,
        Actor::Org(big_a),
        at_minute(60 * 24 * 62),
    );
    a.project_event(p1, EventKind::Fulfil, worker(), at_minute(60 * 24 * 70));
    let act = a.add_activity(day("2026-07-15"), 90, Some(big_a), at_minute(60 * 24 * 190));
    a.participate(act, m1, at_minute(60 * 24 * 196));
    a.participate(act, m2, at_minute(60 * 24 * 196));
    a.participate(act, m3, at_minute(60 * 24 * 196));
    a.record_service(m2, day("2026-06-20"), 120, at_minute(60 * 24 * 171));
    writers.push((a, Some(NOW.plus_millis(-3_600_000))));

    let mut b = community("130903001002", "北环桥社区");
    let big_b = b.add_org(big, "沧州市发改委党组", None, at_minute(10));
    let m4 = b.add_member(Some(big_b), day("2026-01-20"), at_minute(20));
    let w4 = b.submit_wish(at_minute(60 * 24 * 30));
    b.wish_event(w4, EventKind::Reject, worker(), at_minute(60 * 24 * 31));
    let w5 = b.submit_wish(at_minute(60 * 24 * 150));
    b.wish_event(
        w5,
        EventKind::Publish,
        worker(),
        at_minute(60 * 24 * 150 + 1),
    );
    b.wish_event(
        w5,
        EventKind::Claim,
        Actor::Member(m4),
        at_minute(60 * 24 * 152),
    );
    b.record_service(m4, day("2026-07-01"), 45, at_minute(60 * 24 * 181));
    // Seen two days ago: sync health flags it.
    writers.push((b, Some(NOW.plus_millis(-2 * 86_400_000))));

    // 运河区, 南环中路街道 (130903002): 朝阳社区.
    let mut c = community("130903002001", "朝阳社区");
    let m5 = c.add_member(None, day("2026-03-03"), at_minute(20));
    let w6 = c.submit_wish(at_minute(60 * 24 * 200));
    c.wish_event(
        w6,
        EventKind::Publish,
        worker(),
        at_minute(60 * 24 * 200 + 1),
    );
    c.wish_event(
        w6,
        EventKind::Claim,
        Actor::Member(m5),
        at_minute(60 * 24 * 201),
    );
    c.wish_event(w6, EventKind::Fulfil, worker(), at_minute(60 * 24 * 204));
    c.record_service(m5, day("2026-07-21"), 30, at_minute(60 * 24 * 201));
    writers.push((c, Some(NOW.plus_millis(-600_000))));

    // 新华区 (130902), 建设北街街道 (130902001): 世纪城社区.
    let mut d = community("130902001001", "世纪城社区");
    let big_d = d.add_org(
        big,
        "沧州市发改委党组",
        Some(day("2026-02-01")),
        at_minute(10),
    );
    let m6 = d.add_member(Some(big_d), day("2026-02-02"), at_minute(20));
    let m7 = d.add_member(None, day("2026-02-03"), at_minute(21));
    let act_d = d.add_activity(day("2026-05-04"), 150, None, at_minute(60 * 24 * 124));
    d.participate(act_d, m6, at_minute(60 * 24 * 124 + 10));
    d.participate(act_d, m7, at_minute(60 * 24 * 124 + 10));
    let w7 = d.submit_wish(at_minute(60 * 24 * 130));
    d.wish_event(
        w7,
        EventKind::Publish,
        worker(),
        at_minute(60 * 24 * 130 + 1),
    );
    d.wish_event(
        w7,
        EventKind::Claim,
        Actor::Member(m6),
        at_minute(60 * 24 * 135),
    );
    d.wish_event(
        w7,
        EventKind::Fulfil,
        Actor::Member(m6),
        at_minute(60 * 24 * 140),
    );
    writers.push((d, Some(NOW.plus_millis(-7_200_000))));

    // 名人社区 and 世纪城社区, in two districts, seal 2026H1 and evaluate the big
    // unit's members there.
    let sealed_at = at_minute(60 * 24 * 205);
    let grades = [EvaluationGrade::Excellent, EvaluationGrade::Qualified];
    for (index, evaluated) in [(0, vec![m1, m2]), (3, vec![m6])] {
        let writer = &mut writers[index].0;
        seal_half_year(writer, sealed_at);
        for (member, grade) in evaluated.into_iter().zip(grades) {
            writer.run(
                Command::Evaluate {
                    member,
                    period: HalfYear::new(2026, 1).unwrap(),
                    grade,
                    comment: Detail::parse("comment", "积极参加社区服务").unwrap(),
                },
                sealed_at.plus_millis(60_000),
            );
        }
    }
    for (writer, seen) in &mut writers {
        deliver(&database, &writer.doc, *seen);
        deliver_unit_reports(&database, &mut writer.doc);
    }
    let connection = rusqlite::Connection::open(&database).unwrap();
    for (prefix, name) in [
        ("1309", "沧州市"),
        ("130903", "运河区"),
        ("130902", "新华区"),
        ("130903001", "水月寺街道"),
        // 南环中路街道 (130903002) is left unnamed: the dashboard shows its code.
    ] {
        figures::set_region_name(&connection, &region(prefix), name).unwrap();
    }
    set_city_document(
        &database,
        &[(big, "沧州市发改委党组", 5), (formula, "公式单位", 2)],
    );
    SampleCity {
        dir,
        database,
        formula_org: Org::id_for(&formula),
        big_org: Org::id_for(&big),
    }
}

/// 运河区's viewer (`yunhe`) and the big unit's organisation account (`big-unit`) of
/// the sample city, signed in at `server`: (district, unit).
pub fn district_and_unit(server: &Server) -> (Session, Session) {
    add_account(&server.database, Role::District, "130903", "yunhe");
    add_account(
        &server.database,
        Role::Org,
        credit_code(1).as_str(),
        "big-unit",
    );
    (server.log_in("yunhe"), server.log_in("big-unit"))
}

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery";

/// Creates an account in the hub database at `database`, with [`PASSWORD`]; the scope
/// is taken as given (a test may scope a viewer to the whole country with `""`).
pub fn add_account(database: &Path, role: Role, scope: &str, name: &str) {
    let scope = match role {
        Role::Org => Scope::Unit(scope.parse().unwrap()),
        _ => Scope::Region(region(scope)),
    };
    let account = NewAccount {
        name: name.parse::<AccountName>().unwrap(),
        role,
        scope,
    };
    let hash = wishtree_common::password::hash_password(PASSWORD, [1; 16]).unwrap();
    let store = SqliteStore::open(database).unwrap();
    store.add_account(&account, &hash, NOW).unwrap();
}

/// Issues a token for account `name` and returns it, as `account token` does.
pub fn add_token(database: &Path, name: &str) -> String {
    // Tokens differ by a count, so that one account may be given several.
    static ISSUED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    let count = ISSUED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let token = accounts::ApiToken::from_random([count; 32]);
    SqliteStore::open(database)
        .unwrap()
        .add_token(name, &accounts::ApiToken::hash_of(token.as_str()), NOW)
        .unwrap();
    token.as_str().to_owned()
}

/// The hub's router behind the web guard, as `serve` puts it, served on 127.0.0.1:0
/// and answering in-process (`get`, `json`) or over the socket ([`Server::request`]).
/// Every request is sent as the city viewer `city` — a page with the session of its
/// login through the form, the API with its token (which outlives a session, for
/// tests that move the clock on by days) — unless it names its own `Cookie` or
/// `Authorization` or goes through [`Server::anonymous`].
pub struct Server {
    pub address: SocketAddr,
    pub database: PathBuf,
    router: axum::Router,
    server: InProcessServer,
    session: Session,
    token: String,
}

impl Server {
    pub fn start(database: &Path, scope: &str) -> Self {
        let state = HubHttpState::new(database, Arc::new(Metrics::new()))
            .unwrap()
            .with_scope(region(scope))
            .with_clock(wishtree_hub::clock::Clock::new(|| NOW));
        Self::start_with(database, state, scope)
    }

    /// Serves `state` (over `database`), signed in as a city viewer of `scope`.
    pub fn start_with(database: &Path, state: HubHttpState, scope: &str) -> Self {
        add_account(database, Role::City, scope, "city");
        let served = state.clone();
        let server =
            InProcessServer::start(move |listener, shutdown| serve(listener, served, shutdown));
        let router = guarded(state, server.address, Vec::new());
        let mut server = Self {
            address: server.address,
            database: database.to_owned(),
            router,
            server,
            session: Session {
                cookie: String::new(),
                form_token: String::new(),
            },
            token: add_token(database, "city"),
        };
        server.session = server.log_in("city");
        server
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The city viewer's session the requests are sent with.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Signs in as account `name` (with [`PASSWORD`]) through the login form.
    pub fn log_in(&self, name: &str) -> Session {
        login::log_in(&mut |request| self.send_anonymous(request), name, PASSWORD)
    }

    /// A GET answered in-process, as the city viewer, with the server's address as
    /// `Host`.
    pub fn get(&self, path: &str) -> Answer {
        self.get_with(path, &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(Request::get(path).headers(headers))
    }

    /// `request` answered in-process, as the city viewer unless it names its own
    /// `Cookie` or `Authorization`.
    pub fn send(&self, request: Request) -> Answer {
        self.send_anonymous(self.signed(request))
    }

    /// `request` answered in-process as it is, signed in or not.
    pub fn send_anonymous(&self, mut request: Request) -> Answer {
        if !request.has_header("host") {
            request = request.header("Host", &self.address.to_string());
        }
        oneshot::send_blocking(self.server.runtime(), &self.router, request)
    }

    /// A GET by nobody signed in.
    pub fn anonymous(&self, path: &str) -> Answer {
        self.send_anonymous(Request::get(path))
    }

    pub fn json(&self, path: &str) -> serde_json::Value {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        answer.json()
    }

    /// One request over a real connection, as the city viewer unless `headers` name a
    /// `Cookie` or `Authorization`; `Host` is the server's address unless named.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let request = Request::new(method, path).headers(headers).body(body);
        socket::send(self.address, &self.signed(request)).unwrap()
    }

    /// `request` as the city viewer, unless it names its own `Cookie` or
    /// `Authorization`.
    fn signed(&self, request: Request) -> Request {
        if request.has_header("cookie") || request.has_header("authorization") {
            request
        } else if request.path.starts_with("/api/") {
            request.header("Authorization", &format!("Bearer {}", self.token))
        } else {
            self.session.on(request)
        }
    }
}

/// The city document: its directory (each unit with its declared in-service members)
/// and its two campaigns of 2026 (the Guangzhou rule), derived into the figure tables
/// as a running hub does when its city document changes.
fn set_city_document(database: &Path, units: &[(wishtree_protocol::uscc::CreditCode, &str, u32)]) {
    use wishtree_protocol::city::{CampaignRule, CityCommand, CityDoc};
    use wishtree_protocol::id::CampaignId;
    use wishtree_protocol::text::{Name, Title};

    let mut city = CityDoc::new(&region("1309"), [7; 16]).unwrap();
    for (credit_code, name, members) in units {
        let put = CityCommand::PutOrg {
            credit_code: *credit_code,
            name: Name::parse("name", name).unwrap(),
        };
        city.execute(&put, at_minute(1)).unwrap();
        let declare = CityCommand::DeclareMembers {
            credit_code: *credit_code,
            in_service_members: *members,
        };
        city.execute(&declare, at_minute(1)).unwrap();
    }
    for (byte, title, rule) in [
        (
            1,
            "“双微”行动：党员领办微心愿",
            CampaignRule::MemberClaimsWish,
        ),
        (
            2,
            "“双微”行动：单位认领民生微项目",
            CampaignRule::OrgClaimsProject,
        ),
    ] {
        let command = CityCommand::AddCampaign {
            id: CampaignId::from_bytes([byte; 16]),
            title: Title::parse("title", title).unwrap(),
            rule,
            minimum: 1,
            from: date("2026-01-01"),
            to: date("2026-12-31"),
        };
        city.execute(&command, at_minute(1)).unwrap();
    }
    let view = city.view().unwrap();
    let mut connection = rusqlite::Connection::open(database).unwrap();
    let transaction = connection.transaction().unwrap();
    figures::refresh_campaigns(&transaction, &view).unwrap();
    figures::refresh_directory(&transaction, &view).unwrap();
    transaction.commit().unwrap();
}
