//! Attendance is not sign-up (DESIGN §10): a sign-up credits nothing; a check-in and a
//! check-out through the inbox credit the minutes between the two codes the node
//! showed, capped by the activity's length; a worker's confirmation credits the
//! activity's length; a participation written before stages existed reads as
//! attended. And the node's own refusals of what the hub relays: a replayed code, a
//! check-out without check-in, a code of another community or not signed by the node.
//! A claim from another community's member is recorded as an outside member. A
//! sign-up made at the hub (inbox kind 6) is the node's `SignUp`: once, credits nothing,
//! a second one and one for an unknown activity refused; it reads back from the inbox
//! document whole.

#![allow(clippy::unwrap_used)]

mod support;

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::checkin::{CheckInCode, Direction};
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::{ActivityId, CardId, CheckInCodeId, InboxEntryId, MemberId};
use wishtree_protocol::inbox::{InboxEntry, InboxKeys, InboxRequest};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, EventKind, InboxOutcome};
use wishtree_protocol::view::CommunityView;

use support::*;

/// A community with one member, one 120-minute activity, the hub's and node's keys.
struct Setup {
    ids: Ids,
    doc: CommunityDoc,
    member: MemberId,
    activity: ActivityId,
    hub: KeyPair,
    node: KeyPair,
    entries: Vec<InboxEntry>,
}

impl Setup {
    fn new() -> Self {
        let mut ids = Ids::new(12);
        let mut doc = new_doc(&mut ids);
        let member = add_member(&mut doc, &mut ids, "张婷");
        let activity = add_activity(&mut doc, &mut ids, 120);
        Self {
            ids,
            doc,
            member,
            activity,
            hub: KeyPair::from_secret([1; 32]),
            node: KeyPair::from_secret([2; 32]),
            entries: Vec::new(),
        }
    }

    /// A code the node shows at `minute`, signed by `key`, for `community`.
    fn code_by(&mut self, key: &KeyPair, community: CommunityCode, minute: i64) -> CheckInCode {
        let id = CheckInCodeId::from_bytes(self.ids.bytes());
        CheckInCode::issue(key, community, self.activity, id, at(minute))
    }

    fn code(&mut self, minute: i64) -> CheckInCode {
        let node = KeyPair::from_secret(self.node.secret());
        self.code_by(&node, community(), minute)
    }

    /// Appends a check-in or check-out with `code` and applies the inbox; answers the
    /// entry's outcome.
    fn attend(&mut self, direction: Direction, code: CheckInCode) -> InboxOutcome {
        let request = attend(self, direction, code);
        self.deliver(request)
    }

    fn deliver(&mut self, request: InboxRequest) -> InboxOutcome {
        let id = InboxEntryId::from_bytes(self.ids.bytes());
        let now = at(500 + self.entries.len() as i64);
        self.entries
            .push(InboxEntry::sign(&self.hub, id, community(), now, request));
        let keys = InboxKeys {
            hub: self.hub.public(),
            node: self.node.public(),
        };
        self.doc
            .apply_inbox(&self.entries, &keys, &worker(), now)
            .unwrap();
        self.doc.entity::<InboxOutcome>(id).unwrap().unwrap()
    }

    fn minutes(&self) -> u64 {
        CommunityView::derive(&self.doc).unwrap().service_minutes()
    }

    fn participations(&self) -> usize {
        CommunityView::derive(&self.doc)
            .unwrap()
            .participations()
            .count()
    }
}

#[test]
fn a_sign_up_credits_nothing_and_a_check_out_credits_the_time_the_node_saw() {
    let mut setup = Setup::new();
    let sign_up = Command::SignUp {
        activity: setup.activity,
        member: setup.member,
    };
    setup.doc.execute(&sign_up, &worker(), at(5)).unwrap();
    assert_eq!((setup.minutes(), setup.participations()), (0, 0));

    let arrive = setup.code(100);
    assert!(setup.attend(Direction::In, arrive).applied);
    assert_eq!((setup.minutes(), setup.participations()), (0, 0));

    let leave = setup.code(145);
    let outcome = setup.attend(Direction::Out, leave);
    assert!(outcome.applied, "{}", outcome.reason);
    assert_eq!(outcome.kind, "check_out");
    assert_eq!(outcome.activity, Some(setup.activity));
    assert_eq!((setup.minutes(), setup.participations()), (45, 1));
}

#[test]
fn the_credited_time_is_capped_by_the_activity() {
    let mut setup = Setup::new();
    let arrive = setup.code(100);
    setup.attend(Direction::In, arrive);
    let leave = setup.code(100 + 600);
    assert!(setup.attend(Direction::Out, leave).applied);
    assert_eq!(setup.minutes(), 120);
}

#[test]
fn a_worker_confirms_attendance_by_hand_for_the_activity_s_length() {
    let mut setup = Setup::new();
    let sign_up = Command::SignUp {
        activity: setup.activity,
        member: setup.member,
    };
    setup.doc.execute(&sign_up, &worker(), at(5)).unwrap();
    let confirm = Command::AddParticipant {
        activity: setup.activity,
        member: setup.member,
    };
    setup.doc.execute(&confirm, &worker(), at(6)).unwrap();
    assert_eq!((setup.minutes(), setup.participations()), (120, 1));
    assert!(matches!(
        setup.doc.execute(&confirm, &worker(), at(7)),
        Err(CommandError::AlreadyParticipating)
    ));
}

#[test]
fn each_refusal_is_recorded_with_its_reason_and_credits_nothing() {
    // (what is refused, what happens before and the entry, the reason's words)
    type Case = fn(&mut Setup) -> InboxRequest;
    let cases: Vec<(&str, Case, &str)> = vec![
        (
            "check-out without check-in",
            |setup| {
                let code = setup.code(100);
                attend(setup, Direction::Out, code)
            },
            "there is no check-in",
        ),
        (
            "a replayed code",
            |setup| {
                let code = setup.code(100);
                assert!(setup.attend(Direction::In, code).applied);
                attend(setup, Direction::In, code)
            },
            "already used",
        ),
        (
            "the check-in code used again to check out",
            |setup| {
                let code = setup.code(100);
                assert!(setup.attend(Direction::In, code).applied);
                attend(setup, Direction::Out, code)
            },
            "already used",
        ),
        (
            "a second check-in",
            |setup| {
                let code = setup.code(100);
                assert!(setup.attend(Direction::In, code).applied);
                let again = setup.code(101);
                attend(setup, Direction::In, again)
            },
            "already checked in",
        ),
        (
            "a code of another community",
            |setup| {
                let node = KeyPair::from_secret(setup.node.secret());
                let code = setup.code_by(&node, "110118001003".parse().unwrap(), 100);
                attend(setup, Direction::In, code)
            },
            "of community 110118001003",
        ),
        (
            "a code the node did not sign",
            |setup| {
                let code = setup.code_by(&KeyPair::from_secret([9; 32]), community(), 100);
                attend(setup, Direction::In, code)
            },
            "does not verify",
        ),
    ];
    for (name, before, reason) in cases {
        let mut setup = Setup::new();
        let request = before(&mut setup);
        let minutes = setup.minutes();
        let outcome = setup.deliver(request);
        assert!(!outcome.applied, "{name}: refused");
        assert!(
            outcome.reason.contains(reason),
            "{name}: {:?} says {reason:?}",
            outcome.reason
        );
        assert_eq!(setup.minutes(), minutes, "{name}: nothing credited");
        assert_eq!(setup.participations(), 0, "{name}: no participation");
    }
}

#[test]
fn a_claim_by_a_member_of_another_community_is_recorded_as_an_outside_member() {
    let mut setup = Setup::new();
    let wish = submit_wish(&mut setup.doc, &mut setup.ids, "轮椅一台");
    setup
        .doc
        .execute(
            &wish_event(wish, EventKind::Publish, worker()),
            &worker(),
            at(4),
        )
        .unwrap();
    let home: CommunityCode = "110118001009".parse().unwrap();
    let outsider = MemberId::from_bytes([8; 16]);
    let outcome = setup.deliver(InboxRequest::Claim {
        wish,
        member: outsider,
        card: CardId::from_bytes([4; 16]),
        home,
    });
    assert!(outcome.applied, "{}", outcome.reason);
    assert_eq!(outcome.home, Some(home));
    let view = CommunityView::derive(&setup.doc).unwrap();
    assert_eq!(
        view.wishes[&wish].status.claimant,
        Some(Actor::Outside(home, outsider))
    );
    // The entry reads back from the inbox with its home, and its signature holds.
    assert!(setup.entries[0].is_signed_by(&setup.hub.public()));
}

#[test]
fn a_participation_written_before_stages_reads_as_attended() {
    let mut setup = Setup::new();
    let confirm = Command::AddParticipant {
        activity: setup.activity,
        member: setup.member,
    };
    setup.doc.execute(&confirm, &worker(), at(6)).unwrap();
    // Rewrite the participation as an older release wrote it: `at` alone.
    let member = setup.member.to_string();
    let activity = setup.activity.to_string();
    let doc = setup.doc.automerge_mut();
    let (_, activities) = doc.get(ROOT, "activities").unwrap().unwrap();
    let (_, entity) = doc.get(&activities, activity.as_str()).unwrap().unwrap();
    let (_, participants) = doc.get(&entity, "participants").unwrap().unwrap();
    let old = doc
        .put_object(&participants, member.as_str(), ObjType::Map)
        .unwrap();
    doc.put(&old, "at", automerge::ScalarValue::Timestamp(1))
        .unwrap();
    setup.doc.commit(at(7));
    assert_eq!((setup.minutes(), setup.participations()), (120, 1));
}

fn attend(setup: &Setup, direction: Direction, code: CheckInCode) -> InboxRequest {
    InboxRequest::Attend {
        direction,
        code,
        member: setup.member,
        card: CardId::from_bytes([3; 16]),
    }
}

#[test]
fn a_sign_up_from_the_hub_is_the_node_s_sign_up_once_and_reads_back_from_the_inbox() {
    let mut setup = Setup::new();
    let card = CardId::from_bytes([7; 16]);
    let sign_up = InboxRequest::SignUp {
        activity: setup.activity,
        member: setup.member,
        card,
    };
    let first = setup.deliver(sign_up.clone());
    assert!(first.applied, "{}", first.reason);
    assert_eq!(first.kind, "sign_up");
    assert_eq!(first.activity, Some(setup.activity));
    assert_eq!(first.member, Some(setup.member));
    assert_eq!((setup.minutes(), setup.participations()), (0, 0));

    let second = setup.deliver(sign_up);
    assert!(!second.applied, "a second sign-up is refused");
    assert!(!second.reason.is_empty());

    let unknown = setup.deliver(InboxRequest::SignUp {
        activity: ActivityId::from_bytes([3; 16]),
        member: setup.member,
        card,
    });
    assert!(!unknown.applied, "an unknown activity is refused");

    // The entries survive the inbox document, signature and all.
    let mut inbox = wishtree_protocol::inbox::InboxDoc::new(community(), [5; 16]).unwrap();
    for entry in &setup.entries {
        inbox.append(entry, at(900)).unwrap();
    }
    let read = inbox.entries().unwrap();
    assert_eq!(read, setup.entries);
    assert!(
        read.iter()
            .all(|entry| entry.is_signed_by(&setup.hub.public()))
    );
}
