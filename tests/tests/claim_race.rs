//! The three-way race of issue 12, over real loopback QUIC: two members claim the same
//! wish at their district hub while the community's node is offline, and a worker
//! claims it on the offline node meanwhile. When the node comes back, exactly one
//! claimant — the worker's, made first on the node that decides — on the node, on the
//! district hub it syncs with, and on the city hub above it, which runs as a process of
//! its own; the same everywhere; and both members' pages say 未生效（已被他人先认领）.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use clap::Parser;
use serde_json::json;
use wishtree_hub::store::{EnrolledRole, HubStore, StoredDoc};
use wishtree_node::replica::Replica;
use wishtree_protocol::command::Command;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, Outcome};
use wishtree_protocol::model::{Actor, EventKind, InboxOutcome};
use wishtree_protocol::text::Detail;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc};
use wishtree_tests::city::{
    any_port, card_for, hub_holds_node, hub_key, init_hub, init_node, record_member, start_hub,
    start_node, wait_until, wish_on,
};
use wishtree_tests::hub_child::{HubChild, free_udp_port};
use wishtree_tests::phone::{self, open_session};

/// The `wishtree-hub` command line as a binary of this package.
const HUB_PROCESS: &str = env!("CARGO_BIN_EXE_hub-process");
const LIMIT: Duration = Duration::from_secs(60);
const COMMUNITY: &str = "130903001001";

fn community() -> CommunityCode {
    COMMUNITY.parse().unwrap()
}

/// The wish's claim as `doc` derives it: its state, its claimant, and how many claims
/// in its history took effect.
fn claim_of(doc: &CommunityDoc, wish: WishId) -> (ClaimState, Option<Actor>, usize) {
    let view = CommunityView::derive(doc).unwrap();
    let status = &view.wishes[&wish].status;
    let effective = status
        .history
        .iter()
        .filter(|folded| {
            folded.event.kind == EventKind::Claim && folded.outcome == Outcome::Applied
        })
        .count();
    (status.state, status.claimant.clone(), effective)
}

/// The community's document as the city hub process stored it (read from its file).
fn at_city(city_dir: &std::path::Path) -> Option<CommunityDoc> {
    let store = wishtree_hub::data_dir::open_store(city_dir).ok()?;
    let bytes = store.doc_bytes(StoredDoc::Community(community())).ok()??;
    CommunityDoc::load(&bytes, Some(community()), [0; 16]).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_and_an_offline_worker_claim_one_wish_and_every_replica_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let city_dir = dir.path().join("city");
    let district_dir = dir.path().join("yunhe");
    init_hub(&city_dir, "1309").unwrap();
    let city_quic = free_udp_port();
    let city_key = hub_key(&city_dir).unwrap().to_string();
    let district_data = district_dir.display().to_string();
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
    let district = start_hub(&district_dir, any_port(), any_port())
        .await
        .unwrap();
    let node_dir = dir.path().join(COMMUNITY);
    let replica = init_node(
        &node_dir,
        community(),
        "名人社区",
        "张书记",
        district.quic_addr,
        district.key,
    )
    .unwrap();
    {
        let city_store = wishtree_hub::data_dir::open_store(&city_dir).unwrap();
        let now = wishtree_hub::clock::now();
        let scope = "130903".parse().unwrap();
        city_store
            .enroll(
                hub_key(&district_dir).unwrap(),
                EnrolledRole::Hub { scope },
                now,
            )
            .unwrap();
        let role = EnrolledRole::Node {
            community: community(),
        };
        city_store.enroll(replica.public_key(), role, now).unwrap();
    }
    drop(replica);
    let city = HubChild::start(HUB_PROCESS, &city_dir, city_quic, &[]);
    let node = start_node(&node_dir, any_port()).await.unwrap();

    let li = record_member(&node, "李明").await;
    let wang = record_member(&node, "王芳").await;
    let zhang = record_member(&node, "张伟").await;
    let wish = wish_on(&node, "希望有一台微波炉", true).await;
    let cards = [card_for(&node, li).await, card_for(&node, wang).await];
    hub_holds_node(&district, &node, community(), LIMIT)
        .await
        .unwrap();
    let http = district.http_addr;
    let phones = cards.map(|card| open_session(http, &card));
    node.stop().await;

    // Both members claim at the hub while the node is away.
    for cookie in &phones {
        let body = json!({ "wish": wish });
        let answer = phone::post(http, Some(cookie), "/api/market/claims", &body);
        assert_eq!(answer.status, 202, "{}", answer.text());
        let page = phone::get(http, Some(cookie), "/m/card").text();
        assert!(page.contains("待社区确认"), "{page}");
    }

    // Meanwhile the worker records a claim on the offline node.
    {
        let mut replica = Replica::open(&node_dir).unwrap();
        let command = Command::WishEvent {
            id: wish,
            kind: EventKind::Claim,
            by: Actor::Member(zhang),
            note: Detail::parse("note", "电话认领").unwrap(),
        };
        replica.execute(&command, wishtree_node::now()).unwrap();
    }

    // The node comes back: the inbox is applied, both claims refused; the outcome
    // reaches the district hub and, through it, the city hub's process.
    let node = start_node(&node_dir, any_port()).await.unwrap();
    let settled = |doc: &CommunityDoc| {
        doc.entities::<InboxOutcome>()
            .is_ok_and(|(outcomes, _)| outcomes.len() == 2)
    };
    wait_until(LIMIT, "the outcomes at the district hub", || {
        let held = district
            .hub()
            .snapshot(DocId::Community(community()))
            .unwrap();
        CommunityDoc::from_automerge(held, Some(community()), [0; 16])
            .is_ok_and(|doc| settled(&doc))
    })
    .await
    .unwrap();
    wait_until(LIMIT, "the outcomes at the city hub", || {
        at_city(&city_dir).is_some_and(|doc| settled(&doc))
    })
    .await
    .unwrap();

    let expected = (ClaimState::Claimed, Some(Actor::Member(zhang)), 1);
    let on_node = {
        let replica = node.replica.lock().await;
        claim_of(replica.doc(), wish)
    };
    let held = district
        .hub()
        .snapshot(DocId::Community(community()))
        .unwrap();
    let on_district = claim_of(
        &CommunityDoc::from_automerge(held, Some(community()), [0; 16]).unwrap(),
        wish,
    );
    let on_city = claim_of(&at_city(&city_dir).unwrap(), wish);
    assert_eq!(on_node, expected, "the node");
    assert_eq!(on_district, expected, "the district hub");
    assert_eq!(on_city, expected, "the city hub");

    for cookie in &phones {
        let page = phone::get(http, Some(cookie), "/m/card").text();
        assert!(page.contains("未生效（已被他人先认领）"), "{page}");
        assert!(!page.contains("待社区确认"), "{page}");
    }

    node.stop().await;
    district.stop().await;
    city.stop();
}
