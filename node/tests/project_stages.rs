//! Projects as Guangzhou runs them (issue 14), through the JSON API and the pages: a
//! project collected, two units' letters of intent with their shares, 立项 with both
//! (共同承接), 实施, 完成 — and every wrong step refused with its own error, nothing
//! written: in English by the API, in Chinese beside the field by the pages.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::TestNode;
use support::ui::{assert_at_field, assert_no_english, download, get, post_form, post_ok};

/// A node with two units and a project: (node, project, first unit, second unit).
fn node_with_project() -> (TestNode, String, String, String) {
    let node = TestNode::start();
    let unit = |code: &str, name: &str| {
        let (status, org) = node.post("/api/orgs", &json!({"name": name, "credit_code": code}));
        assert_eq!(status, 201, "{org}");
        org["id"].as_str().unwrap().to_owned()
    };
    let reform = unit(
        &wishtree_testkit::community::credit_code(1).to_string(),
        "沧州市发改委机关党委",
    );
    let mobile = unit(
        &wishtree_testkit::community::credit_code(2).to_string(),
        "中国移动沧州分公司党委",
    );
    let (status, project) = node.post(
        "/api/projects",
        &json!({"title": "老旧楼道加装扶手", "kind": "micro_project"}),
    );
    assert_eq!(status, 201, "{project}");
    let project = project["id"].as_str().unwrap().to_owned();
    (node, project, reform, mobile)
}

fn record(node: &TestNode, project: &str) -> Value {
    node.get(&format!("/api/projects/{project}")).1
}

fn stage(node: &TestNode, project: &str) -> String {
    record(node, project)["status"]["stage"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn events(node: &TestNode, project: &str) -> usize {
    record(node, project)["status"]["history"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_joint_project_goes_through_every_stage_by_the_api() {
    let (node, project, reform, mobile) = node_with_project();
    let path = |step: &str| format!("/api/projects/{project}/{step}");
    assert_eq!(stage(&node, &project), "collecting");
    for (unit, share, part) in [
        (&reform, json!(60), "材料"),
        (&mobile, json!("40%"), "安装"),
    ] {
        let (status, answer) = node.post(
            &path("intents"),
            &json!({"unit": unit, "share": share, "part": part}),
        );
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(stage(&node, &project), "intents");
    let (status, answer) = node.post(&path("approval"), &json!({"units": [reform, mobile]}));
    assert_eq!(status, 200, "{answer}");
    let claimants = answer["status"]["claimants"].as_array().unwrap();
    assert_eq!(claimants.len(), 2);
    assert_eq!(claimants[0]["share"], "60%");
    assert_eq!(claimants[1]["share"], "40%");
    assert_eq!(answer["status"]["state"], "claimed", "the wish-style state");
    assert_eq!(node.post(&path("start"), &json!({})).0, 200);
    assert_eq!(stage(&node, &project), "in_progress");
    assert_eq!(
        node.post(&path("fulfil"), &json!({"note": "已装好"})).0,
        200
    );
    assert_eq!(stage(&node, &project), "done");
    assert_eq!(record(&node, &project)["status"]["state"], "fulfilled");
}

/// Each wrong step: its own status and words, and the project's history unchanged.
#[test]
fn each_wrong_step_is_refused_by_the_api_and_nothing_is_written() {
    let (node, project, reform, mobile) = node_with_project();
    let path = |step: &str| format!("/api/projects/{project}/{step}");
    let intent = |unit: &str, share: Value| json!({"unit": unit, "share": share});
    let check = |step: &str, body: Value, status: u16, words: &str| {
        let before = events(&node, &project);
        let (got, answer) = node.post(&path(step), &body);
        assert_eq!(got, status, "{step} {body}: {answer}");
        assert!(
            answer.to_string().contains(words),
            "{step} {body}: {answer}"
        );
        assert_eq!(
            events(&node, &project),
            before,
            "nothing written: {step} {body}"
        );
    };
    check(
        "start",
        json!({}),
        409,
        "cannot start a project that is collecting",
    );
    check("intents", intent(&reform, json!(0)), 400, "share");
    check("intents", intent(&reform, json!("101%")), 400, "share");
    check("intents", json!({"unit": reform}), 400, "share is missing");
    check("intents", intent("zz", json!(10)), 400, "unit");
    check("approval", json!({"units": []}), 400, "units is missing");
    assert_eq!(
        node.post(&path("intents"), &intent(&reform, json!(60))).0,
        200
    );
    check(
        "intents",
        intent(&reform, json!(10)),
        409,
        "already sent a letter of intent",
    );
    check(
        "approval",
        json!({"units": [mobile]}),
        409,
        "sent no letter of intent",
    );
    assert_eq!(
        node.post(&path("intents"), &intent(&mobile, json!(50))).0,
        200
    );
    check(
        "approval",
        json!({"units": [reform, mobile]}),
        409,
        "would come to 110%",
    );
    assert_eq!(
        node.post(&path("approval"), &json!({"units": [reform]})).0,
        200
    );
    check(
        "fulfil",
        json!({"by": format!("org:{mobile}")}),
        409,
        "only the claimant",
    );
    check("terminate", json!({"note": " "}), 400, "reason");
    assert_eq!(
        node.post(&path("terminate"), &json!({"note": "资金未落实"}))
            .0,
        200
    );
    assert_eq!(stage(&node, &project), "terminated");
    check(
        "start",
        json!({}),
        409,
        "cannot start a project that is terminated",
    );
}

#[test]
fn a_worker_takes_a_joint_project_through_its_stages_on_the_pages() {
    let (node, project, reform, mobile) = node_with_project();
    let page = format!("/projects/{project}");
    let opened = get(&node, &page).text();
    assert!(opened.contains("id=\"intent-form\""), "{opened}");
    assert_no_english(&opened);

    // A letter with a share out of range, then without a unit: said at the field, in
    // Chinese, nothing written, what was typed kept.
    let intents = format!("/projects/{project}/intents");
    let refused = post_form(
        &node,
        &intents,
        &[("unit", &reform), ("share", "120"), ("part", "采购材料")],
    );
    assert_eq!(refused.status, 400);
    assert_at_field(&refused.text(), "share", "份额须为 1 到 100 的整数百分比");
    assert!(refused.text().contains("采购材料"));
    assert_no_english(&refused.text());
    assert_eq!(events(&node, &project), 0);

    post_ok(
        &node,
        &intents,
        &[("unit", &reform), ("share", "60%"), ("part", "采购材料")],
    );
    let twice = post_form(&node, &intents, &[("unit", &reform), ("share", "10")]);
    assert_eq!(twice.status, 409);
    assert_at_field(&twice.text(), "unit", "该单位已递交认领意向书");
    post_ok(&node, &intents, &[("unit", &mobile), ("share", "50")]);

    // 立项 with shares over 100%, and with nobody ticked: beside the units.
    let approval = format!("/projects/{project}/approval");
    let over = post_form(&node, &approval, &[("units", &reform), ("units", &mobile)]);
    assert_eq!(over.status, 409);
    assert_at_field(&over.text(), "units", "超过 100%");
    assert_no_english(&over.text());
    let none = post_form(&node, &approval, &[]);
    assert_eq!(none.status, 400);
    assert_at_field(&none.text(), "units", "请填写此项");
    assert_eq!(stage(&node, &project), "intents");

    // The first unit is approved alone; the second cannot join with its 50%.
    post_ok(&node, &approval, &[("units", &reform)]);
    assert_eq!(stage(&node, &project), "approved");
    let joined = post_form(&node, &approval, &[("units", &mobile)]);
    assert_eq!(joined.status, 409, "60% + 50% is over 100%");
    assert_at_field(&joined.text(), "units", "合计将达 110%");

    post_ok(&node, &format!("/projects/{project}/start"), &[]);
    let (_, done) = post_ok(
        &node,
        &format!("/projects/{project}/fulfil"),
        &[("note", "扶手已装好")],
    );
    assert!(done.text().contains("扶手已装好"));
    assert_eq!(stage(&node, &project), "done");
    let (_, rows) = download(&node, "/projects.csv");
    assert_eq!(rows[1][3], "完成");
    assert_eq!(rows[1][4], "沧州市发改委机关党委 60%");
}

#[test]
fn a_joint_project_is_on_both_units_pages_and_in_the_ledger_with_shares() {
    let (node, project, reform, mobile) = node_with_project();
    let path = |step: &str| format!("/api/projects/{project}/{step}");
    for (unit, share) in [(&reform, 60), (&mobile, 40)] {
        let body = json!({"unit": unit, "share": share});
        assert_eq!(node.post(&path("intents"), &body).0, 200);
    }
    let both = json!({"units": [reform, mobile], "note": "两委会议通过"});
    assert_eq!(node.post(&path("approval"), &both).0, 200);
    for unit in [&reform, &mobile] {
        let page = get(&node, &format!("/orgs/{unit}")).text();
        assert!(page.contains("老旧楼道加装扶手"), "{page}");
    }
    let page = get(&node, &format!("/projects/{project}")).text();
    assert!(
        page.contains("沧州市发改委机关党委 60%、中国移动沧州分公司党委 40%"),
        "{page}"
    );
    let (_, rows) = download(&node, "/projects.csv");
    assert_eq!(
        rows[1][4],
        "沧州市发改委机关党委 60%、中国移动沧州分公司党委 40%"
    );
    assert_eq!(rows[1][3], "立项");
}
