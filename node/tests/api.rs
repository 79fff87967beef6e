//! Every route of the JSON API with good and bad input, against a node served
//! in-process on loopback.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::{Request, TestNode, member_body, request, wish_body};
use wishtree_node::server::Access;

const CREDIT_CODE: &str = "91350100M000100Y43";
const OTHER_CREDIT_CODE: &str = "91110000600037341L";

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn assert_bad(answer: (u16, Value), field: &str, says: &str) {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], field, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(message.contains(says), "`{message}` does not say `{says}`");
}

#[test]
fn members_are_created_listed_read_and_corrected_with_their_personal_data() {
    let node = TestNode::start();
    let (status, created) = node.post("/api/members", &member_body("王建国"));
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created);
    assert_eq!(created["name"], "王建国");
    assert_eq!(created["intentions"], json!(["safety"]));
    assert_eq!(created["phone"], "13800000000");
    assert_eq!(created["address"], "行宫东街 3 号");

    let (status, list) = node.get("/api/members");
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["phone"], "13800000000");

    let (status, read) = node.get(&format!("/api/members/{id}"));
    assert_eq!((status, &read), (200, &created));

    let mut corrected = member_body("王建国");
    corrected["position"] = json!("所长");
    corrected["phone"] = json!("13811111111");
    let (status, updated) = node.put(&format!("/api/members/{id}"), &corrected);
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["position"], "所长");
    assert_eq!(updated["phone"], "13811111111");
    assert_eq!(updated["created_at"], created["created_at"]);

    // Bad input names the field.
    let mut body = member_body("x");
    body.as_object_mut().unwrap().remove("name");
    assert_bad(node.post("/api/members", &body), "name", "name is missing");
    let mut body = member_body("x");
    body["reported_in"] = json!("2026-02-30");
    assert_bad(
        node.post("/api/members", &body),
        "reported_in",
        "is not a date",
    );
    let mut body = member_body("x");
    body["intentions"] = json!(["cooking"]);
    assert_bad(
        node.post("/api/members", &body),
        "intentions",
        "is not a post kind",
    );
    let mut body = member_body("x");
    body["phnoe"] = json!("1");
    assert_bad(node.post("/api/members", &body), "phnoe", "unknown field");
    let mut body = member_body("x");
    body["name"] = json!("王\u{200b}建国");
    assert_bad(node.post("/api/members", &body), "name", "invisible");
    // The phone is checked where every write reads it, and kept as its digits.
    let mut body = member_body("x");
    body["phone"] = json!("1391234");
    assert_bad(
        node.post("/api/members", &body),
        "phone",
        "is not a phone number",
    );
    let mut body = member_body("王建国");
    body["phone"] = json!("+86 139-1234-5678");
    let (status, spaced) = node.put(&format!("/api/members/{id}"), &body);
    assert_eq!(status, 200, "{spaced}");
    assert_eq!(spaced["phone"], "13912345678");
    let mut body = member_body("x");
    body["specialties"] = json!("安全教育");
    assert_bad(
        node.post("/api/members", &body),
        "specialties",
        "must be a list",
    );

    let (status, body) = node.post_raw("/api/members", b"{not json");
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("not JSON"));
    let (status, _) = node.post_raw("/api/members", b"[1, 2]");
    assert_eq!(status, 400);

    // Unknown and malformed ids.
    let mut body = member_body("x");
    body["org"] = json!("00000000000000000000000000000000");
    let (status, answer) = node.post("/api/members", &body);
    assert_eq!(status, 404, "{answer}");
    let (status, _) = node.get("/api/members/00000000000000000000000000000000");
    assert_eq!(status, 404);
    assert_bad(
        node.get("/api/members/not-an-id"),
        "id",
        "is not a member id",
    );
    let (status, _) = node.put(
        "/api/members/00000000000000000000000000000000",
        &member_body("x"),
    );
    assert_eq!(status, 404);

    // Nothing bad was written.
    assert_eq!(node.get("/api/members").1.as_array().unwrap().len(), 1);
}

#[test]
fn organisations_are_one_per_credit_code() {
    let node = TestNode::start();
    let body = json!({"credit_code": CREDIT_CODE, "name": "沧州市发改委党组", "reported_in": "2026-03-01"});
    let (status, org) = node.post("/api/orgs", &body);
    assert_eq!(status, 201, "{org}");
    assert_eq!(org["credit_code"], CREDIT_CODE);
    let (status, again) = node.post(
        "/api/orgs",
        &json!({"credit_code": CREDIT_CODE, "name": "沧州市发改委"}),
    );
    assert_eq!(status, 201);
    assert_eq!(again["id"], org["id"]);
    assert_eq!(again["name"], "沧州市发改委");
    node.post(
        "/api/orgs",
        &json!({"credit_code": OTHER_CREDIT_CODE, "name": "市教育局"}),
    );

    let (status, list) = node.get("/api/orgs");
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, read) = node.get(&format!("/api/orgs/{}", id_of(&org)));
    assert_eq!(status, 200);
    assert_eq!(read["name"], "沧州市发改委");

    assert_bad(
        node.post(
            "/api/orgs",
            &json!({"credit_code": "91350100M000100Y44", "name": "x"}),
        ),
        "credit_code",
        "fails its check character",
    );
    assert_bad(
        node.post("/api/orgs", &json!({"credit_code": CREDIT_CODE})),
        "name",
        "name is missing",
    );
    let (status, _) = node.get("/api/orgs/00000000000000000000000000000000");
    assert_eq!(status, 404);
}

#[test]
fn a_wish_goes_through_its_lifecycle_and_illegal_steps_answer_409_with_the_wish() {
    let node = TestNode::start();
    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    let other = id_of(&node.post("/api/members", &member_body("李梅")).1);
    let org = id_of(
        &node
            .post(
                "/api/orgs",
                &json!({"credit_code": CREDIT_CODE, "name": "发改委"}),
            )
            .1,
    );

    let (status, wish) = node.post("/api/wishes", &wish_body("希望有一台微波炉"));
    assert_eq!(status, 201, "{wish}");
    let id = id_of(&wish);
    assert_eq!(wish["status"]["state"], "submitted");
    assert_eq!(wish["resident_name"], "彭秀英");
    assert_eq!(wish["resident_phone"], "13900000000");
    assert_eq!(wish["estimated_value"], 400);

    let step = |action: &str, body: Value| node.post(&format!("/api/wishes/{id}/{action}"), &body);

    let (status, published) = step("publish", json!({}));
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"]["state"], "published");

    assert_bad(step("claim", json!({})), "by", "by is missing");
    assert_bad(
        step("claim", json!({"by": "worker:陈"})),
        "by",
        "who claims",
    );
    assert_bad(
        step("claim", json!({"by": "member:xyz"})),
        "by",
        "not an actor",
    );
    let (status, _) = step(
        "claim",
        json!({"by": "member:00000000000000000000000000000000"}),
    );
    assert_eq!(status, 404);

    let (status, claimed) = step(
        "claim",
        json!({"by": format!("member:{member}"), "note": "我来"}),
    );
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["status"]["state"], "claimed");
    assert_eq!(claimed["status"]["claimant"], format!("member:{member}"));

    let (status, conflict) = step("claim", json!({"by": format!("member:{other}")}));
    assert_eq!(status, 409, "{conflict}");
    assert!(
        conflict["error"]
            .as_str()
            .unwrap()
            .contains("claimed by someone else first")
    );
    assert_eq!(conflict["state"]["id"], id.as_str());
    assert_eq!(
        conflict["state"]["status"]["claimant"],
        format!("member:{member}")
    );

    let (status, released) = step("release", json!({"by": format!("member:{member}")}));
    assert_eq!(status, 200);
    assert_eq!(released["status"]["state"], "published");
    let (status, by_org) = step("claim", json!({"by": format!("org:{org}")}));
    assert_eq!(status, 200);
    assert_eq!(by_org["status"]["claimant"], format!("org:{org}"));
    let (status, fulfilled) = step("fulfil", json!({"note": "已送达"}));
    assert_eq!(status, 200);
    assert_eq!(fulfilled["status"]["state"], "fulfilled");

    let (status, conflict) = step("reject", json!({}));
    assert_eq!(status, 409);
    assert_eq!(conflict["state"]["status"]["state"], "fulfilled");
    let (status, conflict) = step("withdraw", json!({}));
    assert_eq!(status, 409, "{conflict}");

    let (status, answer) = step("eat", json!({}));
    assert_eq!(status, 404);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("publish, claim, release")
    );
    assert_bad(step("publish", json!({"not": 1})), "not", "unknown field");
    let (status, _) = node.post(
        "/api/wishes/00000000000000000000000000000000/publish",
        &json!({}),
    );
    assert_eq!(status, 404);

    // A second wish, rejected; and one withdrawn after publication.
    // Rejecting keeps why: without a reason the API refuses at the field, and the wish
    // stays as it was.
    let rejected = id_of(&node.post("/api/wishes", &wish_body("轮椅")).1);
    let (status, answer) = node.post(&format!("/api/wishes/{rejected}/reject"), &json!({}));
    assert_eq!(
        (status, answer["field"].as_str()),
        (400, Some("note")),
        "{answer}"
    );
    let (status, answer) = node.post(
        &format!("/api/wishes/{rejected}/reject"),
        &json!({"note": "   "}),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        node.post(
            &format!("/api/wishes/{rejected}/reject"),
            &json!({"note": "不属于微心愿范围"})
        )
        .0,
        200
    );
    let withdrawn = id_of(&node.post("/api/wishes", &wish_body("台灯")).1);
    node.post(&format!("/api/wishes/{withdrawn}/publish"), &json!({}));
    let (status, answer) = node.post(
        &format!("/api/wishes/{withdrawn}/withdraw"),
        &json!({"note": "居民已自行解决"}),
    );
    assert_eq!(
        (status, answer["status"]["state"].as_str()),
        (200, Some("withdrawn"))
    );

    let (status, all) = node.get("/api/wishes");
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 3);
    let (_, done) = node.get("/api/wishes?state=fulfilled");
    assert_eq!(done.as_array().unwrap().len(), 1);
    assert_eq!(done[0]["id"], id.as_str());
    assert_eq!(done[0]["resident_name"], "彭秀英");
    assert_bad(
        node.get("/api/wishes?state=eaten"),
        "state",
        "is not a wish state",
    );
    let (status, read) = node.get(&format!("/api/wishes/{id}"));
    assert_eq!(status, 200);
    // Publish, claim, release, claim, fulfil: refused steps are not written.
    assert_eq!(read["status"]["history"].as_array().unwrap().len(), 5);
    let (status, _) = node.get("/api/wishes/00000000000000000000000000000000");
    assert_eq!(status, 404);

    // Bad wishes.
    let mut body = wish_body("x");
    body["kind"] = json!("car");
    assert_bad(
        node.post("/api/wishes", &body),
        "kind",
        "is not a wish kind",
    );
    let mut body = wish_body("x");
    body["estimated_value"] = json!(-3);
    assert_bad(
        node.post("/api/wishes", &body),
        "estimated_value",
        "whole number",
    );
    let mut body = wish_body("x");
    body["estimated_value"] = json!(2_000_000);
    assert_bad(
        node.post("/api/wishes", &body),
        "estimated_value",
        "at most 1000000",
    );
    let mut body = wish_body("x");
    body["title"] = json!("长".repeat(201));
    assert_bad(node.post("/api/wishes", &body), "title", "at most 200");
    let mut body = wish_body("x");
    body["group"] = json!(null);
    assert_bad(node.post("/api/wishes", &body), "group", "group is missing");
    let mut body = wish_body("x");
    body["resident_phone"] = json!(13900000000u64);
    assert_bad(
        node.post("/api/wishes", &body),
        "resident_phone",
        "must be text",
    );
}

#[test]
fn activities_services_passbooks_redemptions_and_voids() {
    let node = TestNode::start();
    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    let activity_body = json!({
        "title": "青少年七彩暑期安全教育", "category": "safety", "date": "2026-07-15",
        "minutes": 120, "place": "惠新苑社区居委会",
    });
    let (status, activity) = node.post("/api/activities", &activity_body);
    assert_eq!(status, 201, "{activity}");
    let activity_id = id_of(&activity);
    assert_eq!(activity["participant_count"], 0);

    let (status, joined) = node.post(
        &format!("/api/activities/{activity_id}/participants"),
        &json!({"member": member}),
    );
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["service"]["minutes"], 120);
    assert_eq!(joined["service"]["activity"], activity_id.as_str());
    assert_eq!(joined["points_entry"]["points"], 20);
    let (status, again) = node.post(
        &format!("/api/activities/{activity_id}/participants"),
        &json!({"member": member}),
    );
    assert_eq!(status, 409);
    assert_eq!(again["state"]["participant_count"], 1);
    let (status, _) = node.post(
        &format!("/api/activities/{activity_id}/participants"),
        &json!({"member": "00000000000000000000000000000000"}),
    );
    assert_eq!(status, 404);
    let (status, _) = node.post(
        "/api/activities/00000000000000000000000000000000/participants",
        &json!({"member": member}),
    );
    assert_eq!(status, 404);
    assert_bad(
        node.post(
            &format!("/api/activities/{activity_id}/participants"),
            &json!({}),
        ),
        "member",
        "member is missing",
    );

    let mut bad = activity_body.clone();
    bad["minutes"] = json!(0);
    assert_bad(
        node.post("/api/activities", &bad),
        "minutes",
        "between 1 and 1440",
    );
    let mut bad = activity_body.clone();
    bad["category"] = json!("party");
    assert_bad(
        node.post("/api/activities", &bad),
        "category",
        "is not a post kind",
    );
    let (status, list) = node.get("/api/activities");
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1));
    let (status, read) = node.get(&format!("/api/activities/{activity_id}"));
    assert_eq!(status, 200);
    assert_eq!(read["participants"], json!([member]));

    // Service outside activities: 90 minutes of aid at the default 10 per hour.
    let service_body = json!({
        "member": member, "date": "2026-08-03", "minutes": 90, "category": "aid",
        "description": "陪独居老人聊天",
    });
    let (status, service) = node.post("/api/services", &service_body);
    assert_eq!(status, 201, "{service}");
    let service_id = id_of(&service);
    assert_eq!(service["points_entry"]["points"], 15);
    let mut bad = service_body.clone();
    bad["minutes"] = json!(2000);
    assert_bad(
        node.post("/api/services", &bad),
        "minutes",
        "between 1 and 1440",
    );
    let mut bad = service_body.clone();
    bad["member"] = json!("member:abc");
    assert_bad(
        node.post("/api/services", &bad),
        "member",
        "is not a member id",
    );
    let (status, services) = node.get("/api/services");
    assert_eq!((status, services.as_array().unwrap().len()), (200, 2));
    let (status, read) = node.get(&format!("/api/services/{service_id}"));
    assert_eq!((status, read["is_voided"].as_bool()), (200, Some(false)));
    assert_eq!(
        node.get("/api/services/00000000000000000000000000000000").0,
        404
    );

    let (status, passbook) = node.get(&format!("/api/members/{member}/passbook"));
    assert_eq!(status, 200, "{passbook}");
    assert_eq!(passbook["balance"], 35);
    assert_eq!(passbook["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        node.get("/api/members/00000000000000000000000000000000/passbook")
            .0,
        404
    );

    // Redemptions.
    let (status, redeemed) = node.post(
        "/api/redemptions",
        &json!({"member": member, "points": 30, "reason": "兑换毛巾"}),
    );
    assert_eq!(status, 201, "{redeemed}");
    assert_eq!(redeemed["kind"], "redeem");
    let (status, refused) = node.post(
        "/api/redemptions",
        &json!({"member": member, "points": 6, "reason": "兑换牙膏"}),
    );
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["state"]["balance"], 5);
    assert_bad(
        node.post(
            "/api/redemptions",
            &json!({"member": member, "points": 0, "reason": "x"}),
        ),
        "points",
        "at least 1",
    );
    assert_bad(
        node.post("/api/redemptions", &json!({"member": member, "points": 1})),
        "reason",
        "reason is missing",
    );

    // Voids: the service record and the points it earned.
    let (status, void) = node.post(
        "/api/voids",
        &json!({"service": service_id, "reason": "录入错误"}),
    );
    assert_eq!(status, 201, "{void}");
    assert_eq!(void["service"], service_id.as_str());
    let (status, _) = node.post(
        "/api/voids",
        &json!({"service": service_id, "reason": "again"}),
    );
    assert_eq!(status, 409);
    assert_bad(
        node.post("/api/voids", &json!({"reason": "x"})),
        "service",
        "exactly one",
    );
    let (status, _) = node.post(
        "/api/voids",
        &json!({"points_entry": "00000000000000000000000000000000", "reason": "x"}),
    );
    assert_eq!(status, 404);
    let (_, voids) = node.get("/api/voids");
    assert_eq!(voids.as_array().unwrap().len(), 1);
    let (_, passbook) = node.get(&format!("/api/members/{member}/passbook"));
    assert_eq!(passbook["balance"], -10);
    assert_eq!(passbook["is_overdrawn"], true);
    let (_, read) = node.get(&format!("/api/services/{service_id}"));
    assert_eq!(read["is_voided"], true);
}

#[test]
fn posts_projects_pairings_branches_and_teams() {
    let node = TestNode::start();
    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    let org = id_of(
        &node
            .post(
                "/api/orgs",
                &json!({"credit_code": CREDIT_CODE, "name": "发改委"}),
            )
            .1,
    );

    let (status, post) = node.post(
        "/api/posts",
        &json!({"kind": "environment", "title": "环境卫生岗", "seats": 1}),
    );
    assert_eq!(status, 201, "{post}");
    let post_id = id_of(&post);
    let by_member = json!({"by": format!("member:{member}")});
    let (status, held) = node.post(&format!("/api/posts/{post_id}/claim"), &by_member);
    assert_eq!(status, 200);
    assert_eq!(
        held["status"]["holders"],
        json!([format!("member:{member}")])
    );
    let (status, full) = node.post(
        &format!("/api/posts/{post_id}/claim"),
        &json!({"by": format!("org:{org}")}),
    );
    assert_eq!(status, 409);
    assert_eq!(
        full["state"]["status"]["holders"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        node.post(&format!("/api/posts/{post_id}/release"), &by_member)
            .0,
        200
    );
    assert_eq!(
        node.post(&format!("/api/posts/{post_id}/fulfil"), &json!({}))
            .0,
        404
    );
    assert_bad(
        node.post(
            "/api/posts",
            &json!({"kind": "environment", "title": "x", "seats": 0}),
        ),
        "seats",
        "between 1 and 1000",
    );
    assert_eq!(node.get("/api/posts").1.as_array().unwrap().len(), 1);
    assert_eq!(node.get(&format!("/api/posts/{post_id}")).0, 200);

    let (status, project) = node.post(
        "/api/projects",
        &json!({"title": "“扶”您上下楼", "kind": "micro_project", "detail": "加装扶手"}),
    );
    assert_eq!(status, 201, "{project}");
    let project_id = id_of(&project);
    node.post(&format!("/api/projects/{project_id}/publish"), &json!({}));
    let (status, refused) = node.post(&format!("/api/projects/{project_id}/claim"), &by_member);
    assert_eq!(status, 409, "only organisations claim projects: {refused}");
    let (status, claimed) = node.post(
        &format!("/api/projects/{project_id}/claim"),
        &json!({"by": format!("org:{org}")}),
    );
    assert_eq!(
        (status, claimed["status"]["state"].as_str()),
        (200, Some("claimed"))
    );
    assert_bad(
        node.post("/api/projects", &json!({"title": "x", "kind": "road"})),
        "kind",
        "is not a project kind",
    );
    assert_eq!(node.get("/api/projects").1.as_array().unwrap().len(), 1);
    assert_eq!(node.get(&format!("/api/projects/{project_id}")).0, 200);

    let (status, pairing) = node.post(
        "/api/pairings",
        &json!({"org": org, "commitments": ["每季度一次志愿服务"], "signed_on": "2026-03-01"}),
    );
    assert_eq!(status, 201, "{pairing}");
    let pairing_id = id_of(&pairing);
    assert_eq!(pairing["is_active"], true);
    let (status, ended) = node.post(
        &format!("/api/pairings/{pairing_id}/end"),
        &json!({"note": "到期"}),
    );
    assert_eq!((status, ended["is_active"].as_bool()), (200, Some(false)));
    assert_eq!(
        node.post(&format!("/api/pairings/{pairing_id}/end"), &json!({}))
            .0,
        409
    );
    assert_eq!(
        node.post(
            "/api/pairings",
            &json!({"org": "00000000000000000000000000000000", "signed_on": "2026-03-01"})
        )
        .0,
        404
    );
    assert_bad(
        node.post("/api/pairings", &json!({"org": org})),
        "signed_on",
        "missing",
    );
    assert_eq!(node.get("/api/pairings").1.as_array().unwrap().len(), 1);
    assert_eq!(node.get(&format!("/api/pairings/{pairing_id}")).0, 200);

    let (status, branch) = node.post(
        "/api/branches",
        &json!({"name": "第一功能型党支部", "secretary": member, "founded_on": "2026-04-01"}),
    );
    assert_eq!(status, 201, "{branch}");
    assert_bad(
        node.post("/api/branches", &json!({"name": "x"})),
        "founded_on",
        "missing",
    );
    assert_eq!(node.get("/api/branches").1.as_array().unwrap().len(), 1);
    let (status, team) = node.post(
        "/api/teams",
        &json!({"name": "法律援助服务队", "focus": "法律"}),
    );
    assert_eq!(status, 201, "{team}");
    assert_bad(
        node.post("/api/teams", &json!({"focus": "x"})),
        "name",
        "missing",
    );
    assert_eq!(node.get("/api/teams").1.as_array().unwrap().len(), 1);

    // A member may join the branch and team.
    let mut body = member_body("李梅");
    body["branch"] = branch["id"].clone();
    body["team"] = team["id"].clone();
    let (status, joined) = node.post("/api/members", &body);
    assert_eq!(status, 201);
    assert_eq!(joined["team"], team["id"]);
}

#[test]
fn status_community_rules_and_half_year_reports() {
    let node = TestNode::start();
    let (status, before) = node.get("/api/status");
    assert_eq!(status, 200);
    assert_eq!(before["community"]["code"], support::COMMUNITY);
    assert_eq!(before["counts"]["members"], 0);
    assert_eq!(before["attestation_seq"], 1);
    assert_eq!(before["sync"]["hub_connected"], false);

    let (status, community) = node.put("/api/community", &json!({"name": "行宫东社区"}));
    assert_eq!(
        (status, community["name"].as_str()),
        (200, Some("行宫东社区"))
    );
    assert_bad(
        node.put("/api/community", &json!({"name": ""})),
        "name",
        "empty",
    );

    let (status, rules) = node.put(
        "/api/rules/points-per-hour/aid",
        &json!({"points_per_hour": 20}),
    );
    assert_eq!(status, 200, "{rules}");
    assert_eq!(rules["points_per_hour"]["aid"], 20);
    assert_bad(
        node.put(
            "/api/rules/points-per-hour/cooking",
            &json!({"points_per_hour": 20}),
        ),
        "category",
        "is not a post kind",
    );
    assert_bad(
        node.put(
            "/api/rules/points-per-hour/aid",
            &json!({"points_per_hour": 5000}),
        ),
        "points_per_hour",
        "at most 1000",
    );

    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    node.post(
        "/api/services",
        &json!({"member": member, "date": "2026-08-03", "minutes": 90, "category": "aid"}),
    );
    let (status, after) = node.get("/api/status");
    assert_eq!(status, 200);
    assert_eq!(after["counts"]["members"], 1);
    assert_eq!(after["counts"]["services"], 1);
    assert_eq!(after["attestation_seq"], 5);
    assert_ne!(after["heads"], before["heads"]);

    let (status, report) = node.get(&format!(
        "/api/reports/half-year?member={member}&period=2026H2"
    ));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["totals"]["service_minutes"], 90);
    assert_eq!(report["totals"]["points_earned"], 30);
    assert_eq!(report["member_name"], "王建国");
    let csv = node.send(
        Request::get(&format!(
            "/api/reports/half-year?member={member}&period=2026H2"
        ))
        .header("Accept", "text/csv"),
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.text().starts_with("\u{feff}member,"));
    assert!(csv.text().contains("points_earned,30\r\n"));
    let by_query = node.send(Request::get(&format!(
        "/api/reports/half-year?member={member}&period=2026H2&format=csv"
    )));
    assert_eq!(by_query.body, csv.body);

    assert_bad(
        node.get("/api/reports/half-year?period=2026H2"),
        "member",
        "member is missing",
    );
    assert_bad(
        node.get(&format!(
            "/api/reports/half-year?member={member}&period=2026H3"
        )),
        "period",
        "is not a half-year",
    );
    assert_eq!(
        node.get("/api/reports/half-year?member=00000000000000000000000000000000&period=2026H2")
            .0,
        404
    );
}

#[test]
fn a_half_year_is_sealed_once_it_is_over_and_its_report_keeps_the_sealed_figures() {
    let node = TestNode::start();
    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    let service = |date: &str, minutes: u32| {
        let body = json!({"member": member, "date": date, "minutes": minutes, "category": "aid"});
        assert_eq!(node.post("/api/services", &body).0, 201);
    };
    service("2026-03-10", 60);

    assert_bad(
        node.post("/api/seals", &json!({"period": "2026H3"})),
        "period",
        "period",
    );
    let (status, early) = node.post("/api/seals", &json!({"period": "2099H1"}));
    assert_eq!(status, 409, "{early}");
    assert!(
        early["error"].as_str().unwrap().contains("not over yet"),
        "{early}"
    );

    let (status, seal) = node.post("/api/seals", &json!({"period": "2026H1"}));
    assert_eq!(status, 201, "{seal}");
    assert_eq!(seal["period"], "2026H1");
    assert_eq!(seal["verified"], true);
    assert_eq!(node.post("/api/seals", &json!({"period": "2026H1"})).0, 409);
    let (_, seals) = node.get("/api/seals");
    assert_eq!(seals.as_array().unwrap().len(), 1);

    service("2026-05-01", 30);
    let address = format!("/api/reports/half-year?member={member}&period=2026H1");
    let (status, report) = node.get(&address);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["totals"]["service_minutes"], 60);
    assert_eq!(report["seal"]["verified"], true);
    assert_eq!(report["seal"]["heads"], seal["heads"]);
    let amendments = report["amendments"].as_array().unwrap();
    assert!(
        amendments.iter().any(|a| a["record"] == "service"
            && a["change"] == "added"
            && a["date"] == "2026-05-01"),
        "{report}"
    );
    let csv = node.send(Request::get(&address).header("Accept", "text/csv"));
    assert!(csv.text().contains("\r\nseal,,"), "{}", csv.text());
    assert!(
        csv.text().contains("\r\namendment:service,"),
        "{}",
        csv.text()
    );
}

#[test]
fn oversized_bodies_unknown_routes_and_wrong_methods_are_refused() {
    let node = TestNode::start();
    let mut big = wish_body("大");
    big["detail"] = json!("x".repeat(1024 * 1024));
    let (status, body) = node.post("/api/wishes", &big);
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("larger than 1048576")
    );
    // Just under the limit is read, and refused for its content only.
    let mut near = wish_body("近");
    near["detail"] = json!("x".repeat(1000 * 1000));
    assert_bad(node.post("/api/wishes", &near), "detail", "at most 4000");

    let (status, body) = node.get("/api/nothing/here");
    assert_eq!(status, 404);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("/api/nothing/here")
    );
    let answer = node.send(Request::new("DELETE", "/api/members"));
    assert_eq!(answer.status, 405);
    assert_eq!(node.get("/api/wishes").1, json!([]));
}

#[test]
fn a_node_that_needs_its_password_refuses_requests_without_it() {
    let node = TestNode::start_with(Access::PasswordRequired);
    let answer = request(node.address, "GET", "/api/status", None, &[]);
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    let wrong = request(
        node.address,
        "GET",
        "/api/status",
        None,
        &[("Authorization", "Basic eDp3cm9uZyBob3JzZSE=")],
    );
    assert_eq!(wrong.status, 401);
    // "x:correct horse"
    let right = request(
        node.address,
        "GET",
        "/api/status",
        None,
        &[("Authorization", "Basic eDpjb3JyZWN0IGhvcnNl")],
    );
    assert_eq!(right.status, 200, "{}", right.text());
}

#[test]
fn an_old_password_hash_is_replaced_by_argon2_at_the_first_login() {
    // "correct horse" as nodes stored it before argon2: 1000 rounds of SHA-256, salt 09…09.
    const OLD_HASH: &str = "sha256i$1000$09090909090909090909090909090909$\
        1e5eae13e2743979bb3c9ab46d664135e4753a2e2dd5226b91d65f99626b7eee";
    let mut node = TestNode::start_prepared(Access::PasswordRequired, |replica| {
        replica.replace_password_hash(OLD_HASH).unwrap();
    });
    let login = |header: &str| {
        request(
            node.address,
            "GET",
            "/api/status",
            None,
            &[("Authorization", header)],
        )
        .status
    };
    // "x:wrong horse!", "x:correct horse", then "y:correct horse" (checked anew, against
    // the new hash).
    assert_eq!(login("Basic eDp3cm9uZyBob3JzZSE="), 401);
    assert_eq!(login("Basic eDpjb3JyZWN0IGhvcnNl"), 200);
    assert_eq!(login("Basic eTpjb3JyZWN0IGhvcnNl"), 200);
    node.stop();
    let stored = wishtree_node::replica::Replica::open(node.dir.path())
        .unwrap()
        .password_hash()
        .unwrap()
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(wishtree_node::password::verify_password(
        support::PASSWORD,
        &stored
    ));
    assert!(!wishtree_node::password::verify_password(
        "wrong horse!",
        &stored
    ));
}

/// A day after today by the node's clock, in ISO form.
fn tomorrow() -> String {
    wishtree_protocol::Date::from_days(wishtree_node::now().date_in_shanghai().to_days() + 1)
        .to_string()
}

/// What people type reads as they mean it; what cannot have happened yet is refused,
/// and every refusal names its field in English.
#[test]
fn typed_dates_and_money_are_read_and_future_dates_are_refused() {
    let node = TestNode::start();
    let member = id_of(&node.post("/api/members", &member_body("王建国")).1);
    let mut wish = wish_body("希望有一台微波炉");
    wish["estimated_value"] = json!("400元");
    let (status, created) = node.post("/api/wishes", &wish);
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["estimated_value"], 400);
    wish["estimated_value"] = json!("四百");
    assert_bad(
        node.post("/api/wishes", &wish),
        "estimated_value",
        "`四百` is not a whole number of yuan",
    );

    let activity = |date: &str, minutes: Value| json!({"title": "义诊", "category": "health", "date": date, "minutes": minutes});
    let (status, created) = node.post("/api/activities", &activity("2026/07/15", json!(90)));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["date"], "2026-07-15");
    let (status, created) = node.post("/api/activities", &activity("2026.7.16", json!("90")));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["date"], "2026-07-16");
    assert_bad(
        node.post("/api/activities", &activity(&tomorrow(), json!(90))),
        "date",
        "is after today",
    );
    assert_bad(
        node.post("/api/activities", &activity("2026-07-15", json!(2000))),
        "minutes",
        "minutes must be between 1 and 1440",
    );
    let service = json!({"member": member, "date": tomorrow(), "minutes": 60,
        "category": "aid"});
    assert_bad(
        node.post("/api/services", &service),
        "date",
        "is after today",
    );
    let mut late = member_body("李文杰");
    late["reported_in"] = json!(tomorrow());
    assert_bad(
        node.post("/api/members", &late),
        "reported_in",
        "is after today",
    );
    let (_, members) = node.get("/api/members");
    assert_eq!(members.as_array().unwrap().len(), 1);
    let (_, services) = node.get("/api/services");
    assert_eq!(services.as_array().unwrap().len(), 0);
    let (_, activities) = node.get("/api/activities");
    assert_eq!(activities.as_array().unwrap().len(), 2);
}
