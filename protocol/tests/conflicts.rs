//! Conflicts for staff: two replicas each accept writes offline — a claim of the same
//! wish, the one seat of a post, points spent from the same passbook — and after they
//! merge, `conflicts` lists exactly the facts the folds made ineffective, with why;
//! refused claims and sign-ups of the inbox are listed, other refusals are not; a
//! community without any lists none.

#![allow(clippy::unwrap_used)]

mod support;

use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::Command;
use wishtree_protocol::conflicts::{Conflict, conflicts};
use wishtree_protocol::id::{InboxEntryId, PointsEntryId, PostId, ServiceId};
use wishtree_protocol::lifecycle::Refusal;
use wishtree_protocol::model::{Actor, EventKind, InboxOutcome, PostKind, ScoringItem};
use wishtree_protocol::text::{Detail, Label, Title};
use wishtree_protocol::view::CommunityView;

use support::*;

fn redeem(ids: &mut Ids, member: wishtree_protocol::id::MemberId, points: u32) -> Command {
    Command::Redeem {
        id: PointsEntryId::from_bytes(ids.bytes()),
        member,
        points,
        reason: Label::parse("reason", "兑换洗衣液").unwrap(),
    }
}

fn post_claim(post: PostId, by: Actor) -> Command {
    Command::PostEvent {
        id: post,
        kind: EventKind::Claim,
        by,
        note: Detail::parse("note", "").unwrap(),
    }
}

fn outcome(kind: &str, applied: bool, reason: &str) -> InboxOutcome {
    InboxOutcome {
        seq: 1,
        kind: kind.to_owned(),
        wish: None,
        member: None,
        home: None,
        activity: None,
        applied,
        reason: reason.to_owned(),
        at: at(30),
    }
}

#[test]
fn what_two_offline_replicas_both_accepted_is_listed_once_with_why() {
    let mut ids = Ids::new(41);
    let mut base = new_doc(&mut ids);
    let zhang = add_member(&mut base, &mut ids, "张婷");
    let li = add_member(&mut base, &mut ids, "李文杰");
    let wish = submit_wish(&mut base, &mut ids, "希望有人陪我说说话");
    base.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        at(3),
    )
    .unwrap();
    let post = PostId::from_bytes(ids.bytes());
    base.execute(
        &Command::AddPost {
            id: post,
            kind: PostKind::Aid,
            title: Title::parse("title", "扶弱济困岗").unwrap(),
            detail: Detail::parse("detail", "").unwrap(),
            seats: 1,
        },
        &worker(),
        at(4),
    )
    .unwrap();
    base.execute(
        &Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: zhang,
            date: date("2026-06-01"),
            minutes: 60,
            category: PostKind::Health,
            item: ScoringItem::Other,
            description: Detail::parse("description", "检测点执勤").unwrap(),
        },
        &worker(),
        at(5),
    )
    .unwrap();
    let quiet = CommunityView::derive(&base).unwrap();
    assert_eq!(
        conflicts(&quiet, &[]),
        [],
        "nothing listed when there is none"
    );

    let mut a = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    let mut b = CommunityDoc::load(&base.save(), Some(community()), ids.bytes()).unwrap();
    for (replica, member, points, minute) in [(&mut a, zhang, 8, 10), (&mut b, li, 6, 11)] {
        replica
            .execute(
                &wish_event(wish, EventKind::Claim, Actor::Member(member)),
                &worker(),
                at(minute),
            )
            .unwrap();
        replica
            .execute(
                &post_claim(post, Actor::Member(member)),
                &worker(),
                at(minute),
            )
            .unwrap();
        replica
            .execute(&redeem(&mut ids, zhang, points), &worker(), at(minute))
            .unwrap();
    }
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let view = CommunityView::derive(&a).unwrap();
    let found = conflicts(&view, &[]);
    assert_eq!(
        found,
        conflicts(&CommunityView::derive(&b).unwrap(), &[]),
        "the same on both"
    );
    assert_eq!(found.len(), 3, "{found:#?}");

    let winner = view.wishes[&wish].status.claimant.clone().unwrap();
    let loser = if winner == Actor::Member(zhang) {
        li
    } else {
        zhang
    };
    assert!(found.iter().any(|conflict| matches!(conflict,
        Conflict::Wish { wish: w, event, refusal: Refusal::ClaimedFirstBy { claimant } }
            if *w == wish && event.by == Actor::Member(loser) && *claimant == winner)));
    assert!(found.iter().any(|conflict| matches!(conflict,
        Conflict::Post { post: p, refusal: Refusal::PostFull { seats: 1 }, .. } if *p == post)));
    let book = &view.passbooks[&zhang];
    assert!(found.iter().any(|conflict| matches!(conflict,
        Conflict::Overdrawn { member, entry, balance, .. }
            if *member == zhang && book.overdrawn_by.contains(entry) && *balance == book.balance)));
    // The newest first.
    assert!(found.windows(2).all(|pair| pair[0].at() >= pair[1].at()));
}

#[test]
fn refused_claims_and_sign_ups_of_the_inbox_are_listed_and_nothing_else() {
    let mut ids = Ids::new(42);
    let doc = new_doc(&mut ids);
    let view = CommunityView::derive(&doc).unwrap();
    let entry = |ids: &mut Ids| InboxEntryId::from_bytes(ids.bytes());
    let inbox = [
        (
            entry(&mut ids),
            outcome("claim", false, "claimed by someone else first (member:x)"),
        ),
        (
            entry(&mut ids),
            outcome(
                "sign_up",
                false,
                "the member already takes part in this activity",
            ),
        ),
        (entry(&mut ids), outcome("claim", true, "")),
        (
            entry(&mut ids),
            outcome("check_in", false, "the code has expired"),
        ),
        (entry(&mut ids), outcome("submission", false, "bad")),
    ];
    let found = conflicts(&view, &inbox);
    let kinds: Vec<&str> = found
        .iter()
        .map(|conflict| match conflict {
            Conflict::Inbox { outcome, .. } => outcome.kind.as_str(),
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.len(), 2, "{found:#?}");
    assert!(kinds.contains(&"claim") && kinds.contains(&"sign_up"));
}
