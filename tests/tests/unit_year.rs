//! A unit's whole year (issue 14), walked by a worker on a real node's pages in headless
//! Chromium (`tests/js/browser-unit-year.mjs`), then synced over loopback QUIC to a
//! real hub: the unit's figures at the hub, as a city viewer reads them from the JSON
//! API, equal what the walk did — members reported, the pairing, the joint project
//! counted once for the city and once for each of its units, person-times, service
//! hours and records, points earned and redeemed, the post's seats its members hold.
//!
//! The walk and the figures are each a list: a step is one entry of the script's
//! `steps`, a figure one [`Expected`] row, so a later record (a branch's figures) adds
//! a step and a row.
//!
//! Needs node.js, Debian's Chromium and `npm ci` in `tests/js`, as every browser test
//! ([`wishtree_testkit::browser`]): without them it is skipped loudly, or fails when
//! `WISHTREE_REQUIRE_ALL_TESTS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use serde_json::{Value, json};
use wishtree_node::run::RunningNode;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::model::Org;
use wishtree_protocol::uscc::CreditCode;
use wishtree_testkit::browser::{js_dir, run_to_end};
use wishtree_testkit::community::credit_code;
use wishtree_testkit::{Request, socket};
use wishtree_tests::city::{
    CityViewer, add_city_viewer, any_port, enrolled_node, hub_holds_node, init_hub, start_hub,
    wait_until,
};

const LIMIT: Duration = Duration::from_secs(30);

/// A unit of the city's directory, as the walk finds it.
struct Unit {
    code: CreditCode,
    name: &'static str,
    /// What the worker types into the directory search.
    search: &'static str,
}

/// One figure the hub must show after the walk: at `path` (JSON API), the value at
/// `pointer` (RFC 6901), and why it is that.
struct Expected {
    path: String,
    pointer: String,
    value: Value,
    why: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_units_whole_year_on_the_nodes_pages_is_what_the_hub_counts() {
    if !wishtree_testkit::browser::available("the unit's year in the browser") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    let units = [
        Unit {
            code: credit_code(1),
            name: "沧州市发展和改革委员会机关党委",
            search: "发展和改革",
        },
        Unit {
            code: credit_code(2),
            name: "中国移动沧州分公司党委",
            search: "移动",
        },
    ];
    for unit in &units {
        put_in_directory(&hub_dir, unit);
    }
    let viewer = add_city_viewer(&hub_dir, "city-viewer").unwrap();
    let hub = start_hub(&hub_dir, any_port(), any_port()).await.unwrap();
    let community: CommunityCode = "130903001001".parse().unwrap();
    let node = enrolled_node(&hub, &hub_dir, community).await.unwrap();
    node_has_directory(&node, &units).await;

    let today = wishtree_node::now().date_in_shanghai().to_string();
    let given = json!({
        "today": today,
        "units": units.iter().map(|unit| json!({
            "code": unit.code.as_str(), "name": unit.name, "search": unit.search,
        })).collect::<Vec<_>>(),
    });
    let address = node.http_addr;
    let stdout = tokio::task::spawn_blocking(move || walk(address, &given))
        .await
        .unwrap();
    let done: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("the walk's summary ({error}): {stdout}"));
    eprintln!("walked: {done}");

    hub_holds_node(&hub, &node, community, LIMIT).await.unwrap();
    let http = hub.http_addr;
    let unit = format!("/api/orgs/{}/figures", units[0].code.as_str());
    let partner = format!("/api/orgs/{}/figures", units[1].code.as_str());
    // The branch the walk adds under the unit, by its citywide id.
    let branch_id = Org::id_for_party_org(&units[0].code, "第一党支部");
    let branch = format!("/api/orgs/{branch_id}/figures");
    let expected = expected_figures(&unit, &partner, &branch);
    let holds = |expected: &Expected| {
        read(http, &expected.path, &viewer).pointer(&expected.pointer) == Some(&expected.value)
    };
    // The figures worker derives after the documents arrive: wait until every figure
    // holds, then say which does not if one never does.
    let waited = wait_until(LIMIT, "the hub's figures of the walk", || {
        expected.iter().all(holds)
    })
    .await;
    for expected in expected
        .iter()
        .filter(|expected| waited.is_err() || !holds(expected))
    {
        let answer = read(http, &expected.path, &viewer);
        assert_eq!(
            answer.pointer(&expected.pointer),
            Some(&expected.value),
            "{} {}: {}\n{answer}",
            expected.path,
            expected.pointer,
            expected.why,
        );
    }
    waited.unwrap();

    node.stop().await;
    hub.stop().await;
}

/// What the walk did, as the hub must count it. Two members of the unit attended an
/// activity of an hour each (two person-times, their attendance confirmed by the
/// worker: two service records), served 2 and 1.5 hours on their own (a third record,
/// an hour, was voided), at the default 10 points an hour; one redeemed a benefit of
/// 5 points. The activity is the community's, not the unit's. The second member
/// (1 + 1.5 hours) belongs to the unit's branch: the branch counts hers, the unit
/// (by its credit code) sums its own organisation's and the branch's.
fn expected_figures(unit: &str, partner: &str, branch: &str) -> Vec<Expected> {
    let city = "/api/figures";
    let rows = [
        (unit, "/members_reported", json!(2), "the two members"),
        (unit, "/orgs_reported", json!(2), "its own and its branch"),
        (unit, "/pairings", json!(1), "the pairing signed"),
        (unit, "/projects/total", json!(1), "the joint project"),
        (unit, "/projects/fulfilled", json!(1), "completed"),
        (unit, "/project_stages/done", json!(1), "完成"),
        (unit, "/project_stages/joint", json!(1), "共同承接"),
        (unit, "/orgs_with_claimed_project", json!(1), "it holds it"),
        (unit, "/participations", json!(2), "both at the activity"),
        (unit, "/activities", json!(0), "the community's"),
        (unit, "/service_records", json!(4), "the void not counted"),
        (
            unit,
            "/service_minutes",
            json!(330),
            "2 × 1 h + 2 h + 1.5 h",
        ),
        (unit, "/service_hours", json!(5.5), "2 × 1 h + 2 h + 1.5 h"),
        (unit, "/points_earned", json!(55), "10 points an hour"),
        (unit, "/points_redeemed", json!(5), "one benefit"),
        (unit, "/posts/posts", json!(1), "the post its members hold"),
        (
            unit,
            "/posts/seats_held",
            json!(2),
            "both seats, by its members",
        ),
        (city, "/posts/seats", json!(2), "the post's two seats"),
        (city, "/posts/seats_held", json!(2), "both filled"),
        (
            partner,
            "/project_stages/done",
            json!(1),
            "the partner's too",
        ),
        (partner, "/project_stages/joint", json!(1), "共同承接"),
        (
            partner,
            "/projects/fulfilled",
            json!(1),
            "credited to each unit",
        ),
        (partner, "/members_reported", json!(0), "no member of it"),
        (branch, "/members_reported", json!(1), "its one member"),
        (branch, "/participations", json!(1), "she attended"),
        (
            branch,
            "/service_records",
            json!(2),
            "attendance and her own",
        ),
        (branch, "/service_minutes", json!(150), "1 h + 1.5 h"),
        (branch, "/points_earned", json!(25), "10 points an hour"),
        (branch, "/posts/seats_held", json!(1), "her seat"),
        (city, "/projects/total", json!(1), "once, not twice"),
        (city, "/project_stages/done", json!(1), "once"),
        (city, "/project_stages/joint", json!(1), "once"),
        (
            city,
            "/orgs_reported",
            json!(3),
            "both units and the branch",
        ),
        (city, "/members_reported", json!(2), "both members"),
        (city, "/activities", json!(1), "the activity"),
        (city, "/participations", json!(2), "its person-times"),
        (city, "/points_redeemed", json!(5), "one benefit"),
        (
            city,
            "/orgs_with_claimed_project",
            json!(2),
            "both took it on",
        ),
    ];
    rows.into_iter()
        .map(|(path, pointer, value, why)| Expected {
            path: path.to_owned(),
            // A unit's and a branch's figures are under `figures` of its profile.
            pointer: if path == city {
                pointer.to_owned()
            } else {
                format!("/figures{pointer}")
            },
            value,
            why,
        })
        .collect()
}

/// Adds `unit` to the city's directory at the hub in `hub_dir`, as
/// `wishtree-hub city org` does.
fn put_in_directory(hub_dir: &std::path::Path, unit: &Unit) {
    let data = hub_dir.display().to_string();
    let line = [
        "wishtree-hub",
        "city",
        "org",
        "--data",
        &data,
        "--credit-code",
        unit.code.as_str(),
        "--name",
        unit.name,
    ];
    wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(line).unwrap()).unwrap();
}

/// Waits until the node holds the city document with every unit of `units`, for at
/// most [`LIMIT`]: the walk starts from the directory.
async fn node_has_directory(node: &RunningNode, units: &[Unit]) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let directory = node.replica.lock().await.city_view().map(|city| city.orgs);
        if directory.is_ok_and(|orgs| units.iter().all(|u| orgs.contains_key(u.code.as_str()))) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the city's directory did not reach the node in {LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the walk against the node at `address`; its summary.
fn walk(address: SocketAddr, given: &Value) -> String {
    let mut command = Command::new("node");
    command
        .arg("browser-unit-year.mjs")
        .arg(format!("http://{address}"))
        .arg(given.to_string())
        .current_dir(js_dir());
    run_to_end(command)
}

/// The JSON at `path` of the hub at `address`, as `viewer` reads it.
fn read(address: SocketAddr, path: &str, viewer: &CityViewer) -> Value {
    let answer = socket::send(
        address,
        &Request::get(path).header("Authorization", &viewer.authorization),
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    serde_json::from_str(&answer.text()).unwrap()
}
