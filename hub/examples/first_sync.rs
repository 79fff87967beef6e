//! What a first sync costs the hub (issue 16): a node's whole history arriving at a hub
//! that has none of it, against the floor, loading the same saved document.
//!
//! Each round syncs one simulated node (an `AutoCommit` and its `sync::State`, as the
//! host's tests drive it) with a fresh community at one hub over a SQLite store in a
//! temp dir, through [`HubHost`] as a session does, until neither side has anything to
//! send. The hub's CPU is this thread's time on a CPU in the hub's calls (the node's side is
//! timed apart), which leaves out the waits for the disk.
//! Run under `valgrind --tool=callgrind` for instruction counts (repeatable on a loaded
//! machine); `FIRST_SYNC_ROUNDS` sets the rounds (default 40).
//!
//! `cargo run --release -p wishtree-hub --example first_sync -- DOC.automerge`, where the
//! document is one of the city benches' (`target/reconnect-docs/v*/…`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, sync};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::SqliteStore;
use wishtree_protocol::Timestamp;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::sync::{Access, Host};

/// One step of a merge, named, run on the loaded document.
type Step = (&'static str, fn(&mut AutoCommit));

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: first_sync DOC.automerge (a saved 1x community document)");
    let bytes = std::fs::read(&path).expect("the document can be read");
    let rounds: usize = std::env::var("FIRST_SYNC_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(40);

    // The floor: loading the saved document.
    let cpu = thread_cpu();
    for _ in 0..rounds {
        std::hint::black_box(AutoCommit::load(&bytes).unwrap());
    }
    let load = (thread_cpu() - cpu) / rounds as u32;

    // What the hub's merge may do with a first sync's document, each step alone.
    let mut loaded = AutoCommit::load(&bytes).unwrap();
    let steps: [Step; 4] = [
        ("get_changes (the quota's growth)", |doc| {
            std::hint::black_box(doc.get_changes(&[]));
        }),
        ("get_changes_meta", |doc| {
            std::hint::black_box(doc.get_changes_meta(&[]).len());
        }),
        ("save_after(no heads)", |doc| {
            std::hint::black_box(doc.save_after(&[]));
        }),
        ("save", |doc| {
            std::hint::black_box(doc.save());
        }),
    ];
    for (name, step) in steps {
        let cpu = thread_cpu();
        for _ in 0..rounds {
            step(&mut loaded);
        }
        let each = (thread_cpu() - cpu) / rounds as u32;
        println!(
            "  {name}: {:.2} ms ({:.1}x the load)",
            each.as_secs_f64() * 1e3,
            each.as_secs_f64() / load.as_secs_f64()
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
    let hub = Hub::new(
        store,
        KeyPair::from_secret([9; 32]),
        "1309".parse().unwrap(),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap();
    let now = Timestamp::from_millis(1_795_000_000_000);
    let mut hub_time = Duration::ZERO;
    let mut node_time = Duration::ZERO;
    let mut hub_cpu = Duration::ZERO;
    let mut messages = Vec::new();
    for round in 0..rounds {
        let code = format!("130903{:03}{:03}", 1 + round / 900, 1 + round % 900)
            .parse()
            .unwrap();
        let doc = DocId::Community(code);
        let key = KeyPair::from_secret([(round % 200) as u8 + 20; 32]).public();
        let mut node_doc = AutoCommit::load(&bytes).unwrap();
        let mut node_state = sync::State::new();
        let mut host = hub.host(false);
        let mut sent_sizes = Vec::new();
        // The listener (the hub) opens, as in a session.
        loop {
            let started = Instant::now();
            let cpu = thread_cpu();
            let answer = host.generate(&key, &doc).unwrap();
            hub_cpu += thread_cpu() - cpu;
            hub_time += started.elapsed();
            let started = Instant::now();
            if let Some(answer) = answer.clone() {
                node_doc
                    .sync()
                    .receive_sync_message(&mut node_state, answer)
                    .unwrap();
            }
            let sent = node_doc.sync().generate_sync_message(&mut node_state);
            node_time += started.elapsed();
            if let Some(message) = sent.clone() {
                sent_sizes.push((
                    format!("{:?}", message.version),
                    message.changes.iter().map(|c| c.len()).sum::<usize>(),
                ));
                let started = Instant::now();
                let cpu = thread_cpu();
                host.receive(&key, &doc, message, Access::ReadWrite, now)
                    .unwrap();
                hub_cpu += thread_cpu() - cpu;
                hub_time += started.elapsed();
            }
            if answer.is_none() && sent.is_none() {
                break;
            }
        }
        assert_eq!(hub.heads(doc).unwrap(), node_doc.get_heads());
        if round == 0 {
            messages = sent_sizes;
        }
    }
    let per_sync = hub_time / rounds as u32;
    let cpu_per_sync = hub_cpu / rounds as u32;
    println!(
        "document {} bytes; the node's messages (version, change bytes): {messages:?}",
        bytes.len()
    );
    println!(
        "load {:.2} ms; first sync at the hub {:.2} ms CPU ({:.1}x the load), {:.2} ms wall (with the disk); the node's side {:.2} ms",
        load.as_secs_f64() * 1e3,
        cpu_per_sync.as_secs_f64() * 1e3,
        cpu_per_sync.as_secs_f64() / load.as_secs_f64(),
        per_sync.as_secs_f64() * 1e3,
        (node_time / rounds as u32).as_secs_f64() * 1e3,
    );
}

/// This thread's time on a CPU so far (the scheduler's count, in nanoseconds): the
/// hub's work without the waits for the disk.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}
