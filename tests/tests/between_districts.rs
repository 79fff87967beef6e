//! Between districts: the district hub of 运河区 sends the district hub of 新华区 the
//! documents of the communities where members of a 新华区 organisation live, as signed
//! bundles; the receiver checks who carried them (a district hub on the city's
//! roster), for whom, and that the community signed its heads, then applies them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use automerge::ChangeHash;
use clap::Parser;
use wishtree_hub::store::{EnrolledRole, HubStore, StoredDoc};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::model::Org;
use wishtree_protocol::text::{Label, Name};
use wishtree_protocol::uscc::CreditCode;
use wishtree_tests::city::{
    any_port, hub_key, init_hub, init_node, start_hub, start_node, wait_until,
};
use wishtree_tests::demo::seed::city_orgs;

const LIMIT: Duration = Duration::from_secs(30);

fn hub_cli(args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["wishtree-hub"];
    argv.extend_from_slice(args);
    wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(argv)?)
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_hub_sends_a_peer_the_communities_of_its_organisations_members() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    init_hub(&path("city"), "1309").unwrap();
    let city = start_hub(&path("city"), any_port(), any_port())
        .await
        .unwrap();
    let city_store = wishtree_hub::data_dir::open_store(&path("city")).unwrap();
    let (city_quic, city_key) = (city.quic_addr.to_string(), city.key.to_string());
    for (name, district) in [("yunhe", "130903"), ("xinhua", "130902")] {
        let data = path(name).display().to_string();
        hub_cli(&[
            "init",
            "--data",
            &data,
            "--city",
            "1309",
            "--district",
            district,
            "--upstream",
            &city_quic,
            "--upstream-key",
            &city_key,
        ])
        .unwrap();
        city_store
            .enroll(
                hub_key(&path(name)).unwrap(),
                EnrolledRole::Hub {
                    scope: district.parse().unwrap(),
                },
                wishtree_hub::clock::now(),
            )
            .unwrap();
    }

    // A community of 运河区 where a member of a 新华区 organisation (the court) lives.
    let community: CommunityCode = "130903001001".parse().unwrap();
    let yunhe = start_hub(&path("yunhe"), any_port(), any_port())
        .await
        .unwrap();
    let replica = init_node(
        &path("node"),
        community,
        "名人社区",
        "社区书记",
        yunhe.quic_addr,
        yunhe.key,
    )
    .unwrap();
    city_store
        .enroll(
            replica.public_key(),
            EnrolledRole::Node { community },
            wishtree_hub::clock::now(),
        )
        .unwrap();
    drop(replica);
    let node = start_node(&path("node"), any_port()).await.unwrap();
    let (court_code, court_name): (CreditCode, &str) = city_orgs()[0];
    let heads = {
        let mut replica = node.replica.lock().await;
        let now = wishtree_node::now();
        replica
            .execute(
                &Command::AddOrg {
                    credit_code: court_code,
                    name: Name::parse("name", court_name).unwrap(),
                    reported_in: None,
                },
                now,
            )
            .unwrap();
        replica
            .execute(
                &Command::AddMember {
                    id: MemberId::from_bytes([7; 16]),
                    member: MemberFields {
                        name: Name::parse("name", "刘法官").unwrap(),
                        work_unit: Label::parse("work_unit", court_name).unwrap(),
                        org: Some(Org::id_for(&court_code)),
                        position: Label::parse("position", "审判员").unwrap(),
                        specialties: Vec::new(),
                        intentions: Vec::new(),
                        reported_in: "2026-05-01".parse().unwrap(),
                        branch: None,
                        team: None,
                    },
                },
                now,
            )
            .unwrap();
        sorted(replica.heads())
    };
    let yunhe_store =
        std::sync::Arc::new(wishtree_hub::data_dir::open_store(&path("yunhe")).unwrap());
    let yunhe_figures =
        wishtree_hub::figure_store::FigureStore::Local(std::sync::Arc::clone(&yunhe_store));
    wait_until(
        LIMIT,
        "the community to reach its district hub with figures",
        || {
            sorted(
                yunhe
                    .hub()
                    .heads(wishtree_protocol::frame::DocId::Community(community))
                    .unwrap(),
            ) == heads
                && wishtree_hub::exchange::communities_of_org(&yunhe_figures, &court_code)
                    .is_ok_and(|found| found == [community])
                && yunhe_store.attestation(community).unwrap().is_some()
        },
    )
    .await
    .unwrap();
    node.stop().await;
    yunhe.stop().await;

    // 运河区 sends; 新华区 (which has the city's roster from its own session) imports.
    let xinhua = start_hub(&path("xinhua"), any_port(), any_port())
        .await
        .unwrap();
    let xinhua_store = wishtree_hub::data_dir::open_store(&path("xinhua")).unwrap();
    wait_until(LIMIT, "新华区 to hold the city's roster", || {
        xinhua_store.community_key(community).unwrap().is_some()
    })
    .await
    .unwrap();
    xinhua.stop().await;
    let outbox = path("outbox");
    let xinhua_key = hub_key(&path("xinhua")).unwrap().to_string();
    hub_cli(&[
        "send",
        "--data",
        &path("yunhe").display().to_string(),
        "--org",
        court_code.as_str(),
        "--to",
        &xinhua_key,
        "--out",
        &outbox.display().to_string(),
    ])
    .unwrap();
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one community has members of the court");
    let xinhua_data = path("xinhua").display().to_string();
    let file = files[0].display().to_string();
    hub_cli(&["import", "--data", &xinhua_data, &file]).unwrap();
    let bytes = xinhua_store
        .doc_bytes(StoredDoc::Community(community))
        .unwrap()
        .unwrap();
    let mut received = automerge::AutoCommit::load(&bytes).unwrap();
    assert_eq!(sorted(received.get_heads()), heads);
    assert!(
        xinhua_store.attestation(community).unwrap().is_some(),
        "the community's own signed heads came with it"
    );
    // Sent again, the same file is a replay.
    assert!(hub_cli(&["import", "--data", &xinhua_data, &file]).is_err());
    city.stop().await;
}
