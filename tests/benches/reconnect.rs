//! The city-reconnect benchmark (issue 4): N simulated community nodes (default 3,000,
//! `RECONNECT_NODES`) with documents of DESIGN's 1x size (100 members, 40 wishes, 300
//! service records) sync with one hub process, the hub restarts, every node records one
//! service offline, and all of them come back with the real backoff. Reported: the time
//! until every node is in sync (target 30 s) and the hub's peak RSS (target 1.5 GB).
//!
//! The hub is the release `wishtree-hub` binary run as its own process, so that its
//! peak RSS (`VmHWM`) and CPU time are its own. The nodes are simulated in this
//! process: each has its own key and QUIC endpoint (client TLS identity is per
//! endpoint), the real transport and session driver (`wishtree_net::drive`), and an
//! in-memory host that keeps its document and sync state across sessions, as a real
//! node's store does, so a reconnect is incremental.
//!
//! Phases, each timed on its own:
//! 1. documents (cached under `target/reconnect-docs/`), hub `init`, enrolment of every
//!    key through the store API — setup, not part of any figure;
//! 2. first sync: one node alone (the baseline), then all the others, each after a
//!    full-jitter delay, until each session reports `CaughtUp` for its community;
//! 3. the hub stops (SIGINT: it closes every session with a Bye), each node records one
//!    service offline, the hub starts again; once it listens, one node reconnects alone
//!    (baseline), then all the others as a real node does after a lost session: a
//!    full-jitter delay of the backoff (1 s ceiling, doubling after each failure);
//! 4. crash: with every session open, each node records one more service (not pushed:
//!    nothing tells the session), the hub is killed with SIGKILL (no Bye, no close) and
//!    started again at once; each node must notice by itself (the restarted hub answers
//!    its next packet with a stateless reset) and reconnect with its backoff. Timed from
//!    the moment the restarted hub listens until each node has caught up again;
//! 5. the hub stops and its store is checked: every community's document at the hub
//!    has exactly the node's heads.
//!
//! The ideal beside each figure is the lone node's time × N / 2 cores: what perfect
//! parallelism on this machine would give if a node's sync were all CPU.
//!
//! `cargo build --release -p wishtree-hub && RECONNECT_NODES=3000 cargo bench -p
//! wishtree-tests --bench reconnect`. `WISHTREE_HUB_BIN` overrides the hub binary.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::sync::Message;
use automerge::{AutoCommit, ChangeHash};
use tokio::sync::{mpsc, watch};
use wishtree_hub::store::{EnrolledRole, HubStore, SqliteStore, StoredDoc};
use wishtree_net::drive::{Observer, drive};
use wishtree_net::{EndpointOptions, quinn};
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

/// How long a phase may take before the benchmark gives up (it stops by itself).
const PHASE_LIMIT: Duration = Duration::from_secs(900);
/// The machine's cores, for the ideal.
const CORES: f64 = 2.0;
/// Bump when the documents change, so a stale cache is not used.
const DOCS_VERSION: u32 = 1;

fn main() {
    let nodes: usize = std::env::var("RECONNECT_NODES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3000);
    assert!((1..=9990).contains(&nodes), "RECONNECT_NODES is 1 to 9990");
    let target = target_dir();
    let hub_bin = std::env::var_os("WISHTREE_HUB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("release").join("wishtree-hub"));
    assert!(
        hub_bin.exists(),
        "no hub binary at {}: run `cargo build --release -p wishtree-hub` first",
        hub_bin.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(nodes, &target, &hub_bin));
}

async fn run(nodes: usize, target: &Path, hub_bin: &Path) {
    println!("city reconnect: {nodes} nodes, hub {}", hub_bin.display());
    println!("load average at start: {}", load_average());

    // Setup: documents, hub directory, roster.
    let started = Instant::now();
    let docs = tokio::task::block_in_place(|| documents(nodes, target));
    let generation = started.elapsed();
    let saved_size = docs.first().map_or(0, |(_, bytes)| bytes.len());
    println!(
        "documents: {nodes} of {saved_size} bytes saved, ready in {:.1} s",
        generation.as_secs_f64()
    );

    let data = target.join("reconnect-hub");
    let _ = std::fs::remove_dir_all(&data);
    let status = Process::new(hub_bin)
        .args(["init", "--data"])
        .arg(&data)
        .args(["--city", "1309"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "wishtree-hub init failed");
    let hub_key =
        wishtree_hub::identity::read_key_file(&data.join(wishtree_hub::data_dir::KEY_FILE))
            .unwrap()
            .public();
    let started = Instant::now();
    {
        let store = SqliteStore::open(&data.join(wishtree_hub::data_dir::DATABASE_FILE)).unwrap();
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
    }
    println!(
        "enrolment: {nodes} keys in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let now = now();
    let sim: Vec<Arc<SimNode>> = docs
        .into_iter()
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
        .collect();

    let quic = free_udp_port();
    let http = free_tcp_port();
    let target = HubTarget {
        address: quic,
        key: hub_key,
    };
    // Never fired: sessions end when the hub closes them, as in a hub restart.
    let (_never, never) = watch::channel(false);

    // First sync.
    let mut hub = HubProcess::start(hub_bin, &data, quic, http, "first").await;
    println!("hub started in {:.2} s", hub.ready_in.as_secs_f64());
    let (first, _) = phase(&sim, &target, &never, &mut hub).await;
    let first_usage = hub.usage();
    let first_metrics = hub_metrics(http).await;
    let first_stop = hub.stop().await;

    // Offline: every node records one service.
    let started = Instant::now();
    tokio::task::block_in_place(|| {
        let members = template_members();
        for node in &sim {
            node.record_offline(&members, 1);
        }
    });
    println!(
        "offline: one service recorded on each node in {:.1} s; the hub stopped in {:.2} s",
        started.elapsed().as_secs_f64(),
        first_stop.as_secs_f64()
    );

    // The hub restarts; every node reconnects.
    let mut hub = HubProcess::start(hub_bin, &data, quic, http, "restart").await;
    let restart_ready = hub.ready_in;
    let (reconnect, reports) = phase(&sim, &target, &never, &mut hub).await;
    let reconnect_usage = hub.usage();
    let reconnect_metrics = hub_metrics(http).await;

    // Crash: SIGKILL with every session open, restart at once.
    tokio::task::block_in_place(|| {
        let members = template_members();
        for node in &sim {
            node.record_offline(&members, 2);
        }
    });
    let (crash, hub) = crash(&sim, hub, reports, hub_bin, &data, quic, http).await;
    let crash_usage = hub.usage();
    let crash_metrics = hub_metrics(http).await;
    hub.stop().await;

    // Check: the hub's store holds every node's heads.
    let started = Instant::now();
    let mismatched = tokio::task::block_in_place(|| verify(&data, &sim));
    let verified = started.elapsed();

    println!();
    println!(
        "city reconnect, {nodes} nodes, 1x documents ({saved_size} B saved), {} cores",
        CORES
    );
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9} {:>7}",
        "phase",
        "lone s",
        "ideal s",
        "p50 s",
        "p90 s",
        "all s",
        "hub RSS",
        "hub CPU",
        "bench CPU",
        "attempts",
        "fails"
    );
    for (name, result, usage) in [
        ("first sync", &first, &first_usage),
        ("reconnect", &reconnect, &reconnect_usage),
        ("crash", &crash, &crash_usage),
    ] {
        let ideal = result.lone.as_secs_f64() * nodes as f64 / CORES;
        println!(
            "{:<12} {:>8.3} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>6} MB {:>7.1} s {:>7.1} s {:>8} {:>7}",
            name,
            result.lone.as_secs_f64(),
            ideal,
            result.quantile(0.5),
            result.quantile(0.9),
            result.all.as_secs_f64(),
            usage.peak_rss_kb / 1024,
            usage.cpu_seconds,
            result.bench_cpu_seconds,
            result.attempts,
            result.failures,
        );
    }
    println!(
        "  hub restart until listening: {:.2} s (before the reconnect clock starts); peak RSS overall {} MB",
        restart_ready.as_secs_f64(),
        first_usage.peak_rss_kb.max(reconnect_usage.peak_rss_kb) / 1024
    );
    println!(
        "  check: the hub's store holds every node's heads: {} ({} of {nodes} differ, checked in {:.1} s)",
        yes(mismatched == 0),
        mismatched,
        verified.as_secs_f64()
    );
    println!(
        "  lone = one node alone (solo before the others start); ideal = lone x {nodes} / {CORES} cores;"
    );
    println!(
        "  p50/p90/all = time from the release of the others until that share of all nodes is caught up;"
    );
    println!(
        "  attempts/fails = connection attempts and those that failed (handshake, refusal, loss)"
    );
    println!(
        "  load average at the end: {} (other work on the machine skews every figure)",
        load_average()
    );
    println!(
        "  crash = SIGKILL with every session open, restart at once; its clock starts when the \
         restarted hub listens ({:.2} s after the kill), lone is none (all nodes at once)",
        crash.restart_ready.as_secs_f64()
    );
    println!("  hub at the end of each phase (its /metrics):");
    println!("    first sync: {first_metrics}");
    println!("    reconnect:  {reconnect_metrics}");
    println!("    crash:      {crash_metrics}");
    println!("  hub log: {}", data.join("hub-*.out").display());
    let peak_rss_kb = [first_usage, reconnect_usage, crash_usage]
        .iter()
        .map(|usage| usage.peak_rss_kb)
        .max()
        .unwrap_or(0);
    for (name, figure, goal, met) in [
        (
            "reconnect_all_in_sync",
            format!("{:.1} s", reconnect.all.as_secs_f64()),
            "30 s",
            reconnect.all.as_secs_f64() <= 30.0,
        ),
        (
            "crash_all_in_sync",
            format!("{:.1} s", crash.all.as_secs_f64()),
            "30 s",
            crash.all.as_secs_f64() <= 30.0,
        ),
        (
            "hub_peak_rss",
            format!("{} MB", peak_rss_kb / 1024),
            "1536 MB",
            peak_rss_kb <= 1536 * 1024,
        ),
    ] {
        let verdict = if met { "met" } else { "MISSED" };
        println!("target {name}: {verdict} ({figure} against {goal})");
    }
    assert_eq!(mismatched, 0, "the hub's store lacks some node's changes");
}

/// One simulated community node.
struct SimNode {
    index: usize,
    code: CommunityCode,
    key: KeyPair,
    host: SharedHost,
    endpoint: quinn::Endpoint,
}

impl SimNode {
    /// Records one service on the node's document while it is offline, and signs the
    /// new heads (seq `round + 1`), as a node's command does. `round` (1, 2, …) makes
    /// each record a new one.
    fn record_offline(&self, members: &[MemberId], round: u64) {
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

    fn heads(&self) -> Vec<ChangeHash> {
        let mut host = self.host.0.lock().unwrap();
        let mut heads = host.heads(&DocId::Community(self.code));
        heads.sort();
        heads
    }
}

/// The node's in-memory host, shared so that the benchmark can write to the document
/// between sessions (the driver takes its host by value).
#[derive(Clone)]
struct SharedHost(Arc<Mutex<MemoryHost>>);

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

#[derive(Clone)]
struct HubTarget {
    address: SocketAddr,
    key: PublicKey,
}

/// What a phase measured.
struct PhaseResult {
    /// The lone node's time to catch up.
    lone: Duration,
    /// Each other node's time to catch up, from their release, sorted.
    times: Vec<Duration>,
    /// Until the last node caught up.
    all: Duration,
    attempts: usize,
    failures: usize,
    bench_cpu_seconds: f64,
    /// The crash phase only: from the SIGKILL until the restarted hub listened.
    restart_ready: Duration,
}

impl PhaseResult {
    fn quantile(&self, q: f64) -> f64 {
        if self.times.is_empty() {
            return 0.0;
        }
        let index = ((self.times.len() - 1) as f64 * q).round() as usize;
        self.times[index].as_secs_f64()
    }
}

struct Counters {
    attempts: AtomicUsize,
    failures: AtomicUsize,
}

/// Every node's catching up, one report per session that caught up, with the phase's
/// attempt counters: what the crash phase goes on listening to.
struct Reports {
    receiver: mpsc::UnboundedReceiver<(usize, Instant)>,
    counters: Arc<Counters>,
}

/// Node 0 alone, then the others, until every one has caught up; the node tasks keep
/// their sessions open until the hub closes them (or the crash phase kills it).
async fn phase(
    sim: &[Arc<SimNode>],
    target: &HubTarget,
    never: &watch::Receiver<bool>,
    hub: &mut HubProcess,
) -> (PhaseResult, Reports) {
    let bench_cpu = process_cpu_seconds(std::process::id());
    let counters = Arc::new(Counters {
        attempts: AtomicUsize::new(0),
        failures: AtomicUsize::new(0),
    });
    let (caught_up, mut reports) = mpsc::unbounded_channel::<(usize, Instant)>();
    let (stop, stopping) = watch::channel(false);
    let spawn = |node: &Arc<SimNode>, jitter: bool| {
        tokio::spawn(node_loop(
            Arc::clone(node),
            target.clone(),
            jitter,
            caught_up.clone(),
            stopping.clone(),
            never.clone(),
            Arc::clone(&counters),
        ))
    };
    let mut tasks = Vec::new();
    let lone_started = Instant::now();
    tasks.push(spawn(&sim[0], false));
    let lone = tokio::time::timeout(PHASE_LIMIT, reports.recv())
        .await
        .expect("the lone node did not catch up in time")
        .expect("the lone node's task ended");
    let lone = lone.1 - lone_started;

    let released = Instant::now();
    for node in &sim[1..] {
        tasks.push(spawn(node, true));
    }
    let mut times = Vec::with_capacity(sim.len());
    let mut seen: HashMap<usize, Instant> = HashMap::new();
    let mut last_progress = Instant::now();
    while seen.len() < sim.len() - 1 {
        let report = tokio::time::timeout(Duration::from_secs(5), reports.recv()).await;
        match report {
            // The lone node is not one of the others, whatever it reports later.
            Ok(Some((index, at))) if index != 0 => {
                seen.entry(index).or_insert(at);
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("the node tasks ended"),
        }
        if last_progress.elapsed() >= Duration::from_secs(5) {
            last_progress = Instant::now();
            println!(
                "  {:>6.1} s: {} of {} caught up, {} attempts, {} failed, hub RSS {} MB",
                released.elapsed().as_secs_f64(),
                seen.len(),
                sim.len() - 1,
                counters.attempts.load(Ordering::Relaxed),
                counters.failures.load(Ordering::Relaxed),
                hub.rss_kb() / 1024
            );
        }
        assert!(
            released.elapsed() < PHASE_LIMIT,
            "not every node caught up within {PHASE_LIMIT:?}"
        );
    }
    for at in seen.values() {
        times.push(*at - released);
    }
    times.sort();
    let all = times.last().copied().unwrap_or_default();
    hub.stopping = Some((stop, tasks));
    let result = PhaseResult {
        lone,
        times,
        all,
        attempts: counters.attempts.load(Ordering::Relaxed),
        failures: counters.failures.load(Ordering::Relaxed),
        bench_cpu_seconds: process_cpu_seconds(std::process::id()) - bench_cpu,
        restart_ready: Duration::ZERO,
    };
    (
        result,
        Reports {
            receiver: reports,
            counters,
        },
    )
}

/// Kills the hub with SIGKILL while the node tasks of the last phase hold their
/// sessions, starts it again at once, and waits until every node has caught up again in
/// a new session. Returns the figures and the new hub process (which ends those tasks
/// when stopped).
async fn crash(
    sim: &[Arc<SimNode>],
    mut hub: HubProcess,
    mut reports: Reports,
    hub_bin: &Path,
    data: &Path,
    quic: SocketAddr,
    http: SocketAddr,
) -> (PhaseResult, HubProcess) {
    while reports.receiver.try_recv().is_ok() {}
    let attempts = reports.counters.attempts.load(Ordering::Relaxed);
    let failures = reports.counters.failures.load(Ordering::Relaxed);
    let bench_cpu = process_cpu_seconds(std::process::id());
    let stopping = hub.stopping.take();
    let killed = Instant::now();
    hub.kill();
    let mut hub = HubProcess::start(hub_bin, data, quic, http, "crash").await;
    hub.stopping = stopping;
    let released = Instant::now();
    let restart_ready = released - killed;
    let mut seen: HashMap<usize, Instant> = HashMap::new();
    let mut last_progress = Instant::now();
    while seen.len() < sim.len() {
        match tokio::time::timeout(Duration::from_secs(5), reports.receiver.recv()).await {
            Ok(Some((index, at))) => {
                seen.entry(index).or_insert(at);
            }
            Ok(None) => panic!("the node tasks ended"),
            Err(_) => {}
        }
        if last_progress.elapsed() >= Duration::from_secs(5) {
            last_progress = Instant::now();
            println!(
                "  {:>6.1} s: {} of {} caught up after the crash, {} attempts, {} failed, hub RSS {} MB",
                released.elapsed().as_secs_f64(),
                seen.len(),
                sim.len(),
                reports.counters.attempts.load(Ordering::Relaxed) - attempts,
                reports.counters.failures.load(Ordering::Relaxed) - failures,
                hub.rss_kb() / 1024
            );
        }
        assert!(
            released.elapsed() < PHASE_LIMIT,
            "not every node caught up within {PHASE_LIMIT:?} of the crash"
        );
    }
    let mut times: Vec<Duration> = seen
        .values()
        .map(|at| at.saturating_duration_since(released))
        .collect();
    times.sort();
    let all = times.last().copied().unwrap_or_default();
    let result = PhaseResult {
        lone: Duration::ZERO,
        times,
        all,
        attempts: reports.counters.attempts.load(Ordering::Relaxed) - attempts,
        failures: reports.counters.failures.load(Ordering::Relaxed) - failures,
        bench_cpu_seconds: process_cpu_seconds(std::process::id()) - bench_cpu,
        restart_ready,
    };
    (result, hub)
}

/// A node's sync client, as `wishtree_node::sync::run_sync` does it: dial, drive the
/// session, and after a failure wait a full-jitter delay of the backoff. `jitter`
/// starts with such a delay, as after a lost session. Ends when `stopping` turns true
/// and the session is over.
async fn node_loop(
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

/// The hub as a child process.
struct HubProcess {
    child: Child,
    ready_in: Duration,
    /// The running phase's stop signal and node tasks, ended with the hub.
    stopping: Option<(watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    peak_rss_kb: u64,
    cpu_seconds: f64,
}

impl HubProcess {
    /// Starts `wishtree-hub run` and waits until it listens.
    async fn start(
        bin: &Path,
        data: &Path,
        quic: SocketAddr,
        http: SocketAddr,
        name: &str,
    ) -> Self {
        let log = data.join(format!("hub-{name}.log"));
        let started = Instant::now();
        let mut child = Process::new(bin)
            .args(["run", "--data"])
            .arg(data)
            .args(["--quic", &quic.to_string(), "--http", &http.to_string()])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // The hub prints its addresses on stdout once it listens; the rest of its
        // output (the log) goes to a file by a thread, so the pipe never fills.
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let log_path = data.join(format!("hub-{name}.out"));
        std::thread::spawn(move || {
            use std::io::Write;
            let mut out = std::fs::File::create(log_path).unwrap();
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && line.starts_with("dashboard:") {
                    sent = true;
                    let _ = ready_tx.send(());
                }
                let _ = writeln!(out, "{line}");
            }
        });
        tokio::task::block_in_place(|| {
            ready_rx
                .recv_timeout(Duration::from_secs(120))
                .expect("the hub did not start listening")
        });
        HubProcess {
            child,
            ready_in: started.elapsed(),
            stopping: None,
        }
    }

    fn rss_kb(&self) -> u64 {
        status_kb(self.child.id(), "VmRSS:")
    }

    fn usage(&self) -> Usage {
        Usage {
            peak_rss_kb: status_kb(self.child.id(), "VmHWM:"),
            cpu_seconds: process_cpu_seconds(self.child.id()),
        }
    }

    /// SIGKILL: no Bye, no close; the nodes' connections are left open.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT (what `run` waits for: it closes every session with a Bye), then waits
    /// for the process and for the nodes' sessions to end. Returns how long it took.
    async fn stop(mut self) -> Duration {
        let started = Instant::now();
        let stopping = self.stopping.take();
        if let Some((stop, _)) = &stopping {
            let _ = stop.send(true);
        }
        let status = Process::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exited = tokio::task::block_in_place(|| {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    return Some(status);
                }
                if Instant::now() > deadline {
                    return None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        if exited.is_none() {
            let _ = self.child.kill();
            panic!("the hub did not stop within 120 s of SIGINT");
        }
        if let Some((_, tasks)) = stopping {
            for task in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(120), task).await;
            }
        }
        started.elapsed()
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        // A panicking benchmark must not leave a hub running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The hub's merge and figure-refresh work so far, from its `/metrics`.
async fn hub_metrics(http: SocketAddr) -> String {
    let answer = tokio::task::spawn_blocking(move || {
        wishtree_testkit::socket::send(http, &wishtree_testkit::Request::get("/metrics"))
    })
    .await;
    let text = match answer {
        Ok(Ok(answer)) => answer.text(),
        _ => String::new(),
    };
    let value = |name: &str| {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "sessions {}, merges {} ({} s), figure refreshes {} ({} s)",
        value("wishtree_hub_sync_sessions_total"),
        value("wishtree_hub_merge_seconds_count"),
        value("wishtree_hub_merge_seconds_sum"),
        value("wishtree_hub_figure_refresh_seconds_count"),
        value("wishtree_hub_figure_refresh_seconds_sum"),
    )
}

/// Compares every community's document in the hub's store with its node's heads.
/// Returns how many differ.
fn verify(data: &Path, sim: &[Arc<SimNode>]) -> usize {
    let store = SqliteStore::open(&data.join(wishtree_hub::data_dir::DATABASE_FILE)).unwrap();
    let store = &store;
    let mismatched = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(node) = sim.get(index) else { return };
                    let bytes = store
                        .doc_bytes(StoredDoc::Community(node.code))
                        .unwrap()
                        .unwrap_or_default();
                    let mut heads = AutoCommit::load(&bytes)
                        .map(|mut doc| doc.get_heads())
                        .unwrap_or_default();
                    heads.sort();
                    if heads != node.heads() {
                        mismatched.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    mismatched.into_inner()
}

/// Every node's saved document, from the cache under `target` or built (and cached).
/// One generated document, filled in by whichever thread builds it.
type Slot = Mutex<Option<(CommunityCode, Vec<u8>)>>;

fn documents(nodes: usize, target: &Path) -> Vec<(CommunityCode, Vec<u8>)> {
    let cache = target
        .join("reconnect-docs")
        .join(format!("v{DOCS_VERSION}"));
    std::fs::create_dir_all(&cache).unwrap();
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
                    let path = cache.join(format!("{code}.automerge"));
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
fn build_document(code: CommunityCode, index: usize, commands: &[Command]) -> Vec<u8> {
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
fn template_commands() -> Vec<Command> {
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
fn template_members() -> Vec<MemberId> {
    template_commands()
        .iter()
        .filter_map(|command| match command {
            Command::AddMember { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

/// Community codes 1309 03 SSS CCC: 999 communities per street.
fn code_of(index: usize) -> CommunityCode {
    let street = 1 + index / 999;
    let community = 1 + index % 999;
    format!("130903{street:03}{community:03}").parse().unwrap()
}

fn node_key(index: usize) -> KeyPair {
    let mut secret = [0u8; 32];
    let mut ids = Ids::new(0x5EED_0000 + index as u64);
    secret[..16].copy_from_slice(&ids.bytes());
    secret[16..].copy_from_slice(&ids.bytes());
    KeyPair::from_secret(secret)
}

fn actor(index: usize) -> [u8; 16] {
    Ids::new(0xAC70_0000 + index as u64).bytes()
}

fn now() -> Timestamp {
    wishtree_hub::clock::now()
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes)
}

fn yes(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}

/// The target directory: the benchmark runs from `target/release/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn free_udp_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn free_tcp_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn load_average() -> String {
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
fn status_kb(pid: u32, field: &str) -> u64 {
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
fn process_cpu_seconds(pid: u32) -> f64 {
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
