//! Party organisations under a unit (issue 14, item 4) against a real document: a
//! unit's branches are organisations apart from the unit's own, one org in every
//! community, members link to a branch, and a second branch of the same name is
//! refused with nothing written.

#![allow(clippy::unwrap_used)]

mod support;

use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{MemberId, OrgId};
use wishtree_protocol::model::Org;
use wishtree_protocol::text::{Name, TextError};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;

use support::*;

fn code() -> CreditCode {
    "91350100M000100Y43".parse().unwrap()
}

fn add_branch(party_org: &str) -> Command {
    Command::AddPartyOrg {
        credit_code: code(),
        unit_name: Name::parse("unit_name", "名创优品").unwrap(),
        party_org: Name::parse("party_org", party_org).unwrap(),
        reported_in: Some(date("2026-04-12")),
    }
}

fn add_unit_org() -> Command {
    Command::AddOrg {
        credit_code: code(),
        name: Name::parse("name", "名创优品").unwrap(),
        reported_in: Some(date("2026-04-12")),
    }
}

#[test]
fn a_unit_has_its_own_organisation_and_branches_each_an_org() {
    let mut ids = Ids::new(1);
    let mut doc = new_doc(&mut ids);
    for command in [
        add_unit_org(),
        add_branch("第一党支部"),
        add_branch("第二党支部"),
    ] {
        doc.execute(&command, &worker(), at(1)).unwrap();
    }
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.orgs.len(), 3);
    let unit = &view.orgs[&Org::id_for(&code())];
    assert_eq!(unit.party_org, None);
    assert_eq!(unit.id(), Org::id_for(&code()));
    let first = Org::id_for_party_org(&code(), "第一党支部");
    assert_eq!(view.orgs[&first].party_org.as_deref(), Some("第一党支部"));
    assert_eq!(view.orgs[&first].name, "名创优品");
    assert_eq!(view.orgs[&first].credit_code, code());
    assert_eq!(view.orgs[&first].id(), first);
    assert_ne!(first, Org::id_for_party_org(&code(), "第二党支部"));
    assert_ne!(first, Org::id_for(&code()));
}

#[test]
fn the_same_branch_is_one_org_in_every_community_and_replica() {
    let mut ids = Ids::new(2);
    let mut a = new_doc(&mut ids);
    let mut b = CommunityDoc::load(&a.save(), Some(community()), ids.bytes()).unwrap();
    a.execute(&add_branch("第一党支部"), &worker(), at(1))
        .unwrap();
    // Typed with a space on the other replica: still the same branch.
    b.execute(&add_branch(" 第一 党支部"), &worker(), at(2))
        .unwrap();
    a.merge(&mut b).unwrap();
    let view = CommunityView::derive(&a).unwrap();
    assert_eq!(view.orgs.len(), 1);
    assert!(
        view.orgs
            .contains_key(&Org::id_for_party_org(&code(), "第一党支部"))
    );
}

#[test]
fn a_member_links_to_a_branch() {
    let mut ids = Ids::new(3);
    let mut doc = new_doc(&mut ids);
    doc.execute(&add_branch("第一党支部"), &worker(), at(1))
        .unwrap();
    let branch = Org::id_for_party_org(&code(), "第一党支部");
    let id = MemberId::from_bytes(ids.bytes());
    let mut member = member_fields("张婷");
    member.org = Some(branch);
    doc.execute(&Command::AddMember { id, member }, &worker(), at(2))
        .unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.members[&id].org, Some(branch));
    // A branch this document does not have is refused as any unknown org is.
    let mut member = member_fields("李文杰");
    member.org = Some(Org::id_for_party_org(&code(), "第九党支部"));
    let refused = doc.execute(
        &Command::AddMember {
            id: MemberId::from_bytes(ids.bytes()),
            member,
        },
        &worker(),
        at(3),
    );
    assert!(
        matches!(refused, Err(CommandError::NotFound { .. })),
        "{refused:?}"
    );
}

#[test]
fn a_second_branch_of_the_same_name_is_refused_and_nothing_is_written() {
    let mut ids = Ids::new(4);
    let mut doc = new_doc(&mut ids);
    doc.execute(&add_branch("第一党支部"), &worker(), at(1))
        .unwrap();
    let before = doc.save();
    for again in ["第一党支部", "  第一党支部 ", "第一 党支部"] {
        let error = doc
            .execute(&add_branch(again), &worker(), at(2))
            .unwrap_err();
        assert!(
            matches!(&error, CommandError::PartyOrgTaken { credit_code, party_org }
                if *credit_code == code() && party_org == "第一党支部"),
            "{again}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("already has a party organisation")
        );
        assert_eq!(doc.save(), before, "{again}: nothing written");
    }
    // The unit's own organisation is not a branch of that name.
    doc.execute(&add_unit_org(), &worker(), at(3)).unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    let ids: Vec<OrgId> = view.orgs.keys().copied().collect();
    assert_eq!(ids.len(), 2);
}

#[test]
fn a_branch_name_is_trimmed_and_limited_where_it_enters() {
    assert_eq!(
        Name::parse("party_org", "  第一党支部 ").unwrap().as_str(),
        "第一党支部"
    );
    for empty in ["", "   "] {
        let error = Name::parse("party_org", empty).unwrap_err();
        assert!(
            matches!(error, TextError::Empty { .. }),
            "{empty:?}: {error:?}"
        );
    }
    let error = Name::parse("party_org", &"支".repeat(101)).unwrap_err();
    assert!(
        matches!(error, TextError::TooLong { limit: 100, .. }),
        "{error:?}"
    );
}
