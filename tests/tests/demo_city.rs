//! The demo city, as the README's first command runs it, on port 0 in a temp dir: once
//! it says it is in sync, the hub's figures show the seeded communities; a second run
//! on the same data seeds nothing again; a wish claimed on a node reaches the figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use wishtree_protocol::command::Command;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, EventKind};
use wishtree_protocol::text::Detail;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, Date, Timestamp};
use wishtree_testkit::login::log_in;
use wishtree_testkit::socket::{self, get_json_with};
use wishtree_tests::city::{any_port, wait_until};
use wishtree_tests::demo::run::{
    CAMPAIGN_TITLE, DemoCity, DemoOptions, IN_SYNC, UNIT, UNIT_INDEX, VIEWER, start,
};
use wishtree_tests::demo::seed::{CITY, DISTRICTS, STREETS, city_orgs, demo_city};

const LIMIT: Duration = Duration::from_secs(30);

/// The figures a user checks on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    members: u64,
    wishes: u64,
    published: u64,
    claimed: u64,
    fulfilled: u64,
    activities: u64,
    volunteers: u64,
    volunteer_minutes: u64,
}

/// What the seed's commands add up to, derived from the commands themselves.
fn expected_counts() -> Counts {
    let mut counts = Counts {
        members: 0,
        wishes: 0,
        published: 0,
        claimed: 0,
        fulfilled: 0,
        activities: 0,
        volunteers: 0,
        volunteer_minutes: 0,
    };
    for view in seeded_views() {
        let in_state = |state| {
            view.wishes
                .values()
                .filter(|wish| wish.status.state == state)
                .count() as u64
        };
        counts.members += view.members.len() as u64;
        counts.wishes += view.wishes.len() as u64;
        counts.published += in_state(ClaimState::Published);
        counts.claimed += in_state(ClaimState::Claimed);
        counts.fulfilled += in_state(ClaimState::Fulfilled);
        counts.activities += view.activities.len() as u64;
        counts.volunteers += view.volunteers.len() as u64;
        counts.volunteer_minutes += view
            .counted_volunteer_services()
            .map(|(_, service)| u64::from(service.minutes))
            .sum::<u64>();
    }
    counts
}

/// Each seeded community's view, from the seed's commands alone.
fn seeded_views() -> Vec<CommunityView> {
    let mut counter = 0u64;
    let mut ids = move || {
        counter += 1;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        bytes
    };
    let today = Date::new(2026, 11, 20).unwrap().start_in_shanghai();
    let mut views = Vec::new();
    for community in demo_city(&mut ids) {
        let mut doc = CommunityDoc::create(community.code, community.name, ids(), today).unwrap();
        let worker = Actor::Worker(community.worker.to_owned());
        for (days_ago, command) in &community.commands {
            let at = Timestamp::from_millis(today.as_millis() - i64::from(*days_ago) * 86_400_000);
            doc.execute(command, &worker, at).unwrap();
        }
        views.push(CommunityView::derive(&doc).unwrap());
    }
    views
}

/// The demo seeds scoring items (积分项目) and a benefit catalogue (福利清单), and a
/// member redeems a benefit from it at the catalogue's cost.
#[test]
fn the_demo_seeds_scoring_rates_and_a_benefit_catalogue_with_a_redemption() {
    let views = seeded_views();
    let view = views
        .iter()
        .find(|view| !view.benefits.is_empty())
        .expect("a community with a benefit catalogue");
    assert!(view.scoring.len() >= 2, "{:?}", view.scoring);
    assert!(view.benefits.len() >= 2, "{:?}", view.benefits);
    let redemptions: Vec<_> = view
        .passbook
        .values()
        .filter(|entry| !entry.is_voided)
        .filter_map(|entry| Some((entry.entity.benefit?, entry.entity.points)))
        .collect();
    assert!(!redemptions.is_empty(), "no benefit redeemed");
    for (benefit, points) in redemptions {
        assert_eq!(
            points, view.benefits[&benefit].cost,
            "points from the catalogue"
        );
    }
}

/// The demo seeds a volunteer beyond the members (离退休党员) who holds a wish and
/// served, apart from the members' service.
#[test]
fn the_demo_seeds_a_volunteer_who_claims_a_wish_and_serves() {
    let views = seeded_views();
    let view = views
        .iter()
        .find(|view| !view.volunteers.is_empty())
        .expect("a community with a volunteer");
    let (id, _) = view.volunteers.iter().next().unwrap();
    let held = view
        .wishes
        .values()
        .filter(|wish| wish.status.claimant == Some(Actor::Volunteer(*id)))
        .count();
    assert!(held >= 1, "the volunteer holds no wish");
    assert!(view.counted_volunteer_services().count() >= 1);
}

/// The demo collects 名人社区's wishes in two rounds (分批): the first closed, the
/// second open, each wish in the round of its day.
#[test]
fn the_demo_collects_wishes_in_two_rounds() {
    let views = seeded_views();
    let view = views
        .iter()
        .find(|view| view.rounds.len() == 2)
        .expect("a community with two rounds");
    let by_name = |name: &str| {
        let (id, _) = view
            .rounds
            .iter()
            .find(|(_, round)| round.name == name)
            .unwrap();
        view.wishes
            .values()
            .filter(|wish| wish.entity.round == Some(*id))
            .count()
    };
    assert_eq!(by_name("第一批"), 1);
    assert_eq!(by_name("第二批"), 3);
    assert!(view.wishes.values().all(|wish| wish.entity.round.is_some()));
}

/// 名人社区 keeps 水月寺街道's own records: the city office's branch reported in to the
/// street and paired with it, beside the community's own pairing with the court.
#[test]
fn the_demo_pairs_a_unit_with_the_street_its_host_community_keeps() {
    let views = seeded_views();
    let view = views
        .iter()
        .find(|view| view.community.name == "名人社区")
        .unwrap();
    let street = Some("130903001".parse().unwrap());
    let pairing = view
        .pairings
        .values()
        .find(|pairing| pairing.entity.street == street)
        .expect("a pairing with the street");
    let office = &view.orgs[&pairing.entity.org];
    assert_eq!(office.name, "沧州市委办公室机关党支部");
    assert!(office.street_reported_in.is_some());
    assert!(view.pairings.values().any(|p| p.entity.street.is_none()));
}

/// The hub's API answer at `path`, signed in as the demo's city viewer with the
/// password the demo printed.
fn hub_json(city: &DemoCity, path: &str) -> serde_json::Value {
    let hub = city.hub.http_addr;
    let session = log_in(
        &mut |request| socket::send(hub, &request).unwrap(),
        VIEWER,
        &city.viewer_password,
    );
    get_json_with(
        &format!("http://{hub}{path}"),
        &[("Cookie", &session.cookie)],
    )
}

/// The city's figures as the hub's API answers them, if it answers.
fn hub_counts(city: &DemoCity) -> Option<Counts> {
    let figures = hub_json(city, &format!("/api/figures?region={}", CITY.0));
    let number = |value: &serde_json::Value| value.as_u64();
    Some(Counts {
        members: number(&figures["members_reported"])?,
        wishes: number(&figures["wishes"]["total"])?,
        published: number(&figures["wishes"]["published"])?,
        claimed: number(&figures["wishes"]["claimed"])?,
        fulfilled: number(&figures["wishes"]["fulfilled"])?,
        activities: number(&figures["activities"])?,
        volunteers: number(&figures["volunteers"]["registered"]["total"])?,
        volunteer_minutes: number(&figures["volunteers"]["service_minutes"]["total"])?,
    })
}

fn options(data: &std::path::Path) -> DemoOptions {
    let mut options = DemoOptions::new(data);
    options.hub_quic = any_port();
    options.hub_http = any_port();
    options.first_node_port = 0;
    options.sync_limit = LIMIT;
    options
}

/// Starts the demo city and waits until it says it is in sync; returns what it printed.
async fn start_in_sync(options: &DemoOptions) -> (DemoCity, String) {
    let mut out = Vec::new();
    let city = start(options, &mut out).await.unwrap();
    city.wait_in_sync(&mut out).await.unwrap();
    (city, String::from_utf8(out).unwrap())
}

async fn wait_for_counts(city: &DemoCity, expected: Counts) {
    let mut seen = None;
    let waited = wait_until(LIMIT, "the hub's figures", || {
        seen = hub_counts(city);
        seen == Some(expected)
    })
    .await;
    assert!(
        waited.is_ok(),
        "the hub shows {seen:?}, the seed makes {expected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_city_syncs_its_seed_reuses_it_and_shows_a_new_claim() {
    let dir = tempfile::tempdir().unwrap();
    let options = options(&dir.path().join("demo-data"));
    let expected = expected_counts();

    // First run: built, started, every URL printed, in sync, figures as seeded.
    let (city, printed) = start_in_sync(&options).await;
    assert!(city.is_new);
    assert!(printed.contains(IN_SYNC), "{printed}");
    assert!(printed.contains(&format!(
        "http://{}/  login: {VIEWER} / {}",
        city.hub.http_addr, city.viewer_password
    )));
    for node in &city.nodes {
        assert!(
            printed.contains(node.name)
                && printed.contains(&format!("http://{}/", node.node.http_addr)),
            "{printed}"
        );
    }
    assert!(printed.contains(&city.hub.key.to_string()));
    assert_eq!(city.nodes.len(), 3);
    wait_for_counts(&city, expected).await;
    // The member card it prints opens a member's page at the hub, once synced.
    let card = printed
        .split_whitespace()
        .find_map(|word| word.split_once("/m/card#").map(|(_, card)| card.to_owned()))
        .unwrap_or_else(|| panic!("no member card link: {printed}"));
    let exchange = wishtree_testkit::http::Request::json(
        "POST",
        "/api/card-session",
        &serde_json::json!({ "card": card }),
    )
    .header("Host", &city.hub.http_addr.to_string());
    let answer = wishtree_testkit::socket::send(city.hub.http_addr, &exchange).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    // The resident's poster link it prints opens the hub's wish form for the community,
    // once the node's encryption key has reached the hub.
    let poster = printed
        .split_whitespace()
        .find_map(|word| {
            word.split_once("/m/wish/new?c=")
                .map(|(_, code)| code.to_owned())
        })
        .unwrap_or_else(|| panic!("no resident poster link: {printed}"));
    let form_path = format!("/m/wish/new?c={poster}");
    let waited = wait_until(LIMIT, "the poster's form at the hub", || {
        let request = wishtree_testkit::http::Request::get(&form_path)
            .header("Host", &city.hub.http_addr.to_string());
        let form = wishtree_testkit::socket::send(city.hub.http_addr, &request).unwrap();
        form.status == 200 && form.text().contains("提交微心愿")
    })
    .await;
    assert!(waited.is_ok(), "{form_path}");
    // The campaign the city document sets is measured over every member reported in.
    let mut campaigns = serde_json::Value::Null;
    let url = format!("/api/campaigns?region={}", CITY.0);
    let waited = wait_until(LIMIT, "the city's campaign", || {
        campaigns = hub_json(&city, &url);
        campaigns[0]["title"] == CAMPAIGN_TITLE
    })
    .await;
    assert!(waited.is_ok(), "{campaigns}");
    let campaign = &campaigns[0];
    assert_eq!(campaign["eligible"], expected.members, "{campaign}");
    let met = campaign["met"].as_u64().unwrap();
    assert!(met > 0 && met <= expected.members, "{campaign}");
    assert_eq!(campaign["behind"], expected.members - met);
    // Every unit declared its in-service members: coverage counts them.
    let coverage = hub_json(&city, &format!("/api/coverage?region={}", CITY.0));
    assert_eq!(coverage["units"], 6, "{coverage}");
    assert!(coverage["reported"].as_u64().unwrap() > 0, "{coverage}");
    // The unit's account it prints opens its members' sealed 2026H1 reports, each
    // verified and evaluated.
    let unit_code = city_orgs()[UNIT_INDEX].0;
    assert!(
        printed.contains(&format!(
            "http://{}/orgs/{unit_code}/reports  login: {UNIT} / {}",
            city.hub.http_addr, city.unit_password
        )),
        "{printed}"
    );
    let hub = city.hub.http_addr;
    let unit = log_in(
        &mut |request| socket::send(hub, &request).unwrap(),
        UNIT,
        &city.unit_password,
    );
    let reports = format!("http://{hub}/api/orgs/{unit_code}/reports?period=2026H1");
    let mut members = serde_json::Value::Null;
    let waited = wait_until(LIMIT, "the unit's sealed reports", || {
        members = get_json_with(&reports, &[("Cookie", &unit.cookie)])["members"].clone();
        members.as_array().is_some_and(|members| {
            !members.is_empty()
                && members
                    .iter()
                    .all(|m| m["seal"]["state"] == "verified" && m["grade"].is_string())
        })
    })
    .await;
    assert!(waited.is_ok(), "{members}");
    // The regions carry the names `wishtree-hub region name` gave them.
    for (code, name) in std::iter::once(CITY).chain(DISTRICTS).chain(STREETS) {
        let figures = hub_json(&city, &format!("/api/figures?region={code}"));
        assert_eq!(figures["name"], name, "the name of {code}");
    }
    // 水月寺街道's own records, kept by 名人社区 (its only community here), count for
    // the street as its row 街道本级, and not for the community.
    let children = hub_json(&city, "/api/figures/children?region=130903001");
    let own = children
        .as_array()
        .unwrap()
        .iter()
        .find(|child| child["name"] == "街道本级")
        .unwrap_or_else(|| panic!("no 街道本级 among {children}"));
    assert_eq!(own["figures"]["pairings"], 1, "{own}");
    assert_eq!(own["figures"]["orgs_reported"], 1, "{own}");
    let pairings = |region: &str| {
        hub_json(&city, &format!("/api/figures?region={region}"))["pairings"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(pairings("130903001"), pairings("130903001001") + 1);
    city.stop().await;

    // Second run on the same data: reused, nothing seeded again.
    let (city, printed) = start_in_sync(&options).await;
    assert!(!city.is_new);
    assert!(printed.contains("reusing"), "{printed}");
    assert!(printed.contains(IN_SYNC), "{printed}");
    wait_for_counts(&city, expected).await;
    let mut members_on_nodes = 0;
    for node in &city.nodes {
        members_on_nodes += node.node.replica.lock().await.view().unwrap().members.len() as u64;
    }
    assert_eq!(members_on_nodes, expected.members);

    // A member claims a published wish on a node; the hub's figures follow.
    {
        let mut replica = city.nodes[0].node.replica.lock().await;
        let view = replica.view().unwrap();
        let wish = view
            .wishes
            .iter()
            .find(|(_, wish)| wish.status.state == ClaimState::Published)
            .map(|(id, _)| *id)
            .expect("the seed has a published wish");
        let member = *view.members.keys().next().unwrap();
        let claim = Command::WishEvent {
            id: wish,
            kind: EventKind::Claim,
            by: Actor::Member(member),
            note: Detail::parse("note", "").unwrap(),
        };
        replica.execute(&claim, wishtree_node::now()).unwrap();
    }
    let claimed_at = std::time::Instant::now();
    wait_for_counts(
        &city,
        Counts {
            published: expected.published - 1,
            claimed: expected.claimed + 1,
            ..expected
        },
    )
    .await;
    // Not a timed assertion (the machine is shared): the figure for the note.
    eprintln!(
        "the claim reached the hub's figures {} ms after it was saved on the node",
        claimed_at.elapsed().as_millis()
    );
    city.stop().await;
}
