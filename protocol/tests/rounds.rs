//! Collection rounds (批次): a wish goes in the round the worker picked or the one open
//! on the day it is recorded, and moves to another round (or out of every round) with
//! its history, beside a concurrent step; every bad round or move is refused before
//! anything is written; a document written before rounds lacks the collection until the
//! first round.

#![allow(clippy::unwrap_used)]

mod support;

use automerge::{ROOT, ReadDoc};
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{RoundId, WishId};
use wishtree_protocol::model::{Actor, EventKind};
use wishtree_protocol::text::Name;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, Timestamp};

use support::*;

/// `at(0)` is 2026-09-21 in Shanghai; `day(n)` is noon-ish n days on.
fn day(n: i64) -> Timestamp {
    at(n * 24 * 60)
}

fn add_round(name: &str, opens: &str, closes: Option<&str>, ids: &mut Ids) -> (RoundId, Command) {
    let id = RoundId::from_bytes(ids.bytes());
    let command = Command::AddRound {
        id,
        name: Name::parse("name", name).unwrap(),
        opens: date(opens),
        closes: closes.map(date),
    };
    (id, command)
}

fn wish_in(doc: &mut CommunityDoc, ids: &mut Ids, round: Option<RoundId>, at: Timestamp) -> WishId {
    let id = WishId::from_bytes(ids.bytes());
    let wish = support::wish_fields("希望有一台微波炉");
    let command = Command::SubmitWish {
        id,
        wish: wishtree_protocol::command::WishFields { round, ..wish },
    };
    doc.execute(&command, &worker(), at).unwrap();
    id
}

fn round_of(doc: &CommunityDoc, wish: WishId) -> Option<RoundId> {
    CommunityView::derive(doc).unwrap().wishes[&wish]
        .entity
        .round
}

#[test]
fn a_wish_goes_in_the_round_open_on_its_day_or_the_one_picked() {
    let mut ids = Ids::new(31);
    let mut doc = new_doc(&mut ids);
    assert_eq!(at(0).date_in_shanghai(), date("2026-09-21"));
    let before_rounds = wish_in(&mut doc, &mut ids, None, day(0));
    let (first, add_first) = add_round("第一批", "2026-09-01", Some("2026-09-25"), &mut ids);
    let (second, add_second) = add_round("第二批", "2026-09-26", None, &mut ids);
    doc.execute(&add_first, &worker(), day(0)).unwrap();
    doc.execute(&add_second, &worker(), day(0)).unwrap();

    let in_first = wish_in(&mut doc, &mut ids, None, day(1));
    let in_second = wish_in(&mut doc, &mut ids, None, day(6));
    let picked = wish_in(&mut doc, &mut ids, Some(first), day(7));

    assert_eq!(
        round_of(&doc, before_rounds),
        None,
        "未分批: written before rounds"
    );
    assert_eq!(round_of(&doc, in_first), Some(first));
    assert_eq!(round_of(&doc, in_second), Some(second));
    assert_eq!(round_of(&doc, picked), Some(first));
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.rounds[&first].name, "第一批");
    assert_eq!(view.rounds.len(), 2);
}

#[test]
fn closing_a_round_ends_it_today_and_later_wishes_have_none() {
    let mut ids = Ids::new(32);
    let mut doc = new_doc(&mut ids);
    let (round, add) = add_round("第一批", "2026-09-01", None, &mut ids);
    doc.execute(&add, &worker(), day(0)).unwrap();
    doc.execute(&Command::CloseRound { id: round }, &worker(), day(2))
        .unwrap();
    let view = CommunityView::derive(&doc).unwrap();
    assert_eq!(view.rounds[&round].closes, Some(date("2026-09-23")));
    let same_day = wish_in(&mut doc, &mut ids, None, day(2));
    let next_day = wish_in(&mut doc, &mut ids, None, day(3));
    assert_eq!(round_of(&doc, same_day), Some(round));
    assert_eq!(round_of(&doc, next_day), None);
}

/// Each bad command with the words it is refused with; the document's heads stay as
/// they were.
#[test]
fn bad_rounds_are_refused_before_anything_is_written() {
    let mut ids = Ids::new(33);
    let mut doc = new_doc(&mut ids);
    let (first, add_first) = add_round("第一批", "2026-09-01", Some("2026-09-25"), &mut ids);
    doc.execute(&add_first, &worker(), day(0)).unwrap();
    let (later, add_later) = add_round("第三批", "2026-12-01", None, &mut ids);
    doc.execute(&add_later, &worker(), day(0)).unwrap();
    doc.execute(&Command::CloseRound { id: first }, &worker(), day(0))
        .unwrap();
    let unknown = RoundId::from_bytes(ids.bytes());
    let in_first = wish_in(&mut doc, &mut ids, Some(first), day(0));
    // 2026-10-01: after the first round closed, before the one of December.
    let unassigned = wish_in(&mut doc, &mut ids, None, day(10));
    let missing_wish = WishId::from_bytes(ids.bytes());
    let no_such_wish = format!("there is no wish {missing_wish}");
    let mut picked_unknown = support::wish_fields("想要一个新书包");
    picked_unknown.round = Some(unknown);

    let no_such_round = format!("there is no round {unknown}");
    let cases: Vec<(Command, &str)> = vec![
        (
            add_round("第二批", "2026-10-10", Some("2026-10-01"), &mut ids).1,
            "closes must be on or after the day the round opens",
        ),
        (
            add_round("第一批", "2026-10-01", None, &mut ids).1,
            "the community already has a round named 第一批; choose another name",
        ),
        (
            add_round("第二批", "2026-09-20", Some("2026-10-01"), &mut ids).1,
            "the round's days overlap round 第一批; a day belongs to one round",
        ),
        (
            // Open-ended, so it runs into the round of December.
            add_round("第二批", "2026-10-01", None, &mut ids).1,
            "the round's days overlap round 第三批; a day belongs to one round",
        ),
        (
            Command::CloseRound { id: first },
            "round 第一批 is closed already",
        ),
        (
            Command::CloseRound { id: later },
            "round 第三批 opens on 2026-12-01; it cannot be closed before it opens",
        ),
        (Command::CloseRound { id: unknown }, &no_such_round),
        (
            Command::MoveWishToRound {
                id: in_first,
                round: Some(unknown),
            },
            &no_such_round,
        ),
        (
            Command::MoveWishToRound {
                id: in_first,
                round: Some(first),
            },
            "the wish is in 第一批 already; choose another round",
        ),
        (
            Command::MoveWishToRound {
                id: unassigned,
                round: None,
            },
            "the wish is in no round (未分批) already; choose another round",
        ),
        (
            Command::MoveWishToRound {
                id: missing_wish,
                round: Some(later),
            },
            &no_such_wish,
        ),
        (
            Command::SubmitWish {
                id: WishId::from_bytes(ids.bytes()),
                wish: picked_unknown,
            },
            &no_such_round,
        ),
    ];
    let heads = doc.heads();
    for (command, words) in cases {
        let error: CommandError = doc.execute(&command, &worker(), day(1)).unwrap_err();
        assert_eq!(error.to_string(), words, "{command:?}");
        assert_eq!(doc.heads(), heads, "nothing written for {command:?}");
    }
}

#[test]
fn the_rounds_map_is_created_by_the_first_round_only() {
    let mut ids = Ids::new(34);
    let mut doc = new_doc(&mut ids);
    let wish = wish_in(&mut doc, &mut ids, None, day(0));
    assert!(doc.automerge().get(ROOT, "rounds").unwrap().is_none());
    assert!(CommunityView::derive(&doc).unwrap().rounds.is_empty());
    assert_eq!(round_of(&doc, wish), None);
    let (_, add) = add_round("第一批", "2026-09-01", None, &mut ids);
    doc.execute(&add, &worker(), day(0)).unwrap();
    assert!(doc.automerge().get(ROOT, "rounds").unwrap().is_some());
}

/// A wish moves to the next round with its claim and history, then out of every round;
/// a step of the wish written concurrently on another replica survives the move.
#[test]
fn a_wish_moves_to_another_round_with_its_history() {
    let mut ids = Ids::new(35);
    let mut doc = new_doc(&mut ids);
    let (first, add_first) = add_round("第一批", "2026-09-01", Some("2026-09-25"), &mut ids);
    let (second, add_second) = add_round("第二批", "2026-09-26", None, &mut ids);
    doc.execute(&add_first, &worker(), day(0)).unwrap();
    doc.execute(&add_second, &worker(), day(0)).unwrap();
    let wish = wish_in(&mut doc, &mut ids, None, day(1));
    assert_eq!(round_of(&doc, wish), Some(first));
    doc.execute(
        &wish_event(wish, EventKind::Publish, worker()),
        &worker(),
        day(1),
    )
    .unwrap();

    // Another replica claims the wish while this one carries it over.
    let mut other = CommunityDoc::load(&doc.save(), Some(community()), [9; 16]).unwrap();
    let member = add_member(&mut other, &mut ids, "张婷");
    let claim = wish_event(wish, EventKind::Claim, Actor::Member(member));
    other.execute(&claim, &worker(), day(2)).unwrap();
    let carry = Command::MoveWishToRound {
        id: wish,
        round: Some(second),
    };
    doc.execute(&carry, &worker(), day(6)).unwrap();
    doc.merge(&mut other).unwrap();

    let view = CommunityView::derive(&doc).unwrap();
    let moved = &view.wishes[&wish];
    assert_eq!(moved.entity.round, Some(second));
    assert_eq!(moved.entity.submitted_at, day(1), "its day stays");
    assert_eq!(
        moved.status.state.code(),
        "claimed",
        "the concurrent claim stays"
    );
    assert_eq!(moved.entity.events.len(), 2);

    let out = Command::MoveWishToRound {
        id: wish,
        round: None,
    };
    doc.execute(&out, &worker(), day(7)).unwrap();
    assert_eq!(round_of(&doc, wish), None, "未分批");
}
