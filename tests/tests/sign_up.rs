//! Sign-up for an activity from the phone, end to end over real loopback QUIC (issue
//! 12, item 3): the market lists the activities of the city beside the wishes; a member
//! signs up while the community's node is stopped and their page says 待社区确认; the
//! node starts and within one sync the page says 已报名, with nothing credited. Every
//! refusal at the hub — no card session, a body that is not one, an activity of another
//! community, none, one that is over, a second sign-up, a flood from one card — has its
//! own words and appends nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use wishtree_hub::run::RunningHub;
use wishtree_node::api::{self, NewActivity};
use wishtree_node::run::RunningNode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::ActivityId;
use wishtree_protocol::model::AttendanceStage;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, Date};
use wishtree_tests::city::{
    any_port, card_for, enrolled_node, hub_holds_node, init_hub, record_member, start_hub,
    start_node, wait_until,
};
use wishtree_tests::phone::{self, open_session};

const LIMIT: Duration = Duration::from_secs(30);
const HOME: &str = "130903001001";
const OTHER: &str = "130903001002";

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

/// An activity on the node on `date`, of two hours.
async fn activity_on(node: &RunningNode, title: &str, date: Date) -> ActivityId {
    let mut replica = node.replica.lock().await;
    let now = wishtree_node::now();
    let body = json!({
        "title": title, "category": "environment",
        "date": date.to_string(), "minutes": 120, "place": "社区广场",
    });
    let new = <NewActivity as api::Input>::from_json(body, now).unwrap();
    let activity = api::create_activity(&mut replica, new, now).unwrap();
    activity["id"].as_str().unwrap().parse().unwrap()
}

fn at_hub(hub: &RunningHub, community: &str) -> CommunityDoc {
    let held = hub
        .hub()
        .snapshot(DocId::Community(code(community)))
        .unwrap();
    CommunityDoc::from_automerge(held, Some(code(community)), [0; 16]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_made_while_the_node_is_stopped_reads_signed_up_after_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let http = hub.http_addr;
    let home = enrolled_node(&hub, &hub_dir, code(HOME)).await.unwrap();
    let other = enrolled_node(&hub, &hub_dir, code(OTHER)).await.unwrap();
    let li = record_member(&home, "李明").await;
    let wang = record_member(&home, "王芳").await;
    let today = wishtree_node::now().date_in_shanghai();
    let yesterday = Date::from_days(today.to_days() - 1);
    let activity = activity_on(&home, "垃圾分类宣传", today).await;
    let over = activity_on(&home, "上周的义诊", yesterday).await;
    let elsewhere = activity_on(&other, "邻社区的植树活动", today).await;
    let (li_card, wang_card) = (card_for(&home, li).await, card_for(&home, wang).await);
    hub_holds_node(&hub, &home, code(HOME), LIMIT)
        .await
        .unwrap();
    hub_holds_node(&hub, &other, code(OTHER), LIMIT)
        .await
        .unwrap();
    home.stop().await;
    let (li_phone, wang_phone) = (open_session(http, &li_card), open_session(http, &wang_card));

    // The market lists the activities from today on, of the whole city, once the
    // figures worker derived both communities; the one that is over is not offered.
    wait_until(LIMIT, "the market to list both activities", || {
        let page = phone::get(http, Some(&li_phone), "/m/").text();
        page.contains("垃圾分类宣传") && page.contains("邻社区的植树活动")
    })
    .await
    .unwrap();
    let page = phone::get(http, Some(&li_phone), "/m/?offer=activity").text();
    assert!(
        page.contains("我要报名") && !page.contains("上周的义诊"),
        "{page}"
    );
    let posts_only = phone::get(http, None, "/m/?offer=post").text();
    assert!(
        !posts_only.contains("垃圾分类宣传"),
        "the kind filter holds"
    );
    assert_eq!(phone::get(http, None, "/m/?offer=party").status, 400);

    let entries = || hub.hub().inbox_entries(code(HOME)).unwrap().len();
    let sign_up = |cookie: Option<&str>, activity: ActivityId, community: &str| {
        let body = json!({ "activity": activity.to_string(), "community": community });
        phone::post(http, cookie, "/api/market/sign-ups", &body)
    };
    let signed = sign_up(Some(&li_phone), activity, HOME);
    assert_eq!(signed.status, 202, "{}", signed.text());
    assert_eq!(entries(), 1);
    let page = phone::get(http, Some(&li_phone), "/m/card").text();
    assert!(
        page.contains("垃圾分类宣传") && page.contains("待社区确认"),
        "{page}"
    );
    assert!(!page.contains("已报名"), "not before the node applied it");

    // Every refusal: its status, its reason, its own words; nothing appended.
    let refusals = vec![
        ("no_card", 401, sign_up(None, activity, HOME)),
        (
            "bad_request",
            400,
            phone::post(
                http,
                Some(&wang_phone),
                "/api/market/sign-ups",
                &json!({ "activity": 5 }),
            ),
        ),
        (
            "other_community",
            403,
            sign_up(Some(&wang_phone), elsewhere, OTHER),
        ),
        (
            "no_such_activity",
            404,
            sign_up(Some(&wang_phone), ActivityId::from_bytes([7; 16]), HOME),
        ),
        ("activity_over", 409, sign_up(Some(&wang_phone), over, HOME)),
        (
            "already_signed_up",
            409,
            sign_up(Some(&li_phone), activity, HOME),
        ),
    ];
    let mut words = HashSet::new();
    for (reason, status, answer) in &refusals {
        let (given, zh) = phone::refusal(answer, *status);
        assert_eq!(&given, reason, "{}", answer.text());
        assert!(!zh.is_empty() && !zh.is_ascii(), "{reason}: Chinese words");
        words.insert(zh);
    }
    assert_eq!(
        words.len(),
        refusals.len(),
        "each refusal has its own words"
    );
    assert_eq!(entries(), 1, "no refusal appended anything");

    // A flood from one card is limited, with its own words, and appends nothing.
    let flooded = (0..12)
        .map(|_| sign_up(Some(&wang_phone), over, HOME))
        .find(|answer| answer.status == 429)
        .expect("a flood is limited");
    let (reason, zh) = phone::refusal(&flooded, 429);
    assert_eq!(reason, "too_many");
    assert!(zh.contains("报名过于频繁"), "{zh}");
    assert_eq!(entries(), 1);

    // The node comes back: within one sync the member's page says 已报名, and the
    // sign-up is an intention — no hours, no participation counted.
    let node_dir = hub_dir.parent().unwrap().join(HOME);
    let home = start_node(&node_dir, any_port()).await.unwrap();
    wait_until(LIMIT, "the page to say 已报名", || {
        phone::get(http, Some(&li_phone), "/m/card")
            .text()
            .contains("已报名")
    })
    .await
    .unwrap();
    let view = CommunityView::derive(&at_hub(&hub, HOME)).unwrap();
    let held = &view.activities[&activity].participants[&li.to_string()];
    assert_eq!(held.stage, Some(AttendanceStage::SignedUp));
    assert_eq!(view.participations().count(), 0);
    assert_eq!(view.service_minutes(), 0);
    // Signed up now, a second sign-up is refused from the document too.
    let again = sign_up(Some(&li_phone), activity, HOME);
    assert_eq!(phone::refusal(&again, 409).0, "already_signed_up");

    home.stop().await;
    other.stop().await;
    hub.stop().await;
}
