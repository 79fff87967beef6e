//! Attendance and claims from phones, end to end over real loopback QUIC (issue 12,
//! items 5 and 7): a member checks in and out at the hub with codes the node signed,
//! and the node credits the minutes between the two codes; a member of another
//! community claims a wish from the market and the node records them as an outside
//! member; and every refusal — no card session, a malformed, replayed, expired, forged
//! or other community's code, a second check-in, a check-out without check-in, a claim
//! of a wish that is not published, a flood of claims or check-ins from one card — has
//! its own words, and appends nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use wishtree_hub::run::RunningHub;
use wishtree_node::api::{self, NewActivity};
use wishtree_node::run::RunningNode;
use wishtree_protocol::checkin::CheckInCode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{ActivityId, CheckInCodeId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, InboxOutcome};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};
use wishtree_tests::city::{
    any_port, card_for, enrolled_node, hub_holds_node, init_hub, record_member, start_hub,
    wait_until, wish_on,
};
use wishtree_tests::phone::{self, open_session};

const LIMIT: Duration = Duration::from_secs(30);
const HOME: &str = "130903001001";
const OTHER: &str = "130903001002";
const MINUTE: i64 = 60 * 1000;

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn at_hub(hub: &RunningHub, community: &str) -> CommunityDoc {
    let held = hub
        .hub()
        .snapshot(DocId::Community(code(community)))
        .unwrap();
    CommunityDoc::from_automerge(held, Some(code(community)), [0; 16]).unwrap()
}

/// An activity on the node, today, of two hours.
async fn activity_today(node: &RunningNode) -> ActivityId {
    let mut replica = node.replica.lock().await;
    let now = wishtree_node::now();
    let body = json!({
        "title": "垃圾分类宣传", "category": "environment",
        "date": now.date_in_shanghai().to_string(), "minutes": 120, "place": "社区广场",
    });
    let new = <NewActivity as api::Input>::from_json(body, now).unwrap();
    let activity = api::create_activity(&mut replica, new, now).unwrap();
    activity["id"].as_str().unwrap().parse().unwrap()
}

/// A check-in code for `activity`, as the node with `key` shows it at `issued`.
fn code_at(key: &KeyPair, community: &str, activity: ActivityId, issued: Timestamp) -> String {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).unwrap();
    CheckInCode::issue(
        key,
        code(community),
        activity,
        CheckInCodeId::from_bytes(id),
        issued,
    )
    .to_text()
}

async fn node_key(node: &RunningNode) -> KeyPair {
    KeyPair::from_secret(node.replica.lock().await.key_pair().secret())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_credit_what_the_node_saw_and_every_refusal_has_its_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let http = hub.http_addr;
    let home = enrolled_node(&hub, &hub_dir, code(HOME)).await.unwrap();
    let other = enrolled_node(&hub, &hub_dir, code(OTHER)).await.unwrap();
    let li = record_member(&home, "李明").await;
    let wang = record_member(&home, "王芳").await;
    let zhao = record_member(&other, "赵强").await;
    let activity = activity_today(&home).await;
    let elsewhere = activity_today(&other).await;
    let open_wish = wish_on(&home, "希望有一台轮椅", true).await;
    let unpublished = wish_on(&home, "想学用智能手机", false).await;
    let cards = [
        card_for(&home, li).await,
        card_for(&home, wang).await,
        card_for(&other, zhao).await,
    ];
    hub_holds_node(&hub, &home, code(HOME), LIMIT)
        .await
        .unwrap();
    hub_holds_node(&hub, &other, code(OTHER), LIMIT)
        .await
        .unwrap();
    let [li_phone, wang_phone, zhao_phone] = cards.map(|card| open_session(http, &card));
    let (home_key, other_key) = (node_key(&home).await, node_key(&other).await);
    let entries = || hub.hub().inbox_entries(code(HOME)).unwrap().len();
    let check_in = |cookie: Option<&str>, code: &str, direction: &str| {
        let body = json!({ "code": code, "direction": direction });
        phone::post(http, cookie, "/api/market/checkins", &body)
    };

    // The member checks in with the code the node shows now.
    let shown = {
        let mut replica = home.replica.lock().await;
        api::check_in_code(&mut replica, &activity.to_string(), wishtree_node::now()).unwrap()
    };
    let shown = shown["code"].as_str().unwrap().to_owned();
    let arrived = check_in(Some(&li_phone), &shown, "in");
    assert_eq!(arrived.status, 202, "{}", arrived.text());
    assert_eq!(entries(), 1);

    // Every refusal: its status, its reason, its own words; nothing appended.
    let now = wishtree_node::now();
    let stranger = KeyPair::from_secret([42; 32]);
    let refusals: Vec<(&str, u16, wishtree_testkit::http::Answer)> = vec![
        ("no_card", 401, check_in(None, &shown, "in")),
        (
            "malformed_code",
            400,
            check_in(Some(&li_phone), "不是签到码", "in"),
        ),
        (
            "replayed_code",
            409,
            check_in(Some(&li_phone), &shown, "in"),
        ),
        (
            "already_checked_in",
            409,
            check_in(
                Some(&li_phone),
                &code_at(&home_key, HOME, activity, now),
                "in",
            ),
        ),
        (
            "expired_code",
            410,
            check_in(
                Some(&li_phone),
                &code_at(&home_key, HOME, activity, now.plus_millis(-10 * MINUTE)),
                "out",
            ),
        ),
        (
            "forged_code",
            403,
            check_in(
                Some(&li_phone),
                &code_at(&stranger, HOME, activity, now),
                "out",
            ),
        ),
        (
            "other_community",
            403,
            check_in(
                Some(&li_phone),
                &code_at(&other_key, OTHER, elsewhere, now),
                "in",
            ),
        ),
        (
            "not_checked_in",
            409,
            check_in(
                Some(&wang_phone),
                &code_at(&home_key, HOME, activity, now),
                "out",
            ),
        ),
        (
            "not_published",
            409,
            phone::post(
                http,
                Some(&wang_phone),
                "/api/market/claims",
                &json!({ "wish": unpublished, "community": HOME }),
            ),
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

    // Checked out with the code the node shows 45 minutes on (signed by its key, its
    // clock): the node credits 45 minutes.
    let later = code_at(&home_key, HOME, activity, now.plus_millis(45 * MINUTE));
    let left = check_in(Some(&li_phone), &later, "out");
    assert_eq!(left.status, 202, "{}", left.text());

    // A member of the other community claims the home community's wish.
    let claimed = phone::post(
        http,
        Some(&zhao_phone),
        "/api/market/claims",
        &json!({ "wish": open_wish, "community": HOME }),
    );
    assert_eq!(claimed.status, 202, "{}", claimed.text());
    assert_eq!(entries(), 3);

    // The node applies all three; the outcomes come back to the hub.
    wait_until(LIMIT, "the three outcomes to reach the hub", || {
        at_hub(&hub, HOME)
            .entities::<InboxOutcome>()
            .unwrap()
            .0
            .len()
            == 3
    })
    .await
    .unwrap();
    let doc = at_hub(&hub, HOME);
    let (outcomes, _) = doc.entities::<InboxOutcome>().unwrap();
    assert!(
        outcomes.iter().all(|(_, outcome)| outcome.applied),
        "{outcomes:?}"
    );
    let view = CommunityView::derive(&doc).unwrap();
    let minutes: Vec<u32> = view
        .counted_services()
        .filter(|(_, service)| service.member == li)
        .map(|(_, service)| service.minutes)
        .collect();
    assert_eq!(minutes, vec![45], "the minutes the node saw");
    assert_eq!(view.participations().count(), 1);
    assert_eq!(
        view.wishes[&open_wish].status.claimant,
        Some(Actor::Outside(code(OTHER), zhao)),
        "an outside member, by home community and id"
    );

    // A flood from one card is refused, with its own words, and appends nothing.
    for (path, body, words) in [
        (
            "/api/market/claims",
            json!({ "wish": unpublished }),
            "认领过于频繁",
        ),
        (
            "/api/market/checkins",
            json!({ "code": "x", "direction": "in" }),
            "签到过于频繁",
        ),
    ] {
        let before = entries();
        let flooded = (0..12)
            .map(|_| phone::post(http, Some(&wang_phone), path, &body))
            .find(|answer| answer.status == 429)
            .unwrap_or_else(|| panic!("{path}: a flood is limited"));
        let (reason, zh) = phone::refusal(&flooded, 429);
        assert_eq!(reason, "too_many");
        assert!(zh.contains(words), "{zh}");
        assert_eq!(entries(), before);
    }
    let page = phone::get(http, Some(&li_phone), "/m/checkin").text();
    assert!(page.contains("签到") && page.contains("签退") && page.contains("zh-CN"));

    home.stop().await;
    other.stop().await;
    hub.stop().await;
}
