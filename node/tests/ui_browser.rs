//! The web UI in headless Chromium: a worker records a wish on the intake form,
//! publishes it, claims it for a member, and sees its apple turn red
//! (`tests/js/browser-node.mjs`); the JSON API then agrees the wish is claimed. A
//! worker's day at a phone and a desktop (`tests/js/browser-node-day.mjs`), the
//! ledger's pages included (organisations, the directory search, pairings, posts,
//! projects, branches, teams, service records, redemptions, corrections): no
//! horizontal overflow, no English on Chinese pages, 44 px controls, a folding nav
//! whose groups open on hover or focus, a rejection through its confirmation; and the half-year report
//! printed to PDF by Chromium's own `--print-to-pdf`, on A4.
//!
//! Needs node.js, Debian's Chromium at /usr/bin/chromium and `npm ci` in `tests/js`
//! (`scripts/test-all` installs them). Without them the test is skipped loudly, or
//! fails when `WISHTREE_REQUIRE_ALL_TESTS=1`.

#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use serde_json::json;
use support::TestNode;
use wishtree_testkit::browser::{js_dir, run_to_end};

fn browser_available() -> bool {
    wishtree_testkit::browser::available("node browser test")
}

/// One of the scripts in `tests/js`, run against `node` with `args`.
fn script(name: &str, node: &TestNode, args: &[&str]) -> String {
    let mut command = Command::new("node");
    command
        .arg(name)
        .arg(format!("http://{}", node.address))
        .args(args)
        .current_dir(js_dir());
    run_to_end(command)
}

#[test]
fn a_worker_records_publishes_and_claims_a_wish_and_the_apple_turns_red() {
    if !browser_available() {
        return;
    }
    let node = TestNode::start();
    let (status, _) = node.post(
        "/api/members",
        &json!({"name": "张婷", "work_unit": "密云区城关派出所", "reported_in": "2026-05-20"}),
    );
    assert_eq!(status, 201);

    let stdout = script("browser-node.mjs", &node, &[]);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let wish = summary["wish"].as_str().unwrap();
    let (status, record) = node.get(&format!("/api/wishes/{wish}"));
    assert_eq!(status, 200);
    assert_eq!(record["status"]["state"], "claimed", "{record}");
    assert_eq!(record["title"], "希望有一台微波炉");
}

/// A node with a unit organisation from the city's directory and its pairing, a
/// member of that unit who served, a submitted wish, a claimed one, an activity, a
/// post one seat of which the organisation holds and a project it claimed: the node
/// and the ids (`member`, `wish` the submitted one, `activity`, `org`, `pairing`,
/// `post`, `project`).
fn seeded_node() -> (TestNode, serde_json::Value) {
    let code = wishtree_testkit::community::credit_code(1).to_string();
    let node = support::node_with_directory(&[(&code, "沧州市发展和改革委员会机关党委")]);
    let id = |(status, body): (u16, serde_json::Value)| {
        assert!(status == 201 || status == 200, "{status} {body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let org = id(node.post(
        "/api/orgs",
        &json!({"credit_code": code, "name": "沧州市发展和改革委员会机关党委"}),
    ));
    let pairing = id(node.post(
        "/api/pairings",
        &json!({"org": org, "commitments": ["每季度开展一次志愿服务", "资助两名困难学生"],
                "signed_on": "2026-03-01"}),
    ));
    let post = id(node.post(
        "/api/posts",
        &json!({"kind": "aid", "title": "楼道长", "detail": "每周走访独居老人", "seats": 2}),
    ));
    let (status, _) = node.post(
        &format!("/api/posts/{post}/claim"),
        &json!({"by": format!("org:{org}")}),
    );
    assert_eq!(status, 200, "the post's seat");
    let project = id(node.post(
        "/api/projects",
        &json!({"title": "加装楼道扶手", "kind": "micro_project", "detail": "3号楼老人多"}),
    ));
    for (action, body) in [
        ("publish", json!({})),
        ("claim", json!({"by": format!("org:{org}")})),
    ] {
        let (status, answer) = node.post(&format!("/api/projects/{project}/{action}"), &body);
        assert_eq!(status, 200, "{action}: {answer}");
    }
    let member = id(node.post(
        "/api/members",
        &json!({
            "name": "欧阳晓明", "work_unit": "密云区人民政府办公室（区政府研究室）",
            "org": format!("org:{org}"),
            "position": "四级调研员", "specialties": ["法律咨询", "书法"],
            "intentions": ["law_policy", "culture_sport"], "reported_in": "2026-05-20",
            "address": "3号楼2单元501", "phone": "13912345678",
        }),
    ));
    let today = wishtree_node::now().date_in_shanghai().to_string();
    let activity = id(node.post(
        "/api/activities",
        &json!({"title": "青少年七彩暑期安全教育", "category": "safety", "date": today,
                "minutes": 90, "place": "惠新苑社区居委会"}),
    ));
    let (status, _) = node.post(
        &format!("/api/activities/{activity}/participants"),
        &json!({"member": member}),
    );
    assert_eq!(status, 201, "sign-up");
    let wish = |title: &str| {
        id(node.post(
            "/api/wishes",
            &json!({"title": title, "kind": "goods", "group": "elderly_alone",
                    "resident_label": "行宫社区 彭女士"}),
        ))
    };
    let claimed = wish("希望有人陪伴聊天，每周一次");
    for (action, body) in [
        ("publish", json!({})),
        ("claim", json!({"by": format!("member:{member}")})),
    ] {
        let (status, answer) = node.post(&format!("/api/wishes/{claimed}/{action}"), &body);
        assert_eq!(status, 200, "{action}: {answer}");
    }
    let submitted = wish("希望有一台微波炉");
    let branch = id(node.post(
        "/api/branches",
        &json!({"name": "行宫社区在职党员功能型党支部", "secretary": member, "founded_on": "2026-05-01"}),
    ));
    let team = id(node.post(
        "/api/teams",
        &json!({"name": "法律援助服务队", "focus": "法律援助、矛盾调解"}),
    ));
    let service = id(node.post(
        "/api/services",
        &json!({"member": member, "date": "2026-06-01", "minutes": 120, "category": "aid",
                "description": "陪独居老人就医"}),
    ));
    let voided = id(node.post(
        "/api/services",
        &json!({"member": member, "date": "2026-06-02", "minutes": 60, "category": "aid",
                "description": "登记重复"}),
    ));
    let void = id(node.post(
        "/api/voids",
        &json!({"service": voided, "reason": "与 6 月 1 日的记录重复"}),
    ));
    let redemption = id(node.post(
        "/api/redemptions",
        &json!({"member": member, "points": 5, "reason": "兑换洗衣液一瓶"}),
    ));
    let seeded = json!({"member": member, "wish": submitted, "activity": activity,
                        "org": org, "pairing": pairing, "post": post,
                        "project": project, "branch": branch, "team": team,
                        "service": service, "voided": voided, "void": void,
                        "redemption": redemption});
    (node, seeded)
}

#[test]
fn a_workers_day_fits_a_phone_and_a_desktop_in_chinese() {
    if !browser_available() {
        return;
    }
    let (node, seeded) = seeded_node();
    let wish = seeded["wish"].as_str().unwrap().to_owned();
    let stdout = script("browser-node-day.mjs", &node, &[&seeded.to_string()]);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    eprintln!("measured: {summary}");
    let (_, record) = node.get(&format!("/api/wishes/{wish}"));
    assert_eq!(record["status"]["state"], "rejected", "{record}");
}

#[test]
fn the_half_year_report_prints_to_a4_pdf() {
    if !browser_available() {
        return;
    }
    let (node, seeded) = seeded_node();
    let member = seeded["member"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    let mut command = Command::new("/usr/bin/chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!(
            "http://{}/reports/half-year?member={member}",
            node.address
        ));
    run_to_end(command);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    // Chromium writes each page's size uncompressed: A4 is 595.92 × 842.88 points
    // (210 × 297 mm); US Letter, its default without the print stylesheet, 612 × 792.
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<&str> = text
        .match_indices("/MediaBox [")
        .map(|(at, _)| {
            let rest = &text[at + 11..];
            &rest[..rest.find(']').unwrap()]
        })
        .collect();
    assert!(!boxes.is_empty(), "no page in the PDF");
    for media_box in &boxes {
        let numbers: Vec<f64> = media_box
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let (width, height) = (numbers[2] - numbers[0], numbers[3] - numbers[1]);
        assert!(
            (width - 595.3).abs() < 2.0 && (height - 841.9).abs() < 2.0,
            "a page of {width}×{height} points is not A4"
        );
    }
    // The navigation does not print (a short report fits one page; with the header,
    // the status bar and the forms it did not).
    assert_eq!(boxes.len(), 1, "{boxes:?}");
}
