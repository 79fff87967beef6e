//! The tests of `HubHost`: sessions of one peer, merges of different communities at
//! once, and what a merge stores.

#![allow(clippy::unwrap_used)]

use std::sync::mpsc;
use std::time::Duration;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use wishtree_protocol::keys::KeyPair;

use super::*;
use crate::metrics::Metrics;
use crate::state::HubOptions;
use crate::store::SqliteStore;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn hub(dir: &std::path::Path) -> Arc<Hub> {
    let store = Arc::new(SqliteStore::open(&dir.join("hub.sqlite")).unwrap());
    Hub::new(
        store,
        KeyPair::from_secret([9; 32]),
        "1309".parse().unwrap(),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap()
}

fn community(n: u8) -> DocId {
    DocId::Community(format!("13090300100{n}").parse().unwrap())
}

/// A node's side of the exchange: its document and its sync state with the hub.
struct Node {
    key: PublicKey,
    doc: AutoCommit,
    state: sync::State,
}

impl Node {
    fn new(secret: u8) -> Self {
        Self {
            key: KeyPair::from_secret([secret; 32]).public(),
            doc: AutoCommit::new(),
            state: sync::State::new(),
        }
    }

    fn write(&mut self, n: usize) {
        self.doc
            .put(automerge::ROOT, format!("record {n}"), n as u64)
            .unwrap();
        self.doc.commit();
    }

    /// Exchanges messages with the hub until neither side has anything to send.
    fn sync_with(&mut self, host: &mut HubHost, doc: DocId) {
        loop {
            let sent = self.doc.sync().generate_sync_message(&mut self.state);
            if let Some(message) = &sent {
                host.receive(&self.key, &doc, message.clone(), Access::ReadWrite, NOW)
                    .unwrap();
            }
            let answer = host.generate(&self.key, &doc).unwrap();
            if let Some(answer) = &answer {
                self.doc
                    .sync()
                    .receive_sync_message(&mut self.state, answer.clone())
                    .unwrap();
            }
            if sent.is_none() && answer.is_none() {
                return;
            }
        }
    }
}

/// A host for a new session of `peer`, as admission makes it.
fn session_of(hub: &Arc<Hub>, peer: &PublicKey) -> HubHost {
    let mut host = hub.host(false);
    host.session = Some(hub.open_session(peer));
    host
}

/// Found by the chaos harness: a peer that restarted dials again while the hub
/// still holds its dead session (until the idle timeout). The dead session, woken
/// by a change the new session brought, generated a message for nobody from the
/// peer's one sync state; the new session then held its answer back (a message
/// "in flight") and both sides waited for ever, short of converging.
#[test]
fn a_dead_session_of_a_peer_does_not_stall_its_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path());
    let doc = community(1);
    let mut node = Node::new(3);
    node.write(0);
    let mut dead = session_of(&hub, &node.key);
    node.sync_with(&mut dead, doc);
    assert_eq!(hub.heads(doc).unwrap(), node.doc.get_heads());

    // The node restarts (its sync state as stored) and writes; a new session.
    node.state = sync::State::decode(&node.state.encode()).unwrap();
    node.write(1);
    let mut new = session_of(&hub, &node.key);
    let first = node
        .doc
        .sync()
        .generate_sync_message(&mut node.state)
        .unwrap();
    new.receive(&node.key, &doc, first, Access::ReadWrite, NOW)
        .unwrap();
    // The dead session is woken by the change broadcast and tries to answer.
    assert!(
        matches!(dead.generate(&node.key, &doc), Err(HostError::Forbidden(_))),
        "a replaced session is refused"
    );
    node.sync_with(&mut new, doc);
    assert_eq!(hub.heads(doc).unwrap(), node.doc.get_heads());

    // The dead session's end leaves the new one's state alone.
    let before = hub
        .with_doc(doc, |locked| {
            Ok::<_, HubError>(locked.doc_and_sync_state(&node.key)?.1.encode())
        })
        .unwrap();
    dead.end(&node.key, NOW);
    assert!(hub.is_current_session(&node.key, new.session.unwrap()));
    node.write(2);
    node.sync_with(&mut new, doc);
    assert_eq!(hub.heads(doc).unwrap(), node.doc.get_heads());
    assert!(!before.is_empty());
}

#[test]
fn a_first_sync_stores_the_node_s_saved_document_as_it_came() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path());
    let doc = community(1);
    let mut node = Node::new(3);
    for write in 0..20 {
        node.write(write);
    }
    let mut host = session_of(&hub, &node.key);
    node.sync_with(&mut host, doc);
    assert_eq!(hub.heads(doc).unwrap(), node.doc.get_heads());
    // One chunk, the node's own save: nothing was encoded or saved again.
    let stats = hub.store().chunk_stats(stored(doc)).unwrap();
    assert_eq!(stats.count, 1);
    assert_eq!(
        hub.store().doc_bytes(stored(doc)).unwrap().unwrap(),
        node.doc.save()
    );

    // What follows is merged change by change, and a hub started afresh has it all.
    node.write(20);
    node.sync_with(&mut host, doc);
    drop(host);
    drop(hub);
    let reopened = self::hub(dir.path());
    assert_eq!(reopened.heads(doc).unwrap(), node.doc.get_heads());
}

#[test]
fn only_a_whole_chunk_with_nothing_after_it_is_stored_as_it_came() {
    let mut saved = AutoCommit::new();
    saved.put(automerge::ROOT, "record", 1_u64).unwrap();
    let saved = saved.save();
    let mut trailing = saved.clone();
    trailing.push(0);
    let mut wrong_magic = saved.clone();
    wrong_magic[0] ^= 1;
    let cases: [(&str, &[u8], Option<usize>); 5] = [
        ("a saved document", &saved, Some(saved.len())),
        ("one byte more", &trailing, Some(saved.len())),
        ("cut short", &saved[..saved.len() - 1], Some(saved.len())),
        ("no length", &saved[..9], None),
        ("not automerge", &wrong_magic, None),
    ];
    for (name, bytes, expected) in cases {
        assert_eq!(chunk_length(bytes), expected, "{name}");
        let message = sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: vec![bytes.to_vec()].into(),
            flags: None,
            version: sync::MessageVersion::V2,
        };
        let whole = whole_document(&[], &message);
        assert_eq!(
            whole.is_some(),
            expected == Some(bytes.len()),
            "{name}: stored as it came"
        );
        let held = [saved_heads(&saved)];
        assert!(
            whole_document(&held, &message).is_none(),
            "{name}: the hub had some"
        );
    }
}

fn saved_heads(saved: &[u8]) -> ChangeHash {
    AutoCommit::load(saved).unwrap().get_heads()[0]
}

#[test]
fn a_merge_does_not_wait_for_another_community_s_document() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path());
    let (held, holding) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let holder = {
        let hub = Arc::clone(&hub);
        std::thread::spawn(move || {
            hub.with_doc(community(1), |_| {
                held.send(()).unwrap();
                // Held until the other merge is done (or the test gives up).
                let _ = released.recv_timeout(Duration::from_secs(30));
                Ok::<_, HubError>(())
            })
            .unwrap();
        })
    };
    holding.recv().unwrap();

    let (merged, merging) = mpsc::channel();
    let mut host = hub.host(false);
    let merger = std::thread::spawn(move || {
        let mut node = Node::new(2);
        node.write(0);
        node.sync_with(&mut host, community(2));
        merged.send(node.doc.get_heads()).unwrap();
    });
    let heads = merging.recv_timeout(Duration::from_secs(10));
    release.send(()).unwrap();
    holder.join().unwrap();
    merger.join().unwrap();
    let heads = heads.expect("the merge of community 2 waited for community 1's lock");
    assert_eq!(hub.heads(community(2)).unwrap(), heads);
}

#[test]
fn two_communities_merging_at_once_both_converge_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path());
    let writes = 60;
    let sessions: Vec<_> = [1u8, 2]
        .into_iter()
        .map(|n| {
            let mut host = hub.host(false);
            std::thread::spawn(move || {
                let mut node = Node::new(n);
                for write in 0..writes {
                    node.write(write);
                    node.sync_with(&mut host, community(n));
                }
                (community(n), node.doc)
            })
        })
        .collect();
    let nodes: Vec<(DocId, AutoCommit)> = sessions
        .into_iter()
        .map(|session| session.join().unwrap())
        .collect();
    drop(hub);

    // What the store holds, read by a hub started afresh, is every node's document.
    let reopened = self::hub(dir.path());
    for (doc, mut node_doc) in nodes {
        let mut stored = reopened.snapshot(doc).unwrap();
        assert_eq!(stored.get_heads(), node_doc.get_heads(), "{doc}");
        for write in 0..writes {
            let key = format!("record {write}");
            assert!(
                stored.get(automerge::ROOT, &key).unwrap().is_some(),
                "{doc}: {key}"
            );
        }
    }
}
