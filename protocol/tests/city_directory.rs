//! The city directory lists a unit's party branches (党支部), so that every community
//! spells a branch alike: a branch is put to a unit already listed, once (spaces
//! aside), two put at once by two replicas both survive the merge (and any number by
//! three replicas merging in any order: a property test), and a city document written
//! before branches were listed reads as before. A branch put by mistake is removed
//! (spaces aside) from every list of the unit's that holds it; a remove deletes the
//! puts its replica saw, and a put made at once elsewhere survives it (the same
//! property test, with removes among the puts).

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use wishtree_protocol::city::{CityCommand, CityCommandError, CityDoc, CityView};
use wishtree_protocol::model::Org;
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

fn remove_branch(name: &str) -> CityCommand {
    CityCommand::RemoveBranch {
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
fn a_branch_put_by_mistake_is_removed_spaces_aside_and_one_not_listed_is_refused() {
    let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
    assert!(matches!(
        hub.execute(&remove_branch("第一党支部"), at(1)),
        Err(CityCommandError::UnknownOrg(unit)) if unit == code().as_str()
    ));
    hub.execute(&put_org(), at(2)).unwrap();
    // A unit with no list yet, and a name its list lacks: refused, naming the branch.
    for listed in [None, Some("机关第二党支部")] {
        if let Some(name) = listed {
            hub.execute(&put_branch(name), at(3)).unwrap();
        }
        let refused = hub
            .execute(&remove_branch("第一党支部"), at(4))
            .unwrap_err();
        assert!(
            matches!(&refused, CityCommandError::UnknownBranch { unit, branch }
                if unit == code().as_str() && branch == "第一党支部"),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("第一党支部"), "{refused}");
    }

    hub.execute(&put_branch("第一党支部"), at(5)).unwrap();
    hub.execute(&remove_branch("第一 党支部"), at(6)).unwrap();
    assert_eq!(branches(&hub.view().unwrap()), ["机关第二党支部"]);
    assert!(matches!(
        hub.execute(&remove_branch("第一党支部"), at(7)),
        Err(CityCommandError::UnknownBranch { .. })
    ));
    // Put again after its removal, it is listed again; a saved copy reads the same.
    hub.execute(&put_branch("第一党支部"), at(8)).unwrap();
    hub.execute(&remove_branch("机关第二党支部"), at(9))
        .unwrap();
    let reloaded = CityDoc::load(&hub.save(), Some(&city()), [4; 16]).unwrap();
    assert_eq!(branches(&reloaded.view().unwrap()), ["第一党支部"]);
}

#[test]
fn a_remove_takes_a_branch_off_every_list_two_replicas_made_and_spares_a_put_it_did_not_see() {
    let saved = hub_with_unit().save();
    // Each replica puts the unit's first branch, so each creates its list; both put
    // 第一党支部, spelt differently.
    let mut first = CityDoc::load(&saved, Some(&city()), [2; 16]).unwrap();
    let mut second = CityDoc::load(&saved, Some(&city()), [3; 16]).unwrap();
    first.execute(&put_branch("第一党支部"), at(1)).unwrap();
    second.execute(&put_branch("第一 党支部"), at(1)).unwrap();
    second.execute(&put_branch("第二党支部"), at(2)).unwrap();
    first
        .automerge_mut()
        .merge(second.clone().automerge_mut())
        .unwrap();
    assert_eq!(branches(&first.view().unwrap()).len(), 2);

    // Removed on the replica that saw both puts: gone from both lists.
    first.execute(&remove_branch("第一党支部"), at(3)).unwrap();
    assert_eq!(branches(&first.view().unwrap()), ["第二党支部"]);
    // Meanwhile the other replica, not having seen the remove, puts it again.
    second.execute(&put_branch("第一党支部"), at(3)).unwrap();

    let mut here = first.clone();
    here.automerge_mut()
        .merge(second.clone().automerge_mut())
        .unwrap();
    let mut there = second.clone();
    there
        .automerge_mut()
        .merge(first.clone().automerge_mut())
        .unwrap();
    let view = here.view().unwrap();
    assert_eq!(view, there.view().unwrap());
    assert_eq!(branches(&view), ["第一党支部", "第二党支部"]);

    // Removed once the replicas agree: gone everywhere.
    here.execute(&remove_branch("第一党支部"), at(4)).unwrap();
    there
        .automerge_mut()
        .merge(here.clone().automerge_mut())
        .unwrap();
    assert_eq!(branches(&there.view().unwrap()), ["第二党支部"]);
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

/// What a replica does next: put a branch, remove one, or take in another replica's
/// changes.
#[derive(Debug, Clone)]
enum Step {
    Put { replica: usize, spelling: usize },
    Remove { replica: usize, spelling: usize },
    Merge { into: usize, from: usize },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0..3usize, 0..SPELLINGS.len())
            .prop_map(|(replica, spelling)| Step::Put { replica, spelling }),
        2 => (0..3usize, 0..SPELLINGS.len())
            .prop_map(|(replica, spelling)| Step::Remove { replica, spelling }),
        3 => (0..3usize, 0..3usize).prop_map(|(into, from)| Step::Merge { into, from }),
    ]
}

/// What the replicas wrote, and which of it each has seen: the rule the merged
/// directory is checked against. A branch is listed once merged if a put of it wrote
/// something that no remove of it had seen; its spelling is one of those puts'.
#[derive(Default)]
struct Written {
    /// Each put that wrote: its branch's key, its spelling, its number.
    puts: Vec<(String, &'static str, usize)>,
    /// Each remove: its branch's key and the numbers of the puts its replica had seen.
    removes: Vec<(String, BTreeSet<usize>)>,
    /// The numbers of the puts each replica has seen.
    seen: [BTreeSet<usize>; 3],
}

impl Written {
    fn put(&mut self, replica: usize, key: String, spelling: &'static str) {
        let number = self.puts.len();
        self.puts.push((key, spelling, number));
        self.seen[replica].insert(number);
    }

    fn remove(&mut self, replica: usize, key: String) {
        // The remove's own effect reaches whoever merges it, which `merge` carries
        // along with the puts it saw (a put it deleted is seen by all who see it).
        self.removes.push((key, self.seen[replica].clone()));
    }

    fn merge(&mut self, into: usize, from: usize) {
        let from = self.seen[from].clone();
        self.seen[into].extend(from);
    }

    /// The spellings each listed branch may show, by key.
    fn listed(&self) -> BTreeMap<&str, Vec<&'static str>> {
        let mut listed: BTreeMap<&str, Vec<&'static str>> = BTreeMap::new();
        for (key, spelling, number) in &self.puts {
            let removed = self
                .removes
                .iter()
                .any(|(removed, seen)| removed == key && seen.contains(number));
            if !removed {
                listed.entry(key).or_default().push(spelling);
            }
        }
        listed
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 96,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Three replicas put and remove branches and merge in any order; once each has
    /// every other's changes, all read one directory, which lists every branch a put
    /// wrote that no remove had seen (once, spaces aside), each spelt as one of those
    /// puts spelt it. A remove on a replica whose list lacks the branch is refused.
    #[test]
    fn replicas_that_put_and_remove_branches_in_any_order_agree_once_merged(
        steps in proptest::collection::vec(step(), 1..32)
    ) {
        let saved = hub_with_unit().save();
        let mut replicas: Vec<CityDoc> = (0..3u8)
            .map(|n| CityDoc::load(&saved, Some(&city()), [10 + n; 16]).unwrap())
            .collect();
        let mut written = Written::default();
        for (n, step) in steps.iter().enumerate() {
            let at = at(n as i64 + 1);
            match *step {
                Step::Put { replica, spelling } => {
                    let name = SPELLINGS[spelling];
                    let wrote = replicas[replica].execute(&put_branch(name), at).unwrap();
                    if wrote.is_some() {
                        written.put(replica, Org::party_org_key(name), name);
                    }
                }
                Step::Remove { replica, spelling } => {
                    let name = SPELLINGS[spelling];
                    let key = Org::party_org_key(name);
                    let listed = replicas[replica]
                        .view()
                        .unwrap()
                        .orgs[code().as_str()]
                        .branches
                        .contains_key(&key);
                    match replicas[replica].execute(&remove_branch(name), at) {
                        Ok(_) => {
                            proptest::prop_assert!(listed, "{name} removed unlisted");
                            written.remove(replica, key);
                        }
                        Err(CityCommandError::UnknownBranch { .. }) => {
                            proptest::prop_assert!(!listed, "{name} listed but refused");
                        }
                        Err(error) => proptest::prop_assert!(false, "{error}"),
                    }
                }
                Step::Merge { into, from } if into != from => {
                    let mut other = replicas[from].clone();
                    replicas[into]
                        .automerge_mut()
                        .merge(other.automerge_mut())
                        .unwrap();
                    written.merge(into, from);
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
        let expected = written.listed();
        proptest::prop_assert_eq!(
            listed.keys().map(String::as_str).collect::<Vec<_>>(),
            expected.keys().copied().collect::<Vec<_>>()
        );
        for (key, name) in listed {
            proptest::prop_assert!(expected[key.as_str()].contains(&name.as_str()), "{key}: {name}");
        }
    }
}
