//! What the city benches share (`benches/reconnect/`, `benches/peer.rs`): the
//! community documents of DESIGN's 1x size and their cache, the simulated community
//! node (its own key and QUIC endpoint, the real transport and session driver, an
//! in-memory host that keeps its document and sync state across sessions), the hub as
//! a release process, and reading a process's peak RSS and CPU time from `/proc`.
//!
//! Bench harness code: every `unwrap` here is on the bench's own setup (its documents,
//! its keys, its child processes), where a failure is the bench failing, so the lint
//! is allowed for the module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::sync::Message;
use automerge::{AutoCommit, ChangeHash};
use tokio::sync::{mpsc, watch};
use wishtree_hub::store::{EnrolledRole, HubStore, PgStore, SqliteStore};
use wishtree_net::EndpointOptions;
use wishtree_net::drive::{Observer, drive};
use wishtree_net::quinn;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::command::{Command, MemberFields, WishFields};
use wishtree_protocol::frame::{DocId, Hello, Role, Scope};
use wishtree_protocol::id::{MemberId, ServiceId, WishId};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
use wishtree_protocol::sync::backoff::Backoff;
use wishtree_protocol::sync::memory::MemoryHost;
use wishtree_protocol::sync::{
    Access, AttestOutcome, Effect, Event, Grant, Host, HostError, Session,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, Timestamp};
use wishtree_testkit::community::Ids;

/// Bump when the documents change, so a stale cache is not used.
const DOCS_VERSION: u32 = 1;

/// One simulated community node.
pub struct SimNode {
    pub index: usize,
    pub code: CommunityCode,
    pub key: KeyPair,
    pub host: SharedHost,
    pub endpoint: quinn::Endpoint,
}

impl std::fmt::Debug for SimNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimNode")
            .field("index", &self.index)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

impl SimNode {
    /// Records one service on the node's document while it is offline, and signs the
    /// new heads (seq `round + 1`), as a node's command does. `round` (1, 2, …) makes
    /// each record a new one.
    pub fn record_offline(&self, members: &[MemberId], round: u64) {
        let doc_id = DocId::Community(self.code);
        let mut host = self.host.0.lock().unwrap();
        let automerge = host.doc(&doc_id).unwrap().clone();
        let mut doc =
            CommunityDoc::from_automerge(automerge, Some(self.code), actor(self.index)).unwrap();
        let now = now();
        let command = Command::RecordService {
            id: ServiceId::from_bytes(Ids::new(self.index as u64 ^ 0xA5A5 ^ (round << 40)).bytes()),
            member: members[self.index % members.len()],
            date: "2026-08-01".parse().unwrap(),
            minutes: 90,
            category: PostKind::Environment,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "清理小区卫生死角").unwrap(),
        };
        doc.execute(&command, &Actor::Worker("陈玉萍".to_owned()), now)
            .unwrap();
        let heads = doc.heads();
        host.insert_doc(doc_id, doc.automerge().clone());
        host.set_own_attestation(
            doc_id,
            SignedHeads::sign(&self.key, self.code, &heads, round + 1, now),
        );
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        let mut host = self.host.0.lock().unwrap();
        let mut heads = host.heads(&DocId::Community(self.code));
        heads.sort();
        heads
    }
}

/// The node's in-memory host, shared so that the benchmark can write to the document
/// between sessions (the driver takes its host by value).
#[derive(Clone)]
pub struct SharedHost(pub Arc<Mutex<MemoryHost>>);

impl std::fmt::Debug for SharedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedHost").finish_non_exhaustive()
    }
}

impl Host for SharedHost {
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String> {
        self.0.lock().unwrap().admit(peer, hello, now)
    }
    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        self.0.lock().unwrap().heads(doc)
    }
    fn generate(&mut self, peer: &PublicKey, doc: &DocId) -> Result<Option<Message>, HostError> {
        self.0.lock().unwrap().generate(peer, doc)
    }
    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: Message,
        access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError> {
        self.0
            .lock()
            .unwrap()
            .receive(peer, doc, message, access, now)
    }
    fn attestation_for(&mut self, peer: &PublicKey, doc: &DocId) -> Option<SignedHeads> {
        self.0.lock().unwrap().attestation_for(peer, doc)
    }
    fn record_attestation(
        &mut self,
        peer: &PublicKey,
        signed: SignedHeads,
        now: Timestamp,
    ) -> Result<AttestOutcome, HostError> {
        self.0.lock().unwrap().record_attestation(peer, signed, now)
    }
    fn end(&mut self, peer: &PublicKey, now: Timestamp) {
        self.0.lock().unwrap().end(peer, now)
    }
}

#[derive(Debug, Clone)]
pub struct HubTarget {
    pub address: SocketAddr,
    pub key: PublicKey,
}

impl HubTarget {
    /// A hub of `key` to be started on a free UDP port of loopback, with a free TCP
    /// port for its HTTP.
    pub fn on_free_ports(key: PublicKey) -> (Self, SocketAddr) {
        let target = HubTarget {
            address: free_udp_port(),
            key,
        };
        (target, free_tcp_port())
    }
}

#[derive(Debug)]
pub struct Counters {
    pub attempts: AtomicUsize,
    pub failures: AtomicUsize,
}

/// A node's sync client, as `wishtree_node::sync::run_sync` does it: dial, drive the
/// session, and after a failure wait a full-jitter delay of the backoff. `jitter`
/// starts with such a delay, as after a lost session. Ends when `stopping` turns true
/// and the session is over.
pub async fn node_loop(
    node: Arc<SimNode>,
    target: HubTarget,
    jitter: bool,
    caught_up: mpsc::UnboundedSender<(usize, Instant)>,
    mut stopping: watch::Receiver<bool>,
    never: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let options = EndpointOptions::default();
    let mut backoff = Backoff::new();
    let mut delay = jitter.then(|| backoff.fail(random_u64()));
    loop {
        if let Some(delay) = delay.take() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
        if *stopping.borrow() {
            return;
        }
        counters.attempts.fetch_add(1, Ordering::Relaxed);
        let connected = tokio::select! {
            connected = wishtree_net::connect(&node.endpoint, target.address, &target.key, &options) => connected,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        let mut ok = false;
        if let Ok(link) = connected {
            let (events, local) = mpsc::unbounded_channel();
            let _ = events.send(Event::Start);
            let mut observer = NodeObserver {
                index: node.index,
                caught_up: &caught_up,
                opened: false,
                caught_up_now: false,
            };
            let _ended = drive(
                Session::dial(target.key, Role::Node, Scope::Community(node.code)),
                link,
                node.host.clone(),
                local,
                never.clone(),
                None,
                now,
                &mut observer,
            )
            .await;
            drop(events);
            if observer.opened {
                backoff.succeed();
            }
            ok = observer.caught_up_now;
        }
        if *stopping.borrow() {
            return;
        }
        if !ok {
            counters.failures.fetch_add(1, Ordering::Relaxed);
        }
        delay = Some(backoff.fail(random_u64()));
    }
}

struct NodeObserver<'a> {
    index: usize,
    caught_up: &'a mpsc::UnboundedSender<(usize, Instant)>,
    opened: bool,
    caught_up_now: bool,
}

impl Observer for NodeObserver<'_> {
    fn effect(&mut self, effect: &Effect) {
        match effect {
            Effect::Opened(_) => self.opened = true,
            Effect::CaughtUp(DocId::Community(_)) => {
                // Once per session: a phase counts a node's first report, the crash
                // phase the first one after the kill.
                if !self.caught_up_now {
                    let _ = self.caught_up.send((self.index, Instant::now()));
                }
                self.caught_up_now = true;
            }
            Effect::Refused(reason) => println!("node {} refused: {reason}", self.index),
            _ => {}
        }
    }
}

/// A server as a child process of the bench (the hub, or the peer's sync server), so
/// that its peak RSS (`VmHWM`) and CPU time are its own. Killed when dropped, so a
/// panicking bench leaves none running.
#[derive(Debug)]
pub struct ServerProcess {
    pub child: Child,
    /// From spawning until it said it listens.
    pub ready_in: Duration,
    /// Set once the server's stdout closed: it exited (or crashed), so a wait for it
    /// to store something can stop instead of running out its phase limit.
    pub ended: Arc<AtomicBool>,
    /// Its stderr, for the last words of a server that ended.
    pub log: PathBuf,
}

/// Peak RSS and CPU time of a process so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub peak_rss_kb: u64,
    pub cpu_seconds: f64,
}

impl ServerProcess {
    /// Spawns `command` and waits (at most 120 s) until a line of its stdout starts
    /// with `ready`. Its stderr goes to `log_dir/NAME.log`, its stdout to
    /// `log_dir/NAME.out` by a thread, so the pipe never fills.
    pub fn start(command: &mut Process, ready: &'static str, log_dir: &Path, name: &str) -> Self {
        let started = Instant::now();
        let log = log_dir.join(format!("{name}.log"));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let log_path = log_dir.join(format!("{name}.out"));
        let ended = Arc::new(AtomicBool::new(false));
        let ended_by_reader = Arc::clone(&ended);
        std::thread::spawn(move || {
            use std::io::Write;
            let mut out = std::fs::File::create(log_path).unwrap();
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && line.starts_with(ready) {
                    sent = true;
                    let _ = ready_tx.send(());
                }
                let _ = writeln!(out, "{line}");
            }
            ended_by_reader.store(true, Ordering::Release);
        });
        let listening =
            tokio::task::block_in_place(|| ready_rx.recv_timeout(Duration::from_secs(120)).is_ok());
        let mut server = ServerProcess {
            child,
            ready_in: started.elapsed(),
            ended,
            log,
        };
        if !listening {
            server.kill();
            panic!("{name} did not start listening within 120 s");
        }
        server
    }

    /// How a server that ended ended: its exit status, and its last stderr line naming
    /// an error (a stack trace ends with frames and a version line, not the error), or
    /// else its last line.
    pub fn last_words(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            _ => "still running".to_owned(),
        };
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines = || text.lines().map(str::trim).filter(|line| !line.is_empty());
        let said = lines()
            .rfind(|line| line.contains("Error") || line.contains("error"))
            .or_else(|| lines().next_back())
            .unwrap_or("nothing on stderr");
        format!("{status}; {said}")
    }

    pub fn rss_kb(&self) -> u64 {
        status_kb(self.child.id(), "VmRSS:")
    }

    pub fn usage(&self) -> Usage {
        Usage {
            peak_rss_kb: status_kb(self.child.id(), "VmHWM:"),
            cpu_seconds: process_cpu_seconds(self.child.id()),
        }
    }

    /// SIGKILL: no Bye, no close; the clients' connections are left open.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT, and waits (at most 120 s) for the process to end.
    pub fn interrupt(&mut self) {
        let status = Process::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                self.kill();
                panic!("the server did not stop within 120 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// The hub as a child process, with the node tasks of its running phase.
#[derive(Debug)]
pub struct HubProcess {
    pub server: ServerProcess,
    pub ready_in: Duration,
    /// The running phase's stop signal and node tasks, ended with the hub.
    pub stopping: Option<(watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>)>,
}

impl HubProcess {
    /// Starts `wishtree-hub run` and waits until it listens.
    pub async fn start(
        bin: &Path,
        data: &Path,
        quic: SocketAddr,
        http: SocketAddr,
        name: &str,
    ) -> Self {
        Self::start_on(bin, data, quic, http, name, None).await
    }

    /// [`HubProcess::start`] with its documents in the PostgreSQL `store`, if given.
    pub async fn start_on(
        bin: &Path,
        data: &Path,
        quic: SocketAddr,
        http: SocketAddr,
        name: &str,
        store: Option<&str>,
    ) -> Self {
        let mut command = Process::new(bin);
        command.args(["run", "--data"]).arg(data).args([
            "--quic",
            &quic.to_string(),
            "--http",
            &http.to_string(),
        ]);
        // In the environment rather than the arguments: the address holds a password.
        if let Some(store) = store {
            command.env("WISHTREE_STORE", store);
        }
        // The hub prints its addresses on stdout once it listens.
        let server = ServerProcess::start(&mut command, "dashboard:", data, &format!("hub-{name}"));
        HubProcess {
            ready_in: server.ready_in,
            server,
            stopping: None,
        }
    }

    pub fn rss_kb(&self) -> u64 {
        self.server.rss_kb()
    }

    pub fn usage(&self) -> Usage {
        self.server.usage()
    }

    /// SIGKILL: no Bye, no close; the nodes' connections are left open.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// SIGINT (what `run` waits for: it closes every session with a Bye), then waits
    /// for the process and for the nodes' sessions to end. Returns how long it took.
    pub async fn stop(mut self) -> Duration {
        let started = Instant::now();
        let stopping = self.stopping.take();
        if let Some((stop, _)) = &stopping {
            let _ = stop.send(true);
        }
        tokio::task::block_in_place(|| self.server.interrupt());
        if let Some((_, tasks)) = stopping {
            for task in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(120), task).await;
            }
        }
        started.elapsed()
    }
}

/// Creates a hub in `data` with `wishtree-hub init` (city 1309) and enrolls the keys
/// of nodes `0..nodes` through the store API. Returns the hub's key and how long the
/// enrolment took.
pub fn init_hub(hub_bin: &Path, data: &Path, nodes: usize) -> (PublicKey, Duration) {
    init_hubs(hub_bin, &[data.to_owned()], nodes, None)
}

/// [`init_hub`] for one hub run by as many processes as `dirs`, each with its data
/// directory, on the PostgreSQL `store` if given (several processes need one): `init`
/// in the first directory, then in each other with the first's key copied in before,
/// as `tests/hubs_on_postgres.rs` does; the keys are enrolled once, in the store.
pub fn init_hubs(
    hub_bin: &Path,
    dirs: &[PathBuf],
    nodes: usize,
    store: Option<&str>,
) -> (PublicKey, Duration) {
    let key_file = wishtree_hub::data_dir::KEY_FILE;
    for (index, data) in dirs.iter().enumerate() {
        if index > 0 {
            std::fs::create_dir_all(data).unwrap();
            std::fs::copy(dirs[0].join(key_file), data.join(key_file)).unwrap();
        }
        let mut command = Process::new(hub_bin);
        command
            .args(["init", "--data"])
            .arg(data)
            .args(["--city", "1309"])
            .stdout(Stdio::null());
        if let Some(store) = store {
            command.env("WISHTREE_STORE", store);
        }
        assert!(
            command.status().unwrap().success(),
            "wishtree-hub init failed"
        );
    }
    let hub_key = wishtree_hub::identity::read_key_file(&dirs[0].join(key_file))
        .unwrap()
        .public();
    let started = Instant::now();
    let store: Box<dyn HubStore> = match store {
        Some(url) => Box::new(PgStore::open(url).unwrap()),
        None => Box::new(
            SqliteStore::open(&dirs[0].join(wishtree_hub::data_dir::DATABASE_FILE)).unwrap(),
        ),
    };
    for index in 0..nodes {
        store
            .enroll(
                node_key(index).public(),
                EnrolledRole::Node {
                    community: code_of(index),
                },
                Timestamp::from_millis(1_780_000_000_000),
            )
            .unwrap();
    }
    (hub_key, started.elapsed())
}

/// One simulated node per document, node `index` holding `docs[index]` with its own
/// attestation of its heads and its own QUIC endpoint.
pub fn sim_nodes(docs: Vec<(CommunityCode, Vec<u8>)>) -> Vec<Arc<SimNode>> {
    let now = now();
    docs.into_iter()
        .enumerate()
        .map(|(index, (code, bytes))| {
            let key = node_key(index);
            let mut host = MemoryHost::new();
            let mut doc = AutoCommit::load(&bytes).unwrap();
            let heads = doc.get_heads();
            host.insert_doc(DocId::Community(code), doc);
            host.set_own_attestation(
                DocId::Community(code),
                SignedHeads::sign(&key, code, &heads, 1, now),
            );
            let endpoint = wishtree_net::client_endpoint(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                &key,
                &EndpointOptions::default(),
            )
            .unwrap();
            Arc::new(SimNode {
                index,
                code,
                key,
                host: SharedHost(Arc::new(Mutex::new(host))),
                endpoint,
            })
        })
        .collect()
}

/// The release `wishtree-hub` under `target` (or `WISHTREE_HUB_BIN`); the benches need
/// it built first, and say so.
pub fn hub_binary(target: &Path) -> PathBuf {
    let hub_bin = std::env::var_os("WISHTREE_HUB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("release").join("wishtree-hub"));
    assert!(
        hub_bin.exists(),
        "no hub binary at {}: run `cargo build --release -p wishtree-hub` first",
        hub_bin.display()
    );
    hub_bin
}

/// Where [`documents`] caches the saved document of `code` under `target`.
pub fn document_path(target: &Path, code: CommunityCode) -> PathBuf {
    document_cache(target).join(format!("{code}.automerge"))
}

fn document_cache(target: &Path) -> PathBuf {
    target
        .join("reconnect-docs")
        .join(format!("v{DOCS_VERSION}"))
}

/// Every node's saved document, from the cache under `target` or built (and cached).
/// One generated document, filled in by whichever thread builds it.
type Slot = Mutex<Option<(CommunityCode, Vec<u8>)>>;

pub fn documents(nodes: usize, target: &Path) -> Vec<(CommunityCode, Vec<u8>)> {
    std::fs::create_dir_all(document_cache(target)).unwrap();
    let commands = template_commands();
    let next = AtomicUsize::new(0);
    let out: Vec<Slot> = (0..nodes).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= nodes {
                        return;
                    }
                    let code = code_of(index);
                    let path = document_path(target, code);
                    let bytes = match std::fs::read(&path) {
                        Ok(bytes) => bytes,
                        Err(_) => {
                            let bytes = build_document(code, index, &commands);
                            std::fs::write(&path, &bytes).unwrap();
                            bytes
                        }
                    };
                    *out[index].lock().unwrap() = Some((code, bytes));
                }
            });
        }
    });
    out.into_iter()
        .map(|slot| slot.into_inner().unwrap().unwrap())
        .collect()
}

/// A community's document of DESIGN's 1x size: the genesis of its own code, then the
/// same domain commands as every other community (ids repeat across communities, which
/// is harmless: they are distinct documents).
pub fn build_document(code: CommunityCode, index: usize, commands: &[Command]) -> Vec<u8> {
    let now = Timestamp::from_millis(1_780_000_000_000);
    let worker = Actor::Worker("陈玉萍".to_owned());
    let mut doc = CommunityDoc::create(code, &format!("社区{index}"), actor(index), now).unwrap();
    for command in commands {
        doc.execute(command, &worker, now).unwrap();
    }
    doc.save()
}

/// 100 members, 40 wishes submitted and published, 300 service records (as the
/// `resync` benchmark builds its community).
pub fn template_commands() -> Vec<Command> {
    let mut ids = Ids::new(7);
    let worker = Actor::Worker("陈玉萍".to_owned());
    let mut commands = Vec::new();
    let members: Vec<MemberId> = (0..100)
        .map(|i| {
            let id = MemberId::from_bytes(ids.bytes());
            let member = MemberFields {
                name: Name::parse("name", &format!("党员{i}")).unwrap(),
                work_unit: Label::parse("work_unit", "运河区城管局").unwrap(),
                org: None,
                position: Label::parse("position", "科员").unwrap(),
                specialties: vec![Label::parse("specialty", "安全教育").unwrap()],
                intentions: vec![PostKind::Safety, PostKind::Aid],
                reported_in: Date::new(2026, 5, 20).unwrap(),
                branch: None,
                team: None,
            };
            commands.push(Command::AddMember { id, member });
            id
        })
        .collect();
    for i in 0..40 {
        let id = WishId::from_bytes(ids.bytes());
        let wish = WishFields {
            title: Title::parse("title", &format!("心愿{i}：希望有一台微波炉")).unwrap(),
            detail: Detail::parse("detail", "母亲重病，想更快热饭").unwrap(),
            kind: WishKind::Goods,
            group: BeneficiaryGroup::Disabled,
            resident_label: Name::parse("resident_label", "彭女士").unwrap(),
            estimated_value: Some(400),
            round: None,
        };
        commands.push(Command::SubmitWish { id, wish });
        commands.push(Command::WishEvent {
            id,
            kind: EventKind::Publish,
            by: worker.clone(),
            note: Detail::parse("note", "").unwrap(),
        });
    }
    for i in 0..300 {
        commands.push(Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: members[i % members.len()],
            date: "2026-07-01".parse().unwrap(),
            minutes: 60,
            category: PostKind::Aid,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "走访慰问困难家庭").unwrap(),
        });
    }
    commands
}

/// The members' ids of every community (the template's first 100 ids).
pub fn template_members() -> Vec<MemberId> {
    template_commands()
        .iter()
        .filter_map(|command| match command {
            Command::AddMember { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

/// Community codes 1309 03 SSS CCC: 999 communities per street.
pub fn code_of(index: usize) -> CommunityCode {
    let street = 1 + index / 999;
    let community = 1 + index % 999;
    format!("130903{street:03}{community:03}").parse().unwrap()
}

pub fn node_key(index: usize) -> KeyPair {
    let mut secret = [0u8; 32];
    let mut ids = Ids::new(0x5EED_0000 + index as u64);
    secret[..16].copy_from_slice(&ids.bytes());
    secret[16..].copy_from_slice(&ids.bytes());
    KeyPair::from_secret(secret)
}

pub fn actor(index: usize) -> [u8; 16] {
    Ids::new(0xAC70_0000 + index as u64).bytes()
}

pub fn now() -> Timestamp {
    wishtree_hub::clock::now()
}

pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes)
}

/// The target directory the running bench was built in: `CARGO_TARGET_DIR` if set,
/// else the nearest ancestor of the executable that cargo marked as its own
/// (`CACHEDIR.TAG`), else `target` in the working directory, e.g. for a bench binary
/// copied out of the tree (which must not write its cached documents beside it).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

pub fn free_udp_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub fn free_tcp_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// A field of `/proc/<pid>/status` in kB (0 if the process is gone).
pub fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// User plus system CPU time of a process so far, in seconds.
pub fn process_cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .map(|both| both.iter().filter_map(|t| t.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    ticks as f64 / 100.0
}
