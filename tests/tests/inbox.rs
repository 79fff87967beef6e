//! The inbox end to end over real loopback QUIC: a member's claim appended at the hub
//! while the community's node is stopped is applied when the node comes back, within
//! one sync — in inbox order, a second claim of the same wish refused and told why —
//! and the outcome travels back to the hub in the community's document; a restart of
//! the node applies nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use wishtree_hub::run::RunningHub;
use wishtree_node::api::{self, NewWish};
use wishtree_node::run::RunningNode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{CardId, InboxEntryId, WishId};
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, InboxOutcome};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc};
use wishtree_tests::city::{
    any_port, enrolled_node, hub_holds_node, init_hub, record_member, start_hub, start_node,
    wait_until,
};

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
    let mut replica = node.replica.lock().await;
    let now = wishtree_node::now();
    let body = serde_json::json!({
        "title": "希望有一台微波炉", "detail": "母亲重病，想更快热饭", "kind": "goods",
        "group": "disabled", "resident_label": "行宫社区 彭女士",
    });
    let new = <NewWish as api::Input>::from_json(body, now).unwrap();
    let wish = api::create_wish(&mut replica, new, now).unwrap();
    let id = wish["id"].as_str().unwrap().to_owned();
    api::WISHES
        .act(
            &mut replica,
            &id,
            "publish",
            api::Action {
                by: None,
                note: wishtree_protocol::text::Detail::parse("note", "").unwrap(),
            },
            now,
        )
        .unwrap();
    id.parse().unwrap()
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
