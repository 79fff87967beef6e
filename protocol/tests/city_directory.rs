//! The city directory lists a unit's party branches (党支部), so that every community
//! spells a branch alike: a branch is put to a unit already listed, once (spaces
//! aside), two put at once by two replicas both survive the merge, and a city document
//! written before branches were listed reads as before.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use wishtree_protocol::city::{CityCommand, CityCommandError, CityDoc, CityView};
use wishtree_protocol::text::Name;
use wishtree_protocol::uscc::CreditCode;

use support::at;

fn city() -> wishtree_protocol::RegionPrefix {
    "1309".parse().unwrap()
}

fn code() -> CreditCode {
    "91350100M000100Y43".parse().unwrap()
}

fn put_org() -> CityCommand {
    CityCommand::PutOrg {
        credit_code: code(),
        name: Name::parse("name", "沧州市发改委").unwrap(),
    }
}

fn put_branch(name: &str) -> CityCommand {
    CityCommand::PutBranch {
        credit_code: code(),
        name: Name::parse("name", name).unwrap(),
    }
}

/// The branches the directory lists for the unit, as spelt.
fn branches(view: &CityView) -> Vec<&str> {
    view.orgs[code().as_str()]
        .branches
        .values()
        .map(String::as_str)
        .collect()
}

fn hub_with_unit() -> CityDoc {
    let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
    hub.execute(&put_org(), at(0)).unwrap();
    hub
}

#[test]
fn a_branch_is_put_to_a_listed_unit_only() {
    let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
    assert!(matches!(
        hub.execute(&put_branch("第一党支部"), at(1)),
        Err(CityCommandError::UnknownOrg(unit)) if unit == code().as_str()
    ));
    assert!(hub.view().unwrap().orgs.is_empty());

    hub.execute(&put_org(), at(2)).unwrap();
    hub.execute(&put_branch("第一党支部"), at(3)).unwrap();
    let view = hub.view().unwrap();
    assert_eq!(branches(&view), ["第一党支部"]);
    // The branch keeps the unit's name and declared members as they were.
    assert_eq!(view.orgs[code().as_str()].name, "沧州市发改委");
    assert_eq!(view.orgs[code().as_str()].in_service_members, None);
}

#[test]
fn an_empty_or_overlong_branch_name_is_refused_by_its_text_type() {
    let long = "支".repeat(101);
    for (typed, said) in [
        ("", "name is empty"),
        (" \u{3000} ", "name is empty"),
        (
            long.as_str(),
            "name has 101 characters; at most 100 are allowed",
        ),
    ] {
        let error = Name::parse("name", typed).unwrap_err();
        assert_eq!(error.to_string(), said, "{typed:?}");
    }
}

#[test]
fn putting_a_listed_branch_again_changes_nothing_and_spaces_do_not_make_another() {
    let mut hub = hub_with_unit();
    assert!(
        hub.execute(&put_branch("第一党支部"), at(1))
            .unwrap()
            .is_some()
    );
    let before = hub.view().unwrap();
    assert_eq!(hub.execute(&put_branch("第一党支部"), at(2)).unwrap(), None);
    assert_eq!(hub.view().unwrap(), before);

    // The same branch typed with a space is the same branch, respelt as given.
    hub.execute(&put_branch("第一 党支部"), at(3)).unwrap();
    assert_eq!(branches(&hub.view().unwrap()), ["第一 党支部"]);
    hub.execute(&put_branch("第一党支部"), at(4)).unwrap();
    hub.execute(&put_branch("机关第二党支部"), at(5)).unwrap();
    assert_eq!(
        branches(&hub.view().unwrap()),
        ["机关第二党支部", "第一党支部"]
    );
}

#[test]
fn branches_put_at_once_by_two_replicas_both_survive_the_merge() {
    let hub = hub_with_unit();
    let saved = hub.clone().save();
    // Each replica puts the unit's first branch, so each creates its list of branches.
    let mut first = CityDoc::load(&saved, Some(&city()), [2; 16]).unwrap();
    let mut second = CityDoc::load(&saved, Some(&city()), [3; 16]).unwrap();
    first.execute(&put_branch("第一党支部"), at(1)).unwrap();
    second.execute(&put_branch("第二党支部"), at(1)).unwrap();

    let mut merged_here = first.clone();
    merged_here
        .automerge_mut()
        .merge(second.automerge_mut())
        .unwrap();
    let mut merged_there = second.clone();
    merged_there
        .automerge_mut()
        .merge(first.automerge_mut())
        .unwrap();
    let view = merged_here.view().unwrap();
    assert_eq!(view, merged_there.view().unwrap());
    assert_eq!(branches(&view), ["第一党支部", "第二党支部"]);
    assert!(view.malformed.is_empty(), "{:?}", view.malformed);

    // A branch put after the merge joins them, and a saved copy reads the same.
    merged_here
        .execute(&put_branch("第三党支部"), at(2))
        .unwrap();
    let reloaded = CityDoc::load(&merged_here.save(), Some(&city()), [4; 16]).unwrap();
    assert_eq!(
        branches(&reloaded.view().unwrap()),
        ["第一党支部", "第三党支部", "第二党支部"]
    );
}

#[test]
fn a_city_document_written_before_branches_reads_as_before() {
    // Saved by the build before branches were listed: 沧州市, one unit with 220
    // in-service members declared.
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/city-before-branches.hex");
    let hex: String = std::fs::read_to_string(fixture)
        .unwrap()
        .split_whitespace()
        .collect();
    let bytes = hex::decode(hex).unwrap();
    let mut old = CityDoc::load(&bytes, Some(&city()), [5; 16]).unwrap();
    let view = old.view().unwrap();
    assert_eq!(view.name, "沧州市");
    assert!(view.malformed.is_empty(), "{:?}", view.malformed);
    let unit = &view.orgs[code().as_str()];
    assert_eq!(unit.name, "沧州市发改委");
    assert_eq!(unit.in_service_members, Some(220));
    assert_eq!(unit.branches, BTreeMap::new());

    old.execute(&put_branch("第一党支部"), at(1)).unwrap();
    let view = old.view().unwrap();
    assert_eq!(branches(&view), ["第一党支部"]);
    assert_eq!(view.orgs[code().as_str()].in_service_members, Some(220));
}
