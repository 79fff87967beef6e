//! A misbehaving enrolled node (a compromised office PC) floods the hub, over real
//! loopback QUIC: past its community's quota its sync messages are refused with a
//! reason its node shows, the hub's health page flags the community, what the hub had
//! accepted stays, and another community's node keeps syncing meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use wishtree_hub::quota::Quotas;
use wishtree_hub::run::{RunOptions, RunningHub};
use wishtree_node::run::RunningNode;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::frame::DocId;
use wishtree_testkit::http::Request;
use wishtree_testkit::login::log_in;
use wishtree_testkit::socket::send;
use wishtree_tests::city::{
    CityViewer, add_city_viewer, add_member, any_port, enroll_on, hub_key, init_hub, init_node,
    record_member, start_node, wait_until,
};

const LIMIT: Duration = Duration::from_secs(20);

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

struct City {
    dir: tempfile::TempDir,
    hub: RunningHub,
    viewer: CityViewer,
}

async fn city(quotas: Quotas) -> City {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let viewer = add_city_viewer(&hub_dir, "quota").unwrap();
    let mut options = RunOptions::new(&hub_dir);
    options.quic = any_port();
    options.http = any_port();
    options.hub.quotas = quotas;
    let hub = wishtree_hub::run::start(options).await.unwrap();
    City { dir, hub, viewer }
}

async fn node(city: &City, community: &str) -> RunningNode {
    let hub_dir = city.dir.path().join("hub");
    let dir = city.dir.path().join(community);
    let replica = init_node(
        &dir,
        code(community),
        "名人社区",
        "张书记",
        city.hub.quic_addr,
        hub_key(&hub_dir).unwrap(),
    )
    .unwrap();
    enroll_on(&hub_dir, code(community), replica.public_key(), None).unwrap();
    drop(replica);
    start_node(&dir, any_port()).await.unwrap()
}

fn hub_heads(hub: &RunningHub, community: &str) -> Vec<automerge::ChangeHash> {
    let mut heads = hub.hub().heads(DocId::Community(code(community))).unwrap();
    heads.sort();
    heads
}

/// Every change of `accepted` (heads the hub held) is still in the hub's document of
/// `community`: a refusal lost nothing the hub had accepted.
fn assert_kept(hub: &RunningHub, community: &str, accepted: &[automerge::ChangeHash]) {
    let mut held = hub
        .hub()
        .snapshot(DocId::Community(code(community)))
        .unwrap();
    for head in accepted {
        assert!(
            held.get_change_by_hash(head).is_some(),
            "the hub lost {head}, which it had accepted"
        );
    }
}

/// The problem the node's status bar shows, if any.
fn problem(node: &RunningNode) -> String {
    node.replica
        .try_lock()
        .ok()
        .and_then(|mut replica| replica.sync_status().hub_problem)
        .unwrap_or_default()
}

/// Records members on `node` until the hub refuses one past the quota (the node's
/// status shows `words`); returns the hub's heads of the community then.
async fn flood_until_refused(
    city: &City,
    node: &RunningNode,
    community: &str,
    words: &str,
) -> Vec<automerge::ChangeHash> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut written = 0;
    while !problem(node).contains(words) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hub never refused the flood ({written} members written); the node says: {}",
            problem(node)
        );
        record_member(node, &format!("党员{written}")).await;
        written += 1;
        tokio::task::yield_now().await;
    }
    assert!(written > 0);
    hub_heads(&city.hub, community)
}

/// The city viewer's health page.
fn health_page(city: &City) -> String {
    let address = city.hub.http_addr;
    let mut send_one = |request: Request| send(address, &request).unwrap();
    let session = log_in(&mut send_one, &city.viewer.name, &city.viewer.password);
    let page = send(address, &session.on(Request::get("/health"))).unwrap();
    assert_eq!(page.status, 200, "{}", page.text());
    page.text()
}

/// The health page's section of communities refused past their quota.
fn over_quota(page: &str) -> &str {
    page.split_once("<section id=\"over-quota\">")
        .and_then(|(_, rest)| rest.split_once("</section>"))
        .map(|(section, _)| section)
        .unwrap_or_else(|| panic!("no over-quota section: {page}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_flooding_changes_is_refused_past_its_rate_and_others_keep_syncing() {
    // 60 changes an hour: a node that writes hundreds in seconds is past it at once.
    let city = city(Quotas {
        changes_per_minute: 1,
        ..Quotas::DEFAULT
    })
    .await;
    let rogue = node(&city, "130903001001").await;
    let honest = node(&city, "130903001002").await;
    let accepted = flood_until_refused(&city, &rogue, "130903001001", "changes a minute").await;
    assert!(
        !accepted.is_empty(),
        "what came before the bound was accepted"
    );

    // The other community syncs as before.
    let heads = add_member(&honest, "李明").await;
    wait_until(LIMIT, "the honest node's member to reach the hub", || {
        hub_heads(&city.hub, "130903001002") == heads
    })
    .await
    .unwrap();

    // Nothing accepted was lost: the hub's document still holds it, and went no
    // further.
    assert_kept(&city.hub, "130903001001", &accepted);
    let rogue_heads = {
        let mut heads = rogue.replica.lock().await.heads();
        heads.sort();
        heads
    };
    assert_ne!(
        hub_heads(&city.hub, "130903001001"),
        rogue_heads,
        "the flood past the bound stays out"
    );

    let page = health_page(&city);
    let flagged = over_quota(&page);
    assert!(flagged.contains("超出配额、同步被拒的社区"), "{flagged}");
    assert!(
        flagged.contains("data-community=\"130903001001\""),
        "{flagged}"
    );
    assert!(flagged.contains("changes a minute"), "{flagged}");
    assert!(!flagged.contains("130903001002"), "{flagged}");
    let metrics = send(city.hub.http_addr, &Request::get("/metrics")).unwrap();
    assert!(
        metrics.text().contains("wishtree_hub_quota_refusals_total"),
        "{}",
        metrics.text()
    );

    rogue.stop().await;
    honest.stop().await;
    city.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_past_its_size_quota_is_refused_and_keeps_what_it_had() {
    // A new community's document is a few KiB; 40 members take it past 16 KiB.
    let city = city(Quotas {
        document_bytes: 16 * 1024,
        ..Quotas::DEFAULT
    })
    .await;
    let rogue = node(&city, "130903001001").await;
    let accepted = flood_until_refused(&city, &rogue, "130903001001", "over its quota").await;
    let size = city
        .hub
        .hub()
        .store()
        .chunk_stats(wishtree_hub::state::stored(DocId::Community(code(
            "130903001001",
        ))))
        .unwrap()
        .bytes;
    assert!(size <= 16 * 1024, "the stored document is {size} bytes");
    // The refusal loses nothing the hub had accepted. (Its heads may still move: a
    // later, smaller batch of the node's changes that fits within the quota is
    // accepted; the size bound above holds whatever came.)
    assert_kept(&city.hub, "130903001001", &accepted);
    rogue.stop().await;
    city.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_holding_a_change_past_its_bound_is_refused_whole() {
    // 64 bytes: less than any change a node writes (its actor id alone is 16).
    let city = city(Quotas {
        change_bytes: 64,
        ..Quotas::DEFAULT
    })
    .await;
    let rogue = node(&city, "130903001001").await;
    // The first sync brings the node's whole document as one saved chunk. Its changes
    // are measured one by one all the same: the document's size bound counts its
    // compressed bytes, which a long repetitive text would slip through.
    wait_until(LIMIT, "the first sync to be refused", || {
        problem(&rogue).contains("over the hub's bound")
    })
    .await
    .unwrap();
    assert_eq!(hub_heads(&city.hub, "130903001001"), Vec::new());
    let page = health_page(&city);
    let flagged = over_quota(&page);
    assert!(
        flagged.contains("data-community=\"130903001001\""),
        "{flagged}"
    );
    assert!(flagged.contains("per change"), "{flagged}");
    rogue.stop().await;
    city.hub.stop().await;
}
