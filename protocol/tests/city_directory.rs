//! The city directory lists a unit's party branches (党支部), so that every community
//! spells a branch alike: a branch is put to a unit already listed, once (spaces
//! aside), two put at once by two replicas both survive the merge (and any number by
//! three replicas merging in any order: a property test), and a city document written
//! before branches were listed reads as before.

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

/// Spellings of branches a worker might type; the first two are one branch.
const SPELLINGS: [&str; 5] = [
    "第一党支部",
    "第一 党支部",
    "第二党支部",
    "机关党支部",
    "离退休第三党支部",
];

/// What a replica does next: put a branch, or take in another replica's changes.
#[derive(Debug, Clone)]
enum Step {
    Put { replica: usize, spelling: usize },
    Merge { into: usize, from: usize },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0..3usize, 0..SPELLINGS.len())
            .prop_map(|(replica, spelling)| Step::Put { replica, spelling }),
        (0..3usize, 0..3usize).prop_map(|(into, from)| Step::Merge { into, from }),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 48,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Three replicas put branches and merge in any order; once each has every
    /// other's changes, all read one directory, which lists every branch any of them
    /// put (once, spaces aside), each spelt as one of its puts spelt it.
    #[test]
    fn replicas_that_put_branches_in_any_order_list_every_one_once_merged(
        steps in proptest::collection::vec(step(), 1..24)
    ) {
        let saved = hub_with_unit().save();
        let mut replicas: Vec<CityDoc> = (0..3u8)
            .map(|n| CityDoc::load(&saved, Some(&city()), [10 + n; 16]).unwrap())
            .collect();
        let mut spelt: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (n, step) in steps.iter().enumerate() {
            match *step {
                Step::Put { replica, spelling } => {
                    let name = SPELLINGS[spelling];
                    replicas[replica]
                        .execute(&put_branch(name), at(n as i64 + 1))
                        .unwrap();
                    spelt
                        .entry(wishtree_protocol::model::Org::party_org_key(name))
                        .or_default()
                        .push(name);
                }
                Step::Merge { into, from } if into != from => {
                    let mut other = replicas[from].clone();
                    replicas[into]
                        .automerge_mut()
                        .merge(other.automerge_mut())
                        .unwrap();
                }
                Step::Merge { .. } => {}
            }
        }
        for into in 0..3 {
            for from in 0..3 {
                if into != from {
                    let mut other = replicas[from].clone();
                    replicas[into].automerge_mut().merge(other.automerge_mut()).unwrap();
                }
            }
        }
        let view = replicas[0].view().unwrap();
        proptest::prop_assert!(view.malformed.is_empty(), "{:?}", view.malformed);
        for replica in &replicas[1..] {
            proptest::prop_assert_eq!(&replica.view().unwrap(), &view);
        }
        let listed = &view.orgs[code().as_str()].branches;
        proptest::prop_assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            spelt.keys().collect::<Vec<_>>()
        );
        for (key, name) in listed {
            proptest::prop_assert!(spelt[key].contains(&name.as_str()), "{key}: {name}");
        }
    }
}
