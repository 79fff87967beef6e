//! The inbox fold (`CommunityDoc::apply_inbox`) under any interleaving of the hub's
//! entries, the worker's own commands on the node, deliveries of any prefix of the
//! inbox (re-deliveries and older prefixes included), restarts of the node and entries
//! not signed by the hub: every entry gets exactly one outcome, at its place in the
//! inbox; a claim applied from the inbox is the claim the wish's history holds; a
//! re-delivery changes nothing; and two hub replicas fed the node's changes by
//! different paths derive the same outcome as the node.

#![allow(clippy::unwrap_used)]

mod support;

use proptest::prelude::*;
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{CardId, InboxEntryId, MemberId, WishId};
use wishtree_protocol::inbox::{InboxDoc, InboxEntry, InboxRequest};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::lifecycle::Outcome;
use wishtree_protocol::model::{Actor, EventKind, InboxOutcome};
use wishtree_protocol::view::CommunityView;

use support::*;

#[derive(Debug, Clone)]
enum Step {
    /// The hub appends a claim of wish `wish` by member `member`.
    HubClaim { wish: usize, member: usize },
    /// Someone appends an entry signed by another key than the hub's.
    Forged { wish: usize, member: usize },
    /// The node receives the first `fraction` of the inbox (in 1/8ths) and applies it.
    Deliver { eighths: usize },
    /// The worker claims a wish on the node for a member.
    LocalClaim { wish: usize, member: usize },
    /// The worker releases a wish on the node.
    LocalRelease { wish: usize },
    /// The node restarts: its document is loaded again from what it saved.
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..3, 0usize..3).prop_map(|(wish, member)| Step::HubClaim { wish, member }),
        1 => (0usize..3, 0usize..3).prop_map(|(wish, member)| Step::Forged { wish, member }),
        4 => (0usize..=8).prop_map(|eighths| Step::Deliver { eighths }),
        2 => (0usize..3, 0usize..3).prop_map(|(wish, member)| Step::LocalClaim { wish, member }),
        1 => (0usize..3).prop_map(|wish| Step::LocalRelease { wish }),
        1 => Just(Step::Restart),
    ]
}

/// The outcomes of a replica, by entry, as (seq, applied).
fn outcomes(doc: &CommunityDoc) -> Vec<(InboxEntryId, u64, bool)> {
    let (outcomes, bad) = doc.entities::<InboxOutcome>().unwrap();
    assert!(bad.is_empty());
    outcomes
        .into_iter()
        .map(|(id, outcome)| (id, outcome.seq, outcome.applied))
        .collect()
}

/// The state of every wish: its state and claimant.
fn wish_states(doc: &CommunityDoc) -> Vec<String> {
    let view = CommunityView::derive(doc).unwrap();
    view.wishes
        .values()
        .map(|wish| format!("{:?} {:?}", wish.status.state, wish.status.claimant))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_gives_one_outcome_per_entry_everywhere(
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let mut ids = Ids::new(77);
        let hub_key = KeyPair::from_secret([1; 32]);
        let stranger = KeyPair::from_secret([2; 32]);
        let mut node = new_doc(&mut ids);
        let members: Vec<MemberId> = ["张婷", "李文杰", "王芳"]
            .iter()
            .map(|name| add_member(&mut node, &mut ids, name))
            .collect();
        let wishes: Vec<WishId> = ["微波炉", "书包", "陪聊"]
            .iter()
            .map(|title| {
                let wish = submit_wish(&mut node, &mut ids, title);
                node.execute(&wish_event(wish, EventKind::Publish, worker()), &worker(), at(3))
                    .unwrap();
                wish
            })
            .collect();
        let mut inbox = InboxDoc::new(community(), ids.bytes()).unwrap();
        // The hub replicas: one fed the node's incremental saves in order, one only a
        // full save at the end; both start from what the node had before any step.
        let mut chunks = vec![node.save()];
        node.save_incremental();
        let mut minute = 10;
        for step in steps {
            minute += 1;
            let now = at(minute);
            match step {
                Step::HubClaim { wish, member } | Step::Forged { wish, member } => {
                    let key = if matches!(step, Step::HubClaim { .. }) { &hub_key } else { &stranger };
                    let request = InboxRequest::Claim {
                        wish: wishes[wish],
                        member: members[member],
                        card: CardId::from_bytes(ids.bytes()),
                    };
                    let entry = InboxEntry::sign(
                        key,
                        InboxEntryId::from_bytes(ids.bytes()),
                        community(),
                        now,
                        request,
                    );
                    inbox.append(&entry, now).unwrap();
                }
                Step::Deliver { eighths } => {
                    let entries = inbox.entries().unwrap();
                    let shown = entries.len() * eighths / 8;
                    node.apply_inbox(&entries[..shown], &hub_key.public(), &worker(), now)
                        .unwrap();
                }
                Step::LocalClaim { wish, member } => {
                    let command = wish_event(wishes[wish], EventKind::Claim, Actor::Member(members[member]));
                    let _ = node.execute(&command, &worker(), now);
                }
                Step::LocalRelease { wish } => {
                    let command = Command::WishEvent {
                        id: wishes[wish],
                        kind: EventKind::Release,
                        by: worker(),
                        note: reason(EventKind::Release),
                    };
                    let _ = node.execute(&command, &worker(), now);
                }
                Step::Restart => {
                    node = CommunityDoc::load(&node.save(), Some(community()), ids.bytes()).unwrap();
                    node.save_incremental();
                }
            }
            chunks.push(node.save_incremental());
        }

        // The whole inbox, delivered twice.
        let entries = inbox.entries().unwrap();
        let now = at(minute + 1);
        node.apply_inbox(&entries, &hub_key.public(), &worker(), now).unwrap();
        chunks.push(node.save_incremental());
        let heads = node.heads();
        let again = node.apply_inbox(&entries, &hub_key.public(), &worker(), at(minute + 2)).unwrap();
        prop_assert!(again.applied.is_empty() && again.refused.is_empty());
        prop_assert_eq!(node.heads(), heads, "a re-delivery changes nothing");

        // Exactly one outcome per entry, at its place in the inbox.
        let found = outcomes(&node);
        prop_assert_eq!(found.len(), entries.len());
        for (seq, entry) in entries.iter().enumerate() {
            let (_, at_seq, applied) = found.iter().find(|(id, ..)| *id == entry.id).copied().unwrap();
            prop_assert_eq!(at_seq, seq as u64);
            if !entry.is_signed_by(&hub_key.public()) {
                prop_assert!(!applied, "an entry the hub did not sign is never applied");
            }
        }
        // An applied claim is an effective claim in the wish's history, by its member.
        let view = CommunityView::derive(&node).unwrap();
        for entry in &entries {
            let InboxRequest::Claim { wish, member, .. } = entry.request else {
                continue;
            };
            let (_, _, applied) = found.iter().find(|(id, ..)| *id == entry.id).copied().unwrap();
            if applied {
                let effective = view.wishes[&wish].status.history.iter().any(|folded| {
                    folded.event.kind == EventKind::Claim
                        && folded.event.by == Actor::Member(member)
                        && folded.outcome == Outcome::Applied
                        && folded.event.note == "经市级平台认领"
                });
                prop_assert!(effective, "the applied claim is in the history");
            }
        }

        // Two hub replicas, fed differently, derive what the node derives.
        let mut by_chunks = CommunityDoc::load(&chunks.concat(), Some(community()), ids.bytes()).unwrap();
        let mut by_save = CommunityDoc::load(&node.save(), Some(community()), ids.bytes()).unwrap();
        for replica in [&mut by_chunks, &mut by_save] {
            prop_assert_eq!(replica.heads(), node.heads());
            prop_assert_eq!(outcomes(replica), outcomes(&node));
            prop_assert_eq!(wish_states(replica), wish_states(&node));
        }
    }
}

#[test]
fn an_inbox_reads_back_only_for_its_community_and_its_entries_verify() {
    let mut ids = Ids::new(5);
    let key = KeyPair::from_secret([1; 32]);
    let mut inbox = InboxDoc::new(community(), ids.bytes()).unwrap();
    let entry = InboxEntry::sign(
        &key,
        InboxEntryId::from_bytes(ids.bytes()),
        community(),
        at(1),
        InboxRequest::Claim {
            wish: WishId::from_bytes(ids.bytes()),
            member: MemberId::from_bytes(ids.bytes()),
            card: CardId::from_bytes(ids.bytes()),
        },
    );
    inbox.append(&entry, at(1)).unwrap();
    let saved = inbox.automerge_mut().save();
    let read = InboxDoc::load(&saved, community(), ids.bytes()).unwrap();
    assert_eq!(read.entries().unwrap(), vec![entry.clone()]);
    assert!(entry.is_signed_by(&key.public()));
    assert!(!entry.is_signed_by(&KeyPair::from_secret([2; 32]).public()));
    let other = "110118001003".parse().unwrap();
    assert!(InboxDoc::load(&saved, other, ids.bytes()).is_err());
    // The genesis is the same on every replica.
    assert_eq!(
        InboxDoc::genesis(community()),
        InboxDoc::genesis(community())
    );
}
