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
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use tokio::sync::{mpsc, watch};
use wishtree_hub::store::{HubStore, SqliteStore, StoredDoc};
use wishtree_tests::bench_city::{
    Counters, HubProcess, HubTarget, SimNode, documents, init_hub, load_average, node_loop,
    process_cpu_seconds, sim_nodes, target_dir, template_members,
};

/// How long a phase may take before the benchmark gives up (it stops by itself).
const PHASE_LIMIT: Duration = Duration::from_secs(900);
/// The machine's cores, for the ideal.
const CORES: f64 = 2.0;

fn main() {
    let nodes: usize = std::env::var("RECONNECT_NODES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3000);
    // Each node has a UDP socket of its own in this process: the open-file limit bounds N.
    assert!(
        (1..=20_000).contains(&nodes),
        "RECONNECT_NODES is 1 to 20,000"
    );
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
    let (hub_key, enrolment) = init_hub(hub_bin, &data, nodes);
    println!(
        "enrolment: {nodes} keys in {:.1} s",
        enrolment.as_secs_f64()
    );
    let sim = sim_nodes(docs);

    let (target, http) = HubTarget::on_free_ports(hub_key);
    let quic = target.address;
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

fn yes(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}
