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
//! Stores (issue 15): the same nodes run every phase against each store in turn, in one
//! run, each from fresh documents and a fresh hub: `sqlite`, one hub process on its
//! SQLite file (the figures above); `pg`, one hub process on PostgreSQL; `pg2`, two hub
//! processes of the same hub (its key copied, `init --store` in each directory) on one
//! PostgreSQL database, the even nodes syncing with the first, the odd with the second.
//! `RECONNECT_STORES=sqlite,pg,pg2` chooses them (default: all three when PostgreSQL is
//! installed under `/usr/lib/postgresql`, else SQLite alone, said loudly). For the
//! PostgreSQL ones the bench starts a throwaway cluster of its own (`bench_pg.rs`, as
//! `scripts/with-test-pg` does, as `postgres` when run as root, but with `fsync` on:
//! SQLite runs at `synchronous=FULL`), one database per store, and reports the
//! server's CPU time beside the hubs'. Each phase reports documents per second (the
//! documents synced over the time until the last was caught up), and the end lines
//! the ratio of each PostgreSQL run to SQLite's.
//!
//! What makes the comparison unfair, either way: everything shares the machine's two
//! cores (the simulated nodes, the hub processes and the PostgreSQL server), so a
//! second hub process adds no core, only a second queue, and PostgreSQL's CPU is taken
//! from the hub's; SQLite's store work is inside the hub's CPU figure, PostgreSQL's
//! mostly in its own column. Each pg2 process re-derives the figures of every community,
//! its own at once and the other's within its 2 s poll, so the figures worker's work is
//! done twice. The stores run one after another, so other work on the machine (the
//! load averages are printed) falls on them unevenly. PostgreSQL talks over loopback
//! TCP, SQLite is in the process.
//!
//! `cargo build --release -p wishtree-hub && RECONNECT_NODES=3000 cargo bench -p
//! wishtree-tests --bench reconnect`. `WISHTREE_HUB_BIN` overrides the hub binary;
//! `RECONNECT_PG_LOG=DIR` has the PostgreSQL cluster log every statement the hubs send
//! to files in `DIR` (writable by the server's user), to count them by kind.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use tokio::sync::{mpsc, watch};
use wishtree_hub::store::{HubStore, PgStore, SqliteStore, StoredDoc};
use wishtree_tests::bench_city::{
    Counters, HubTarget, SimNode, Usage, documents, hub_binary, init_hubs, load_average, node_loop,
    process_cpu_seconds, sim_nodes, target_dir, template_members,
};
use wishtree_tests::bench_pg::{PgCluster, PgCounters};

use crate::hubs::{HubConfig, Hubs};

mod hubs;
mod report;

/// How long a phase may take before the benchmark gives up (it stops by itself).
const PHASE_LIMIT: Duration = Duration::from_secs(900);
/// The machine's cores, for the ideal.
const CORES: f64 = 2.0;
/// Issue 15: two PostgreSQL processes against one SQLite process, documents per second.
const TWO_PROCESSES_GOAL: f64 = 1.5;
/// The phases, in the order of every table.
const PHASES: [&str; 3] = ["first sync", "reconnect", "crash"];

/// Where a run keeps its documents, and in how many hub processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Sqlite,
    Postgres,
    PostgresTwoProcesses,
}

impl StoreKind {
    const ALL: [StoreKind; 3] = [
        StoreKind::Sqlite,
        StoreKind::Postgres,
        StoreKind::PostgresTwoProcesses,
    ];

    fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "pg",
            StoreKind::PostgresTwoProcesses => "pg2",
        }
    }

    fn label(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "SQLite, one hub process",
            StoreKind::Postgres => "PostgreSQL, one hub process",
            StoreKind::PostgresTwoProcesses => "PostgreSQL, two hub processes",
        }
    }

    fn processes(self) -> usize {
        match self {
            StoreKind::PostgresTwoProcesses => 2,
            StoreKind::Sqlite | StoreKind::Postgres => 1,
        }
    }

    fn is_postgres(self) -> bool {
        self != StoreKind::Sqlite
    }
}

/// What one store's run measured, phase by phase in the order of [`PHASES`].
struct StoreRun {
    kind: StoreKind,
    enrolment: Duration,
    phases: [PhaseResult; 3],
    /// Each hub process's usage at the end of each phase.
    usage: [Vec<Usage>; 3],
    /// The PostgreSQL server's CPU seconds in each phase (0 for SQLite).
    postgres_cpu: [f64; 3],
    /// The PostgreSQL server's commits and WAL flushes in each phase (none for SQLite).
    postgres_counters: [PgCounters; 3],
    /// The hub processes' `/metrics` at the end of each phase.
    metrics: [String; 3],
    /// The hub's restart until listening, before the reconnect clock starts.
    restart_ready: Duration,
    mismatched: usize,
    verified: Duration,
    load_at_start: String,
    load_at_end: String,
    data: Vec<PathBuf>,
}

fn main() {
    let nodes: usize = std::env::var("RECONNECT_NODES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3000);
    // Each node has a UDP socket of its own in this process: the open-file limit bounds N.
    assert!(
        (2..=20_000).contains(&nodes),
        "RECONNECT_NODES is 2 to 20,000"
    );
    let postgres = PgCluster::installed();
    let stores: Vec<StoreKind> = match std::env::var("RECONNECT_STORES") {
        Ok(text) => text
            .split(',')
            .map(|name| {
                StoreKind::ALL
                    .into_iter()
                    .find(|kind| kind.name() == name.trim())
                    .unwrap_or_else(|| {
                        panic!("RECONNECT_STORES: {name:?} is not sqlite, pg or pg2")
                    })
            })
            .collect(),
        Err(_) if postgres.is_some() => StoreKind::ALL.to_vec(),
        Err(_) => {
            println!(
                "\n!!! no PostgreSQL under /usr/lib/postgresql: SQLite only (apt-get install postgresql) !!!\n"
            );
            vec![StoreKind::Sqlite]
        }
    };
    let postgres = stores.iter().any(|kind| kind.is_postgres()).then(|| {
        postgres.expect(
            "RECONNECT_STORES names PostgreSQL, which is not installed under /usr/lib/postgresql",
        )
    });
    let target = target_dir();
    let hub_bin = hub_binary(&target);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(nodes, &target, &hub_bin, &stores, postgres.as_deref()));
}

async fn run(
    nodes: usize,
    target: &Path,
    hub_bin: &Path,
    stores: &[StoreKind],
    postgres: Option<&Path>,
) {
    println!(
        "city reconnect: {nodes} nodes, hub {}, stores {}",
        hub_bin.display(),
        stores
            .iter()
            .map(|kind| kind.name())
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("load average at start: {}", load_average());

    // Setup: documents, the PostgreSQL cluster.
    let started = Instant::now();
    let docs = tokio::task::block_in_place(|| documents(nodes, target));
    let saved_size = docs.first().map_or(0, |(_, bytes)| bytes.len());
    println!(
        "documents: {nodes} of {saved_size} bytes saved, ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cluster = postgres.map(|bin| {
        let cluster = tokio::task::block_in_place(|| PgCluster::start(bin));
        println!("PostgreSQL: a throwaway cluster from {}", bin.display());
        cluster
    });

    let mut runs = Vec::new();
    for kind in stores {
        runs.push(run_store(*kind, &docs, target, hub_bin, cluster.as_ref()).await);
    }

    println!();
    println!("city reconnect, {nodes} nodes, 1x documents ({saved_size} B saved), {CORES} cores");
    for run in &runs {
        report::store(run, nodes);
    }
    report::compare(&runs, nodes);
    for run in &runs {
        assert_eq!(
            run.mismatched,
            0,
            "the {} hub's store lacks some node's changes",
            run.kind.name()
        );
    }
}

/// Every phase against one store: a fresh hub (one or two processes), fresh nodes.
async fn run_store(
    kind: StoreKind,
    docs: &[(wishtree_protocol::CommunityCode, Vec<u8>)],
    target: &Path,
    hub_bin: &Path,
    cluster: Option<&PgCluster>,
) -> StoreRun {
    let nodes = docs.len();
    let load_at_start = load_average();
    println!("\n== {}: load average {load_at_start}", kind.label());
    let store = kind
        .is_postgres()
        .then(|| cluster.expect("a PostgreSQL cluster is started for its stores"))
        .map(|cluster| cluster.database(&format!("reconnect_{}", kind.name())));
    let data: Vec<PathBuf> = (0..kind.processes())
        .map(|index| target.join(format!("reconnect-hub-{}-{index}", kind.name())))
        .collect();
    for dir in &data {
        let _ = std::fs::remove_dir_all(dir);
    }
    let (hub_key, enrolment) =
        tokio::task::block_in_place(|| init_hubs(hub_bin, &data, nodes, store.as_deref()));
    println!(
        "enrolment: {nodes} keys in {:.1} s",
        enrolment.as_secs_f64()
    );
    let sim = sim_nodes(docs.to_vec());
    let config = HubConfig::on_free_ports(hub_bin, data.clone(), hub_key, store.clone());
    let postgres_cpu = || {
        cluster
            .filter(|_| kind.is_postgres())
            .map_or(0.0, PgCluster::cpu_seconds)
    };
    let postgres_counters = || {
        cluster
            .filter(|_| kind.is_postgres())
            .map(PgCluster::counters)
            .unwrap_or_default()
    };
    // Never fired: sessions end when the hub closes them, as in a hub restart.
    let (_never, never) = watch::channel(false);

    // First sync.
    let mut hubs = Hubs::start(&config, "first").await;
    println!("hub started in {:.2} s", hubs.ready_in.as_secs_f64());
    let postgres_before = (postgres_cpu(), postgres_counters());
    let (first, _) = phase(&sim, &config.targets, &never, &mut hubs).await;
    let first_usage = hubs.usage();
    let first_postgres = postgres_cpu() - postgres_before.0;
    let first_counters = postgres_counters() - postgres_before.1;
    let first_metrics = config.metrics().await;
    let first_stop = hubs.stop().await;

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
    let postgres_before = (postgres_cpu(), postgres_counters());
    let mut hubs = Hubs::start(&config, "restart").await;
    let restart_ready = hubs.ready_in;
    let (reconnect, reports) = phase(&sim, &config.targets, &never, &mut hubs).await;
    let reconnect_usage = hubs.usage();
    let reconnect_postgres = postgres_cpu() - postgres_before.0;
    let reconnect_counters = postgres_counters() - postgres_before.1;
    let reconnect_metrics = config.metrics().await;

    // Crash: SIGKILL with every session open, restart at once.
    tokio::task::block_in_place(|| {
        let members = template_members();
        for node in &sim {
            node.record_offline(&members, 2);
        }
    });
    let postgres_before = (postgres_cpu(), postgres_counters());
    let (crash, hubs) = crash(&sim, hubs, reports, &config).await;
    let crash_usage = hubs.usage();
    let crash_postgres = postgres_cpu() - postgres_before.0;
    let crash_counters = postgres_counters() - postgres_before.1;
    let crash_metrics = config.metrics().await;
    hubs.stop().await;

    // Check: the hub's store holds every node's heads.
    let started = Instant::now();
    let mismatched = tokio::task::block_in_place(|| match &store {
        Some(url) => verify(&PgStore::open(url).unwrap(), &sim),
        None => verify(
            &SqliteStore::open(&data[0].join(wishtree_hub::data_dir::DATABASE_FILE)).unwrap(),
            &sim,
        ),
    });
    StoreRun {
        kind,
        enrolment,
        phases: [first, reconnect, crash],
        usage: [first_usage, reconnect_usage, crash_usage],
        postgres_cpu: [first_postgres, reconnect_postgres, crash_postgres],
        postgres_counters: [first_counters, reconnect_counters, crash_counters],
        metrics: [first_metrics, reconnect_metrics, crash_metrics],
        restart_ready,
        mismatched,
        verified: started.elapsed(),
        load_at_start,
        load_at_end: load_average(),
        data,
    }
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
    /// The documents synced in the phase over the time until the last was caught up.
    fn documents_per_second(&self) -> f64 {
        self.times.len() as f64 / self.all.as_secs_f64().max(1e-9)
    }

    fn quantile(&self, q: f64) -> f64 {
        if self.times.is_empty() {
            return 0.0;
        }
        let index = ((self.times.len() - 1) as f64 * q).round() as usize;
        self.times[index].as_secs_f64()
    }
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
    targets: &[HubTarget],
    never: &watch::Receiver<bool>,
    hubs: &mut Hubs,
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
            targets[node.index % targets.len()].clone(),
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
                hubs.rss_kb() / 1024
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
    hubs.stopping = Some((stop, tasks));
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

/// Kills the hub's processes with SIGKILL while the node tasks of the last phase hold their
/// sessions, starts it again at once, and waits until every node has caught up again in
/// a new session. Returns the figures and the new hub processes (which end those tasks
/// when stopped).
async fn crash(
    sim: &[Arc<SimNode>],
    mut hubs: Hubs,
    mut reports: Reports,
    config: &HubConfig<'_>,
) -> (PhaseResult, Hubs) {
    while reports.receiver.try_recv().is_ok() {}
    let attempts = reports.counters.attempts.load(Ordering::Relaxed);
    let failures = reports.counters.failures.load(Ordering::Relaxed);
    let bench_cpu = process_cpu_seconds(std::process::id());
    let stopping = hubs.stopping.take();
    let killed = Instant::now();
    hubs.kill();
    let mut hubs = Hubs::start(config, "crash").await;
    hubs.stopping = stopping;
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
                hubs.rss_kb() / 1024
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
    (result, hubs)
}

/// Compares every community's document in the hub's store with its node's heads.
/// Returns how many differ.
fn verify(store: &dyn HubStore, sim: &[Arc<SimNode>]) -> usize {
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
