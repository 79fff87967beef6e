//! A city hub killed with SIGKILL while its nodes write, and started again at once: every
//! node notices within seconds (the restarted hub resets the connections it no longer
//! knows), says so in its status, reconnects with its backoff and converges; and a
//! district hub's upstream link does the same. The killed hub is a real child process
//! (`hub-process`, the `wishtree-hub` command line), since only a process can be
//! killed; nodes and the district hub run in-process with their real `run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::{AutoCommit, ChangeHash};
use clap::Parser;
use wishtree_hub::store::{EnrolledRole, HubStore, SqliteStore, StoredDoc};
use wishtree_node::run::RunningNode;
use wishtree_protocol::{CommunityCode, Timestamp};
use wishtree_tests::city::{
    add_member, any_port, enroll, hub_key, init_hub, init_node, start_hub, start_node, wait_until,
};
use wishtree_tests::hub_child::{HubChild, free_udp_port};

/// The `wishtree-hub` command line as a binary of this package.
const HUB_PROCESS: &str = env!("CARGO_BIN_EXE_hub-process");

/// Bound of every wait; a failing test fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(30);
/// How soon after the restarted hub listens every node must have noticed: one keep-alive
/// interval (5 s) plus slack for a loaded machine.
const NOTICE_LIMIT: Duration = Duration::from_secs(8);
const COMMUNITIES: [&str; 3] = ["130903001001", "130903001002", "130903001003"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_notice_a_hub_killed_and_restarted_within_seconds_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let quic = free_udp_port();
    let mut nodes = Vec::new();
    for community in COMMUNITIES {
        let node_dir = dir.path().join(community);
        let replica = init_node(
            &node_dir,
            community.parse().unwrap(),
            "名人社区",
            "张书记",
            quic,
            hub_key(&hub_dir).unwrap(),
        )
        .unwrap();
        enroll(&hub_dir, community.parse().unwrap(), replica.public_key()).unwrap();
        drop(replica);
        nodes.push(Arc::new(start_node(&node_dir, any_port()).await.unwrap()));
    }
    let mut hub = HubChild::start(HUB_PROCESS, &hub_dir, quic, &[]);
    wait_until(LIMIT, "every node to connect", || {
        nodes
            .iter()
            .all(|node| link(node).is_some_and(|link| link.0))
    })
    .await
    .unwrap();

    // Every node writes all along, through the kill and the restart.
    let writing = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = nodes
        .iter()
        .map(|node| {
            let node = Arc::clone(node);
            let writing = Arc::clone(&writing);
            tokio::spawn(async move {
                let mut written = 0;
                while writing.load(Ordering::Relaxed) {
                    add_member(&node, &format!("成员{written}")).await;
                    written += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                written
            })
        })
        .collect();
    // What each node's status says, every 20 ms: (when, connected, since).
    let samples: Arc<Mutex<Vec<Vec<Sample>>>> = Arc::new(Mutex::new(vec![Vec::new(); nodes.len()]));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let nodes = nodes.clone();
        let samples = Arc::clone(&samples);
        let sampling = Arc::clone(&sampling);
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                for (index, node) in nodes.iter().enumerate() {
                    let status = node.replica.lock().await.sync_status();
                    samples.lock().unwrap()[index].push((
                        Instant::now(),
                        status.hub_connected,
                        status.hub_since,
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let killed_at = Instant::now();
    let killed_stamp = wishtree_node::now();
    hub.kill();
    let hub = HubChild::start(HUB_PROCESS, &hub_dir, quic, &[]);
    let listening_at = Instant::now();
    wait_until(LIMIT, "every node to reconnect after the kill", || {
        nodes.iter().all(|node| {
            link(node).is_some_and(|(connected, since)| connected && since > Some(killed_stamp))
        })
    })
    .await
    .unwrap();
    // A little more writing over the new sessions, then everything must reach the hub.
    tokio::time::sleep(Duration::from_millis(300)).await;
    writing.store(false, Ordering::Relaxed);
    for writer in writers {
        assert!(writer.await.unwrap() > 0);
    }
    wait_until(LIMIT, "every node's changes to be at the hub", || {
        nodes.iter().all(|node| {
            node.replica
                .try_lock()
                .is_ok_and(|mut replica| replica.sync_status().changes_not_at_hub == 0)
        })
    })
    .await
    .unwrap();
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();

    let samples = samples.lock().unwrap().clone();
    for (index, node_samples) in samples.iter().enumerate() {
        // The first moment the node no longer claims the session that the kill ended.
        let noticed = node_samples
            .iter()
            .find(|(at, connected, since)| {
                *at > killed_at && !(*connected && *since <= Some(killed_stamp))
            })
            .map(|(at, _, _)| *at)
            .expect("the node never noticed the hub was gone");
        println!(
            "node {index}: noticed the killed hub {:.0} ms after the kill, {:.0} ms after the restarted hub listened",
            (noticed - killed_at).as_secs_f64() * 1000.0,
            noticed
                .saturating_duration_since(listening_at)
                .as_secs_f64()
                * 1000.0
        );
        assert!(
            noticed < listening_at + NOTICE_LIMIT,
            "node {index} claimed its old session for {:?} after the hub was back",
            noticed - listening_at
        );
        // Once noticed, the old session is never claimed again.
        assert!(node_samples.iter().all(|(at, connected, since)| {
            *at < noticed || !*connected || *since > Some(killed_stamp)
        }));
        // What the node says once it noticed is a session of the restarted hub, or
        // none. (It may say "disconnected" for less than the sampling interval: a node
        // redials the restarted hub in tens of milliseconds, so a sample showing it
        // disconnected is not something to wait for.)
        assert!(
            node_samples
                .iter()
                .any(|(at, _, since)| *at >= noticed && *since > Some(killed_stamp)),
            "node {index} never reported a session of the restarted hub"
        );
    }

    // The hub's own store holds exactly what each node holds.
    hub.stop();
    let store = SqliteStore::open(&hub_dir.join(wishtree_hub::data_dir::DATABASE_FILE)).unwrap();
    for (community, node) in COMMUNITIES.iter().zip(&nodes) {
        let code: CommunityCode = community.parse().unwrap();
        let bytes = store
            .doc_bytes(StoredDoc::Community(code))
            .unwrap()
            .unwrap();
        let at_hub = sorted(AutoCommit::load(&bytes).unwrap().get_heads());
        let at_node = sorted(node.replica.lock().await.heads());
        assert_eq!(
            at_hub, at_node,
            "the hub lacks some of {community}'s changes"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_hub_reaches_a_city_hub_killed_and_restarted_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let city_dir = dir.path().join("city");
    let district_dir = dir.path().join("yunhe");
    init_hub(&city_dir, "1309").unwrap();
    let city_quic = free_udp_port();
    let district_data = district_dir.display().to_string();
    let city_key = hub_key(&city_dir).unwrap().to_string();
    wishtree_hub::cli::run(
        wishtree_hub::cli::Cli::try_parse_from([
            "wishtree-hub",
            "init",
            "--data",
            &district_data,
            "--city",
            "1309",
            "--district",
            "130903",
            "--upstream",
            &city_quic.to_string(),
            "--upstream-key",
            &city_key,
        ])
        .unwrap(),
    )
    .unwrap();
    let city_store = wishtree_hub::data_dir::open_store(&city_dir).unwrap();
    city_store
        .enroll(
            hub_key(&district_dir).unwrap(),
            EnrolledRole::Hub {
                scope: "130903".parse().unwrap(),
            },
            wishtree_hub::clock::now(),
        )
        .unwrap();
    let community: CommunityCode = COMMUNITIES[0].parse().unwrap();
    let node_dir = dir.path().join(COMMUNITIES[0]);
    let mut city = HubChild::start(HUB_PROCESS, &city_dir, city_quic, &[]);
    let district = start_hub(&district_dir, any_port(), any_port())
        .await
        .unwrap();
    let replica = init_node(
        &node_dir,
        community,
        "名人社区",
        "张书记",
        district.quic_addr,
        district.key,
    )
    .unwrap();
    city_store
        .enroll(
            replica.public_key(),
            EnrolledRole::Node { community },
            wishtree_hub::clock::now(),
        )
        .unwrap();
    drop(replica);
    let node = start_node(&node_dir, any_port()).await.unwrap();
    let at_city = || {
        city_store
            .doc_bytes(StoredDoc::Community(community))
            .ok()
            .flatten()
            .and_then(|bytes| AutoCommit::load(&bytes).ok())
            .map(|mut doc| sorted(doc.get_heads()))
    };
    add_member(&node, "报到党员").await;
    let heads = sorted(node.replica.lock().await.heads());
    wait_until(
        LIMIT,
        "the member to reach the city through the district",
        || at_city() == Some(heads.clone()),
    )
    .await
    .unwrap();

    // The city hub dies without a word and comes back at once; a change made now must
    // reach it over a new upstream session, long before any idle timeout.
    city.kill();
    let _city = HubChild::start(HUB_PROCESS, &city_dir, city_quic, &[]);
    let listening_at = Instant::now();
    add_member(&node, "新党员").await;
    let heads = sorted(node.replica.lock().await.heads());
    wait_until(
        NOTICE_LIMIT,
        "the change to reach the restarted city through the district",
        || at_city() == Some(heads.clone()),
    )
    .await
    .unwrap();
    println!(
        "the change reached the restarted city hub {:.0} ms after it listened",
        listening_at.elapsed().as_secs_f64() * 1000.0
    );
    node.stop().await;
    district.stop().await;
}

/// What a node's status said: when, connected, since.
type Sample = (Instant, bool, Option<Timestamp>);

/// (connected, since) of the node's link, if its replica is free right now.
fn link(node: &RunningNode) -> Option<(bool, Option<Timestamp>)> {
    let mut replica = node.replica.try_lock().ok()?;
    let status = replica.sync_status();
    Some((status.hub_connected, status.hub_since))
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
