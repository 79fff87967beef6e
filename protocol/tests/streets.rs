//! Streets as parties (issue 14, item 3): the city names a street's host, only that
//! community's node writes street-level records, every other is refused with the
//! reason and nothing written, and records written before streets read as the
//! community's own.

#![allow(clippy::unwrap_used)]

mod support;

use wishtree_protocol::city::{CityCommand, CityCommandError, CityDoc, CityView};
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{OrgId, PairingId, ProjectId};
use wishtree_protocol::model::{Org, ProjectKind};
use wishtree_protocol::street::{StreetCode, StreetRefusal};
use wishtree_protocol::text::{Detail, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionPrefix};

use support::*;

/// A neighbour of `community()` in the same street.
fn neighbour() -> CommunityCode {
    "110118001003".parse().unwrap()
}

fn city_naming(host: Option<CommunityCode>) -> CityView {
    let mut city = CityDoc::new(&"1101".parse().unwrap(), [7; 16]).unwrap();
    if let Some(community) = host {
        let designate = CityCommand::DesignateStreetHost {
            street: "110118001".parse().unwrap(),
            community,
        };
        city.execute(&designate, at(1)).unwrap();
    }
    city.view().unwrap()
}

fn add_org(doc: &mut CommunityDoc) -> OrgId {
    let credit_code: CreditCode = "91350100M000100Y43".parse().unwrap();
    let add = Command::AddOrg {
        credit_code,
        name: Name::parse("name", "沧州市委办公室机关党支部").unwrap(),
        reported_in: None,
    };
    doc.execute(&add, &worker(), at(2)).unwrap();
    Org::id_for(&credit_code)
}

/// The three street-level commands, for `city`'s word on this document's street.
fn street_commands(doc: &CommunityDoc, city: &CityView, org: OrgId, seed: u8) -> [Command; 3] {
    let street = city.street_host_of(&doc.code());
    [
        Command::ReportInToStreet {
            org,
            street: street.clone(),
            on: date("2026-04-01"),
        },
        Command::AddPairing {
            id: PairingId::from_bytes([seed; 16]),
            org,
            commitments: vec![Title::parse("commitments", "结对共建").unwrap()],
            signed_on: date("2026-04-02"),
            street: Some(street.clone()),
        },
        Command::SubmitProject {
            id: ProjectId::from_bytes([seed; 16]),
            title: Title::parse("title", "街道长者饭堂").unwrap(),
            detail: Detail::parse("detail", "").unwrap(),
            kind: ProjectKind::MicroProject,
            street: Some(street),
        },
    ]
}

#[test]
fn the_city_names_a_host_inside_the_street_only() {
    let mut city = CityDoc::new(&"1101".parse().unwrap(), [7; 16]).unwrap();
    let designate = |street: &str, community: &str| CityCommand::DesignateStreetHost {
        street: street.parse::<RegionPrefix>().unwrap(),
        community: community.parse().unwrap(),
    };
    for (street, community) in [
        ("110118", "110118001002"),
        ("110118001002", "110118001002"),
        ("440118001", "440118001002"),
    ] {
        assert!(
            matches!(
                city.execute(&designate(street, community), at(1)),
                Err(CityCommandError::NotAStreet(_))
            ),
            "{street}"
        );
    }
    assert!(matches!(
        city.execute(&designate("110118001", "110118002001"), at(1)),
        Err(CityCommandError::NotInStreet { .. })
    ));
    assert!(city.view().unwrap().street_hosts.is_empty());
    city.execute(&designate("110118001", "110118001002"), at(1))
        .unwrap();
    city.execute(&designate("110118001", "110118001003"), at(2))
        .unwrap();
    let street: StreetCode = "110118001".parse().unwrap();
    // A later designation replaces the earlier one, on every replica.
    let mut node = CityDoc::new(&"1101".parse().unwrap(), [8; 16]).unwrap();
    node.automerge_mut().merge(city.automerge_mut()).unwrap();
    assert_eq!(node.view().unwrap().street_hosts[&street], neighbour());
}

#[test]
fn the_host_writes_street_records_and_they_say_their_street() {
    let mut ids = Ids::new(41);
    let mut doc = new_doc(&mut ids);
    let org = add_org(&mut doc);
    let city = city_naming(Some(community()));
    for command in street_commands(&doc, &city, org, 1) {
        doc.execute(&command, &worker(), at(3)).unwrap();
    }
    // A rename through `AddOrg` keeps the street's report-in.
    add_org(&mut doc);
    let view = CommunityView::derive(&doc).unwrap();
    let street = Some(StreetCode::of(&community()));
    assert_eq!(view.orgs[&org].street_reported_in, Some(date("2026-04-01")));
    assert_eq!(view.orgs[&org].reported_in, None);
    assert_eq!(view.pairings.values().next().unwrap().entity.street, street);
    assert_eq!(view.projects.values().next().unwrap().entity.street, street);
}

#[test]
fn another_node_is_refused_and_nothing_is_written() {
    for (city, expected) in [
        (
            city_naming(Some(neighbour())),
            StreetRefusal::NotHost {
                street: StreetCode::of(&community()),
                host: neighbour(),
            },
        ),
        (
            city_naming(None),
            StreetRefusal::NoHost {
                street: StreetCode::of(&community()),
            },
        ),
    ] {
        let mut ids = Ids::new(42);
        let mut doc = new_doc(&mut ids);
        let org = add_org(&mut doc);
        let heads = doc.heads();
        for command in street_commands(&doc, &city, org, 2) {
            match doc.execute(&command, &worker(), at(3)) {
                Err(CommandError::Street(refusal)) => assert_eq!(refusal, expected),
                other => panic!("{command:?} gave {other:?}"),
            }
            assert_eq!(doc.heads(), heads, "{command:?} wrote something");
        }
        assert!(!expected.message_zh().is_empty());
    }
}

#[test]
fn records_written_before_streets_are_the_communitys_own() {
    let mut ids = Ids::new(43);
    let mut doc = new_doc(&mut ids);
    let org = add_org(&mut doc);
    let pairing = PairingId::from_bytes([3; 16]);
    let add = Command::AddPairing {
        id: pairing,
        org,
        commitments: Vec::new(),
        signed_on: date("2026-04-02"),
        street: None,
    };
    doc.execute(&add, &worker(), at(3)).unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.orgs[&org].street_reported_in, None);
    assert_eq!(view.pairings[&pairing].entity.street, None);
    // The upgrade fixtures of a release before streets are read by node/tests/upgrade.rs
    // and hub/tests/upgrade.rs.
}
