//! A district hub under the city hub, end to end over loopback QUIC: communities talk
//! only to their district hub, the city hub shows whole-city figures, the district
//! hub admits nodes by the city's signed roster, and a change the district hub
//! authors in a community's name arrives at the city unattested — flagged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use automerge::{ChangeHash, ROOT, transaction::Transactable};
use clap::Parser;
use wishtree_hub::figures;
use wishtree_hub::run::RunningHub;
use wishtree_hub::store::{EnrolledRole, HubStore, StoredDoc};
use wishtree_node::run::RunningNode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::{CommunityCode, RegionPrefix};
use wishtree_tests::city::{
    add_member, any_port, hub_key, init_hub, init_node, restart_hub, start_hub, start_node,
    wait_until,
};

const LIMIT: Duration = Duration::from_secs(30);

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn heads_at(hub: &RunningHub, community: CommunityCode) -> Vec<ChangeHash> {
    let mut heads = hub.hub().heads(DocId::Community(community)).unwrap();
    heads.sort();
    heads
}

fn members_reported(hub: &RunningHub, region: &str) -> u64 {
    let connection = rusqlite_connection(hub);
    let region: RegionPrefix = region.parse().unwrap();
    let filter = figures::Filter {
        region,
        period: figures::Period::all(),
        org: None,
        round: None,
    };
    figures::figures(&connection, &filter, wishtree_node::now())
        .map(|figures| figures.members_reported)
        .unwrap_or(0)
}

fn rusqlite_connection(hub: &RunningHub) -> rusqlite::Connection {
    rusqlite::Connection::open(hub.hub().local().path()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn communities_sync_through_their_district_hub_to_the_city_attested() {
    let dir = tempfile::tempdir().unwrap();
    let city_dir = dir.path().join("city");
    let district_dir = dir.path().join("yunhe");
    init_hub(&city_dir, "1309").unwrap();
    let city = start_hub(&city_dir, any_port(), any_port()).await.unwrap();

    // The district hub of 运河区, under the city hub.
    let district_data = district_dir.display().to_string();
    let city_quic = city.quic_addr.to_string();
    let city_key = city.key.to_string();
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
            &city_quic,
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

    // Two communities of the district; their nodes dial the district hub, and are
    // enrolled at the city hub only.
    let district = start_hub(&district_dir, any_port(), any_port())
        .await
        .unwrap();
    let mut nodes = Vec::new();
    for (community, name) in [("130903001001", "名人社区"), ("130903002003", "隆华社区")] {
        let node_dir = dir.path().join(community);
        let replica = init_node(
            &node_dir,
            code(community),
            name,
            "社区书记",
            district.quic_addr,
            district.key,
        )
        .unwrap();
        city_store
            .enroll(
                replica.public_key(),
                EnrolledRole::Node {
                    community: code(community),
                },
                wishtree_hub::clock::now(),
            )
            .unwrap();
        drop(replica);
        nodes.push((
            code(community),
            start_node(&node_dir, any_port()).await.unwrap(),
        ));
    }

    // The roster reaches the district hub, which then admits the nodes; each node's
    // change travels node → district → city.
    let mut expected = Vec::new();
    for (community, node) in &nodes {
        expected.push((*community, add_member(node, "报到党员").await));
    }
    wait_until(LIMIT, "both communities to reach the city hub", || {
        expected
            .iter()
            .all(|(community, heads)| heads_at(&city, *community) == *heads)
    })
    .await
    .unwrap();
    let district_store = wishtree_hub::data_dir::open_store(&district_dir).unwrap();
    assert!(
        district_store
            .community_key(code("130903001001"))
            .unwrap()
            .is_some(),
        "the district hub holds the city's roster"
    );

    // The city verified each community's own signed heads, end to end.
    wait_until(
        LIMIT,
        "the city to record the communities' signed heads",
        || {
            expected.iter().all(|(community, heads)| {
                city_store
                    .attestation(*community)
                    .unwrap()
                    .is_some_and(|signed| {
                        let mut signed_heads = signed.heads.clone();
                        signed_heads.sort();
                        signed_heads == *heads
                    })
            })
        },
    )
    .await
    .unwrap();
    wait_until(LIMIT, "the city's figures to count both members", || {
        members_reported(&city, "1309") == 2
    })
    .await
    .unwrap();

    // The district hub authors a change in a community's name. It reaches the city,
    // which keeps it and flags the community: not all its changes are attested.
    let victim = code("130903002003");
    let (district_quic, district_http) = (district.quic_addr, district.http_addr);
    district.stop().await;
    let mut forged = automerge::AutoCommit::load(
        &district_store
            .doc_bytes(StoredDoc::Community(victim))
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let before = forged.get_heads();
    forged
        .put(ROOT, "forged_by_district", "伪造的服务记录")
        .unwrap();
    district_store
        .append_chunk(
            StoredDoc::Community(victim),
            &forged.save_after(&before),
            wishtree_hub::clock::now(),
        )
        .unwrap();
    let forged_heads = {
        let mut heads = forged.get_heads();
        heads.sort();
        heads
    };
    let district = restart_hub(&district_dir, district_quic, district_http)
        .await
        .unwrap();
    wait_until(LIMIT, "the forged change to reach the city", || {
        heads_at(&city, victim) == forged_heads
    })
    .await
    .unwrap();
    wait_until(LIMIT, "the city to flag the community", || {
        let connection = rusqlite_connection(&city);
        figures::community_statuses(&connection, &"1309".parse().unwrap(), wishtree_node::now())
            .unwrap()
            .iter()
            .any(|status| status.code == victim && status.attested_changes < status.changes)
    })
    .await
    .unwrap();

    // The city revokes a node's key: the district hub gets the new roster, sends the
    // node away and refuses it, saying why. Its data stays at the city.
    let (revoked, revoked_node) = &nodes[0];
    let revoked_key = revoked_node.replica.lock().await.public_key();
    city_store
        .revoke(&revoked_key, wishtree_hub::clock::now(), "节点电脑丢失")
        .unwrap();
    let mut problem = String::new();
    wait_until(LIMIT, "the revoked node to be refused", || {
        problem = revoked_node
            .replica
            .try_lock()
            .ok()
            .and_then(|mut replica| replica.sync_status().hub_problem)
            .unwrap_or_default();
        problem.contains("revoked")
    })
    .await
    .unwrap();
    assert!(problem.contains("节点电脑丢失"), "{problem}");
    assert!(
        !heads_at(&city, *revoked).is_empty(),
        "its data stays at the city"
    );
    wait_until(
        LIMIT,
        "the city to flag the data the revoked key signed",
        || {
            let connection = rusqlite_connection(&city);
            figures::community_statuses(&connection, &"1309".parse().unwrap(), wishtree_node::now())
                .unwrap()
                .iter()
                .any(|status| {
                    status.code == *revoked && status.signer_revoked && status.changes > 0
                })
        },
    )
    .await
    .unwrap();

    for (_, node) in nodes {
        node.stop().await;
    }
    district.stop().await;
    city.stop().await;
}

/// A city hub and the district hub of 运河区 under it, with the nodes of `communities`
/// syncing through the district hub and enrolled at the city.
struct District {
    city: RunningHub,
    district: RunningHub,
    city_store: wishtree_hub::store::SqliteStore,
    district_store: wishtree_hub::store::SqliteStore,
    district_dir: std::path::PathBuf,
    nodes: Vec<(CommunityCode, RunningNode)>,
}

fn init_district(dir: &std::path::Path, city: &RunningHub) -> std::path::PathBuf {
    let district_dir = dir.join("yunhe");
    let district_data = district_dir.display().to_string();
    let city_quic = city.quic_addr.to_string();
    let city_key = city.key.to_string();
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
            &city_quic,
            "--upstream-key",
            &city_key,
        ])
        .unwrap(),
    )
    .unwrap();
    district_dir
}

async fn start_district(dir: &std::path::Path, communities: &[(&str, &str)]) -> District {
    let city_dir = dir.join("city");
    init_hub(&city_dir, "1309").unwrap();
    let city = start_hub(&city_dir, any_port(), any_port()).await.unwrap();
    let district_dir = init_district(dir, &city);
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
    let district = start_hub(&district_dir, any_port(), any_port())
        .await
        .unwrap();
    let mut nodes = Vec::new();
    for (community, name) in communities {
        let node_dir = dir.join(community);
        let replica = init_node(
            &node_dir,
            code(community),
            name,
            "社区书记",
            district.quic_addr,
            district.key,
        )
        .unwrap();
        city_store
            .enroll(
                replica.public_key(),
                EnrolledRole::Node {
                    community: code(community),
                },
                wishtree_hub::clock::now(),
            )
            .unwrap();
        drop(replica);
        nodes.push((
            code(community),
            start_node(&node_dir, any_port()).await.unwrap(),
        ));
    }
    let district_store = wishtree_hub::data_dir::open_store(&district_dir).unwrap();
    District {
        city,
        district,
        city_store,
        district_store,
        district_dir,
        nodes,
    }
}

fn synced_24h_at(hub: &RunningHub, community: CommunityCode) -> bool {
    figures::community_statuses(
        &rusqlite_connection(hub),
        &"1309".parse().unwrap(),
        wishtree_node::now(),
    )
    .unwrap()
    .iter()
    .any(|status| status.code == community && status.is_synced_24h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_community_does_not_cut_its_district_off_from_the_city() {
    let dir = tempfile::tempdir().unwrap();
    let District {
        city,
        district,
        city_store,
        district_store,
        district_dir,
        nodes,
    } = start_district(
        dir.path(),
        &[("130903001001", "名人社区"), ("130903002003", "隆华社区")],
    )
    .await;
    let (revoked, revoked_node) = &nodes[0];
    let (neighbour, neighbour_node) = &nodes[1];

    // Both communities' changes and signed heads reach the city through the district
    // hub, and the city counts both as synced, though no node dialed it.
    let mut expected = Vec::new();
    for (community, node) in &nodes {
        expected.push((*community, add_member(node, "报到党员").await));
    }
    wait_until(LIMIT, "both communities' signed heads at the city", || {
        expected.iter().all(|(community, heads)| {
            heads_at(&city, *community) == *heads
                && city_store.attestation(*community).unwrap().is_some()
        })
    })
    .await
    .unwrap();
    wait_until(
        LIMIT,
        "the city to count both communities as synced",
        || {
            expected
                .iter()
                .all(|(community, _)| synced_24h_at(&city, *community))
        },
    )
    .await
    .unwrap();
    let region = figures::Filter {
        region: "1309".parse().unwrap(),
        period: figures::Period::all(),
        org: None,
        round: None,
    };
    let totals =
        figures::figures(&rusqlite_connection(&city), &region, wishtree_node::now()).unwrap();
    assert_eq!(
        (totals.communities, totals.communities_synced_24h),
        (2, 2),
        "{totals:?}"
    );

    // The city revokes one community's key; the district hub gets the roster, then
    // restarts holding that community's (now revoked) signed heads.
    let revoked_key = revoked_node.replica.lock().await.public_key();
    let old_heads = city_store.attestation(*revoked).unwrap().unwrap();
    city_store
        .revoke(&revoked_key, wishtree_hub::clock::now(), "节点电脑丢失")
        .unwrap();
    wait_until(LIMIT, "the district hub to learn of the revocation", || {
        district_store
            .enrollment(&revoked_key)
            .unwrap()
            .is_some_and(|enrollment| enrollment.revoked.is_some())
    })
    .await
    .unwrap();
    let (district_quic, district_http) = (district.quic_addr, district.http_addr);
    district.stop().await;
    let sessions_before = city.hub().metrics().sync_sessions_total();
    let district = restart_hub(&district_dir, district_quic, district_http)
        .await
        .unwrap();

    // The neighbour's next change gets through to the city.
    let heads = add_member(neighbour_node, "新报到党员").await;
    wait_until(LIMIT, "the neighbour's new change at the city", || {
        heads_at(&city, *neighbour) == heads
            && city_store
                .attestation(*neighbour)
                .unwrap()
                .is_some_and(|signed| {
                    let mut signed_heads = signed.heads.clone();
                    signed_heads.sort();
                    signed_heads == heads
                })
    })
    .await
    .unwrap();
    // And the district hub keeps one session: in a reconnect loop (about two a second)
    // a second one would open within this window.
    let looped = wait_until(
        Duration::from_secs(3),
        "a second session of the district hub",
        || city.hub().metrics().sync_sessions_total() > sessions_before + 1,
    )
    .await;
    assert!(looped.is_err(), "the district hub reconnects in a loop");
    assert_eq!(
        city.hub().metrics().sync_sessions_total(),
        sessions_before + 1
    );

    // Were a district hub to pass the revoked heads on anyway, the city refuses them
    // alone, saying that the key was revoked (not that none was ever enrolled).
    let mut host = city.hub().host(false);
    let outcome = wishtree_protocol::sync::Host::record_attestation(
        &mut host,
        &district.key,
        old_heads,
        wishtree_hub::clock::now(),
    )
    .unwrap();
    match outcome {
        wishtree_protocol::sync::AttestOutcome::Refused(reason) => {
            assert!(reason.contains("revoked at the city"), "{reason}");
            assert!(reason.contains("节点电脑丢失"), "{reason}");
        }
        other => panic!("the revoked heads were kept: {other:?}"),
    }
    // The revoked community's data stays at the city.
    assert!(!heads_at(&city, *revoked).is_empty());

    for (_, node) in nodes {
        node.stop().await;
    }
    district.stop().await;
    city.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_hub_refuses_to_enroll_a_node_and_names_the_city_command() {
    let dir = tempfile::tempdir().unwrap();
    let city_dir = dir.path().join("city");
    init_hub(&city_dir, "1309").unwrap();
    let city = start_hub(&city_dir, any_port(), any_port()).await.unwrap();
    let district_dir = init_district(dir.path(), &city);
    city.stop().await;

    let key = wishtree_protocol::keys::KeyPair::from_secret([7; 32]).public();
    let district_data = district_dir.display().to_string();
    let key_text = key.to_string();
    let refused = wishtree_hub::cli::run(
        wishtree_hub::cli::Cli::try_parse_from([
            "wishtree-hub",
            "enroll",
            "--data",
            &district_data,
            "--community",
            "130903001001",
            "--key",
            &key_text,
        ])
        .unwrap(),
    )
    .expect_err("a district hub enrolls no nodes");
    let message = format!("{refused:#}");
    assert!(
        message.contains(&format!(
            "wishtree-hub enroll --data CITY_DIR --community 130903001001 --key {key}"
        )),
        "{message}"
    );
    let district_store = wishtree_hub::data_dir::open_store(&district_dir).unwrap();
    assert!(
        district_store.enrollment(&key).unwrap().is_none(),
        "no stray entry in the district's roster"
    );

    // Revoking or rotating a node's key is the city's roster's business too.
    for args in [
        vec!["revoke", "--community", "130903001001", "--reason", "lost"],
        vec!["rotate", "--statement", "00"],
    ] {
        let mut line = vec!["wishtree-hub", args[0], "--data", &district_data];
        line.extend(&args[1..]);
        let refused = wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(line).unwrap())
            .expect_err("a district hub changes no node's key");
        let message = format!("{refused:#}");
        assert!(
            message.contains(&format!("wishtree-hub {} --data CITY_DIR", args[0])),
            "{message}"
        );
    }
}
