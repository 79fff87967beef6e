//! Bundles at the receiver: each bad bundle is refused with its own error and leaves
//! the document untouched; a good one brings the receiver to the sender's heads; a
//! district hub that alters or invents a community's changes is caught by the
//! community's signed heads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bundle_kit;
mod support;

use std::collections::HashSet;

use automerge::ChangeHash;
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::bundle::{
    Audience, Bundle, BundleError, Coverage, InMemoryState, Limits, NewBundle, Receiver,
    VerifiedBundle,
};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::Member;

use bundle_kit::*;
use support::Ids;

/// Decodes and verifies with default limits.
fn receive(
    bytes: &[u8],
    receiver: &Receiver,
    state: &InMemoryState,
) -> Result<VerifiedBundle, BundleError> {
    Bundle::decode(bytes, &Limits::default())?.verify(receiver, state)
}

/// The bytes of a changes bundle of the node's document, signed by `issuer`.
fn changes_bundle(issuer: &KeyPair, seq: u64, adjust: impl FnOnce(&mut NewBundle)) -> Vec<u8> {
    let mut doc = community_doc();
    let attestation = attest(&mut doc, 1);
    let mut bundle = NewBundle::changes(&mut doc, &[], Some(attestation), envelope(seq));
    adjust(&mut bundle);
    bundle.sign(issuer)
}

/// Where the header's seq lies in a changes bundle for one key: magic 8, version 2,
/// issuer 32, kind 1, scope 1 + 12, audience 1 + 32.
const SEQ_OFFSET: usize = 8 + 2 + 32 + 1 + 1 + 12 + 1 + 32;

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    state: InMemoryState,
    receiver: Receiver,
    limits: Limits,
    expected: fn(&BundleError) -> bool,
}

fn case(name: &'static str, bytes: Vec<u8>, expected: fn(&BundleError) -> bool) -> Case {
    Case {
        name,
        bytes,
        state: city_state(),
        receiver: city_receiver(),
        limits: Limits::default(),
        expected,
    }
}

#[test]
fn each_bad_bundle_is_refused_with_its_own_error_and_nothing_is_applied() {
    let good = changes_bundle(&node(), 5, |_| {});
    let issuer = node().public();

    let mut cases = vec![
        {
            let mut case = case("replayed", good.clone(), |e| {
                matches!(e, BundleError::Replayed { seq: 5 })
            });
            case.state.accept(issuer, 5);
            case
        },
        {
            let mut case = case("older than the last accepted", good.clone(), |e| {
                matches!(e, BundleError::OlderThanAccepted { seq: 5, last: 6 })
            });
            case.state.accept(issuer, 6);
            case
        },
        {
            let mut case = case("expired", good.clone(), |e| {
                matches!(e, BundleError::Expired { .. })
            });
            case.receiver.now = issued().plus_millis(7 * DAY + 1);
            case
        },
        {
            let mut case = case("dated in the future beyond skew", good.clone(), |e| {
                matches!(e, BundleError::FromTheFuture { .. })
            });
            // Eleven minutes before the issue time: one more than the ten allowed.
            case.receiver.now = issued().plus_millis(-11 * 60_000);
            case
        },
        case(
            "for another audience",
            changes_bundle(&node(), 5, |bundle| {
                bundle.envelope.audience = Audience::Key(outsider().public());
            }),
            |e| matches!(e, BundleError::WrongAudience { .. }),
        ),
        case(
            "from an unknown key",
            changes_bundle(&outsider(), 5, |_| {}),
            |e| matches!(e, BundleError::UnknownKey { .. }),
        ),
        {
            let mut case = case("from a revoked key", good.clone(), |e| {
                matches!(e, BundleError::RevokedKey { .. })
            });
            case.state.revoke(issuer, issued());
            case
        },
        case("header altered", flip(&good, SEQ_OFFSET + 7), |e| {
            matches!(e, BundleError::HeaderAltered)
        }),
        case("payload altered", flip(&good, good.len() - 65), |e| {
            matches!(e, BundleError::PayloadAltered)
        }),
        case("truncated", good[..good.len() - 10].to_vec(), |e| {
            matches!(e, BundleError::Truncated { field: "signature" })
        }),
        {
            let mut case = case("oversized", good.clone(), |e| {
                matches!(e, BundleError::Oversized { .. })
            });
            case.limits.max_bytes = good.len() as u64 - 1;
            case
        },
        case(
            "outside the issuer's scope",
            changes_bundle(&node(), 5, |bundle| {
                bundle.scope = prefix("110118");
            }),
            |e| matches!(e, BundleError::OutOfScope { .. }),
        ),
        case("extended", [good.as_slice(), b"!"].concat(), |e| {
            matches!(e, BundleError::TrailingBytes { count: 1 })
        }),
        case("not a bundle", b"PK\x03\x04 a zip file".to_vec(), |e| {
            matches!(e, BundleError::BadMagic)
        }),
        case(
            "a newer format",
            {
                let mut bytes = good.clone();
                bytes[9] = 2;
                bytes
            },
            |e| matches!(e, BundleError::UnsupportedVersion(2)),
        ),
    ];

    let mut messages = HashSet::new();
    for case in cases.drain(..) {
        let mut doc = empty_replica();
        let before = doc.save();
        let error = Bundle::decode(&case.bytes, &case.limits)
            .and_then(|bundle| bundle.verify(&case.receiver, &case.state))
            .and_then(|verified| verified.apply_changes(&mut doc))
            .expect_err(case.name);
        assert!(
            (case.expected)(&error),
            "{}: refused for the wrong reason: {error:?}",
            case.name
        );
        assert_eq!(doc.save(), before, "{}: the document changed", case.name);
        let message = error.to_string();
        assert!(
            !message.ends_with('.'),
            "{}: message ends with a period",
            case.name
        );
        assert!(
            messages.insert(message.clone()),
            "{}: message `{message}` is not its own",
            case.name
        );
    }

    // The unchanged good bundle passes the same state.
    receive(&good, &city_receiver(), &city_state()).expect("the good bundle verifies");
}

#[test]
fn a_tampered_copy_of_a_delivered_bundle_is_named_as_tampering_not_as_a_replay() {
    let good = changes_bundle(&node(), 5, |_| {});
    let mut state = city_state();
    state.accept(node().public(), 5);
    let tampered = flip(&good, good.len() - 65);
    assert!(matches!(
        receive(&tampered, &city_receiver(), &state),
        Err(BundleError::PayloadAltered)
    ));
    // The untouched copy is the replay it is.
    assert!(matches!(
        receive(&good, &city_receiver(), &state),
        Err(BundleError::Replayed { seq: 5 })
    ));
}

#[test]
fn an_unknown_key_is_named_in_full_so_the_operator_can_enroll_it() {
    let bytes = changes_bundle(&outsider(), 5, |_| {});
    let error = receive(&bytes, &city_receiver(), &city_state())
        .expect_err("a bundle from a key not on the roster is refused");
    let key = outsider().public().to_string();
    assert!(
        error.to_string().contains(&key),
        "the refusal names the whole key {key}: {error}"
    );
}

#[test]
fn a_good_bundle_brings_the_receiver_to_the_senders_heads() {
    let mut sender = community_doc();
    let attestation = attest(&mut sender, 1);
    let bytes = NewBundle::changes(&mut sender, &[], Some(attestation), envelope(1)).sign(&node());

    let mut state = city_state();
    let verified = receive(&bytes, &city_receiver(), &state).unwrap();
    let mut replica = empty_replica();
    let applied = verified.apply_changes(&mut replica).unwrap();
    state.accept(node().public(), verified.header().seq);

    assert_eq!(applied.heads, sender.heads());
    assert_eq!(replica.heads(), sender.heads());
    assert_eq!(replica.ids::<Member>().unwrap().len(), 2);
    assert_eq!(
        verified.attestation_covers(&applied.heads, Some(&node().public())),
        Coverage::Attested {
            seq: 1,
            at: issued()
        }
    );
    // The same bundle again is a replay.
    assert!(matches!(
        receive(&bytes, &city_receiver(), &state),
        Err(BundleError::Replayed { seq: 1 })
    ));
    // Applying it twice to the document changes nothing.
    let again = verified.apply_changes(&mut replica).unwrap();
    assert_eq!(again.new_changes, 0);
    assert_eq!(again.heads, sender.heads());
}

#[test]
fn a_bundle_with_base_heads_carries_only_the_missing_changes() {
    let mut sender = community_doc();
    let mut receiver_doc = empty_replica();
    let mut first = NewBundle::changes(&mut sender, &[], None, envelope(1));
    first.envelope.audience = Audience::AnyRosterHolder;
    let whole_history = receive(&first.sign(&node()), &city_receiver(), &city_state()).unwrap();
    whole_history.apply_changes(&mut receiver_doc).unwrap();
    let base = receiver_doc.heads();

    let mut ids = Ids::new(99);
    support::add_member(&mut sender, &mut ids, "王芳");
    support::add_member(&mut sender, &mut ids, "刘洋");

    let full = NewBundle::changes(&mut sender, &[], None, envelope(2)).sign(&node());
    let delta = NewBundle::changes(&mut sender, &base, None, envelope(2)).sign(&node());
    assert!(
        delta.len() * 2 < full.len(),
        "the delta ({} bytes) is not much smaller than the whole history ({} bytes)",
        delta.len(),
        full.len()
    );
    let verified = receive(&delta, &city_receiver(), &city_state()).unwrap();
    assert_eq!(verified.header().base_heads, base);
    let applied = verified.apply_changes(&mut receiver_doc).unwrap();
    assert_eq!(applied.new_changes, 2);
    assert_eq!(receiver_doc.heads(), sender.heads());
    assert_eq!(receiver_doc.ids::<Member>().unwrap().len(), 4);

    // A receiver without the base is told to ask for the whole history, and keeps
    // its document as it was.
    let mut bare = empty_replica();
    let before = bare.save();
    assert!(matches!(
        verified.apply_changes(&mut bare),
        Err(BundleError::MissingBase { .. })
    ));
    assert_eq!(bare.save(), before);
}

#[test]
fn heads_the_payload_does_not_reach_are_refused_and_nothing_is_applied() {
    let bytes = changes_bundle(&node(), 1, |bundle| {
        bundle.heads = vec![ChangeHash([7; 32])];
    });
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let mut replica = empty_replica();
    let before = replica.save();
    assert!(matches!(
        verified.apply_changes(&mut replica),
        Err(BundleError::HeadsMismatch {
            missing: 1,
            extra: _
        })
    ));
    assert_eq!(replica.save(), before);
}

#[test]
fn changes_of_another_community_are_refused() {
    let bytes = changes_bundle(&node(), 1, |_| {});
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let other = "110118001003".parse().unwrap();
    let mut doc = CommunityDoc::load(&CommunityDoc::genesis(other), Some(other), [1; 16]).unwrap();
    assert!(matches!(
        verified.apply_changes(&mut doc),
        Err(BundleError::WrongCommunity { .. })
    ));
}

/// A district hub relays the community's changes to the city hub with the
/// community's signed heads. Relayed honestly, the city sees them attested.
#[test]
fn a_district_hub_relaying_honestly_is_attested() {
    let mut doc = community_doc();
    let attestation = attest(&mut doc, 3);
    let bytes =
        NewBundle::changes(&mut doc, &[], Some(attestation), envelope(1)).sign(&district_hub());
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let mut replica = empty_replica();
    let applied = verified.apply_changes(&mut replica).unwrap();
    assert!(matches!(
        verified.attestation_covers(&applied.heads, Some(&node().public())),
        Coverage::Attested { seq: 3, .. }
    ));
}

/// The district hub alters the community's last change (another wish in its place)
/// and keeps the community's signed heads.
#[test]
fn a_district_hub_altering_a_change_is_detected() {
    let mut community = community_doc();
    let attestation = attest(&mut community, 3);
    let parents = {
        let automerge = community.automerge_mut();
        let last = automerge.get_heads();
        let change = automerge.get_change_by_hash(&last[0]).unwrap();
        change.deps().to_vec()
    };
    let fork = community.automerge_mut().fork_at(&parents).unwrap();
    let mut altered =
        CommunityDoc::from_automerge(fork, Some(support::community()), node_actor()).unwrap();
    let mut ids = Ids::new(1234);
    support::submit_wish(&mut altered, &mut ids, "希望有一台冰箱");
    assert_ne!(altered.heads(), community.heads());

    // Naming the community's signed heads: the altered changes do not lead there.
    let mut same_heads =
        NewBundle::changes(&mut altered, &[], Some(attestation.clone()), envelope(1));
    same_heads.heads = attestation.heads.clone();
    let bytes = same_heads.sign(&district_hub());
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let mut replica = empty_replica();
    let before = replica.save();
    assert!(matches!(
        verified.apply_changes(&mut replica),
        Err(BundleError::HeadsMismatch { .. })
    ));
    assert_eq!(replica.save(), before);

    // Naming the altered heads: applied, but not covered by the community's signature.
    let bytes =
        NewBundle::changes(&mut altered, &[], Some(attestation), envelope(2)).sign(&district_hub());
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let applied = verified.apply_changes(&mut replica).unwrap();
    assert_eq!(
        verified.attestation_covers(&applied.heads, Some(&node().public())),
        Coverage::Unattested {
            heads: altered.heads()
        }
    );
}

/// The district hub writes a change in the community's name (its actor) on top of
/// the community's signed heads.
#[test]
fn a_district_hub_authoring_a_change_in_the_communitys_name_is_detected() {
    let mut doc = community_doc();
    let attestation = attest(&mut doc, 3);
    let signed_heads = doc.heads();
    let mut ids = Ids::new(4321);
    support::add_member(&mut doc, &mut ids, "冒名");

    let bytes =
        NewBundle::changes(&mut doc, &[], Some(attestation), envelope(1)).sign(&district_hub());
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let mut replica = empty_replica();
    let applied = verified.apply_changes(&mut replica).unwrap();
    let coverage = verified.attestation_covers(&applied.heads, Some(&node().public()));
    let Coverage::Unattested { heads } = coverage else {
        panic!("the invented change went unnoticed: {coverage:?}");
    };
    assert_eq!(heads, doc.heads());
    assert!(heads.iter().all(|head| !signed_heads.contains(head)));
}

/// The district hub signs heads itself and passes them off as the community's.
#[test]
fn signed_heads_by_another_key_than_the_communitys_are_flagged() {
    let mut doc = community_doc();
    let heads = doc.heads();
    let forged = wishtree_protocol::attest::SignedHeads::sign(
        &district_hub(),
        support::community(),
        &heads,
        3,
        issued(),
    );
    let bytes = NewBundle::changes(&mut doc, &[], Some(forged), envelope(1)).sign(&district_hub());
    let verified = receive(&bytes, &city_receiver(), &city_state()).unwrap();
    let mut replica = empty_replica();
    let applied = verified.apply_changes(&mut replica).unwrap();
    assert!(matches!(
        verified.attestation_covers(&applied.heads, Some(&node().public())),
        Coverage::BadAttestation { .. }
    ));
    assert_eq!(
        verified.attestation_covers(&applied.heads, None),
        Coverage::NoEnrolledKey
    );
    let plain = NewBundle::changes(&mut doc, &[], None, envelope(2)).sign(&district_hub());
    let verified = receive(&plain, &city_receiver(), &city_state()).unwrap();
    assert_eq!(
        verified.attestation_covers(&applied.heads, Some(&node().public())),
        Coverage::NoAttestation
    );
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    bytes[at] ^= 0x01;
    bytes
}
