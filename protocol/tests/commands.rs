//! Domain commands against a real document: every lifecycle transition legal and
//! illegal, passbooks, participations, voids, text robustness and schema evolution.

#![allow(clippy::unwrap_used)]

mod support;

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc, Value};
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{MemberId, PointsEntryId, ServiceId, VoidId};
use wishtree_protocol::lifecycle::{ClaimState, Outcome, Refusal};
use wishtree_protocol::model::{Actor, EventKind, Member, Org, PostKind, Wish};
use wishtree_protocol::text::{Detail, Label, Name};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;

use support::*;

fn state_of(doc: &CommunityDoc, id: wishtree_protocol::id::WishId) -> ClaimState {
    CommunityView::derive(doc).unwrap().wishes[&id].status.state
}

#[test]
fn a_wish_goes_from_order_to_fulfilment() {
    let mut ids = Ids::new(1);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let wish = submit_wish(&mut doc, &mut ids, "希望有一台微波炉");
    assert_eq!(state_of(&doc, wish), ClaimState::Submitted);
    for (kind, by, state) in [
        (EventKind::Publish, worker(), ClaimState::Published),
        (EventKind::Claim, Actor::Member(zhang), ClaimState::Claimed),
        (
            EventKind::Fulfil,
            Actor::Member(zhang),
            ClaimState::Fulfilled,
        ),
    ] {
        doc.execute(&wish_event(wish, kind, by), &worker(), at(10))
            .unwrap();
        assert_eq!(state_of(&doc, wish), state);
    }
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(
        view.wishes[&wish].status.claimant,
        Some(Actor::Member(zhang))
    );
    assert!(view.wishes[&wish].status.fulfilled_at.is_some());
}

#[test]
fn illegal_transitions_are_refused_before_writing() {
    let mut ids = Ids::new(2);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let li = add_member(&mut doc, &mut ids, "李文杰");
    let wish = submit_wish(&mut doc, &mut ids, "想要一个新书包");

    // Claiming an unpublished wish.
    let error = doc
        .execute(
            &wish_event(wish, EventKind::Claim, Actor::Member(zhang)),
            &worker(),
            at(5),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        CommandError::Refused {
            refusal: Refusal::NotAllowed {
                state: ClaimState::Submitted,
                ..
            }
        }
    ));

    doc.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(6),
    )
    .unwrap();
    doc.execute(
        &wish_event(wish, EventKind::Claim, Actor::Member(zhang)),
        &worker(),
        at(7),
    )
    .unwrap();
    let heads = doc.heads();

    // A second claim names who won; releasing someone else's claim is refused.
    let error = doc
        .execute(
            &wish_event(wish, EventKind::Claim, Actor::Member(li)),
            &worker(),
            at(8),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("claimed by someone else first (member:{zhang})")
    );
    let error = doc
        .execute(
            &wish_event(wish, EventKind::Release, Actor::Member(li)),
            &worker(),
            at(8),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        CommandError::Refused {
            refusal: Refusal::NotTheClaimant { .. }
        }
    ));
    // Refused commands wrote nothing.
    assert_eq!(doc.heads(), heads);

    // Release, then withdraw; nothing more is legal after withdrawal.
    doc.execute(
        &wish_event(wish, EventKind::Release, Actor::Member(zhang)),
        &worker(),
        at(9),
    )
    .unwrap();
    assert_eq!(state_of(&doc, wish), ClaimState::Published);
    doc.execute(
        &wish_event(wish, EventKind::Withdraw, worker()),
        &worker(),
        at(10),
    )
    .unwrap();
    for kind in [
        EventKind::Publish,
        EventKind::Claim,
        EventKind::Fulfil,
        EventKind::Reject,
    ] {
        let by = if kind == EventKind::Claim {
            Actor::Member(li)
        } else {
            worker()
        };
        assert!(
            doc.execute(&wish_event(wish, kind, by), &worker(), at(11))
                .is_err()
        );
    }
    assert_eq!(state_of(&doc, wish), ClaimState::Withdrawn);
}

#[test]
fn a_submitted_wish_can_be_rejected_and_not_published() {
    let mut ids = Ids::new(3);
    let mut doc = new_doc(&mut ids);
    let wish = submit_wish(&mut doc, &mut ids, "不合理的心愿");
    // Rejecting takes the wish off the tree for good, so it must say why: a blank
    // note is refused and the wish stays submitted.
    for blank in ["", "  \n"] {
        let bare = Command::WishEvent {
            id: wish,
            kind: EventKind::Reject,
            by: worker(),
            note: Detail::parse("note", blank).unwrap(),
        };
        assert!(matches!(
            doc.execute(&bare, &worker(), at(4)),
            Err(CommandError::ReasonRequired { step: "reject" })
        ));
    }
    assert_eq!(state_of(&doc, wish), ClaimState::Submitted);
    doc.execute(
        &wish_event(wish, EventKind::Reject, worker()),
        &worker(),
        at(5),
    )
    .unwrap();
    assert_eq!(state_of(&doc, wish), ClaimState::Rejected);
    assert!(
        doc.execute(
            &wish_event(wish, EventKind::Publish, worker()),
            &worker(),
            at(6)
        )
        .is_err()
    );
}

#[test]
fn unknown_claimants_and_wishes_are_not_found() {
    let mut ids = Ids::new(4);
    let mut doc = new_doc(&mut ids);
    let wish = submit_wish(&mut doc, &mut ids, "想要一台电风扇");
    doc.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(5),
    )
    .unwrap();
    let stranger = wishtree_protocol::id::MemberId::from_bytes([7; 16]);
    let error = doc
        .execute(
            &wish_event(wish, EventKind::Claim, Actor::Member(stranger)),
            &worker(),
            at(6),
        )
        .unwrap_err();
    assert_eq!(error.to_string(), format!("there is no member {stranger}"));
    let missing = wishtree_protocol::id::WishId::from_bytes([8; 16]);
    assert!(matches!(
        doc.execute(
            &wish_event(missing, EventKind::Publish, worker()),
            &worker(),
            at(6)
        ),
        Err(CommandError::NotFound { kind: "wish", .. })
    ));
}

#[test]
fn concurrent_claims_fold_to_one_claimant_with_the_loser_reported() {
    let mut ids = Ids::new(5);
    let mut base = new_doc(&mut ids);
    let zhang = add_member(&mut base, &mut ids, "张婷");
    let li = add_member(&mut base, &mut ids, "李文杰");
    let wish = submit_wish(&mut base, &mut ids, "希望有人陪我说说话");
    base.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(5),
    )
    .unwrap();

    let mut a = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    let mut b = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    a.execute(
        &wish_event(wish, EventKind::Claim, Actor::Member(zhang)),
        &worker(),
        at(6),
    )
    .unwrap();
    b.execute(
        &wish_event(wish, EventKind::Claim, Actor::Member(li)),
        &worker(),
        at(6),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();

    let view_a = CommunityView::derive(&a).unwrap();
    assert_eq!(view_a, CommunityView::derive(&b).unwrap());
    let status = &view_a.wishes[&wish].status;
    assert_eq!(status.state, ClaimState::Claimed);
    let winner = status.claimant.clone().unwrap();
    let (_, refusal) = status.ignored().next().expect("the losing claim is kept");
    assert_eq!(refusal, &Refusal::ClaimedFirstBy { claimant: winner });
}

#[test]
fn participation_earns_points_once_and_voids_cancel_both() {
    let mut ids = Ids::new(6);
    let mut doc = new_doc(&mut ids);
    doc.execute(
        &Command::SetPointsRate {
            category: PostKind::Safety,
            points_per_hour: 20,
        },
        &worker(),
        at(1),
    )
    .unwrap();
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let activity = add_activity(&mut doc, &mut ids, 90);
    let join = Command::AddParticipant {
        activity,
        member: zhang,
    };

    let mut other = CommunityDoc::load(&doc.save(), Some(community()), ids.bytes()).unwrap();
    doc.execute(&join, &worker(), at(10)).unwrap();
    assert!(matches!(
        doc.execute(&join, &worker(), at(11)),
        Err(CommandError::AlreadyParticipating)
    ));
    // The same participation entered offline on another replica is one participation.
    other.execute(&join, &worker(), at(12)).unwrap();
    doc.merge(&mut other).unwrap();

    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.participations().count(), 1);
    assert_eq!(view.service_minutes(), 90);
    assert_eq!(view.passbooks[&zhang].earned, 30);
    assert_eq!(view.passbooks[&zhang].balance, 30);

    let service = wishtree_protocol::model::ServiceRecord::id_for_participation(activity, zhang);
    let void = Command::VoidService {
        id: VoidId::from_bytes(ids.bytes()),
        service,
        reason: Label::parse("reason", "录入错误").unwrap(),
    };
    doc.execute(&void, &worker(), at(20)).unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.participations().count(), 0);
    assert_eq!(view.service_minutes(), 0);
    assert_eq!(view.passbooks.get(&zhang).map_or(0, |book| book.balance), 0);
    let again = Command::VoidService {
        id: VoidId::from_bytes(ids.bytes()),
        service,
        reason: Label::parse("reason", "再次作废").unwrap(),
    };
    assert!(matches!(
        doc.execute(&again, &worker(), at(21)),
        Err(CommandError::AlreadyVoided { .. })
    ));
}

/// An hour of health duty for `member` on 2026-06-01, recorded at `at(5)`: 10 points at
/// the default rate.
fn record_an_hour(doc: &mut CommunityDoc, ids: &mut Ids, member: MemberId) {
    doc.execute(
        &Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member,
            date: date("2026-06-01"),
            minutes: 60,
            category: PostKind::Health,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "检测点执勤").unwrap(),
        },
        &worker(),
        at(5),
    )
    .unwrap();
}

#[test]
fn redemptions_check_the_balance_and_concurrent_overdraw_is_flagged() {
    let mut ids = Ids::new(7);
    let mut doc = new_doc(&mut ids);
    let zhao = add_member(&mut doc, &mut ids, "赵玉茹");
    record_an_hour(&mut doc, &mut ids, zhao);
    let redeem = |ids: &mut Ids, points| Command::Redeem {
        id: PointsEntryId::from_bytes(ids.bytes()),
        member: zhao,
        points,
        reason: Label::parse("reason", "兑换洗衣液").unwrap(),
    };
    let error = doc
        .execute(&redeem(&mut ids, 11), &worker(), at(6))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the passbook has 10 points; 11 cannot be redeemed"
    );

    let mut other = CommunityDoc::load(&doc.save(), Some(community()), ids.bytes()).unwrap();
    doc.execute(&redeem(&mut ids, 8), &worker(), at(7)).unwrap();
    other
        .execute(&redeem(&mut ids, 6), &worker(), at(8))
        .unwrap();
    doc.merge(&mut other).unwrap();
    let book = &CommunityView::derive(&doc).unwrap().passbooks[&zhao];
    assert_eq!((book.earned, book.redeemed, book.balance), (10, 14, -4));
    assert!(book.is_overdrawn());
    assert_eq!(book.overdrawn_by.len(), 1);
}

/// Points redeemed in the same second as they were earned are not an overdraft,
/// whichever way the entries' ids happen to sort (several seeds give both orders).
#[test]
fn a_redemption_in_the_second_its_points_were_earned_is_not_an_overdraft() {
    for seed in 0..12 {
        let mut ids = Ids::new(100 + seed);
        let mut doc = new_doc(&mut ids);
        let zhao = add_member(&mut doc, &mut ids, "赵玉茹");
        record_an_hour(&mut doc, &mut ids, zhao);
        let redeem = Command::Redeem {
            id: PointsEntryId::from_bytes(ids.bytes()),
            member: zhao,
            points: 10,
            reason: Label::parse("reason", "兑换洗衣液").unwrap(),
        };
        doc.execute(&redeem, &worker(), at(5)).unwrap();
        let book = &CommunityView::derive(&doc).unwrap().passbooks[&zhao];
        assert_eq!((book.earned, book.redeemed, book.balance), (10, 10, 0));
        assert!(book.overdrawn_by.is_empty(), "seed {seed}: {book:?}");
    }
}

#[test]
fn organisations_are_one_entity_per_credit_code() {
    let mut ids = Ids::new(8);
    let mut a = new_doc(&mut ids);
    let mut b = CommunityDoc::load(&a.save(), Some(community()), ids.bytes()).unwrap();
    let code: CreditCode = "91350100M000100Y43".parse().unwrap();
    let add = |name: &str| Command::AddOrg {
        credit_code: code,
        name: Name::parse("name", name).unwrap(),
        reported_in: Some(date("2026-04-12")),
    };
    a.execute(&add("名创优品党支部"), &worker(), at(1)).unwrap();
    b.execute(&add("名创优品党支部"), &worker(), at(2)).unwrap();
    a.merge(&mut b).unwrap();
    let view = CommunityView::derive(&a).unwrap();
    assert_eq!(view.orgs.len(), 1);
    assert!(view.orgs.contains_key(&Org::id_for(&code)));
}

#[test]
fn two_replicas_created_apart_share_one_document() {
    let mut ids = Ids::new(9);
    let mut a = new_doc(&mut ids);
    let mut b = new_doc(&mut ids);
    let zhang = add_member(&mut a, &mut ids, "张婷");
    let li = add_member(&mut b, &mut ids, "李文杰");
    a.merge(&mut b).unwrap();
    let view = CommunityView::derive(&a).unwrap();
    assert!(view.members.contains_key(&zhang));
    assert!(view.members.contains_key(&li));
    assert_eq!(view.community.name, "行宫社区");
}

#[test]
fn another_communitys_document_is_refused() {
    let mut ids = Ids::new(10);
    let mut doc = new_doc(&mut ids);
    let other: wishtree_protocol::CommunityCode = "110118001003".parse().unwrap();
    let error = CommunityDoc::load(&doc.save(), Some(other), ids.bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the document belongs to community 110118001002, not 110118001003"
    );
    assert!(CommunityDoc::load(b"not a document", None, ids.bytes()).is_err());
    let mut plain = automerge::AutoCommit::new();
    plain.put(ROOT, "hello", "world").unwrap();
    assert!(matches!(
        CommunityDoc::load(&plain.save(), None, ids.bytes()),
        Err(wishtree_protocol::DocError::NotACommunityDocument(_))
    ));
}

#[test]
fn an_older_replica_keeps_fields_it_does_not_know() {
    let mut ids = Ids::new(11);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let wish = submit_wish(&mut doc, &mut ids, "希望有一台微波炉");

    // A newer replica adds a field to a member, to a wish and at the root.
    let mut newer = CommunityDoc::load(&doc.save(), Some(community()), ids.bytes()).unwrap();
    {
        let am = newer.automerge_mut();
        let members = match am.get(ROOT, "members").unwrap() {
            Some((Value::Object(_), id)) => id,
            _ => panic!("members map"),
        };
        let member = match am.get(&members, zhang.to_string()).unwrap() {
            Some((Value::Object(_), id)) => id,
            _ => panic!("member"),
        };
        am.put(&member, "wechat_group", "行宫社区党员群").unwrap();
        am.put(ROOT, "schema", 2u64).unwrap();
        am.put(ROOT, "volunteer_market", "v2").unwrap();
    }
    newer.commit(at(30));
    doc.merge(&mut newer).unwrap();
    assert_eq!(doc.schema(), 2);

    // This (older) replica edits the member and the wish it knows.
    let mut fields = member_fields("张婷");
    fields.position = Label::parse("position", "所长").unwrap();
    doc.execute(
        &Command::UpdateMember {
            id: zhang,
            member: fields,
        },
        &worker(),
        at(31),
    )
    .unwrap();
    doc.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(32),
    )
    .unwrap();

    let am = doc.automerge();
    let members = match am.get(ROOT, "members").unwrap() {
        Some((Value::Object(_), id)) => id,
        _ => panic!("members map"),
    };
    let member = match am.get(&members, zhang.to_string()).unwrap() {
        Some((Value::Object(_), id)) => id,
        _ => panic!("member"),
    };
    let kept = am
        .get(&member, "wechat_group")
        .unwrap()
        .map(|(v, _)| v.to_string());
    assert_eq!(kept.as_deref(), Some("\"行宫社区党员群\""));
    assert!(am.get(ROOT, "volunteer_market").unwrap().is_some());
    let updated: Member = doc.entity(zhang).unwrap().unwrap();
    assert_eq!(updated.position, "所长");
    assert_eq!(doc.schema(), 2);
}

#[test]
fn a_malformed_entity_is_reported_and_skipped() {
    let mut ids = Ids::new(12);
    let mut doc = new_doc(&mut ids);
    let wish = submit_wish(&mut doc, &mut ids, "正常的心愿");
    {
        let am = doc.automerge_mut();
        let wishes = match am.get(ROOT, "wishes").unwrap() {
            Some((Value::Object(_), id)) => id,
            _ => panic!("wishes map"),
        };
        am.put(&wishes, "0123456789abcdef0123456789abcdef", 42)
            .unwrap();
        am.put(&wishes, "not-an-id", "x").unwrap();
    }
    doc.commit(at(5));
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.wishes.len(), 1);
    assert!(view.wishes.contains_key(&wish));
    assert_eq!(view.malformed.len(), 2);
}

#[test]
fn rare_and_tricky_text_is_kept_exactly_or_refused_clearly() {
    let mut ids = Ids::new(13);
    let mut doc = new_doc(&mut ids);
    for name in [
        "𠀀𪚥",
        "王𡃁",
        "３号楼　李阿姨",
        "欧阳娜娜",
        &"龘".repeat(100),
    ] {
        let id = add_member(&mut doc, &mut ids, name);
        let reloaded = CommunityDoc::load(&doc.save(), Some(community()), ids.bytes()).unwrap();
        let member: Member = reloaded.entity(id).unwrap().unwrap();
        assert_eq!(member.name, name);
    }
    assert!(Name::parse("name", &"龘".repeat(101)).is_err());
    assert!(Name::parse("name", "张\u{200B}婷").is_err());
    let detail = "第一行\n第二行 😀 ＡＢＣ１２３";
    let mut fields = wish_fields("心愿");
    fields.detail = Detail::parse("detail", detail).unwrap();
    let id = wishtree_protocol::id::WishId::from_bytes(ids.bytes());
    doc.execute(&Command::SubmitWish { id, wish: fields }, &worker(), at(5))
        .unwrap();
    let wish: Wish = doc.entity(id).unwrap().unwrap();
    assert_eq!(wish.detail, detail);
}

#[test]
fn posts_seat_their_holders_in_order() {
    let mut ids = Ids::new(14);
    let mut doc = new_doc(&mut ids);
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let li = add_member(&mut doc, &mut ids, "李文杰");
    let post = wishtree_protocol::id::PostId::from_bytes(ids.bytes());
    doc.execute(
        &Command::AddPost {
            id: post,
            kind: PostKind::Aid,
            title: wishtree_protocol::text::Title::parse("title", "扶弱济困岗").unwrap(),
            detail: Detail::parse("detail", "").unwrap(),
            seats: 1,
        },
        &worker(),
        at(2),
    )
    .unwrap();
    let claim = |by| Command::PostEvent {
        id: post,
        kind: EventKind::Claim,
        by,
        note: Detail::parse("note", "").unwrap(),
    };
    doc.execute(&claim(Actor::Member(zhang)), &worker(), at(3))
        .unwrap();
    let error = doc
        .execute(&claim(Actor::Member(li)), &worker(), at(4))
        .unwrap_err();
    assert_eq!(error.to_string(), "the post already has its 1 holders");
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.posts[&post].status.holders, vec![Actor::Member(zhang)]);
    assert!(
        view.posts[&post]
            .status
            .history
            .iter()
            .all(|folded| folded.outcome == Outcome::Applied)
    );
}

/// A card is recorded by its secret's hash, in a collection a document of schema 1
/// lacks until the first card; a revocation is written once, with its reason, and
/// reaches another replica with the next merge.
#[test]
fn a_card_is_recorded_then_revoked_once_and_the_revocation_travels() {
    use wishtree_protocol::card::{CardSecret, MemberCard};
    use wishtree_protocol::id::CardId;
    use wishtree_protocol::keys::KeyPair;
    use wishtree_protocol::model::CardRecord;

    let mut ids = Ids::new(31);
    let mut doc = new_doc(&mut ids);
    let mut hub_copy = CommunityDoc::load(&doc.save(), Some(community()), ids.bytes()).unwrap();
    let card = CardId::from_bytes(ids.bytes());
    assert_eq!(doc.entities::<CardRecord>().unwrap().0, Vec::new());
    assert!(doc.entity::<CardRecord>(card).unwrap().is_none());
    let zhang = add_member(&mut doc, &mut ids, "张婷");
    let key = KeyPair::from_secret([5; 32]);
    let issued = MemberCard::issue(
        &key,
        community(),
        zhang,
        card,
        at(1),
        at(60 * 24 * 365),
        CardSecret::from_bytes([9; 16]),
    );
    let issue = Command::IssueCard {
        id: card,
        member: zhang,
        issued: at(1),
        expires: at(60 * 24 * 365),
        secret_hash: issued.statement.secret_hash,
    };
    let unknown_member = Command::IssueCard {
        id: CardId::from_bytes(ids.bytes()),
        member: wishtree_protocol::id::MemberId::from_bytes([0; 16]),
        issued: at(1),
        expires: at(2),
        secret_hash: issued.statement.secret_hash,
    };
    assert!(matches!(
        doc.execute(&unknown_member, &worker(), at(1)),
        Err(CommandError::NotFound { .. })
    ));
    doc.execute(&issue, &worker(), at(1)).unwrap();
    assert!(matches!(
        doc.execute(&issue, &worker(), at(1)),
        Err(CommandError::AlreadyExists { .. })
    ));
    let record = doc.entity::<CardRecord>(card).unwrap().unwrap();
    let verified = issued.verify(&key.public(), at(2)).unwrap();
    assert_eq!(verified.check_record(Some(&record)), Ok(()));

    let revoke = |reason: &str| Command::RevokeCard {
        id: card,
        reason: Label::parse("reason", reason).unwrap(),
    };
    assert!(matches!(
        doc.execute(&revoke(" "), &worker(), at(3)),
        Err(CommandError::ReasonRequired { .. })
    ));
    doc.execute(&revoke("手机丢失"), &worker(), at(3)).unwrap();
    assert!(matches!(
        doc.execute(&revoke("再次"), &worker(), at(4)),
        Err(CommandError::AlreadyRevoked { .. })
    ));
    hub_copy.merge(&mut doc).unwrap();
    let at_hub = hub_copy.entity::<CardRecord>(card).unwrap().unwrap();
    assert_eq!(at_hub.revoked_reason.as_deref(), Some("手机丢失"));
    assert!(matches!(
        verified.check_record(Some(&at_hub)),
        Err(wishtree_protocol::card::CardError::Revoked { .. })
    ));
}
