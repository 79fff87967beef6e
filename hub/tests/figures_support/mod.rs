//! Helpers for the figures and dashboard tests: a sample city written as community
//! documents through domain commands, delivered into a hub database, the HTTP router
//! served on 127.0.0.1:0 in a background thread, and a minimal HTTP/1.1 client.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wishtree_hub::figures::{self, CommunitySync};
use wishtree_hub::http::{HubHttpState, serve};
use wishtree_hub::metrics::Metrics;
use wishtree_protocol::command::{ActivityFields, Command, MemberFields, WishFields};
use wishtree_protocol::id::{ActivityId, MemberId, OrgId, PairingId, ProjectId, ServiceId, WishId};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, Org, PostKind, ProjectKind, WishKind,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, RegionPrefix, Timestamp};

/// The instant the sample city is looked at: 2026-08-01 12:00 in Shanghai.
pub const NOW: Timestamp = Timestamp::from_millis(1_785_556_800_000);

/// A deterministic source of ids (splitmix64).
pub struct Ids(u64);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn bytes(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next().to_le_bytes());
        out[8..].copy_from_slice(&self.next().to_le_bytes());
        out
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub fn worker() -> Actor {
    Actor::Worker("陈玉萍".to_owned())
}

pub fn date(text: &str) -> Date {
    text.parse().unwrap()
}

pub fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

pub fn region(text: &str) -> RegionPrefix {
    text.parse().unwrap()
}

/// A valid credit code made from a number (the check character computed).
pub fn credit_code(number: u32) -> CreditCode {
    let body = format!("91130900MA{number:07}");
    let mut first = [0u8; 17];
    first.copy_from_slice(body.as_bytes());
    let check = CreditCode::check_character(&first).unwrap();
    format!("{body}{}", char::from(check)).parse().unwrap()
}

pub fn note() -> Detail {
    Detail::parse("note", "").unwrap()
}

/// Writes commands into a community document, one change each, at chosen times.
pub struct Writer {
    pub doc: CommunityDoc,
    pub ids: Ids,
}

impl Writer {
    pub fn new(code: CommunityCode, name: &str, seed: u64, at: Timestamp) -> Self {
        let mut ids = Ids::new(seed);
        let doc = CommunityDoc::create(code, name, ids.bytes(), at).unwrap();
        Self { doc, ids }
    }

    pub fn run(&mut self, command: Command, at: Timestamp) {
        self.doc
            .execute(&command, &worker(), at)
            .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    }

    pub fn add_org(
        &mut self,
        code: CreditCode,
        name: &str,
        reported_in: Option<Date>,
        at: Timestamp,
    ) -> OrgId {
        self.run(
            Command::AddOrg {
                credit_code: code,
                name: Name::parse("name", name).unwrap(),
                reported_in,
            },
            at,
        );
        Org::id_for(&code)
    }

    pub fn add_member(&mut self, org: Option<OrgId>, reported_in: Date, at: Timestamp) -> MemberId {
        let id = MemberId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddMember {
                id,
                member: MemberFields {
                    name: Name::parse("name", "张婷").unwrap(),
                    work_unit: Label::parse("work_unit", "市发改委").unwrap(),
                    org,
                    position: Label::parse("position", "科员").unwrap(),
                    specialties: Vec::new(),
                    intentions: vec![PostKind::Aid],
                    reported_in,
                    branch: None,
                    team: None,
                },
            },
            at,
        );
        id
    }

    pub fn add_pairing(&mut self, org: OrgId, signed_on: Date, at: Timestamp) -> PairingId {
        let id = PairingId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddPairing {
                id,
                org,
                commitments: vec![Title::parse("commitment", "每月开展一次志愿服务").unwrap()],
                signed_on,
            },
            at,
        );
        id
    }

    pub fn submit_wish(&mut self, at: Timestamp) -> WishId {
        let id = WishId::from_bytes(self.ids.bytes());
        self.run(
            Command::SubmitWish {
                id,
                wish: WishFields {
                    title: Title::parse("title", "希望有一台微波炉").unwrap(),
                    detail: Detail::parse("detail", "方便为孩子热饭").unwrap(),
                    kind: WishKind::Goods,
                    group: BeneficiaryGroup::SingleParentChild,
                    resident_label: Name::parse("resident_label", "行宫社区 彭女士").unwrap(),
                    estimated_value: Some(300),
                },
            },
            at,
        );
        id
    }

    pub fn wish_event(&mut self, id: WishId, kind: EventKind, by: Actor, at: Timestamp) {
        self.run(
            Command::WishEvent {
                id,
                kind,
                by,
                note: note(),
            },
            at,
        );
    }

    pub fn submit_project(&mut self, at: Timestamp) -> ProjectId {
        let id = ProjectId::from_bytes(self.ids.bytes());
        self.run(
            Command::SubmitProject {
                id,
                title: Title::parse("title", "“扶”您上下楼").unwrap(),
                detail: Detail::parse("detail", "加装楼梯扶手").unwrap(),
                kind: ProjectKind::MicroProject,
            },
            at,
        );
        id
    }

    pub fn project_event(&mut self, id: ProjectId, kind: EventKind, by: Actor, at: Timestamp) {
        self.run(
            Command::ProjectEvent {
                id,
                kind,
                by,
                note: note(),
            },
            at,
        );
    }

    pub fn add_activity(
        &mut self,
        day: Date,
        minutes: u32,
        organiser: Option<OrgId>,
        at: Timestamp,
    ) -> ActivityId {
        let id = ActivityId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddActivity {
                id,
                activity: ActivityFields {
                    title: Title::parse("title", "青少年七彩暑期安全教育").unwrap(),
                    category: PostKind::Safety,
                    date: day,
                    minutes,
                    organiser,
                    place: Label::parse("place", "社区居委会").unwrap(),
                },
            },
            at,
        );
        id
    }

    pub fn participate(&mut self, activity: ActivityId, member: MemberId, at: Timestamp) {
        self.run(Command::AddParticipant { activity, member }, at);
    }

    pub fn record_service(
        &mut self,
        member: MemberId,
        day: Date,
        minutes: u32,
        at: Timestamp,
    ) -> ServiceId {
        let id = ServiceId::from_bytes(self.ids.bytes());
        self.run(
            Command::RecordService {
                id,
                member,
                date: day,
                minutes,
                category: PostKind::Aid,
                description: Detail::parse("description", "陪独居老人聊天").unwrap(),
            },
            at,
        );
        id
    }
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
        signer_revoked: false,
    };
    let transaction = connection.transaction().unwrap();
    figures::rederive_community(&transaction, doc.code(), &view, &sync).unwrap();
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

    for (writer, seen) in &writers {
        deliver(&database, &writer.doc, *seen);
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
    SampleCity {
        dir,
        database,
        formula_org: Org::id_for(&formula),
        big_org: Org::id_for(&big),
    }
}

/// The router served on 127.0.0.1:0 in a thread of its own, stopped when dropped.
pub struct Server {
    pub address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(database: &Path, scope: &str) -> Self {
        let state = HubHttpState::new(database, Arc::new(Metrics::new()))
            .unwrap()
            .with_scope(region(scope))
            .with_clock(wishtree_hub::clock::Clock::new(|| NOW));
        Self::start_with(state)
    }

    pub fn start_with(state: HubHttpState) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(serve(listener, state, async move {
                    let _ = stop.await;
                }))
                .unwrap();
        });
        Self {
            address,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn get(&self, path: &str) -> Answer {
        get(self.address, path, &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        get(self.address, path, headers)
    }

    pub fn json(&self, path: &str) -> serde_json::Value {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        serde_json::from_slice(&answer.body).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A GET over a fresh connection, read to the end (`Connection: close`).
pub fn get(address: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    request(address, "GET", path, headers, b"")
}

/// One HTTP/1.1 request on its own connection; `Host` is the server's address unless
/// `headers` names another.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&raw[..end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        raw = &raw[end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
