//! Attendance at the node (DESIGN §10): a sign-up credits nothing, a worker's
//! confirmation credits the activity's length, and the check-in code — signed by the
//! node's key with its clock, linking to the hub's check-in page — is shown on the
//! activity's day only, as JSON and as the page with its QR code.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::{TestNode, member_body};
use wishtree_protocol::checkin::{CHECK_IN_VALID_MS, CheckInCode};

fn activity_on(node: &TestNode, date: &str) -> String {
    let body = json!({
        "title": "垃圾分类宣传", "category": "environment", "date": date,
        "minutes": 90, "place": "社区广场",
    });
    let (status, activity) = node.post("/api/activities", &body);
    assert_eq!(status, 201, "{activity}");
    activity["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_sign_up_credits_nothing_until_a_worker_confirms_attendance() {
    let node = TestNode::start();
    let (_, member) = node.post("/api/members", &member_body("王建国"));
    let member = member["id"].as_str().unwrap().to_owned();
    let activity = activity_on(&node, "2026-07-15");

    let (status, signed_up) = node.post(
        &format!("/api/activities/{activity}/sign-ups"),
        &json!({ "member": member }),
    );
    assert_eq!(status, 201, "{signed_up}");
    assert_eq!(
        signed_up["participant_count"], 0,
        "a sign-up is no attendance"
    );
    assert_eq!(signed_up["participants"], json!([]));
    let (_, passbook) = node.get(&format!("/api/members/{member}/passbook"));
    assert_eq!(passbook["balance"], 0, "{passbook}");
    let (status, _) = node.post(
        &format!("/api/activities/{activity}/sign-ups"),
        &json!({ "member": member }),
    );
    assert_eq!(status, 409, "signed up once");

    let (status, confirmed) = node.post(
        &format!("/api/activities/{activity}/participants"),
        &json!({ "member": member }),
    );
    assert_eq!(status, 201, "{confirmed}");
    assert_eq!(confirmed["service"]["minutes"], 90);
    let (_, passbook) = node.get(&format!("/api/members/{member}/passbook"));
    assert_eq!(passbook["balance"], 15, "{passbook}");
}

#[test]
fn the_check_in_code_is_signed_by_the_node_on_the_activity_s_day_only() {
    let node = TestNode::start();
    let today = wishtree_node::now().date_in_shanghai().to_string();
    let running = activity_on(&node, &today);
    let (status, code) = node.get(&format!("/api/activities/{running}/check-in-code"));
    assert_eq!(status, 200, "{code}");
    let text = code["code"].as_str().unwrap();
    let parsed = CheckInCode::from_text(text).unwrap();
    assert_eq!(parsed.activity.to_string(), running);
    assert_eq!(
        parsed.expires.as_millis() - parsed.issued.as_millis(),
        CHECK_IN_VALID_MS
    );
    let (_, status_json) = node.get("/api/status");
    let key: wishtree_protocol::keys::PublicKey =
        status_json["node_key"].as_str().unwrap().parse().unwrap();
    assert!(parsed.is_signed_by(&key), "signed by the node's key");
    assert!(
        code["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/m/checkin#{text}"))
    );
    assert!(code["qr_svg"].as_str().unwrap().starts_with("<svg"));

    let page = node.send(support::Request::get(&format!(
        "/activities/{running}/check-in"
    )));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("id=\"check-in-qr\"") && html.contains("<svg"),
        "{html}"
    );
    assert!(html.contains("http-equiv=\"refresh\""));

    let past = activity_on(&node, "2026-01-05");
    let (status, refused) = node.get(&format!("/api/activities/{past}/check-in-code"));
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("on its day"));
    let page = node.send(support::Request::get(&format!(
        "/activities/{past}/check-in"
    )));
    assert_eq!(page.status, 409);
    assert!(page.text().contains("只在活动当天显示"));
}
