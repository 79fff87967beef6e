//! End to end over real loopback QUIC: a hub and community nodes started in-process
//! with their real `run` functions on port 0. A node's change reaches the hub and its
//! figures; the hub can stop while nodes keep writing; a node killed mid-sync
//! converges after restart; an unknown key is refused and told why; junk on the hub's
//! port leaves the other nodes syncing. Each runs with the hub on its SQLite file and on
//! PostgreSQL (`on_both_stores!`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

use automerge::ChangeHash;
use wishtree_hub::run::RunningHub;
use wishtree_node::run::RunningNode;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::KeyPair;
use wishtree_testkit::socket::get_json_with;
use wishtree_tests::city::{
    add_city_viewer, add_city_viewer_on, add_member, any_port, enroll_on, hub_key, init_hub,
    init_hub_on, init_node, start_hub_on, start_node, wait_until,
};

const LIMIT: Duration = Duration::from_secs(20);

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn hub_has(hub: &RunningHub, community: CommunityCode, heads: &[ChangeHash]) -> bool {
    let held = hub.hub().heads(DocId::Community(community)).unwrap();
    sorted(held) == sorted(heads.to_vec())
}

struct City {
    _dir: tempfile::TempDir,
    hub_dir: std::path::PathBuf,
    /// The PostgreSQL store the hub keeps its documents in, if not its SQLite file.
    store: Option<String>,
    hub: RunningHub,
    /// A city viewer's `Authorization`, for the hub's API.
    viewer: String,
}

async fn city(store: Option<&str>) -> City {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub_on(&hub_dir, "1309", store).unwrap();
    let viewer = add_city_viewer_on(&hub_dir, store, "e2e")
        .unwrap()
        .authorization;
    let hub = start_hub_on(&hub_dir, any_port(), any_port(), store)
        .await
        .unwrap();
    City {
        _dir: dir,
        hub_dir,
        store: store.map(str::to_owned),
        hub,
        viewer,
    }
}

/// Each named test (`async fn name(store: Option<&str>)`) as two: `<name>::sqlite`,
/// the hub on its SQLite file, and `<name>::postgres`, on a PostgreSQL database of its
/// own in the cluster of `scripts/with-test-pg`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(None).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(database) = wishtree_testkit::postgres::TestDatabase::create(concat!(
                    "e2e ",
                    stringify!($name)
                )) else {
                    return;
                };
                super::$name(Some(database.url())).await;
            }
        }
    )*};
}

on_both_stores!(
    a_change_on_a_node_reaches_the_hub_and_its_figures_live,
    nodes_keep_writing_while_the_hub_is_down_and_converge_after_it_returns,
    a_node_killed_mid_sync_converges_after_restart,
    an_unknown_key_is_refused_and_the_node_says_what_to_do,
    junk_datagrams_and_a_fuzzed_frame_stream_leave_other_nodes_syncing,
    a_node_rotates_its_key_and_the_hub_takes_the_new_one_on_the_old_ones_word,
    a_sealed_half_year_reads_the_same_at_the_hub_and_a_forged_seal_is_flagged,
);

/// The hub's API answer at `url` as the city viewer, `Null` if there is none yet.
fn api(city: &City, url: &str) -> serde_json::Value {
    get_json_with(url, &[("Authorization", &city.viewer)])
}

fn node_dir(city: &City, community: &str) -> std::path::PathBuf {
    city.hub_dir.parent().unwrap().join(community)
}

/// Creates and enrolls a node, and starts it.
async fn node(city: &City, community: &str, enrolled: bool) -> RunningNode {
    let dir = node_dir(city, community);
    let replica = init_node(
        &dir,
        code(community),
        "名人社区",
        "张书记",
        city.hub.quic_addr,
        hub_key(&city.hub_dir).unwrap(),
    )
    .unwrap();
    if enrolled {
        enroll_on(
            &city.hub_dir,
            code(community),
            replica.public_key(),
            city.store.as_deref(),
        )
        .unwrap();
    }
    drop(replica);
    start_node(&dir, any_port()).await.unwrap()
}

fn connected(node: &RunningNode) -> bool {
    node.replica
        .try_lock()
        .map(|mut replica| replica.sync_status().hub_connected)
        .unwrap_or(false)
}

async fn a_change_on_a_node_reaches_the_hub_and_its_figures_live(store: Option<&str>) {
    let city = city(store).await;
    let node = node(&city, "130903001001", true).await;
    wait_until(LIMIT, "the node to connect", || connected(&node))
        .await
        .unwrap();

    let heads = add_member(&node, "李明").await;
    wait_until(LIMIT, "the member to reach the hub", || {
        hub_has(&city.hub, code("130903001001"), &heads)
    })
    .await
    .unwrap();

    // The figures follow: one member reported, in the city's figures over HTTP.
    let url = format!("http://{}/api/figures?region=1309", city.hub.http_addr);
    wait_until(LIMIT, "the figures to count the member", || {
        api(&city, &url)["members_reported"] == 1
    })
    .await
    .unwrap();
    // The node counts nothing as missing at the hub.
    wait_until(LIMIT, "the node to see the hub's heads", || {
        node.replica
            .try_lock()
            .map(|mut replica| replica.sync_status().changes_not_at_hub == 0)
            .unwrap_or(false)
    })
    .await
    .unwrap();
    node.stop().await;
    city.hub.stop().await;
}

async fn nodes_keep_writing_while_the_hub_is_down_and_converge_after_it_returns(
    store: Option<&str>,
) {
    let mut city = city(store).await;
    let a = node(&city, "130903001001", true).await;
    let b = node(&city, "130902004002", true).await;
    wait_until(LIMIT, "both nodes to connect", || {
        connected(&a) && connected(&b)
    })
    .await
    .unwrap();
    let quic = city.hub.quic_addr;
    let http = city.hub.http_addr;
    city.hub.stop().await;
    wait_until(LIMIT, "the nodes to notice", || {
        !connected(&a) && !connected(&b)
    })
    .await
    .unwrap();

    let mut a_heads = Vec::new();
    for i in 0..5 {
        a_heads = add_member(&a, &format!("离线党员{i}")).await;
    }
    let b_heads = add_member(&b, "王芳").await;
    let pending = a.replica.lock().await.sync_status().changes_not_at_hub;
    assert!(
        pending >= 5,
        "the node counts its changes not yet at the hub: {pending}"
    );

    // The hub comes back on the same address; the nodes find it by themselves.
    city.hub = start_hub_on(&city.hub_dir, quic, http, store)
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(30),
        "both communities to converge",
        || {
            hub_has(&city.hub, code("130903001001"), &a_heads)
                && hub_has(&city.hub, code("130902004002"), &b_heads)
        },
    )
    .await
    .unwrap();
    a.stop().await;
    b.stop().await;
    city.hub.stop().await;
}

async fn a_node_killed_mid_sync_converges_after_restart(store: Option<&str>) {
    let city = city(store).await;
    let community = "130903002003";
    let node = node(&city, community, true).await;
    wait_until(LIMIT, "the node to connect", || connected(&node))
        .await
        .unwrap();
    for i in 0..30 {
        add_member(&node, &format!("党员{i}")).await;
    }
    // Killed: the tasks are aborted with no Bye, whatever they were doing.
    drop(node);
    let restarted = start_until_free(&node_dir(&city, community)).await;
    let heads = add_member(&restarted, "重启后").await;
    wait_until(LIMIT, "the restarted node to converge", || {
        hub_has(&city.hub, code(community), &heads)
    })
    .await
    .unwrap();
    restarted.stop().await;
    city.hub.stop().await;
}

/// Starts a node whose previous process was just killed: its data directory's lock
/// is released when the aborted tasks have dropped the replica.
async fn start_until_free(dir: &Path) -> RunningNode {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match start_node(dir, any_port()).await {
            Ok(node) => return node,
            Err(error) if tokio::time::Instant::now() < deadline => {
                tracing::debug!("not yet: {error}");
                tokio::task::yield_now().await;
            }
            Err(error) => panic!("the node does not restart: {error:#}"),
        }
    }
}

async fn an_unknown_key_is_refused_and_the_node_says_what_to_do(store: Option<&str>) {
    let city = city(store).await;
    let node = node(&city, "130903001001", false).await;
    let key = node.replica.lock().await.public_key().to_string();
    let mut problem = String::new();
    wait_until(LIMIT, "the refusal to reach the status bar", || {
        problem = node
            .replica
            .try_lock()
            .ok()
            .and_then(|mut replica| replica.sync_status().hub_problem)
            .unwrap_or_default();
        problem.contains("not enrolled")
    })
    .await
    .unwrap();
    assert!(
        problem.contains(&key),
        "the key to give the operator: {problem}"
    );
    assert!(!connected(&node));
    assert!(
        city.hub
            .hub()
            .heads(DocId::Community(code("130903001001")))
            .unwrap()
            .is_empty(),
        "nothing of the refused node reached the hub"
    );
    node.stop().await;
    city.hub.stop().await;
}

async fn junk_datagrams_and_a_fuzzed_frame_stream_leave_other_nodes_syncing(store: Option<&str>) {
    let city = city(store).await;
    let node = node(&city, "130903001001", true).await;
    wait_until(LIMIT, "the node to connect", || connected(&node))
        .await
        .unwrap();

    // Random UDP datagrams at the hub's port.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for size in [1usize, 20, 1200, 1500, 64, 9] {
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        socket.send_to(&bytes, city.hub.quic_addr).unwrap();
    }

    // A peer that completes the handshake, then sends frames of junk.
    let stranger = KeyPair::from_secret(rand32());
    let options = wishtree_net::EndpointOptions::default();
    let endpoint = wishtree_net::client_endpoint(any_port(), &stranger, &options).unwrap();
    let mut link = wishtree_net::connect(&endpoint, city.hub.quic_addr, &city.hub.key, &options)
        .await
        .unwrap();
    link.write(&[1, 0xff, 0xfe, 0x00, 0x13]).await.unwrap();
    // The hub may already have closed the link over the first frame.
    let _ = link.write(&rand32()).await;
    let answer = tokio::time::timeout(LIMIT, link.read()).await.unwrap();
    assert!(answer.is_err(), "the hub closes a junk stream: {answer:?}");

    // The enrolled node still syncs.
    let heads = add_member(&node, "仍在同步").await;
    wait_until(LIMIT, "the node's change to reach the hub", || {
        hub_has(&city.hub, code("130903001001"), &heads)
    })
    .await
    .unwrap();
    node.stop().await;
    city.hub.stop().await;
}

fn rand32() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

async fn a_node_rotates_its_key_and_the_hub_takes_the_new_one_on_the_old_ones_word(
    store: Option<&str>,
) {
    use clap::Parser;

    let city = city(store).await;
    let community = "130903001001";
    let node = node(&city, community, true).await;
    wait_until(LIMIT, "the node to connect", || connected(&node))
        .await
        .unwrap();
    let before = add_member(&node, "轮换前").await;
    wait_until(LIMIT, "the first change to reach the hub", || {
        hub_has(&city.hub, code(community), &before)
    })
    .await
    .unwrap();
    let old_key = node.replica.lock().await.public_key();
    node.stop().await;

    // The node rotates its key while stopped; the statement is signed by the old key.
    let dir = node_dir(&city, community);
    let mut replica = wishtree_node::replica::Replica::open(&dir).unwrap();
    let rotation = replica.rotate_key(wishtree_node::now()).unwrap();
    let new_key = replica.public_key();
    assert_ne!(new_key, old_key);
    drop(replica);
    let statement = hex::encode(rotation.to_bytes());
    // A statement altered in one place is refused, and the roster stays as it was.
    let mut altered = statement.clone().into_bytes();
    altered[100] = if altered[100] == b'0' { b'1' } else { b'0' };
    let data = city.hub_dir.display().to_string();
    let hub_cli = |statement: &str| {
        let mut line = vec![
            "wishtree-hub",
            "rotate",
            "--data",
            &data,
            "--statement",
            statement,
        ];
        if let Some(store) = store {
            line.extend(["--store", store]);
        }
        wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(line).unwrap())
    };
    assert!(hub_cli(&String::from_utf8(altered).unwrap()).is_err());
    let roster = wishtree_hub::data_dir::open_stores(&city.hub_dir, store)
        .unwrap()
        .store;
    assert_eq!(
        roster.community_key(code(community)).unwrap(),
        Some(old_key)
    );
    hub_cli(&statement).unwrap();
    assert_eq!(
        roster.community_key(code(community)).unwrap(),
        Some(new_key)
    );

    // The node comes back under its new key and syncs; the hub records heads it signed.
    let node = start_node(&dir, any_port()).await.unwrap();
    let after = add_member(&node, "轮换后").await;
    wait_until(
        LIMIT,
        "the hub to take the new key's changes and signed heads",
        || {
            hub_has(&city.hub, code(community), &after)
                && roster
                    .attestation(code(community))
                    .unwrap()
                    .is_some_and(|signed| signed.signer == new_key)
        },
    )
    .await
    .unwrap();
    node.stop().await;
    city.hub.stop().await;
}

/// The hub reads time from the clock it is given, in its sessions and its dashboard
/// alike: a community whose node synced counts as not synced once that clock is 25
/// hours ahead, without waiting a day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_counts_as_not_synced_when_the_hub_clock_is_a_day_ahead() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let viewer = add_city_viewer(&hub_dir, "e2e").unwrap().authorization;
    let ahead_ms = Arc::new(AtomicI64::new(0));
    let mut options = wishtree_hub::run::RunOptions::new(&hub_dir);
    options.quic = any_port();
    options.http = any_port();
    let offset = Arc::clone(&ahead_ms);
    options.hub.clock = wishtree_hub::clock::Clock::new(move || {
        wishtree_protocol::Timestamp::from_millis(
            wishtree_hub::clock::now().as_millis() + offset.load(Ordering::SeqCst),
        )
    });
    let hub = wishtree_hub::run::start(options).await.unwrap();
    let city = City {
        _dir: dir,
        hub_dir,
        store: None,
        hub,
        viewer,
    };
    let community = "130903001001";
    let running = node(&city, community, true).await;
    let url = format!("http://{}/api/communities", city.hub.http_addr);
    let synced = |url: &str| -> Option<bool> {
        api(&city, url)
            .as_array()?
            .iter()
            .find(|status| status["code"] == community)?["is_synced_24h"]
            .as_bool()
    };
    wait_until(LIMIT, "the community to count as synced", || {
        synced(&url) == Some(true)
    })
    .await
    .unwrap();
    // The node stops, so nothing it sends later counts as seen at the new time.
    running.stop().await;

    ahead_ms.store(25 * 60 * 60 * 1000, Ordering::SeqCst);
    assert_eq!(synced(&url), Some(false));
    city.hub.stop().await;
}

async fn a_sealed_half_year_reads_the_same_at_the_hub_and_a_forged_seal_is_flagged(
    store: Option<&str>,
) {
    use wishtree_protocol::HalfYear;
    use wishtree_protocol::command::Command;
    use wishtree_protocol::id::{MemberId, ServiceId};
    use wishtree_protocol::model::PostKind;
    use wishtree_protocol::seal::SignedSeal;
    use wishtree_protocol::text::Detail;

    let city = city(store).await;
    let community = "130903001001";
    let running = node(&city, community, true).await;
    wait_until(LIMIT, "the node to connect", || connected(&running))
        .await
        .unwrap();
    add_member(&running, "李明").await;
    let first_half = HalfYear::new(2026, 1).unwrap();
    let (member, heads) = {
        let mut replica = running.replica.lock().await;
        let member: MemberId = *replica.view().unwrap().members.keys().next().unwrap();
        let now = wishtree_node::now();
        for (date, minutes) in [("2026-03-10", 60), ("2026-04-02", 30)] {
            let service = Command::RecordService {
                id: ServiceId::from_bytes(rand32()[..16].try_into().unwrap()),
                member,
                date: date.parse().unwrap(),
                minutes,
                category: PostKind::Aid,
                item: wishtree_protocol::model::ScoringItem::Other,
                description: Detail::parse("description", "陪老人聊天").unwrap(),
            };
            replica.execute(&service, now).unwrap();
        }
        replica.seal(first_half, now).unwrap();
        // Written after the seal, dated into the sealed half-year.
        let late = Command::RecordService {
            id: ServiceId::from_bytes(rand32()[..16].try_into().unwrap()),
            member,
            date: "2026-05-01".parse().unwrap(),
            minutes: 45,
            category: PostKind::Aid,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "补录：送菜上门").unwrap(),
        };
        replica.execute(&late, now).unwrap();
        // A seal of another half-year signed by a key the roster does not know, as a
        // tampered node would write it.
        let stranger = KeyPair::from_secret(rand32());
        let heads = replica.heads();
        let forged = SignedSeal::sign(
            &stranger,
            code(community),
            HalfYear::new(2025, 2).unwrap(),
            &heads,
            now,
        );
        replica
            .execute(&Command::SealPeriod { seal: forged }, now)
            .unwrap();
        (member, replica.heads())
    };
    wait_until(LIMIT, "the seals to reach the hub", || {
        hub_has(&city.hub, code(community), &heads)
    })
    .await
    .unwrap();

    let at_node = running
        .replica
        .lock()
        .await
        .sealed_report(member, first_half)
        .unwrap();
    let at_hub =
        wishtree_hub::seals::sealed_report(city.hub.hub(), code(community), member, first_half)
            .unwrap();
    assert_eq!(at_hub, at_node, "the hub re-derives the node's report");
    assert_eq!(at_hub.report.totals.service_minutes, 90);
    assert!(at_hub.seal.as_ref().unwrap().verified);
    assert_eq!(at_hub.amendments.len(), 2, "{:?}", at_hub.amendments);

    let forged = wishtree_hub::seals::sealed_report(
        city.hub.hub(),
        code(community),
        member,
        HalfYear::new(2025, 2).unwrap(),
    )
    .unwrap();
    assert!(!forged.seal.unwrap().verified);

    let url = format!("http://{}/api/communities", city.hub.http_addr);
    wait_until(LIMIT, "the hub to flag the forged seal", || {
        api(&city, &url).as_array().is_some_and(|statuses| {
            statuses.iter().any(|status| {
                status["code"] == community && status["seals"] == 2 && status["seals_failed"] == 1
            })
        })
    })
    .await
    .unwrap_or_else(|error| panic!("{error}: {}", api(&city, &url)));
    running.stop().await;
    city.hub.stop().await;
}
