//! Sync health as the dashboard shows it counts a node's last exchange with the hub,
//! not the handshake that opened its link: a link open for more than a day is healthy
//! while messages go over it. Time is the hub's clock, stepped by the test.

#![allow(clippy::unwrap_used)]

mod figures_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use figures_support::{Server, code, region};
use wishtree_hub::clock::Clock;
use wishtree_hub::figures::refresh_worker;
use wishtree_hub::http::HubHttpState;
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::{EnrolledRole, HubStore, SqliteStore};
use wishtree_protocol::Timestamp;
use wishtree_protocol::frame::{DocId, Hello, PROTOCOL_VERSION, Role, Scope};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::sync::{Access, Host};

const HOUR_MS: i64 = 3600 * 1000;

#[test]
fn a_link_open_for_more_than_a_day_is_healthy_while_it_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let community = code("130903001001");
    let node = KeyPair::from_secret([7; 32]);
    let opened = Timestamp::from_millis(1_795_000_000_000);
    let store = Arc::new(SqliteStore::open(&database).unwrap());
    store
        .enroll(
            node.public(),
            EnrolledRole::Node { community },
            Timestamp::from_millis(opened.as_millis() - HOUR_MS),
        )
        .unwrap();
    let millis = Arc::new(AtomicI64::new(opened.as_millis()));
    let read = Arc::clone(&millis);
    let clock = Clock::new(move || Timestamp::from_millis(read.load(Ordering::SeqCst)));
    let hub = Hub::new(
        Arc::clone(&store),
        KeyPair::from_secret([9; 32]),
        region("1309"),
        Arc::new(Metrics::new()),
        HubOptions {
            cached_docs: 16,
            clock: clock.clone(),
            ..HubOptions::default()
        },
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (stop_worker, stopping) = tokio::sync::watch::channel(false);
    runtime.spawn(refresh_worker(Arc::clone(&hub), stopping));
    let server = Server::start_with(
        &database,
        HubHttpState::new(&database, Arc::new(Metrics::new()))
            .unwrap()
            .with_scope(region("1309"))
            .with_clock(clock),
        "1309",
    );
    let seen_at = |store: &SqliteStore| {
        store
            .communities()
            .unwrap()
            .into_iter()
            .find(|record| record.community == community)
            .and_then(|record| record.last_seen_at)
    };
    let status = || {
        server.json("/api/communities")[0]
            .as_object()
            .unwrap()
            .clone()
    };

    // The node's link opens.
    let mut host = hub.host(false);
    let hello = Hello {
        version: PROTOCOL_VERSION,
        role: Role::Node,
        scope: Scope::Community(community),
        docs: Vec::new(),
    };
    host.admit(&node.public(), &hello, opened).unwrap();
    wait_until("the handshake to be recorded", || {
        seen_at(&store) == Some(opened)
    });
    assert_eq!(status()["is_synced_24h"], true);

    // A day and an hour later, with no message since, the community is not synced.
    let later = Timestamp::from_millis(opened.as_millis() + 25 * HOUR_MS);
    millis.store(later.as_millis(), Ordering::SeqCst);
    assert_eq!(status()["is_synced_24h"], false);

    // The link is still open and the node sends a message that brings nothing new: an
    // exchange all the same, as the node's own "上次同步" counts it.
    let mut nothing_new = automerge::AutoCommit::new();
    let message = nothing_new
        .sync()
        .generate_sync_message(&mut sync::State::new())
        .unwrap();
    let changed = host
        .receive(
            &node.public(),
            &DocId::Community(community),
            message,
            Access::ReadWrite,
            later,
        )
        .unwrap();
    assert!(!changed);
    wait_until("the exchange to be recorded", || {
        seen_at(&store) == Some(later)
    });
    let after = status();
    assert_eq!(after["is_synced_24h"], true, "{after:?}");
    assert_eq!(
        after["last_seen_at"],
        serde_json::to_value(later).unwrap(),
        "最近同步 is the exchange, not the handshake"
    );
    // A day on, the morning's session has run out: the viewer signs in again.
    let page = server
        .send(
            server
                .log_in("city")
                .on(figures_support::Request::get("/health")),
        )
        .text();
    assert!(
        page.contains(r#"data-synced="true">是</td>"#),
        "the health page shows the link as synced: {page}"
    );
    assert!(page.contains(&later.display_in_shanghai().to_string()));
    let _ = stop_worker.send(true);
}

/// Waits for the figures worker, which records what sessions saw off the sync path.
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        // A poll of the store, not a guess at how long the worker takes.
        std::thread::sleep(Duration::from_millis(5));
    }
}
