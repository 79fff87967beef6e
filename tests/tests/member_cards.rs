//! Member cards end to end over real loopback QUIC: a node issues a card, the card
//! reaches the hub with the next sync, a phone exchanges it at `/api/card-session` for a
//! card session and reads the member's own pages at `/m/card`; every refusal (forged,
//! wrong community key, expired, bad secret, unknown community, malformed, revoked) has
//! its own reason and words; a revocation synced in refuses the open session at its
//! next request; failures are limited per card and per address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use wishtree_hub::run::RunningHub;
use wishtree_node::api::{self, CardRevocation, NewCard};
use wishtree_node::run::RunningNode;
use wishtree_protocol::card::{CardSecret, MemberCard};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{CardId, ServiceId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{PostKind, ScoringItem};
use wishtree_protocol::text::Detail;
use wishtree_protocol::text::Label;
use wishtree_protocol::{CommunityCode, Timestamp};
use wishtree_testkit::http::Answer;
use wishtree_tests::city::{
    any_port, enrolled_node, hub_holds_node, init_hub, record_member, start_hub, wait_until,
};
use wishtree_tests::phone::{self, exchange, refusal as refused};

const LIMIT: Duration = Duration::from_secs(20);
const HOME: &str = "130903001001";
const OTHER: &str = "130903001002";

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

async fn node(hub: &RunningHub, hub_dir: &std::path::Path, community: &str) -> RunningNode {
    enrolled_node(hub, hub_dir, code(community)).await.unwrap()
}

async fn synced(hub: &RunningHub, node: &RunningNode, community: &str) {
    hub_holds_node(hub, node, code(community), LIMIT)
        .await
        .unwrap();
}

fn rand16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

fn card_page(hub: SocketAddr, cookie: Option<&str>) -> Answer {
    phone::get(hub, cookie, "/m/card")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_opens_the_members_pages_until_a_synced_revocation_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let http = hub.http_addr;
    let home = node(&hub, &hub_dir, HOME).await;
    let other = node(&hub, &hub_dir, OTHER).await;

    let member = record_member(&home, "李明").await;
    // Points for the rankings: 李明 10, a neighbour 30, a member of the next community
    // (same street) 60. The card shows 李明 his own places only.
    let neighbour = record_member(&home, "王芳").await;
    let elsewhere = record_member(&other, "赵强").await;
    for (node, who, minutes) in [
        (&home, member, 60),
        (&home, neighbour, 180),
        (&other, elsewhere, 360),
    ] {
        let mut replica = node.replica.lock().await;
        let command = Command::RecordService {
            id: ServiceId::from_bytes(rand16()),
            member: who,
            date: wishtree_node::now().date_in_shanghai(),
            minutes,
            category: PostKind::Aid,
            item: ScoringItem::Other,
            description: Detail::parse("description", "入户走访").unwrap(),
        };
        replica.execute(&command, wishtree_node::now()).unwrap();
    }
    synced(&hub, &other, OTHER).await;
    let card = {
        let mut replica = home.replica.lock().await;
        let new = NewCard { valid_days: 730 };
        api::issue_card(&mut replica, &member.to_string(), new, wishtree_node::now()).unwrap()
    };
    let text = card["text"].as_str().unwrap().to_owned();

    // Before the card's record reaches the hub, the hub has none to check it against.
    // (Whether the sync already ran is a race; either answer is the right one.)
    let early = exchange(http, &text);
    if early.status != 200 {
        assert_eq!(refused(&early, 403).0, "not_recorded");
    }
    synced(&hub, &home, HOME).await;

    let opened = exchange(http, &text);
    assert_eq!(opened.status, 200, "{}", opened.text());
    let set_cookie = opened.header("set-cookie").unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = card_page(http, Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.text();
    assert!(page.contains("李明") && page.contains("积分余额") && page.contains("半年报告"));
    // The points ranking: once the figures worker has derived both communities, the
    // page gives 李明's place in his community, street and city, and no other name.
    let ranked = |page: &str| page.contains("id=\"rank-city\">3 / 3<");
    wait_until(LIMIT, "the member's points standing", || {
        ranked(&card_page(http, Some(&cookie)).text())
    })
    .await
    .unwrap();
    let page = card_page(http, Some(&cookie)).text();
    assert!(page.contains("id=\"rank-community\">2 / 2<"), "{page}");
    assert!(page.contains("id=\"rank-street\">3 / 3<"), "{page}");
    assert!(page.contains("id=\"rank-points\">10<"), "{page}");
    assert!(!page.contains("王芳") && !page.contains("赵强"), "{page}");
    assert!(page.contains("lang=\"zh-CN\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no outside asset"
    );
    // Without a session: the opener, which asks for the card's QR code.
    let opener = card_page(http, None).text();
    assert!(opener.contains("扫描") && opener.contains("/api/card-session"));
    // A cookie the hub did not sign opens nothing.
    let forged_cookie = cookie.replacen("wishtree_card=", "wishtree_card=A", 1);
    assert!(
        !card_page(http, Some(&forged_cookie))
            .text()
            .contains("李明")
    );

    // Every refusal, each with its reason and its own words.
    let mut words = std::collections::HashSet::new();
    let (home_key, other_key) = {
        let home = home.replica.lock().await;
        let other = other.replica.lock().await;
        (
            KeyPair::from_secret(home.key_pair().secret()),
            KeyPair::from_secret(other.key_pair().secret()),
        )
    };
    let now = wishtree_node::now();
    let year = now.plus_millis(365 * 24 * 3600 * 1000);
    let sign = |key: &KeyPair, community: &str, card: CardId, expires: Timestamp| {
        MemberCard::issue(
            key,
            code(community),
            member,
            card,
            now,
            expires,
            CardSecret::from_bytes(rand16()),
        )
        .to_text()
    };
    // A second card of the member's: the refusals that need a recorded card use it, so
    // that the first card's own count of failures starts at the revocation below.
    let second = {
        let mut replica = home.replica.lock().await;
        let new = NewCard { valid_days: 730 };
        api::issue_card(&mut replica, &member.to_string(), new, wishtree_node::now()).unwrap()
    };
    synced(&hub, &home, HOME).await;
    let second = MemberCard::from_text(second["text"].as_str().unwrap()).unwrap();
    // A later expiry typed into the text under the genuine signature.
    let mut altered = second.clone();
    altered.statement.expires = year;
    let forged = altered.to_text();
    let cases = [
        ("malformed", "这不是会员卡".to_owned(), 400),
        ("bad_signature", forged, 403),
        (
            "wrong_key",
            sign(&other_key, HOME, CardId::from_bytes(rand16()), year),
            403,
        ),
        (
            "expired",
            sign(
                &home_key,
                HOME,
                CardId::from_bytes(rand16()),
                now.plus_millis(-1000),
            ),
            403,
        ),
        (
            "bad_secret",
            sign(&home_key, HOME, second.statement.card, year),
            403,
        ),
        (
            "unknown_community",
            sign(
                &home_key,
                "130903009999",
                CardId::from_bytes(rand16()),
                year,
            ),
            403,
        ),
        (
            "not_recorded",
            sign(&home_key, HOME, CardId::from_bytes(rand16()), year),
            403,
        ),
    ];
    for (reason, card, status) in &cases {
        let answer = exchange(http, card);
        let (given, zh) = refused(&answer, *status);
        assert_eq!(&given, reason, "{}", answer.text());
        assert!(
            answer.header("set-cookie").is_none(),
            "{reason}: no session"
        );
        words.insert(zh);
    }
    assert_eq!(words.len(), cases.len(), "each refusal has its own words");

    // The node revokes; the next sync brings it; the open session is refused at once.
    let card_id = card["id"].as_str().unwrap().to_owned();
    {
        let mut replica = home.replica.lock().await;
        let reason = Label::parse("reason", "手机丢失").unwrap();
        api::revoke_card(
            &mut replica,
            &card_id,
            CardRevocation { reason },
            wishtree_node::now(),
        )
        .unwrap();
    }
    synced(&hub, &home, HOME).await;
    let page = card_page(http, Some(&cookie));
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(page.text().contains("吊销") && page.text().contains("手机丢失"));
    assert!(!page.text().contains("积分余额"));
    assert!(
        page.header("set-cookie").unwrap().contains("Max-Age=0"),
        "the phone drops the session"
    );
    let (reason, zh) = refused(&exchange(http, &text), 403);
    assert_eq!(reason, "revoked");
    assert!(zh.contains("手机丢失"));

    // Per card: the first card failed once or twice by now (revoked, and the early try
    // if it came before the sync); five failures of one card block it.
    for _ in 0..4 {
        let _ = exchange(http, &text);
    }
    assert_eq!(refused(&exchange(http, &text), 429).0, "throttled");
    // Per address: twenty failures from one address block every card from it.
    for n in 0..20 {
        let _ = exchange(http, &format!("junk{n}"));
    }
    let fresh = {
        let mut replica = home.replica.lock().await;
        let new = NewCard { valid_days: 30 };
        api::issue_card(&mut replica, &member.to_string(), new, wishtree_node::now()).unwrap()
    };
    synced(&hub, &home, HOME).await;
    let (reason, zh) = refused(&exchange(http, fresh["text"].as_str().unwrap()), 429);
    assert_eq!(reason, "throttled");
    assert!(zh.contains("15 分钟"));

    home.stop().await;
    other.stop().await;
    hub.stop().await;
}

/// A phone (Chromium at 360 px) opens the card's link, claims a wish from the market
/// and checks in to a running activity: `tests/js/browser-card.mjs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_opens_its_card_link_in_chromium() {
    if !wishtree_testkit::browser::available("phone card browser test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let home = node(&hub, &hub_dir, HOME).await;
    let member = record_member(&home, "李明").await;
    let card = {
        let mut replica = home.replica.lock().await;
        let new = NewCard { valid_days: 730 };
        api::issue_card(&mut replica, &member.to_string(), new, wishtree_node::now()).unwrap()
    };
    let wish = wishtree_tests::city::wish_on(&home, "希望有一台微波炉", true).await;
    let check_in_code = {
        let mut replica = home.replica.lock().await;
        let now = wishtree_node::now();
        let body = json!({
            "title": "垃圾分类宣传", "category": "environment",
            "date": now.date_in_shanghai().to_string(), "minutes": 60, "place": "社区广场",
        });
        let new = <api::NewActivity as api::Input>::from_json(body, now).unwrap();
        let activity = api::create_activity(&mut replica, new, now).unwrap();
        let id = activity["id"].as_str().unwrap().to_owned();
        api::check_in_code(&mut replica, &id, now).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    synced(&hub, &home, HOME).await;
    wishtree_tests::city::wait_until(LIMIT, "the market to list the wish", || {
        phone::get(hub.http_addr, None, "/api/market/wishes")
            .text()
            .contains(&wish.to_string())
    })
    .await
    .unwrap();
    let mut command = std::process::Command::new("node");
    command
        .arg("browser-card.mjs")
        .arg(format!("http://{}", hub.http_addr))
        .arg(card["text"].as_str().unwrap())
        .arg("李明")
        .arg(&check_in_code)
        .current_dir(wishtree_testkit::browser::js_dir());
    let stdout =
        tokio::task::spawn_blocking(move || wishtree_testkit::browser::run_to_end(command))
            .await
            .unwrap();
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["balance"], "0");
    assert!(
        summary["refused"].as_str().unwrap().contains("签名"),
        "{summary}"
    );
    assert!(
        summary["claimed"].as_str().unwrap().contains("待社区确认"),
        "{summary}"
    );
    assert!(
        summary["checked_in"].as_str().unwrap().contains("已签到"),
        "{summary}"
    );
    assert_eq!(hub.hub().inbox_entries(code(HOME)).unwrap().len(), 2);
    home.stop().await;
    hub.stop().await;
}
