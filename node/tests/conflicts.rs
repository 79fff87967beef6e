//! 冲突待处理 on the node: the node and a copy of its document each accept writes
//! offline (a claim of the same wish, the one seat of a post, points spent from one
//! passbook); once the copy's changes reach the node, the page lists each ineffective
//! fact with what to do and where (contact the claimant, void the entry), the status
//! bar counts them, and `/api/conflicts` answers them; a node without any lists none.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::ui::{assert_no_english, get};
use support::{TestNode, member_body, wish_body};
use wishtree_node::api::{self, Input};
use wishtree_node::replica::Replica;
use wishtree_node::server::Access;
use wishtree_node::store::DocName;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{MemberId, PointsEntryId, PostId, WishId};
use wishtree_protocol::model::{Actor, EventKind};
use wishtree_protocol::text::{Detail, Label};
use wishtree_protocol::{CommunityDoc, Timestamp};

fn id_of<T: std::str::FromStr>(record: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    record["id"].as_str().unwrap().parse().unwrap()
}

/// The writes each side makes while apart: `member` claims the wish and the post's
/// one seat, and 张婷's passbook spends `points`.
fn apart(
    wish: WishId,
    post: PostId,
    member: MemberId,
    zhang: MemberId,
    points: u32,
) -> [Command; 3] {
    let note = || Detail::parse("note", "").unwrap();
    [
        Command::WishEvent {
            id: wish,
            kind: EventKind::Claim,
            by: Actor::Member(member),
            note: note(),
        },
        Command::PostEvent {
            id: post,
            kind: EventKind::Claim,
            by: Actor::Member(member),
            note: note(),
        },
        Command::Redeem {
            id: PointsEntryId::from_bytes([points as u8; 16]),
            member: zhang,
            points,
            reason: Label::parse("reason", "兑换洗衣液").unwrap(),
        },
    ]
}

/// A record written through the API's own operation, as a body would be.
fn create<I: Input>(
    replica: &mut Replica,
    body: Value,
    operation: fn(&mut Replica, I, Timestamp) -> api::ApiResult,
) -> Value {
    let now = wishtree_node::now();
    operation(replica, I::from_json(body, now).unwrap(), now).unwrap()
}

/// A node whose document met a copy that was written apart.
fn node_with_conflicts() -> TestNode {
    TestNode::start_prepared(Access::Open, |replica: &mut Replica| {
        let now = wishtree_node::now();
        let zhang = create(replica, member_body("张婷"), api::create_member);
        let li = create(replica, member_body("李文杰"), api::create_member);
        let wish = create(replica, wish_body("希望有人陪我说说话"), api::create_wish);
        let post = json!({"kind": "aid", "title": "扶弱济困岗", "seats": 1});
        let post = create(replica, post, api::create_post);
        let service = json!({
            "member": zhang["id"], "date": now.date_in_shanghai().to_string(), "minutes": 60,
            "category": "health", "description": "检测点执勤",
        });
        // Earned a minute before anything is spent, so the passbook's order is plain.
        api::create_service(
            replica,
            api::NewService::from_json(service, now).unwrap(),
            now.plus_millis(-60_000),
        )
        .unwrap();
        let (zhang, li, wish, post): (MemberId, MemberId, WishId, PostId) =
            (id_of(&zhang), id_of(&li), id_of(&wish), id_of(&post));
        let publish = Command::WishEvent {
            id: wish,
            kind: EventKind::Publish,
            by: replica.worker().clone(),
            note: Detail::parse("note", "").unwrap(),
        };
        replica.execute(&publish, now).unwrap();

        // The copy: what a second computer (or a restored backup) holds, written apart.
        let mut copy = CommunityDoc::load(&replica.doc().clone().save(), None, [7; 16]).unwrap();
        let worker = replica.worker().clone();
        for command in apart(wish, post, li, zhang, 6) {
            copy.execute(&command, &worker, now).unwrap();
        }
        for command in apart(wish, post, zhang, zhang, 8) {
            replica.execute(&command, now).unwrap();
        }
        replica
            .apply_remote(DocName::Community, &copy.save())
            .unwrap();
    })
}

#[test]
fn the_page_lists_what_the_merge_made_ineffective_with_what_to_do() {
    let node = node_with_conflicts();
    let (status, listed) = node.get("/api/conflicts");
    assert_eq!(status, 200);
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3, "{listed}");
    for kind in ["wish", "post", "overdrawn"] {
        assert!(kinds.contains(&kind), "{kind}: {listed}");
    }

    let page = get(&node, "/conflicts").text();
    assert!(page.contains("已被他人先认领"), "{page}");
    assert!(page.contains("改认领其他心愿"), "{page}");
    assert!(
        page.contains("岗位已满（1 人）") && page.contains("改认领其他岗位"),
        "{page}"
    );
    assert!(
        page.contains("积分被重复支取") && page.contains("作废该条积分记录"),
        "{page}"
    );
    let overdrawn = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "overdrawn")
        .unwrap();
    let void_link = format!(
        "/redemptions/{}#void-form",
        overdrawn["entry"].as_str().unwrap()
    );
    assert!(
        page.contains(&void_link),
        "the action links to the void form: {page}"
    );
    assert!(
        get(&node, &void_link.replace("#void-form", ""))
            .text()
            .contains("id=\"void-form\"")
    );
    assert_no_english(&page);

    // Every page's status bar counts them, linked to the list.
    let home = get(&node, "/").text();
    assert!(
        home.contains("id=\"conflict-count\"") && home.contains("冲突待处理 3 项"),
        "{home}"
    );
}

#[test]
fn a_node_without_conflicts_lists_none_and_counts_nothing() {
    let node = TestNode::start();
    let (status, body) = node.post("/api/members", &member_body("张婷"));
    assert_eq!(status, 201, "{body}");
    let (_, listed) = node.get("/api/conflicts");
    assert_eq!(listed, json!([]));
    let page = get(&node, "/conflicts").text();
    assert!(page.contains("id=\"no-conflicts\""), "{page}");
    assert_no_english(&page);
    assert!(!get(&node, "/").text().contains("conflict-count"));
}
