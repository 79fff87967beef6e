//! Two hub processes on one PostgreSQL store (issue 15): `wishtree-hub init --store`
//! twice (the second with the first's key), nodes spread over both processes, writes on
//! every node. Every document converges in the store; the figures both processes derive
//! into it count every community's members and equal what one hub on SQLite derives
//! from the same documents; and a process killed with SIGKILL while its nodes write
//! loses nothing it had acknowledged; restarted, it brings its nodes back in step, and
//! the figures follow.
//!
//! The hubs are real processes (`hub-process`, the `wishtree-hub` command line); the
//! nodes run in-process with their real `run`. The database is one of its own in the
//! cluster of `scripts/with-test-pg`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use automerge::{AutoCommit, ChangeHash};
use clap::Parser;
use wishtree_hub::figures::{self, CommunitySync, Figures, Filter, Period};
use wishtree_hub::sql::{DbExt, params};
use wishtree_hub::store::{HubStore, PgStore, SqliteStore, StoredDoc};
use wishtree_node::run::RunningNode;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, Timestamp};
use wishtree_testkit::postgres::TestDatabase;
use wishtree_tests::city::{add_member, any_port, hub_key, init_node, start_node, wait_until};
use wishtree_tests::hub_child::{HubChild, free_udp_port};

/// The `wishtree-hub` command line as a binary of this package.
const HUB_PROCESS: &str = env!("CARGO_BIN_EXE_hub-process");
/// Bound of every wait; a failing test fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(60);
/// Communities; the even ones sync with the first process, the odd with the second.
const COMMUNITIES: [&str; 4] = [
    "130903001001",
    "130903001002",
    "130903001003",
    "130903001004",
];
/// The clock the figures are read at, in 2100: no community was seen in the 24 hours
/// before, on either side (the single process never saw a node).
const NOW: Timestamp = Timestamp::from_millis(4_102_444_800_000);
/// Members each node records before the kill.
const FIRST_WRITES: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hub_processes_on_one_postgres_converge_and_a_killed_one_loses_nothing() {
    let Some(database) = TestDatabase::create("two hub processes on PostgreSQL") else {
        return;
    };
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    let hub_dirs = [dir.path().join("hub-one"), dir.path().join("hub-two")];
    hub_cli(&[
        "init",
        "--data",
        &text(&hub_dirs[0]),
        "--city",
        "1309",
        "--store",
        url,
    ]);
    // The second process is the same hub: its key, copied, before its `init`.
    std::fs::create_dir_all(&hub_dirs[1]).unwrap();
    std::fs::copy(
        hub_dirs[0].join(wishtree_hub::data_dir::KEY_FILE),
        hub_dirs[1].join(wishtree_hub::data_dir::KEY_FILE),
    )
    .unwrap();
    hub_cli(&[
        "init",
        "--data",
        &text(&hub_dirs[1]),
        "--city",
        "1309",
        "--store",
        url,
    ]);
    // Without the store's address a command is refused, not run on the empty file.
    let refused = wishtree_hub::cli::run(
        wishtree_hub::cli::Cli::try_parse_from([
            "wishtree-hub",
            "roster",
            "--data",
            &text(&hub_dirs[1]),
        ])
        .unwrap(),
    )
    .unwrap_err();
    assert!(
        format!("{refused:#}").contains("keeps its documents in PostgreSQL"),
        "{refused:#}"
    );

    let quic = [free_udp_port(), free_udp_port()];
    let key = hub_key(&hub_dirs[0]).unwrap();
    let mut nodes = Vec::new();
    for (index, community) in COMMUNITIES.iter().enumerate() {
        let node_dir = dir.path().join(community);
        let replica = init_node(
            &node_dir,
            community.parse().unwrap(),
            "名人社区",
            "张书记",
            quic[index % 2],
            key,
        )
        .unwrap();
        // Enrolled through either process's directory: the roster is the store's.
        hub_cli(&[
            "enroll",
            "--data",
            &text(&hub_dirs[index % 2]),
            "--store",
            url,
            "--community",
            community,
            "--key",
            &replica.public_key().to_string(),
        ]);
        drop(replica);
        nodes.push(Arc::new(start_node(&node_dir, any_port()).await.unwrap()));
    }
    let mut hubs = vec![
        HubChild::start(HUB_PROCESS, &hub_dirs[0], quic[0], &["--store", url]),
        HubChild::start(HUB_PROCESS, &hub_dirs[1], quic[1], &["--store", url]),
    ];
    let store = PgStore::open(url).unwrap();
    assert_eq!(store.enrollments().unwrap().len(), COMMUNITIES.len());

    for written in 0..FIRST_WRITES {
        for node in &nodes {
            add_member(node, &format!("成员{written}")).await;
        }
    }
    wait_until(LIMIT, "every node's changes to be at its hub", || {
        nodes.iter().all(|node| not_at_hub(node) == Some(0))
    })
    .await
    .unwrap();
    assert_store_holds_every_node(&store, &nodes).await;
    // Both processes derive into the store's figure tables, each its own nodes'
    // communities at once and the other's within its poll.
    wait_until(LIMIT, "the shared figures to count every member", || {
        members_in_figures(&store) == Some(COMMUNITIES.len() * FIRST_WRITES)
    })
    .await
    .unwrap();
    assert_eq!(
        shared_figures(&store),
        single_process_figures(&store, &dir.path().join("single.sqlite"))
    );

    // The first process's nodes write on; it is killed in the middle.
    let writing = Arc::new(AtomicBool::new(true));
    let written_since = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = nodes
        .iter()
        .step_by(2)
        .map(|node| {
            let node = Arc::clone(node);
            let writing = Arc::clone(&writing);
            let written_since = Arc::clone(&written_since);
            tokio::spawn(async move {
                let mut written = 0;
                while writing.load(Ordering::Relaxed) {
                    add_member(&node, &format!("新成员{written}")).await;
                    written += 1;
                    written_since.fetch_add(1, Ordering::Relaxed);
                    // Paced as a worker types, so that the hub merges while it dies.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                written
            })
        })
        .collect();
    wait_until(LIMIT, "the first process's nodes to write on", || {
        written_since.load(Ordering::Relaxed) >= 10
    })
    .await
    .unwrap();
    hubs[0].kill();
    writing.store(false, Ordering::Relaxed);
    for writer in writers {
        assert!(writer.await.unwrap() > 0);
    }
    // What each node had heard the hub acknowledge is in the store.
    for (community, node) in COMMUNITIES.iter().zip(&nodes).step_by(2) {
        let (total, pending) = {
            let mut replica = node.replica.lock().await;
            let total = AutoCommit::load(&replica.save())
                .unwrap()
                .get_changes(&[])
                .len();
            (total, replica.sync_status().changes_not_at_hub)
        };
        let stored = stored_doc(&store, community.parse().unwrap())
            .map_or(0, |mut doc| doc.get_changes(&[]).len());
        assert!(
            stored >= total - pending,
            "{community}: the store has {stored} changes, the node heard {} acknowledged",
            total - pending
        );
    }

    // Restarted, the first process brings its nodes back in step.
    hubs[0] = HubChild::start(HUB_PROCESS, &hub_dirs[0], quic[0], &["--store", url]);
    wait_until(LIMIT, "every node's changes to be at its hub again", || {
        nodes.iter().all(|node| not_at_hub(node) == Some(0))
    })
    .await
    .unwrap();
    assert_store_holds_every_node(&store, &nodes).await;
    // The figures follow every change the store holds, as one process derives them.
    let single = dir.path().join("single-after.sqlite");
    wait_until(LIMIT, "the shared figures to follow the restart", || {
        shared_figures(&store) == single_process_figures(&store, &single)
    })
    .await
    .unwrap();
    for node in nodes {
        Arc::into_inner(node)
            .expect("the writers have ended")
            .stop()
            .await;
    }
    for hub in hubs {
        hub.stop();
    }
}

/// Runs a `wishtree-hub` command in this process, as the binary would.
fn hub_cli(args: &[&str]) {
    let mut line = vec!["wishtree-hub"];
    line.extend_from_slice(args);
    wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(line).unwrap()).unwrap();
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// A community's document as the store holds it.
fn stored_doc(store: &PgStore, community: CommunityCode) -> Option<AutoCommit> {
    let bytes = store.doc_bytes(StoredDoc::Community(community)).unwrap()?;
    Some(AutoCommit::load(&bytes).unwrap())
}

/// Every node's heads are the heads of its document in the store.
async fn assert_store_holds_every_node(store: &PgStore, nodes: &[Arc<RunningNode>]) {
    for (community, node) in COMMUNITIES.iter().zip(nodes) {
        let at_store = stored_doc(store, community.parse().unwrap())
            .map(|mut doc| sorted(doc.get_heads()))
            .unwrap_or_default();
        let at_node = sorted(node.replica.lock().await.heads());
        assert_eq!(
            at_store, at_node,
            "the store lacks some of {community}'s changes"
        );
    }
}

/// Changes of the node the hub has not acknowledged, if its replica is free now.
fn not_at_hub(node: &RunningNode) -> Option<usize> {
    let mut replica = node.replica.try_lock().ok()?;
    Some(replica.sync_status().changes_not_at_hub)
}

/// Members in the figures the processes share.
fn members_in_figures(store: &PgStore) -> Option<usize> {
    let count: i64 = store
        .with_db(|db| {
            db.query_row("SELECT COUNT(*) FROM fig_members", params![], |row| {
                row.get(0)
            })
        })
        .ok()?;
    usize::try_from(count).ok()
}

/// The city's figures, all time, as the processes derived them into the store.
fn shared_figures(store: &PgStore) -> Figures {
    store
        .with_db(|db| figures::figures(db, &city_filter(), NOW))
        .unwrap()
}

/// The city's figures as one hub on SQLite derives them from the documents the store
/// holds, in a file of its own at `path` (made anew).
fn single_process_figures(store: &PgStore, path: &Path) -> Figures {
    let _ = std::fs::remove_file(path);
    let single = SqliteStore::open(path).unwrap();
    single
        .with_transaction(|transaction| {
            for community in COMMUNITIES {
                let code: CommunityCode = community.parse().unwrap();
                let Some(doc) = stored_doc(store, code) else {
                    continue;
                };
                let doc = CommunityDoc::from_automerge(doc, Some(code), [0; 16]).unwrap();
                let view = CommunityView::derive(&doc).unwrap();
                figures::rederive_community(transaction, code, &view, &CommunitySync::default())?;
            }
            Ok::<_, figures::FiguresError>(())
        })
        .unwrap();
    single
        .with_transaction(|transaction| figures::figures(transaction, &city_filter(), NOW))
        .unwrap()
}

/// The whole city, all time.
fn city_filter() -> Filter {
    Filter {
        region: "1309".parse().unwrap(),
        period: Period::default(),
        org: None,
        round: None,
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
