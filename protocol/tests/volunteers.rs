//! Volunteers beyond the members (issue 14, item 5) against a real document: they
//! register, claim wishes under the same one-claim rule as members (on one replica and
//! across two offline ones), hold no post seat, serve and are voided apart from the
//! members' records, and a document without them reads as before.

#![allow(clippy::unwrap_used)]

mod support;

use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::{Command, CommandError, VolunteerFields};
use wishtree_protocol::id::{PostId, VoidId, VolunteerId, VolunteerServiceId};
use wishtree_protocol::lifecycle::{ClaimState, Refusal};
use wishtree_protocol::model::{Actor, EventKind, PostKind, VolunteerKind};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::CommunityView;

use support::*;

fn add_volunteer(
    doc: &mut CommunityDoc,
    ids: &mut Ids,
    label: &str,
    kind: VolunteerKind,
) -> VolunteerId {
    let id = VolunteerId::from_bytes(ids.bytes());
    let volunteer = VolunteerFields {
        label: Name::parse("label", label).unwrap(),
        kind,
        specialties: vec![Label::parse("specialties", "理发").unwrap()],
        registered_on: date("2026-09-01"),
    };
    doc.execute(&Command::AddVolunteer { id, volunteer }, &worker(), at(1))
        .unwrap();
    id
}

/// A new document with one volunteer of `kind`, and the id source after them.
fn doc_with_volunteer(
    seed: u64,
    label: &str,
    kind: VolunteerKind,
) -> (CommunityDoc, Ids, VolunteerId) {
    let mut ids = Ids::new(seed);
    let mut doc = new_doc(&mut ids);
    let volunteer = add_volunteer(&mut doc, &mut ids, label, kind);
    (doc, ids, volunteer)
}

fn published_wish(
    doc: &mut CommunityDoc,
    ids: &mut Ids,
    title: &str,
) -> wishtree_protocol::id::WishId {
    let wish = submit_wish(doc, ids, title);
    doc.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(2),
    )
    .unwrap();
    wish
}

fn record_service(volunteer: VolunteerId, id: VolunteerServiceId, minutes: u32) -> Command {
    Command::RecordVolunteerService {
        id,
        volunteer,
        date: date("2026-10-08"),
        minutes,
        category: PostKind::Aid,
        description: Detail::parse("description", "陪独居老人聊天").unwrap(),
    }
}

#[test]
fn a_volunteer_claims_a_wish_as_a_member_does_and_only_once() {
    let (mut doc, mut ids, wang) =
        doc_with_volunteer(31, "退休党员 王老师", VolunteerKind::Retired);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let wish = published_wish(&mut doc, &mut ids, "希望有人陪我聊天");

    let claim = |by| wish_event(wish, EventKind::Claim, by);
    doc.execute(&claim(Actor::Volunteer(wang)), &worker(), at(3))
        .unwrap();
    // A second claim, by the same volunteer or by a member, is refused as a member's is.
    for (by, expect) in [
        (Actor::Volunteer(wang), Refusal::AlreadyClaimed),
        (
            Actor::Member(zhang),
            Refusal::ClaimedFirstBy {
                claimant: Actor::Volunteer(wang),
            },
        ),
    ] {
        let error = doc.execute(&claim(by), &worker(), at(4)).unwrap_err();
        assert!(
            matches!(&error, CommandError::Refused { refusal } if *refusal == expect),
            "{error}"
        );
    }
    doc.execute(
        &wish_event(wish, EventKind::Fulfil, Actor::Volunteer(wang)),
        &worker(),
        at(5),
    )
    .unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.wishes[&wish].status.state, ClaimState::Fulfilled);
    assert_eq!(
        view.wishes[&wish].status.claimant,
        Some(Actor::Volunteer(wang))
    );
}

#[test]
fn an_unknown_volunteer_cannot_claim() {
    let mut ids = Ids::new(32);
    let mut doc = new_doc(&mut ids);
    let wish = published_wish(&mut doc, &mut ids, "想要一个新书包");
    let stranger = VolunteerId::from_bytes(ids.bytes());
    let error = doc
        .execute(
            &wish_event(wish, EventKind::Claim, Actor::Volunteer(stranger)),
            &worker(),
            at(3),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            CommandError::NotFound {
                kind: "volunteer",
                ..
            }
        ),
        "{error}"
    );
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.wishes[&wish].status.state, ClaimState::Published);
}

#[test]
fn two_offline_claims_by_a_volunteer_and_a_member_fold_to_one() {
    let mut ids = Ids::new(33);
    let mut base = new_doc(&mut ids);
    let wang = add_volunteer(&mut base, &mut ids, "学生党员 小王", VolunteerKind::Student);
    let zhang = add_member(&mut base, &mut ids, "张婷");
    let wish = published_wish(&mut base, &mut ids, "希望有一台微波炉");
    let mut a = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    let mut b = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    a.execute(
        &wish_event(wish, EventKind::Claim, Actor::Volunteer(wang)),
        &worker(),
        at(6),
    )
    .unwrap();
    b.execute(
        &wish_event(wish, EventKind::Claim, Actor::Member(zhang)),
        &worker(),
        at(6),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let view = CommunityView::derive(&a).unwrap();
    assert_eq!(view, CommunityView::derive(&b).unwrap());
    let status = &view.wishes[&wish].status;
    let winner = status.claimant.clone().unwrap();
    assert!([Actor::Volunteer(wang), Actor::Member(zhang)].contains(&winner));
    let (_, refusal) = status.ignored().next().expect("the losing claim is kept");
    assert_eq!(refusal, &Refusal::ClaimedFirstBy { claimant: winner });
}

#[test]
fn a_volunteer_holds_no_post_seat() {
    let (mut doc, mut ids, wang) =
        doc_with_volunteer(34, "爱心人士 李阿姨", VolunteerKind::Resident);
    let post = PostId::from_bytes(ids.bytes());
    let add_post = Command::AddPost {
        id: post,
        kind: PostKind::Environment,
        title: Title::parse("title", "楼道卫生岗").unwrap(),
        detail: Detail::parse("detail", "").unwrap(),
        seats: 2,
    };
    doc.execute(&add_post, &worker(), at(2)).unwrap();
    let claim = Command::PostEvent {
        id: post,
        kind: EventKind::Claim,
        by: Actor::Volunteer(wang),
        note: Detail::parse("note", "").unwrap(),
    };
    let error = doc.execute(&claim, &worker(), at(3)).unwrap_err();
    assert!(
        matches!(
            error,
            CommandError::Refused {
                refusal: Refusal::NotAClaimant { .. }
            }
        ),
        "{error}"
    );
    let view = CommunityView::derive(&doc).unwrap();
    assert!(view.posts[&post].status.holders.is_empty());
}

#[test]
fn a_volunteers_service_counts_apart_and_is_voided_once() {
    let (mut doc, mut ids, wang) =
        doc_with_volunteer(35, "退休党员 王老师", VolunteerKind::Retired);
    let kept = VolunteerServiceId::from_bytes(ids.bytes());
    let mistaken = VolunteerServiceId::from_bytes(ids.bytes());
    doc.execute(&record_service(wang, kept, 90), &worker(), at(3))
        .unwrap();
    doc.execute(&record_service(wang, mistaken, 60), &worker(), at(4))
        .unwrap();
    let void = |id| Command::VoidVolunteerService {
        id,
        service: mistaken,
        reason: Label::parse("reason", "重复登记").unwrap(),
    };
    doc.execute(&void(VoidId::from_bytes(ids.bytes())), &worker(), at(5))
        .unwrap();
    let error = doc
        .execute(&void(VoidId::from_bytes(ids.bytes())), &worker(), at(6))
        .unwrap_err();
    assert!(
        matches!(error, CommandError::AlreadyVoided { .. }),
        "{error}"
    );

    let view = CommunityView::derive(&doc).unwrap();
    let counted: Vec<_> = view
        .counted_volunteer_services()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(counted, vec![kept]);
    // None of it is a member's: no member service, no passbook, no minutes.
    assert!(view.services.is_empty());
    assert!(view.passbooks.is_empty());
    assert_eq!(view.service_minutes(), 0);
}

#[test]
fn bad_volunteer_commands_write_nothing() {
    let (mut doc, mut ids, wang) =
        doc_with_volunteer(36, "退休党员 王老师", VolunteerKind::Retired);
    let heads = doc.heads();
    let stranger = VolunteerId::from_bytes(ids.bytes());
    let service = VolunteerServiceId::from_bytes(ids.bytes());
    let refusals: Vec<(Command, &str)> = vec![
        (record_service(wang, service, 0), "minutes must be"),
        (
            record_service(wang, service, 24 * 60 + 1),
            "minutes must be",
        ),
        (
            record_service(stranger, service, 30),
            "there is no volunteer",
        ),
        (
            Command::VoidVolunteerService {
                id: VoidId::from_bytes(ids.bytes()),
                service,
                reason: Label::parse("reason", "写错了").unwrap(),
            },
            "there is no volunteer service record",
        ),
        (
            Command::AddVolunteer {
                id: wang,
                volunteer: VolunteerFields {
                    label: Name::parse("label", "重复").unwrap(),
                    kind: VolunteerKind::Student,
                    specialties: Vec::new(),
                    registered_on: date("2026-09-01"),
                },
            },
            "already exists",
        ),
    ];
    for (command, expect) in refusals {
        let error = doc.execute(&command, &worker(), at(9)).unwrap_err();
        assert!(error.to_string().contains(expect), "{error}");
    }
    doc.execute(&record_service(wang, service, 30), &worker(), at(10))
        .unwrap();
    let void_without_reason = Command::VoidVolunteerService {
        id: VoidId::from_bytes(ids.bytes()),
        service,
        reason: Label::parse("reason", " ").unwrap(),
    };
    let before = doc.heads();
    assert!(
        doc.execute(&void_without_reason, &worker(), at(11))
            .is_err()
    );
    assert_eq!(doc.heads(), before);
    assert_ne!(heads, before);
}

#[test]
fn a_document_without_volunteers_reads_them_as_none() {
    let mut ids = Ids::new(37);
    let mut doc = new_doc(&mut ids);
    add_member(&mut doc, &mut ids, "张婷");
    let root_keys: Vec<String> = {
        use automerge::ReadDoc;
        doc.automerge_mut().keys(automerge::ROOT).collect()
    };
    assert!(!root_keys.iter().any(|key| key.starts_with("volunteer")));
    let view = CommunityView::derive(&doc).unwrap();
    assert!(view.volunteers.is_empty());
    assert!(view.volunteer_services.is_empty());
    assert!(view.malformed.is_empty());
}
