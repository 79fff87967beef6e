//! Regression tests for what the chaos harness (`tests/chaos.rs`, `scripts/chaos`)
//! found, each small and without the harness, so a failure points at one cause.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use clap::Parser;
use wishtree_tests::city::{any_port, hub_key, init_hub, init_node, start_hub, start_node};

/// Before the fix the stop waited for the handshake to time out (the 15 s idle timeout).
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// A UDP port that swallows everything: a hub behind a partition.
fn black_hole() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

/// Found by chaos: a node told to stop while it dialled a hub that does not answer
/// (partitioned, or stopped first) took the whole handshake timeout to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_dialling_an_unreachable_hub_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let silent = black_hole();
    let node_dir = dir.path().join("node");
    drop(
        init_node(
            &node_dir,
            "130903001001".parse().unwrap(),
            "名人社区",
            "张书记",
            silent.local_addr().unwrap(),
            hub_key(&hub_dir).unwrap(),
        )
        .unwrap(),
    );
    let node = start_node(&node_dir, any_port()).await.unwrap();
    // Its first handshake is under way.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(node.replica.lock().await.sync_status().hub_connecting);
    let asked = Instant::now();
    tokio::time::timeout(STOP_LIMIT, node.stop())
        .await
        .expect("the node stops without waiting out the handshake");
    assert!(asked.elapsed() < STOP_LIMIT);
}

/// Found by chaos: the same for a district hub whose city hub does not answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_hub_dialling_an_unreachable_city_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let city_dir = dir.path().join("city");
    init_hub(&city_dir, "1309").unwrap();
    let silent = black_hole();
    let district_dir = dir.path().join("district");
    wishtree_hub::cli::run(
        wishtree_hub::cli::Cli::try_parse_from([
            "wishtree-hub",
            "init",
            "--data",
            &district_dir.display().to_string(),
            "--city",
            "1309",
            "--district",
            "130903",
            "--upstream",
            &silent.local_addr().unwrap().to_string(),
            "--upstream-key",
            &hub_key(&city_dir).unwrap().to_string(),
        ])
        .unwrap(),
    )
    .unwrap();
    let district = start_hub(&district_dir, any_port(), any_port())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    tokio::time::timeout(STOP_LIMIT, district.stop())
        .await
        .expect("the district hub stops without waiting out the handshake");
    assert!(asked.elapsed() < STOP_LIMIT);
}
