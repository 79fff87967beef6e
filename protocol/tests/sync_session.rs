//! The sync session between a node and a hub, driven in memory over [`MemoryHost`]s:
//! documents converge, signed heads are recorded, and every refusal says why.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use proptest::prelude::*;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::frame::{DocId, Frame, FrameError, Role, Scope};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::sync::memory::MemoryHost;
use wishtree_protocol::sync::{Effect, Ending, Event, Host, Session};
use wishtree_protocol::{CommunityCode, Timestamp};

const NOW: Timestamp = Timestamp::from_millis(1_790_000_000_000);

fn community() -> CommunityCode {
    "130903001001".parse().unwrap()
}

fn doc_with(key: &str, value: &str) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, key, value).unwrap();
    doc
}

fn value(doc: &AutoCommit, key: &str) -> Option<String> {
    doc.get(ROOT, key)
        .unwrap()
        .map(|(value, _)| value.into_string().unwrap_or_default())
}

/// A node and a hub with their sessions and the frames in flight between them.
struct Pair {
    node_key: KeyPair,
    hub_key: KeyPair,
    node: MemoryHost,
    hub: MemoryHost,
    node_session: Session,
    hub_session: Session,
    to_hub: VecDeque<Vec<u8>>,
    to_node: VecDeque<Vec<u8>>,
    node_effects: Vec<Effect>,
    hub_effects: Vec<Effect>,
}

impl Pair {
    fn new(enrolled: bool) -> Pair {
        let node_key = KeyPair::from_secret([1; 32]);
        let hub_key = KeyPair::from_secret([2; 32]);
        let mut hub = MemoryHost::new();
        hub.insert_doc(DocId::City, doc_with("city", "沧州市"));
        if enrolled {
            hub.enroll(node_key.public(), Scope::Community(community()));
        }
        let node_session =
            Session::dial(hub_key.public(), Role::Node, Scope::Community(community()));
        let hub_session = Session::listen(node_key.public());
        Pair {
            node_key,
            hub_key,
            node: MemoryHost::new(),
            hub,
            node_session,
            hub_session,
            to_hub: VecDeque::new(),
            to_node: VecDeque::new(),
            node_effects: Vec::new(),
            hub_effects: Vec::new(),
        }
    }

    fn node_event(&mut self, event: Event) {
        let effects = self.node_session.handle_event(NOW, event, &mut self.node);
        for effect in &effects {
            if let Effect::Send(frame) = effect {
                self.to_hub.push_back(frame.encode());
            }
        }
        self.node_effects.extend(effects);
    }

    fn hub_event(&mut self, event: Event) {
        let effects = self.hub_session.handle_event(NOW, event, &mut self.hub);
        for effect in &effects {
            if let Effect::Send(frame) = effect {
                self.to_node.push_back(frame.encode());
            }
        }
        self.hub_effects.extend(effects);
    }

    /// Delivers frames both ways until none are in flight; returns how many.
    fn run(&mut self) -> usize {
        let mut delivered = 0;
        loop {
            assert!(delivered < 1_000, "the session did not settle");
            if let Some(bytes) = self.to_hub.pop_front() {
                self.hub_event(Event::Frame(Frame::decode(&bytes).unwrap()));
            } else if let Some(bytes) = self.to_node.pop_front() {
                self.node_event(Event::Frame(Frame::decode(&bytes).unwrap()));
            } else {
                return delivered;
            }
            delivered += 1;
        }
    }

    fn hub_doc(&self) -> &AutoCommit {
        self.hub.doc(&DocId::Community(community())).unwrap()
    }

    fn node_doc(&mut self) -> &mut AutoCommit {
        self.node.doc_mut(&DocId::Community(community())).unwrap()
    }
}

fn closes(effects: &[Effect]) -> Vec<(Ending, String)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Close { ending, reason } => Some((*ending, reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn node_and_hub_converge_both_ways_and_the_hub_records_signed_heads() {
    let mut pair = Pair::new(true);
    pair.node.insert_doc(
        DocId::Community(community()),
        doc_with("wish", "为独居老人送微波炉"),
    );
    let heads = pair.node_doc().get_heads();
    let signed = SignedHeads::sign(&pair.node_key, community(), &heads, 1, NOW);
    pair.node
        .set_own_attestation(DocId::Community(community()), signed.clone());

    pair.node_event(Event::Start);
    pair.run();

    assert!(pair.node_session.is_open() && pair.hub_session.is_open());
    assert_eq!(
        value(pair.hub_doc(), "wish").as_deref(),
        Some("为独居老人送微波炉")
    );
    let city = pair.node.doc(&DocId::City).unwrap();
    assert_eq!(value(city, "city").as_deref(), Some("沧州市"));
    assert_eq!(pair.hub.attestation(community()), Some(&signed));
    assert!(
        pair.hub_effects
            .contains(&Effect::Changed(DocId::Community(community())))
    );
    assert!(
        pair.node_effects
            .contains(&Effect::CaughtUp(DocId::Community(community())))
    );

    // Live: a change on the node is offered at once and reaches the hub.
    pair.node_doc().put(ROOT, "service", "2 小时").unwrap();
    pair.node_event(Event::Changed(DocId::Community(community())));
    assert!(pair.run() >= 1);
    assert_eq!(value(pair.hub_doc(), "service").as_deref(), Some("2 小时"));
    let node_heads = pair.node_doc().get_heads();
    assert_eq!(
        pair.hub
            .doc(&DocId::Community(community()))
            .unwrap()
            .clone()
            .get_heads(),
        node_heads
    );
}

#[test]
fn an_unknown_key_is_refused_with_the_key_to_give_the_operator() {
    let mut pair = Pair::new(false);
    pair.node
        .insert_doc(DocId::Community(community()), doc_with("wish", "秘密"));
    pair.node_event(Event::Start);
    pair.run();

    let reason = pair
        .node_effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Refused(reason) => Some(reason.clone()),
            _ => None,
        })
        .expect("the node is told why");
    assert!(reason.contains("not enrolled"), "{reason}");
    assert!(
        reason.contains(&pair.node_key.public().to_string()),
        "{reason}"
    );
    assert_eq!(closes(&pair.hub_effects)[0].0, Ending::Refused);
    assert!(pair.node_session.is_closed() && pair.hub_session.is_closed());
    assert!(pair.hub.doc(&DocId::Community(community())).is_none());
}

#[test]
fn a_key_enrolled_for_one_community_can_neither_read_nor_write_another() {
    let mut pair = Pair::new(true);
    let other: CommunityCode = "130902004002".parse().unwrap();
    pair.hub
        .insert_doc(DocId::Community(other), doc_with("wish", "丽水社区的心愿"));
    // The node asks for the other community's document.
    pair.node_session = Session::dial(pair.hub_key.public(), Role::Node, Scope::Community(other));
    pair.node_event(Event::Start);
    pair.run();
    assert!(pair.hub_session.is_closed());
    assert_eq!(closes(&pair.hub_effects)[0].0, Ending::Refused);
    assert!(pair.node.doc(&DocId::Community(other)).is_none());

    // Enrolled and open for its own community, it sends a sync message about the other.
    let mut pair = Pair::new(true);
    pair.hub
        .insert_doc(DocId::Community(other), doc_with("wish", "丽水社区的心愿"));
    pair.node_event(Event::Start);
    pair.run();
    let before = pair
        .hub
        .doc(&DocId::Community(other))
        .unwrap()
        .clone()
        .get_heads();
    let mut forged = doc_with("wish", "伪造");
    let message = forged
        .sync()
        .generate_sync_message(&mut automerge::sync::State::new())
        .unwrap();
    pair.hub_event(Event::Frame(Frame::Sync {
        doc: DocId::Community(other),
        msg: message.encode(),
    }));
    let (ending, reason) = closes(&pair.hub_effects).pop().unwrap();
    assert_eq!(ending, Ending::Refused);
    assert!(reason.contains("outside this session"), "{reason}");
    assert_eq!(
        pair.hub
            .doc(&DocId::Community(other))
            .unwrap()
            .clone()
            .get_heads(),
        before
    );
}

#[test]
fn a_node_cannot_change_the_city_document() {
    let mut pair = Pair::new(true);
    pair.node
        .insert_doc(DocId::Community(community()), doc_with("wish", "一"));
    pair.node_event(Event::Start);
    pair.run();
    let city_before = pair.hub.heads(&DocId::City);

    pair.node
        .doc_mut(&DocId::City)
        .unwrap()
        .put(ROOT, "city", "篡改")
        .unwrap();
    pair.node_event(Event::Changed(DocId::City));
    pair.run();

    let (ending, reason) = closes(&pair.hub_effects).pop().unwrap();
    assert_eq!(ending, Ending::Refused);
    assert!(reason.contains("written by the hub only"), "{reason}");
    assert_eq!(pair.hub.heads(&DocId::City), city_before);
    let refused = pair
        .node_effects
        .iter()
        .any(|effect| matches!(effect, Effect::Refused(reason) if reason.contains("hub only")));
    assert!(refused, "the node is told: {:?}", pair.node_effects);
}

#[test]
fn signed_heads_by_another_key_are_refused() {
    let mut pair = Pair::new(true);
    pair.node
        .insert_doc(DocId::Community(community()), doc_with("wish", "一"));
    let heads = pair.node_doc().get_heads();
    let impostor = KeyPair::from_secret([9; 32]);
    pair.node.set_own_attestation(
        DocId::Community(community()),
        SignedHeads::sign(&impostor, community(), &heads, 1, NOW),
    );
    pair.node_event(Event::Start);
    pair.run();
    assert_eq!(closes(&pair.hub_effects)[0].0, Ending::Refused);
    assert!(pair.hub.attestation(community()).is_none());
}

#[test]
fn heads_by_a_revoked_key_are_refused_for_their_community_only_and_the_session_goes_on() {
    // A district hub passes up two communities' signed heads; the city revoked the
    // key that signed one of them.
    let district: wishtree_protocol::RegionPrefix = "130903".parse().unwrap();
    let revoked = community();
    let neighbour: CommunityCode = "130903002003".parse().unwrap();
    let mut pair = Pair::new(false);
    pair.hub
        .enroll(pair.node_key.public(), Scope::Region(district.clone()));
    pair.node_session = Session::dial(
        pair.hub_key.public(),
        Role::Hub,
        Scope::Region(district.clone()),
    );
    let revoked_key = KeyPair::from_secret([5; 32]);
    let neighbour_key = KeyPair::from_secret([6; 32]);
    pair.hub.revoke(&revoked_key.public());
    for (code, key, text) in [
        (revoked, &revoked_key, "被吊销社区"),
        (neighbour, &neighbour_key, "邻居社区"),
    ] {
        let doc = DocId::Community(code);
        pair.hub.insert_doc(doc, AutoCommit::new());
        let mut document = doc_with("wish", text);
        let heads = document.get_heads();
        pair.node.insert_doc(doc, document);
        pair.node
            .set_own_attestation(doc, SignedHeads::sign(key, code, &heads, 1, NOW));
    }

    pair.node_event(Event::Start);
    pair.run();

    assert!(
        closes(&pair.hub_effects).is_empty(),
        "{:?}",
        pair.hub_effects
    );
    assert!(pair.node_session.is_open() && pair.hub_session.is_open());
    let refusals: Vec<&Effect> = pair
        .hub_effects
        .iter()
        .filter(|effect| matches!(effect, Effect::AttestationRefused { .. }))
        .collect();
    assert!(
        matches!(
            refusals.as_slice(),
            [Effect::AttestationRefused { doc, reason }]
                if *doc == DocId::Community(revoked) && reason.contains("revoked")
        ),
        "{refusals:?}"
    );
    assert!(pair.hub.attestation(revoked).is_none());
    assert!(pair.hub.attestation(neighbour).is_some());
    // Both documents synced (the revoked community's data stays, unattested).
    for (code, text) in [(revoked, "被吊销社区"), (neighbour, "邻居社区")] {
        let held = pair.hub.doc(&DocId::Community(code)).unwrap();
        assert_eq!(value(held, "wish").as_deref(), Some(text));
    }

    // The neighbour's next change still gets through the same session.
    let doc = DocId::Community(neighbour);
    pair.node
        .doc_mut(&doc)
        .unwrap()
        .put(ROOT, "wish", "邻居社区的新心愿")
        .unwrap();
    pair.node_event(Event::Changed(doc));
    pair.run();
    assert_eq!(
        value(pair.hub.doc(&doc).unwrap(), "wish").as_deref(),
        Some("邻居社区的新心愿")
    );
    assert!(closes(&pair.hub_effects).is_empty() && closes(&pair.node_effects).is_empty());
}

#[test]
fn frames_out_of_order_or_malformed_close_the_session_and_change_nothing() {
    let mut pair = Pair::new(true);
    // A sync frame before any Hello.
    pair.hub_event(Event::Frame(Frame::Sync {
        doc: DocId::Community(community()),
        msg: vec![0x42, 1, 2],
    }));
    assert_eq!(closes(&pair.hub_effects)[0].0, Ending::BadFrame);
    assert!(pair.hub.doc(&DocId::Community(community())).is_none());

    let mut pair = Pair::new(true);
    pair.node_event(Event::Start);
    pair.run();
    pair.hub_event(Event::Frame(Frame::Sync {
        doc: DocId::Community(community()),
        msg: b"not an automerge sync message".to_vec(),
    }));
    let (ending, reason) = closes(&pair.hub_effects).pop().unwrap();
    assert_eq!(ending, Ending::BadFrame);
    assert!(reason.contains("does not decode"), "{reason}");

    let mut pair = Pair::new(true);
    pair.hub_event(Event::Malformed("frame format 7 is not known".to_owned()));
    assert_eq!(closes(&pair.hub_effects)[0].0, Ending::BadFrame);
    // Nothing more happens after a close.
    pair.hub_event(Event::Close);
    assert_eq!(closes(&pair.hub_effects).len(), 1);
}

#[test]
fn a_reconnect_after_an_interrupted_session_converges() {
    let mut pair = Pair::new(true);
    pair.node
        .insert_doc(DocId::Community(community()), doc_with("wish", "一"));
    pair.node_event(Event::Start);
    // The hub's answer is lost with the connection.
    let _ = pair.to_hub.pop_front().map(|bytes| {
        pair.hub_event(Event::Frame(Frame::decode(&bytes).unwrap()));
    });
    pair.to_node.clear();
    pair.to_hub.clear();
    pair.node_event(Event::Lost);
    pair.hub_event(Event::Lost);

    pair.node_doc().put(ROOT, "offline", "停电时写的").unwrap();
    pair.node_session = Session::dial(
        pair.hub_key.public(),
        Role::Node,
        Scope::Community(community()),
    );
    pair.hub_session = Session::listen(pair.node_key.public());
    pair.node_event(Event::Start);
    pair.run();
    assert_eq!(
        value(pair.hub_doc(), "offline").as_deref(),
        Some("停电时写的")
    );
}

/// A node killed mid-sync comes back before the hub noticed the old connection died:
/// the hub never saw it end, and its sync state for the node still has a message in
/// flight. The new session must not start from that state.
#[test]
fn a_new_session_converges_while_the_hub_still_holds_the_dead_one() {
    let mut pair = Pair::new(true);
    pair.node
        .insert_doc(DocId::Community(community()), doc_with("wish", "一"));
    pair.node_event(Event::Start);
    pair.run();
    // A write goes to the hub; the hub's answer is lost with the node's process.
    pair.node_doc().put(ROOT, "service", "2 小时").unwrap();
    pair.node_event(Event::Changed(DocId::Community(community())));
    while let Some(bytes) = pair.to_hub.pop_front() {
        pair.hub_event(Event::Frame(Frame::decode(&bytes).unwrap()));
    }
    pair.to_node.clear();
    // The node restarts (its in-flight state is gone); the hub's old session lives on.
    pair.node_event(Event::Lost);
    pair.node_doc().put(ROOT, "after", "重启后").unwrap();
    pair.node_session = Session::dial(
        pair.hub_key.public(),
        Role::Node,
        Scope::Community(community()),
    );
    let _old = std::mem::replace(
        &mut pair.hub_session,
        Session::listen(pair.node_key.public()),
    );
    pair.node_event(Event::Start);
    pair.run();
    assert_eq!(value(pair.hub_doc(), "after").as_deref(), Some("重启后"));
    let node_heads = pair.node_doc().get_heads();
    assert_eq!(pair.hub.heads(&DocId::Community(community())), node_heads);
}

#[test]
fn frame_encoding_round_trips_and_refuses_what_is_not_a_frame() {
    let frame = Frame::Sync {
        doc: DocId::Community(community()),
        msg: vec![1, 2, 3],
    };
    assert_eq!(Frame::decode(&frame.encode()).unwrap(), frame);
    let key = KeyPair::from_secret([5; 32]);
    let attest = Frame::Attest(Box::new(SignedHeads::sign(&key, community(), &[], 7, NOW)));
    assert_eq!(Frame::decode(&attest.encode()).unwrap(), attest);
    assert_eq!(Frame::decode(&[]), Err(FrameError::Empty));
    assert_eq!(Frame::decode(&[7, 0]), Err(FrameError::UnknownFormat(7)));
    let mut trailing = Frame::Bye.encode();
    trailing.push(0);
    assert!(matches!(
        Frame::decode(&trailing),
        Err(FrameError::Malformed(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes: an error or a frame, never a panic; a frame re-encodes to the same bytes.
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut payload = vec![1u8];
        payload.extend(&bytes);
        if let Ok(frame) = Frame::decode(&payload) {
            prop_assert_eq!(Frame::decode(&frame.encode()).unwrap(), frame);
        }
        let _ = Frame::decode(&bytes);
    }

    /// Any bytes fed to a hub's session as a frame: it closes or carries on, never panics,
    /// and a document changes only through a well-formed session.
    #[test]
    fn a_fuzzed_frame_stream_never_panics_the_hub(frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8)) {
        let mut pair = Pair::new(true);
        for bytes in frames {
            match Frame::decode(&bytes) {
                Ok(frame) => pair.hub_event(Event::Frame(frame)),
                Err(error) => pair.hub_event(Event::Malformed(error.to_string())),
            }
        }
        prop_assert!(pair.hub.doc(&DocId::Community(community())).is_none());
    }
}

#[test]
fn a_reconnect_after_offline_writes_takes_two_round_trips() {
    let mut pair = Pair::new(true);
    pair.node.insert_doc(
        DocId::Community(community()),
        doc_with("wish", "为独居老人送微波炉"),
    );
    pair.node_event(Event::Start);
    pair.run();
    pair.node_event(Event::Lost);
    pair.hub_event(Event::Lost);

    // Offline, the node writes; then it reconnects with fresh sessions.
    pair.node_doc().put(ROOT, "service", "2 小时").unwrap();
    pair.node_session = Session::dial(
        pair.hub_key.public(),
        Role::Node,
        Scope::Community(community()),
    );
    pair.hub_session = Session::listen(pair.node_key.public());
    pair.node_event(Event::Start);

    // Flights: everything one side has to send, then everything the other answers.
    let mut flights = 0;
    let mut towards_hub = true;
    while !(pair.to_hub.is_empty() && pair.to_node.is_empty()) {
        let flight: Vec<Vec<u8>> = if towards_hub {
            pair.to_hub.drain(..).collect()
        } else {
            pair.to_node.drain(..).collect()
        };
        if !flight.is_empty() {
            flights += 1;
        }
        for bytes in flight {
            let frame = Frame::decode(&bytes).unwrap();
            if towards_hub {
                pair.hub_event(Event::Frame(frame));
            } else {
                pair.node_event(Event::Frame(frame));
            }
        }
        towards_hub = !towards_hub;
    }
    // Hello; Hello with the hub's sync messages; the node's changes; the hub's answer.
    assert_eq!(flights, 4, "a reconnect is two round trips");
    assert_eq!(value(pair.hub_doc(), "service").as_deref(), Some("2 小时"));
    assert!(
        pair.node_effects
            .contains(&Effect::CaughtUp(DocId::Community(community())))
    );
}
