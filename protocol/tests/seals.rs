//! Sealing a half-year (DESIGN §7): the seal is a fact in the document, refused before
//! the period is over and a second time; a report of a sealed period is of the sealed
//! state, re-derivable by whoever holds the document, and what was written into the
//! period afterwards is listed as an amendment, never counted.

#![allow(clippy::unwrap_used)]

mod support;

use automerge::ReadDoc;
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{ServiceId, VoidId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{PostKind, Seal};
use wishtree_protocol::report::{AmendedRecord, Change, SealedReport};
use wishtree_protocol::seal::SignedSeal;
use wishtree_protocol::text::{Detail, Label};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, HalfYear};

use support::*;

fn first_half() -> HalfYear {
    HalfYear::new(2026, 1).unwrap()
}

fn record_service(
    doc: &mut CommunityDoc,
    ids: &mut Ids,
    member: wishtree_protocol::id::MemberId,
    day: &str,
    minutes: u32,
) -> ServiceId {
    let id = ServiceId::from_bytes(ids.bytes());
    let command = Command::RecordService {
        id,
        member,
        date: date(day),
        minutes,
        category: PostKind::Aid,
        item: wishtree_protocol::model::ScoringItem::Other,
        description: Detail::parse("description", "陪独居老人聊天").unwrap(),
    };
    doc.execute(&command, &worker(), at(5)).unwrap();
    id
}

fn seal(
    doc: &mut CommunityDoc,
    key: &KeyPair,
    period: HalfYear,
    minute: i64,
) -> Result<(), CommandError> {
    let heads = doc.heads();
    let seal = SignedSeal::sign(key, community(), period, &heads, at(minute));
    doc.execute(&Command::SealPeriod { seal }, &worker(), at(minute))
        .map(|_| ())
}

fn report(
    doc: &mut CommunityDoc,
    member: wishtree_protocol::id::MemberId,
    key: &KeyPair,
) -> SealedReport {
    let view = CommunityView::derive(doc).unwrap();
    let trusted = key.public();
    SealedReport::compute(doc, &view, member, first_half(), |signer| {
        *signer == trusted
    })
    .unwrap()
}

#[test]
fn a_sealed_half_year_reports_the_sealed_records_and_lists_later_ones_as_amendments() {
    let mut ids = Ids::new(40);
    let key = KeyPair::from_secret([4; 32]);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let counted = record_service(&mut doc, &mut ids, zhang, "2026-03-10", 60);
    let voided_later = record_service(&mut doc, &mut ids, zhang, "2026-04-02", 30);

    seal(&mut doc, &key, first_half(), 10).unwrap();
    let sealed = report(&mut doc, zhang, &key);
    assert_eq!(sealed.report.totals.service_minutes, 90);
    assert!(sealed.amendments.is_empty(), "{:?}", sealed.amendments);
    let check = sealed.seal.as_ref().unwrap();
    assert!(check.verified, "{check:?}");

    // Back-dated into the sealed period, and a record voided, after the seal.
    let late = record_service(&mut doc, &mut ids, zhang, "2026-05-01", 45);
    doc.execute(
        &Command::VoidService {
            id: VoidId::from_bytes(ids.bytes()),
            service: voided_later,
            reason: Label::parse("reason", "录错了日期").unwrap(),
        },
        &worker(),
        at(20),
    )
    .unwrap();
    let amended = report(&mut doc, zhang, &key);
    assert_eq!(
        amended.report.totals.service_minutes, 90,
        "the sealed figures stay"
    );
    assert_eq!(amended.report.services.len(), 2);
    assert!(amended.report.services.iter().any(|s| s.id == counted));
    let changes: Vec<_> = amended
        .amendments
        .iter()
        .map(|a| (a.record, a.id.clone(), a.change))
        .collect();
    assert!(
        changes.contains(&(AmendedRecord::Service, late.to_string(), Change::Added)),
        "{changes:?}"
    );
    assert!(
        changes.contains(&(
            AmendedRecord::Service,
            voided_later.to_string(),
            Change::Removed
        )),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|(record, _, _)| *record == AmendedRecord::Passbook),
        "{changes:?}"
    );

    // Whoever holds the document (the hub, after sync) re-derives the same report.
    let mut carried = CommunityDoc::load(&doc.save(), Some(community()), [9; 16]).unwrap();
    assert_eq!(report(&mut carried, zhang, &key), amended);

    // By another key than the community's, the seal does not hold.
    let stranger = KeyPair::from_secret([8; 32]);
    let checked = report(&mut carried, zhang, &stranger);
    let check = checked.seal.unwrap();
    assert!(!check.verified);
    assert!(
        check
            .problem
            .unwrap()
            .contains("not a key enrolled for the community")
    );
}

#[test]
fn a_period_is_sealed_once_after_it_ends_by_its_own_community_over_the_heads_as_they_are() {
    let mut ids = Ids::new(41);
    let key = KeyPair::from_secret([4; 32]);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let heads_before = doc.heads();

    // The support clock is in September 2026: the second half is not over.
    let second_half = HalfYear::new(2026, 2).unwrap();
    let refused = seal(&mut doc, &key, second_half, 1).unwrap_err();
    assert!(
        matches!(refused, CommandError::PeriodNotOver { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("2027-01-01"), "{refused}");

    // Over heads that are not the document's: refused.
    record_service(&mut doc, &mut ids, zhang, "2026-03-10", 60);
    let stale = SignedSeal::sign(&key, community(), first_half(), &heads_before, at(2));
    let refused = doc
        .execute(&Command::SealPeriod { seal: stale }, &worker(), at(2))
        .unwrap_err();
    assert!(matches!(refused, CommandError::BadSeal { .. }), "{refused}");

    // Another community's seal: refused.
    let heads = doc.heads();
    let foreign = SignedSeal::sign(
        &key,
        "110118001003".parse().unwrap(),
        first_half(),
        &heads,
        at(2),
    );
    let refused = doc
        .execute(&Command::SealPeriod { seal: foreign }, &worker(), at(2))
        .unwrap_err();
    assert!(matches!(refused, CommandError::BadSeal { .. }), "{refused}");
    assert_eq!(
        doc.entity::<Seal>(first_half()).unwrap(),
        None,
        "nothing written"
    );

    seal(&mut doc, &key, first_half(), 3).unwrap();
    let again = seal(&mut doc, &key, first_half(), 4).unwrap_err();
    assert!(
        matches!(again, CommandError::AlreadyExists { kind: "seal", .. }),
        "{again}"
    );
    let (seals, malformed) = doc.entities::<Seal>().unwrap();
    assert_eq!((seals.len(), malformed.len()), (1, 0));
}

#[test]
fn a_document_from_before_seals_reads_as_unsealed() {
    // The genesis of schema 1 has no `seals` map: reading finds no seal, and the first
    // seal creates the map.
    let mut ids = Ids::new(42);
    let key = KeyPair::from_secret([4; 32]);
    let mut doc = new_doc(&mut ids);
    assert!(
        doc.automerge()
            .get(automerge::ROOT, "seals")
            .unwrap()
            .is_none()
    );
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let unsealed = report(&mut doc, zhang, &key);
    assert_eq!(unsealed.seal, None);
    seal(&mut doc, &key, first_half(), 3).unwrap();
    assert!(report(&mut doc, zhang, &key).seal.unwrap().verified);
}

#[test]
fn a_member_is_evaluated_once_the_half_year_is_sealed_and_the_report_carries_it() {
    use wishtree_protocol::model::EvaluationGrade;

    let mut ids = Ids::new(43);
    let key = KeyPair::from_secret([4; 32]);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let evaluate = |grade| Command::Evaluate {
        member: zhang,
        period: first_half(),
        grade,
        comment: Detail::parse("comment", "积极参加社区服务").unwrap(),
    };
    let refused = doc
        .execute(&evaluate(EvaluationGrade::Excellent), &worker(), at(2))
        .unwrap_err();
    assert!(
        matches!(refused, CommandError::NotSealed { .. }),
        "{refused}"
    );

    seal(&mut doc, &key, first_half(), 3).unwrap();
    doc.execute(&evaluate(EvaluationGrade::Qualified), &worker(), at(4))
        .unwrap();
    // A correction replaces the grade: one evaluation per member and period.
    doc.execute(&evaluate(EvaluationGrade::Excellent), &worker(), at(5))
        .unwrap();
    let evaluation = report(&mut doc, zhang, &key).evaluation.unwrap();
    assert_eq!(evaluation.grade, EvaluationGrade::Excellent);
    assert_eq!(evaluation.comment, "积极参加社区服务");
    let nobody = wishtree_protocol::id::MemberId::from_bytes([99; 16]);
    let missing = doc
        .execute(
            &Command::Evaluate {
                member: nobody,
                period: first_half(),
                grade: EvaluationGrade::Qualified,
                comment: Detail::parse("comment", "").unwrap(),
            },
            &worker(),
            at(6),
        )
        .unwrap_err();
    assert!(
        matches!(missing, CommandError::NotFound { .. }),
        "{missing}"
    );
}
