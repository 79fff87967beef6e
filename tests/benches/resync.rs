//! Bytes on the wire and round trips for a node to resync with the hub after K records
//! written offline, against automerge's own sync protocol run in memory on the same
//! documents in the same run.
//!
//! The community document is of DESIGN's 1x size (100 members, 40 wishes, 300 service
//! records), built with domain commands; node and hub synced it before the outage and
//! kept their sync state (persisted, so only what both sides share survives, as on a
//! reconnect). Then the node records K services and reconnects.
//!
//! Ours: the sum of the encoded frames plus the transport's 4-byte length prefix each,
//! over a whole session (both `Hello`s, the city document, signed heads). Automerge: the
//! sum of its encoded sync messages, without any framing. Round trips: the traffic is
//! delivered in flights (everything one side has to send, then everything the other
//! answers) until quiet; a round trip is a request flight and its answer.
//!
//! `cargo bench -p wishtree-tests --bench resync`. Target: ours at most 1.2x automerge's
//! bytes plus 512 bytes per session, in at most 2 round trips.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ROOT, transaction::Transactable};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::command::Command;
use wishtree_protocol::frame::{DocId, Frame, Role, Scope};
use wishtree_protocol::id::{MemberId, ServiceId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, PostKind};
use wishtree_protocol::sync::memory::MemoryHost;
use wishtree_protocol::sync::{Effect, Event, Session};
use wishtree_protocol::text::Detail;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};
use wishtree_testkit::community::{Ids, Writer};

/// The transport's length prefix of every frame.
const LENGTH_PREFIX: usize = 4;

/// What one resync cost.
#[derive(Debug, Default, Clone, Copy)]
struct Wire {
    bytes: usize,
    messages: usize,
    flights: usize,
}

impl Wire {
    fn round_trips(&self) -> usize {
        self.flights.div_ceil(2)
    }
}

fn main() {
    let code: CommunityCode = "130903001001".parse().unwrap();
    let mut ids = Ids::new(7);
    let (base, members) = community(code, &mut ids);
    println!(
        "resync after K offline records, 1x community document ({} bytes saved)",
        base.automerge().clone().save().len()
    );
    println!(
        "{:>5} {:>10} {:>10} {:>7} {:>6} {:>6} {:>7} {:>8} {:>6}",
        "K", "ours B", "am B", "ratio", "our RT", "am RT", "frames", "budget", "meets"
    );
    for k in [1, 10, 100, 1000] {
        let (ours, theirs, detail) = resync(code, &base, &members, k, &mut ids);
        let budget = (1.2 * theirs.bytes as f64) as usize + 512;
        let meets = ours.bytes <= budget && ours.round_trips() <= 2;
        println!(
            "{:>5} {:>10} {:>10} {:>6.2}x {:>6} {:>6} {:>7} {:>8} {:>6}",
            k,
            ours.bytes,
            theirs.bytes,
            ours.bytes as f64 / theirs.bytes as f64,
            ours.round_trips(),
            theirs.round_trips(),
            ours.messages,
            budget,
            if meets { "yes" } else { "NO" }
        );
        println!("      ours by frame: {detail}");
    }
}

/// One measurement: a node and a hub that synced `base`, the node records `k` services
/// offline, then both protocols resync it. Returns ours, automerge's, and where our
/// bytes went.
fn resync(
    code: CommunityCode,
    base: &CommunityDoc,
    members: &[MemberId],
    k: usize,
    ids: &mut Ids,
) -> (Wire, Wire, String) {
    let doc = DocId::Community(code);
    let now = Timestamp::from_millis(1_790_000_000_000);
    let node_key = KeyPair::from_secret([1; 32]);
    let hub_key = KeyPair::from_secret([2; 32]);

    let mut node = MemoryHost::new();
    node.insert_doc(doc, base.automerge().clone());
    node.set_own_attestation(doc, sign(&node_key, code, base, 1, now));
    let mut hub = MemoryHost::new();
    let mut city = AutoCommit::new();
    city.put(ROOT, "city", "沧州市").unwrap();
    hub.insert_doc(DocId::City, city);
    hub.enroll(node_key.public(), Scope::Community(code));

    // Synced before the outage; the sessions end as the connection drops.
    let mut sizes = Vec::new();
    session(&node_key, &hub_key, code, &mut node, &mut hub, &mut sizes);

    // Automerge's own protocol on the same document, synced the same way, with its
    // sync states persisted across the outage.
    let mut am_node = base.automerge().clone();
    let mut am_hub = AutoCommit::new();
    let (mut node_state, mut hub_state) = (sync::State::new(), sync::State::new());
    automerge_sync(&mut am_node, &mut am_hub, &mut node_state, &mut hub_state);
    let mut node_state = sync::State::decode(&node_state.encode()).unwrap();
    let mut hub_state = sync::State::decode(&hub_state.encode()).unwrap();

    // Offline: K service records on the node.
    let mut written = base.clone();
    let base_heads = written.automerge_mut().get_heads();
    let worker = Actor::Worker("陈玉萍".to_owned());
    for i in 0..k {
        let command = Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: members[i % members.len()],
            date: "2026-08-01".parse().unwrap(),
            minutes: 90,
            category: PostKind::Environment,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "清理小区卫生死角").unwrap(),
        };
        written
            .execute(
                &command,
                &worker,
                Timestamp::from_millis(now.as_millis() + i as i64),
            )
            .unwrap();
    }
    let changes = written.automerge_mut().get_changes(&base_heads);
    am_node.apply_changes(changes).unwrap();
    node.insert_doc(doc, written.automerge().clone());
    node.set_own_attestation(doc, sign(&node_key, code, &written, 2, now));

    let mut sizes = Vec::new();
    let ours = session(&node_key, &hub_key, code, &mut node, &mut hub, &mut sizes);
    let theirs = automerge_sync(&mut am_node, &mut am_hub, &mut node_state, &mut hub_state);

    let node_heads = node.doc(&doc).unwrap().clone().get_heads();
    assert_eq!(hub.doc(&doc).unwrap().clone().get_heads(), node_heads);
    assert_eq!(am_hub.get_heads(), node_heads);

    let detail = sizes
        .iter()
        .map(|(kind, size)| format!("{kind} {size}"))
        .collect::<Vec<_>>()
        .join(", ");
    (ours, theirs, detail)
}

/// A session of our protocol from `Start` until quiet, then the connection drops.
/// `sizes` gets each frame's kind and wire size, in order.
fn session(
    node_key: &KeyPair,
    hub_key: &KeyPair,
    code: CommunityCode,
    node: &mut MemoryHost,
    hub: &mut MemoryHost,
    sizes: &mut Vec<(String, usize)>,
) -> Wire {
    let now = Timestamp::from_millis(1_790_000_000_000);
    let mut dialer = Session::dial(hub_key.public(), Role::Node, Scope::Community(code));
    let mut listener = Session::listen(node_key.public());
    let mut wire = Wire::default();
    let mut to_hub = sends(dialer.handle_event(now, Event::Start, node));
    let mut to_node = Vec::new();
    let mut towards_hub = true;
    loop {
        let flight = if towards_hub {
            std::mem::take(&mut to_hub)
        } else {
            std::mem::take(&mut to_node)
        };
        if flight.is_empty() {
            if to_hub.is_empty() && to_node.is_empty() {
                break;
            }
            towards_hub = !towards_hub;
            continue;
        }
        wire.flights += 1;
        for frame in flight {
            let bytes = frame.encode();
            wire.bytes += bytes.len() + LENGTH_PREFIX;
            wire.messages += 1;
            let doc = match &frame {
                Frame::Sync {
                    doc: DocId::City, ..
                } => " city",
                Frame::Sync { .. } => " community",
                _ => "",
            };
            let arrow = if towards_hub { "→" } else { "←" };
            sizes.push((
                format!("{arrow}{}{doc}", frame.kind()),
                bytes.len() + LENGTH_PREFIX,
            ));
            let frame = Frame::decode(&bytes).unwrap();
            if towards_hub {
                to_node.extend(sends(listener.handle_event(now, Event::Frame(frame), hub)));
            } else {
                to_hub.extend(sends(dialer.handle_event(now, Event::Frame(frame), node)));
            }
        }
        towards_hub = !towards_hub;
    }
    assert!(dialer.is_open() && listener.is_open(), "the session opened");
    dialer.handle_event(now, Event::Lost, node);
    listener.handle_event(now, Event::Lost, hub);
    wire
}

fn sends(effects: Vec<Effect>) -> Vec<Frame> {
    effects
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::Send(frame) => Some(frame),
            _ => None,
        })
        .collect()
}

/// Automerge's sync protocol between two documents, in the same flights: the node
/// speaks first, each side then answers everything it received, until neither has
/// anything to say.
fn automerge_sync(
    node: &mut AutoCommit,
    hub: &mut AutoCommit,
    node_state: &mut sync::State,
    hub_state: &mut sync::State,
) -> Wire {
    let mut wire = Wire::default();
    let mut in_flight: Vec<Vec<u8>> = node
        .sync()
        .generate_sync_message(node_state)
        .map(|message| message.encode())
        .into_iter()
        .collect();
    let mut towards_hub = true;
    while !in_flight.is_empty() {
        wire.flights += 1;
        let (receiver, state) = if towards_hub {
            (&mut *hub, &mut *hub_state)
        } else {
            (&mut *node, &mut *node_state)
        };
        for bytes in std::mem::take(&mut in_flight) {
            wire.bytes += bytes.len();
            wire.messages += 1;
            let message = sync::Message::decode(&bytes).unwrap();
            receiver
                .sync()
                .receive_sync_message(state, message)
                .unwrap();
        }
        if let Some(message) = receiver.sync().generate_sync_message(state) {
            in_flight.push(message.encode());
        }
        towards_hub = !towards_hub;
    }
    // Both sides must also have nothing left to say.
    assert!(node.sync().generate_sync_message(node_state).is_none());
    assert!(hub.sync().generate_sync_message(hub_state).is_none());
    wire
}

fn sign(
    key: &KeyPair,
    code: CommunityCode,
    doc: &CommunityDoc,
    seq: u64,
    now: Timestamp,
) -> SignedHeads {
    let heads = doc.automerge().clone().get_heads();
    SignedHeads::sign(key, code, &heads, seq, now)
}

/// A community of DESIGN's 1x size, built with domain commands (as the `commands`
/// bench of `wishtree-protocol` builds it); `ids` goes on where the community's ended.
fn community(code: CommunityCode, ids: &mut Ids) -> (CommunityDoc, Vec<MemberId>) {
    let now = Timestamp::from_millis(1_780_000_000_000);
    let mut writer = Writer::new(code, "名人社区", 7, now);
    let written = writer.design_size(1, false, |_| now);
    *ids = writer.ids;
    (writer.doc, written.members)
}
