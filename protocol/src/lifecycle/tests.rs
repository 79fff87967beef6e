//! The folds of the lifecycle rules, event by event.

use super::*;
use crate::id::{MemberId, OrgId};

fn event(kind: EventKind, by: Actor) -> LifecycleEvent {
    LifecycleEvent {
        kind,
        by,
        at: Timestamp::from_millis(0),
        note: String::new(),
        share: None,
    }
}

fn worker() -> Actor {
    Actor::Worker("陈玉萍".to_owned())
}

fn member(n: u8) -> Actor {
    Actor::Member(MemberId::from_bytes([n; 16]))
}

fn org(n: u8) -> Actor {
    Actor::Org(OrgId::from_bytes([n; 16]))
}

/// Folds `events` and checks the final state and each event's outcome
/// (`None` for applied, otherwise the refusal).
fn check(
    events: &[LifecycleEvent],
    claimants: Claimants,
    state: ClaimState,
    outcomes: &[Option<Refusal>],
) {
    let status = ClaimStatus::fold(events, claimants);
    assert_eq!(status.state, state);
    let got: Vec<Option<Refusal>> = status
        .history
        .iter()
        .map(|folded| match &folded.outcome {
            Outcome::Applied => None,
            Outcome::Ignored { refusal } => Some(refusal.clone()),
        })
        .collect();
    assert_eq!(got, outcomes);
}

#[test]
fn the_whole_happy_path() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Fulfil, member(1)),
    ];
    check(
        &events,
        Claimants::MembersAndOrgs,
        ClaimState::Fulfilled,
        &[None, None, None],
    );
    let status = ClaimStatus::fold(&events, Claimants::MembersAndOrgs);
    assert_eq!(status.claimant, Some(member(1)));
}

#[test]
fn a_second_claim_is_kept_and_names_who_won() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Claim, org(2)),
    ];
    check(
        &events,
        Claimants::MembersAndOrgs,
        ClaimState::Claimed,
        &[
            None,
            None,
            Some(Refusal::ClaimedFirstBy {
                claimant: member(1),
            }),
        ],
    );
    let status = ClaimStatus::fold(&events, Claimants::MembersAndOrgs);
    assert_eq!(
        status.ignored().next().unwrap().1.to_string(),
        format!("claimed by someone else first ({})", member(1))
    );
}

#[test]
fn release_publishes_again_and_another_may_claim() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Release, member(2)),
        event(EventKind::Release, member(1)),
        event(EventKind::Claim, member(2)),
    ];
    check(
        &events,
        Claimants::MembersAndOrgs,
        ClaimState::Claimed,
        &[
            None,
            None,
            Some(Refusal::NotTheClaimant {
                claimant: member(1),
            }),
            None,
            None,
        ],
    );
}

#[test]
fn every_illegal_transition_changes_nothing() {
    use ClaimState::*;
    // (events leading to a state, the state)
    let paths: [(&[EventKind], ClaimState); 6] = [
        (&[], Submitted),
        (&[EventKind::Publish], Published),
        (&[EventKind::Publish, EventKind::Claim], Claimed),
        (
            &[EventKind::Publish, EventKind::Claim, EventKind::Fulfil],
            Fulfilled,
        ),
        (&[EventKind::Reject], Rejected),
        (&[EventKind::Withdraw], Withdrawn),
    ];
    let legal = |kind: EventKind, state: ClaimState| {
        matches!(
            (kind, state),
            (EventKind::Publish | EventKind::Reject, Submitted)
                | (EventKind::Withdraw, Submitted | Published | Claimed)
                | (EventKind::Claim, Published)
                | (EventKind::Release | EventKind::Fulfil, Claimed)
        )
    };
    for (path, state) in paths {
        let author = |kind: EventKind| match kind {
            EventKind::Claim | EventKind::Fulfil | EventKind::Release => member(1),
            _ => worker(),
        };
        let mut events: Vec<_> = path.iter().map(|&k| event(k, author(k))).collect();
        assert_eq!(
            ClaimStatus::fold(&events, Claimants::MembersAndOrgs).state,
            state
        );
        for &kind in EventKind::ALL {
            events.push(event(kind, author(kind)));
            let status = ClaimStatus::fold(&events, Claimants::MembersAndOrgs);
            let last = &status.history.last().unwrap().outcome;
            if legal(kind, state) {
                assert_eq!(last, &Outcome::Applied, "{kind} from {state}");
            } else {
                assert_ne!(last, &Outcome::Applied, "{kind} from {state}");
                assert_eq!(status.state, state, "{kind} from {state} changed the state");
            }
            events.pop();
        }
    }
}

#[test]
fn claiming_twice_is_not_someone_else_first() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Claim, member(1)),
    ];
    check(
        &events,
        Claimants::MembersAndOrgs,
        ClaimState::Claimed,
        &[None, None, Some(Refusal::AlreadyClaimed)],
    );
}

#[test]
fn projects_are_claimed_by_organisations_only() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Claim, worker()),
        event(EventKind::Claim, org(3)),
    ];
    let refusal = Refusal::NotAClaimant {
        allowed: "an organisation",
    };
    check(
        &events,
        Claimants::OrgsOnly,
        ClaimState::Claimed,
        &[None, Some(refusal.clone()), Some(refusal), None],
    );
}

#[test]
fn withdrawal_drops_the_claimant_and_ends_the_lifecycle() {
    let events = [
        event(EventKind::Publish, worker()),
        event(EventKind::Claim, member(1)),
        event(EventKind::Withdraw, worker()),
        event(EventKind::Fulfil, member(1)),
    ];
    let status = ClaimStatus::fold(&events, Claimants::MembersAndOrgs);
    assert_eq!(status.state, ClaimState::Withdrawn);
    assert_eq!(status.claimant, None);
    assert_eq!(status.fulfilled_at, None);
}

#[test]
fn posts_fill_their_seats_and_refuse_the_rest() {
    let events = [
        event(EventKind::Claim, member(1)),
        event(EventKind::Claim, member(1)),
        event(EventKind::Claim, org(2)),
        event(EventKind::Claim, member(3)),
        event(EventKind::Release, member(3)),
        event(EventKind::Release, member(1)),
        event(EventKind::Claim, member(3)),
        event(EventKind::Withdraw, worker()),
        event(EventKind::Claim, member(4)),
    ];
    let status = PostStatus::fold(&events, 2);
    let outcomes: Vec<_> = status
        .history
        .iter()
        .map(|f| match &f.outcome {
            Outcome::Applied => None,
            Outcome::Ignored { refusal } => Some(refusal.clone()),
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            None,
            Some(Refusal::AlreadyHolds),
            None,
            Some(Refusal::PostFull { seats: 2 }),
            Some(Refusal::DoesNotHold),
            None,
            None,
            None,
            Some(Refusal::Closed),
        ]
    );
    assert!(status.is_withdrawn);
    assert!(status.holders.is_empty());
}

#[test]
fn a_pairing_ends_once() {
    let status = PairingStatus::fold(&[
        event(EventKind::End, worker()),
        event(EventKind::End, worker()),
    ]);
    assert!(!status.is_active());
    assert_eq!(
        status.history[1].outcome,
        Outcome::Ignored {
            refusal: Refusal::Closed
        }
    );
}
