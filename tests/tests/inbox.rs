//! The inbox end to end over real loopback QUIC: a member's claim appended at the hub
//! while the community's node is stopped is applied when the node comes back, within
//! one sync — in inbox order, a second claim of the same wish refused and told why —
//! and the outcome travels back to the hub in the community's document; a restart of
//! the node applies nothing twice. A claim of another community's wish shows on the
//! member's page of their home community, 待社区确认 then 已认领.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use wishtree_hub::run::RunningHub;
use wishtree_node::run::RunningNode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{CardId, InboxEntryId, WishId};
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, InboxOutcome};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc};
use wishtree_tests::city::{
    any_port, card_for, enrolled_node, hub_holds_node, init_hub, record_member, start_hub,
    start_node, wait_until, wish_on,
};
use wishtree_tests::phone::open_session;

const LIMIT: Duration = Duration::from_secs(20);

fn code() -> CommunityCode {
    "130903001001".parse().unwrap()
}

fn rand16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// The community's document as the hub holds it.
fn at_hub(hub: &RunningHub) -> CommunityDoc {
    let held = hub.hub().snapshot(DocId::Community(code())).unwrap();
    CommunityDoc::from_automerge(held, Some(code()), [0; 16]).unwrap()
}

/// A published wish on the node.
async fn published_wish(node: &RunningNode) -> WishId {
    wish_on(node, "希望有一台微波炉", true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_made_while_the_node_is_stopped_is_applied_within_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let node = enrolled_node(&hub, &hub_dir, code()).await.unwrap();
    let first = record_member(&node, "李明").await;
    let second = record_member(&node, "王芳").await;
    let wish = published_wish(&node).await;
    hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
    node.stop().await;

    // Two members claim the same wish at the hub while the node is away.
    let claim = |member| InboxRequest::Claim {
        wish,
        member,
        card: CardId::from_bytes(rand16()),
        home: code(),
    };
    let now = wishtree_node::now();
    let winner = hub
        .hub()
        .append_inbox(
            code(),
            InboxEntryId::from_bytes(rand16()),
            claim(first),
            now,
        )
        .unwrap();
    let loser = hub
        .hub()
        .append_inbox(
            code(),
            InboxEntryId::from_bytes(rand16()),
            claim(second),
            now,
        )
        .unwrap();
    assert_eq!(hub.hub().inbox_entries(code()).unwrap().len(), 2);

    // The node comes back: one sync brings the inbox, the node applies it and its
    // document carries the outcomes back.
    let node_dir = hub_dir.parent().unwrap().join(code().to_string());
    let node = start_node(&node_dir, any_port()).await.unwrap();
    wait_until(LIMIT, "the outcomes to reach the hub", || {
        at_hub(&hub).entities::<InboxOutcome>().unwrap().0.len() == 2
    })
    .await
    .unwrap();
    let doc = at_hub(&hub);
    let outcome = |id| doc.entity::<InboxOutcome>(id).unwrap().unwrap();
    assert!(outcome(winner.id).applied);
    assert_eq!(outcome(winner.id).seq, 0);
    let refused = outcome(loser.id);
    assert!(!refused.applied);
    assert_eq!(refused.seq, 1);
    assert!(!refused.reason.is_empty());
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.wishes[&wish].status.state, ClaimState::Claimed);
    assert_eq!(
        view.wishes[&wish].status.claimant,
        Some(Actor::Member(first))
    );

    // A restart applies nothing twice.
    let heads = node.replica.lock().await.heads();
    node.stop().await;
    let node = start_node(&node_dir, any_port()).await.unwrap();
    assert_eq!(node.replica.lock().await.heads(), heads);
    node.stop().await;
    hub.stop().await;
}

/// The phone's request to `path` at the hub, with the card session `cookie` if any.
fn phone(
    hub: &RunningHub,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    cookie: Option<&str>,
) -> wishtree_testkit::http::Answer {
    let address = hub.http_addr;
    let mut request = match body {
        Some(body) => wishtree_testkit::http::Request::json(method, path, body)
            .header("Origin", &format!("http://{address}")),
        None => wishtree_testkit::http::Request::new(method, path),
    }
    .header("Host", &address.to_string());
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    wishtree_testkit::socket::send(address, &request).unwrap()
}

/// Issue 12, item 3: a member with a card claims a wish from the market while the node
/// is stopped; the page says 待社区确认; the node starts and within one sync the page
/// says 已认领. The market shows nothing personal and filters; claims without a card
/// or of a wish not open are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_from_the_phone_while_the_node_is_stopped_reads_claimed_after_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let node = enrolled_node(&hub, &hub_dir, code()).await.unwrap();
    let member = record_member(&node, "李明").await;
    let other = record_member(&node, "王芳").await;
    let wish = published_wish(&node).await;
    let (card, other_card) = (card_for(&node, member).await, card_for(&node, other).await);
    hub_holds_node(&hub, &node, code(), LIMIT).await.unwrap();
    node.stop().await;

    let (cookie, other_cookie) = (
        open_session(hub.http_addr, &card),
        open_session(hub.http_addr, &other_card),
    );

    // The market lists the wish, filtered, with nothing but what the city may see,
    // once the figures worker has derived the community (within a second).
    wait_until(LIMIT, "the market to list the wish", || {
        phone(&hub, "GET", "/api/market/wishes", None, None)
            .json()
            .as_array()
            .is_some_and(|listed| listed.len() == 1)
    })
    .await
    .unwrap();
    let market = phone(
        &hub,
        "GET",
        "/api/market/wishes?region=130903&group=disabled",
        None,
        None,
    );
    assert_eq!(market.status, 200, "{}", market.text());
    let listed = market.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["resident_label"], "行宫社区 彭女士");
    assert!(!listed.to_string().contains("母亲重病"), "no detail");
    let none = phone(&hub, "GET", "/api/market/wishes?kind=service", None, None).json();
    assert_eq!(none.as_array().unwrap().len(), 0);
    assert_eq!(
        phone(&hub, "GET", "/api/market/wishes?group=nobody", None, None).status,
        400
    );
    let page = phone(&hub, "GET", "/m/", None, Some(&cookie)).text();
    assert!(page.contains("希望有一台微波炉") && page.contains("我来认领"));

    // Claims: without a card, of no wish, then the real one (twice: one entry).
    let claim = serde_json::json!({ "wish": wish.to_string() });
    assert_eq!(
        phone(&hub, "POST", "/api/market/claims", Some(&claim), None).status,
        401
    );
    let unknown = serde_json::json!({ "wish": "0".repeat(32) });
    assert_eq!(
        phone(
            &hub,
            "POST",
            "/api/market/claims",
            Some(&unknown),
            Some(&cookie)
        )
        .status,
        404
    );
    let accepted = phone(
        &hub,
        "POST",
        "/api/market/claims",
        Some(&claim),
        Some(&cookie),
    );
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let again = phone(
        &hub,
        "POST",
        "/api/market/claims",
        Some(&claim),
        Some(&cookie),
    );
    assert_eq!(again.json()["entry"], accepted.json()["entry"], "one entry");
    assert_eq!(hub.hub().inbox_entries(code()).unwrap().len(), 1);
    // A second member claims the same wish meanwhile: pending too, until the node decides.
    let second = phone(
        &hub,
        "POST",
        "/api/market/claims",
        Some(&claim),
        Some(&other_cookie),
    );
    assert_eq!(second.status, 202, "{}", second.text());
    let page = phone(&hub, "GET", "/m/card", None, Some(&cookie)).text();
    assert!(page.contains("待社区确认"), "{page}");
    assert!(
        !page.contains("已认领"),
        "nothing says claimed before the node applied it"
    );

    // The node comes back: within one sync the member's page says 已认领.
    let node_dir = hub_dir.parent().unwrap().join(code().to_string());
    let node = start_node(&node_dir, any_port()).await.unwrap();
    wait_until(LIMIT, "the page to say 已认领", || {
        phone(&hub, "GET", "/m/card", None, Some(&cookie))
            .text()
            .contains("已认领")
    })
    .await
    .unwrap();
    // The one who came second is told why, in the same sync.
    let page = phone(&hub, "GET", "/m/card", None, Some(&other_cookie)).text();
    assert!(page.contains("未生效（已被他人先认领）"), "{page}");
    // The wish leaves the market, and a second claim of it is refused.
    wait_until(LIMIT, "the wish to leave the market", || {
        phone(&hub, "GET", "/api/market/wishes", None, None)
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    })
    .await
    .unwrap();
    let late = phone(
        &hub,
        "POST",
        "/api/market/claims",
        Some(&claim),
        Some(&cookie),
    );
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.json()["reason"], "not_published");
    node.stop().await;
    hub.stop().await;
}

/// Issue 12, item 6: a member of community A claims community B's wish from the market
/// while B's node is stopped; A's member page lists the claim as 待社区确认 (the entry is
/// in B's inbox, not A's); B's node starts and within one sync A's page says 已认领.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_in_another_community_shows_on_the_member_s_page_until_it_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let other: CommunityCode = "130903001002".parse().unwrap();
    let home = enrolled_node(&hub, &hub_dir, code()).await.unwrap();
    let away = enrolled_node(&hub, &hub_dir, other).await.unwrap();
    let member = record_member(&home, "李明").await;
    let wish = wish_on(&away, "希望有人陪老人聊天", true).await;
    let card = card_for(&home, member).await;
    hub_holds_node(&hub, &home, code(), LIMIT).await.unwrap();
    hub_holds_node(&hub, &away, other, LIMIT).await.unwrap();
    away.stop().await;
    let cookie = open_session(hub.http_addr, &card);

    let claim = serde_json::json!({ "wish": wish.to_string(), "community": other.to_string() });
    let accepted = phone(
        &hub,
        "POST",
        "/api/market/claims",
        Some(&claim),
        Some(&cookie),
    );
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    assert_eq!(hub.hub().inbox_entries(other).unwrap().len(), 1);
    assert!(hub.hub().inbox_entries(code()).unwrap().is_empty());
    let page = phone(&hub, "GET", "/m/card", None, Some(&cookie)).text();
    assert!(
        page.contains("希望有人陪老人聊天") && page.contains("待社区确认"),
        "{page}"
    );
    assert!(!page.contains("已认领"), "not before B's node applied it");

    let away_dir = hub_dir.parent().unwrap().join(other.to_string());
    let away = start_node(&away_dir, any_port()).await.unwrap();
    wait_until(LIMIT, "A's member page to say 已认领", || {
        phone(&hub, "GET", "/m/card", None, Some(&cookie))
            .text()
            .contains("已认领")
    })
    .await
    .unwrap();
    let held = hub.hub().snapshot(DocId::Community(other)).unwrap();
    let view =
        CommunityView::derive(&CommunityDoc::from_automerge(held, Some(other), [0; 16]).unwrap())
            .unwrap();
    assert_eq!(
        view.wishes[&wish].status.claimant,
        Some(Actor::Outside(code(), member))
    );
    away.stop().await;
    home.stop().await;
    hub.stop().await;
}
