//! Member cards at the node: issued by the API and from the member's page (the card
//! text verifies by the node's key, the document keeps only the secret's hash), listed,
//! revoked with a reason, and every refusal of the forms and the API.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::ui::{get, post_form, post_ok};
use support::{TestNode, member_body};
use wishtree_protocol::card::MemberCard;
use wishtree_protocol::keys::PublicKey;

fn node_key(node: &TestNode) -> PublicKey {
    let (_, status) = node.get("/api/status");
    status["node_key"].as_str().unwrap().parse().unwrap()
}

#[test]
fn a_card_is_issued_listed_and_revoked_through_the_api() {
    let node = TestNode::start_prepared(wishtree_node::server::Access::Open, |replica| {
        replica.set_hub_web("https://hub.example.cn/").unwrap();
    });
    let (status, member) = node.post("/api/members", &member_body("张婷"));
    assert_eq!(status, 201);
    let member = member["id"].as_str().unwrap().to_owned();

    let (status, card) = node.post(&format!("/api/members/{member}/cards"), &json!({}));
    assert_eq!(status, 201, "{card}");
    let text = card["text"].as_str().unwrap();
    let link = card["link"].as_str().unwrap();
    assert_eq!(link, format!("https://hub.example.cn/m/card#{text}"));
    assert!(card["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let read = MemberCard::from_text(text).unwrap();
    assert_eq!(read.statement.member.to_string(), member);
    assert_eq!(
        read.statement.card.to_string(),
        card["id"].as_str().unwrap()
    );
    let now = wishtree_node::now();
    read.verify(&node_key(&node), now).unwrap();
    // Two years by default.
    let days = (read.statement.expires.as_millis() - read.statement.issued.as_millis())
        / (24 * 60 * 60 * 1000);
    assert_eq!(days, 730);

    // The list shows the card without its secret or text.
    let (status, list) = node.get(&format!("/api/members/{member}/cards"));
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("text").is_none());
    assert!(!list.to_string().contains(text));

    // A second card leaves the first as it was.
    let (status, second) = node.post(
        &format!("/api/members/{member}/cards"),
        &json!({"valid_days": 30}),
    );
    assert_eq!(status, 201);
    let (_, list) = node.get(&format!("/api/members/{member}/cards"));
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|card| card["revoked_at"].is_null())
    );

    let id = card["id"].as_str().unwrap();
    let (status, refused) = node.post(&format!("/api/cards/{id}/revoke"), &json!({}));
    assert_eq!((status, refused["field"].as_str()), (400, Some("reason")));
    let (status, revoked) = node.post(
        &format!("/api/cards/{id}/revoke"),
        &json!({"reason": "手机丢失"}),
    );
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["revoked_reason"], "手机丢失");
    let (status, again) = node.post(
        &format!("/api/cards/{id}/revoke"),
        &json!({"reason": "再次"}),
    );
    assert_eq!(status, 409, "{again}");
    let (_, list) = node.get(&format!("/api/members/{member}/cards"));
    let second_id = second["id"].as_str().unwrap();
    let second_listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|card| card["id"] == second_id)
        .unwrap();
    assert!(second_listed["revoked_at"].is_null(), "only the card asked");
}

#[test]
fn bad_card_requests_are_refused_with_what_was_wrong() {
    let node = TestNode::start();
    let (_, member) = node.post("/api/members", &member_body("张婷"));
    let member = member["id"].as_str().unwrap().to_owned();
    let cases = [
        (
            format!("/api/members/{member}/cards"),
            json!({"valid_days": 0}),
            400,
        ),
        (
            format!("/api/members/{member}/cards"),
            json!({"valid_days": 5000}),
            400,
        ),
        (
            format!("/api/members/{member}/cards"),
            json!({"secret": "x"}),
            400,
        ),
        (
            format!("/api/members/{}/cards", "0".repeat(32)),
            json!({}),
            404,
        ),
        ("/api/members/nope/cards".to_owned(), json!({}), 400),
        (
            format!("/api/cards/{}/revoke", "0".repeat(32)),
            json!({"reason": "x"}),
            404,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = node.post(&path, &body);
        assert_eq!(status, expected, "{path} {body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // A path that is only a card's path, when no hub web address is set.
    let (_, card) = node.post(&format!("/api/members/{member}/cards"), &json!({}));
    assert!(card["link"].as_str().unwrap().starts_with("/m/card#"));
}

#[test]
fn the_member_page_issues_prints_lists_and_revokes_cards() {
    let node = TestNode::start();
    let (_, member) = node.post("/api/members", &member_body("张婷"));
    let member = member["id"].as_str().unwrap().to_owned();
    let page = get(&node, &format!("/members/{member}")).text();
    assert!(page.contains("发放会员卡"));
    assert!(page.contains("id=\"member-cards\""), "an empty list");

    let refused = post_form(
        &node,
        &format!("/members/{member}/cards"),
        &[("valid_days", "十")],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("id=\"error-valid_days\""));

    let issued = post_form(&node, &format!("/members/{member}/cards"), &[]);
    assert_eq!(issued.status, 201);
    let printed = issued.text();
    assert!(printed.contains("党员服务卡"));
    assert!(printed.contains("<svg"));
    assert!(printed.contains("id=\"no-hub-web\""));
    let text = {
        let at = printed.find("/m/card#").unwrap() + "/m/card#".len();
        printed[at..at + wishtree_protocol::card::CARD_TEXT_LEN].to_owned()
    };
    MemberCard::from_text(&text)
        .unwrap()
        .verify(&node_key(&node), wishtree_node::now())
        .unwrap();
    // The link is an address, not words.
    support::ui::assert_no_english(&printed.replace(&format!("/m/card#{text}"), ""));

    let page = get(&node, &format!("/members/{member}")).text();
    assert!(page.contains("有效"));
    assert!(!page.contains(&text), "the secret is shown once");
    let (_, list) = node.get(&format!("/api/members/{member}/cards"));
    let card = list[0]["id"].as_str().unwrap().to_owned();

    let refused = post_form(&node, &format!("/cards/{card}/revoke"), &[("reason", " ")]);
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("id=\"error-reason\""));
    support::ui::assert_no_english(&refused.text());

    let (location, page) = post_ok(
        &node,
        &format!("/cards/{card}/revoke"),
        &[("reason", "手机丢失")],
    );
    assert_eq!(location, format!("/members/{member}#cards"));
    assert!(page.text().contains("已吊销"));
    assert!(page.text().contains("手机丢失"));
    let again = post_form(
        &node,
        &format!("/cards/{card}/revoke"),
        &[("reason", "再次")],
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("已经吊销"));
    // GET on the form's address is the member's page.
    let answer = get(&node, &format!("/cards/{card}/revoke"));
    assert_eq!(answer.status, 303);
}
