//! The simulated network: one hub and N community nodes in memory, joined by links
//! that carry encoded frames, driven step by step by a deterministic schedule.
//!
//! Each node holds its community document in a [`MemoryHost`] and, while connected, a
//! [`Session`] dialing the hub; the hub holds every node's copy and the city document,
//! with one listening [`Session`] per connected node. A link carries the bytes of
//! [`Frame::encode`] both ways and decodes them on delivery, so what the sessions see is
//! what a QUIC stream would hand them — plus the faults a schedule asks for: partitions,
//! lost connections, duplicated, reordered and corrupted frames, and storage that stops
//! answering. A schedule is a list of [`Step`]s, written by hand, drawn from a seed
//! ([`random_steps`]) or by proptest; [`Sim::run_until_quiescent`] then heals
//! everything and delivers until nothing is in flight, and [`Sim::check_converged`]
//! says whether every replica is equal and no acknowledged write was lost.

mod schedule;

use std::collections::{BTreeSet, VecDeque};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use wishtree_protocol::frame::{DocId, Frame, Role, Scope};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::sync::memory::MemoryHost;
use wishtree_protocol::sync::{Effect, Ending, Event, Session};
use wishtree_protocol::{CommunityCode, Timestamp};

pub(crate) use schedule::next as splitmix64;
pub use schedule::random_steps;

/// The list in every community document that the simulated writes append to.
pub const RECORDS: &str = "services";

/// Which way a frame travels on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the node to the hub.
    ToHub,
    /// From the hub to the node.
    ToNode,
}

/// A party whose storage can be paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The hub.
    Hub,
    /// A node, by index (taken modulo the number of nodes).
    Node(usize),
}

/// One step of a schedule. Node indices are taken modulo the number of nodes, so any
/// list of steps is a valid schedule; a step that cannot apply (delivering on a link
/// that is down) does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The node appends a record to its document; acknowledged once committed. Fails
    /// (not acknowledged) while the node's storage is paused.
    Write(usize),
    /// The hub changes the city document and offers it to every open session.
    CityWrite,
    /// The node connects to the hub, if it is not connected: fresh sessions, `Start`.
    Connect(usize),
    /// The node is partitioned: the connection is lost on both sides.
    Disconnect(usize),
    /// The first frame in flight that way is delivered.
    Deliver(usize, Direction),
    /// One frame is delivered: on the first link, from this node on, that has frames in
    /// flight (towards the hub first). Random schedules lean on it to make progress.
    DeliverAny(usize),
    /// The first frame in flight that way is lost. On a reliable stream that means the
    /// connection broke, so both sessions lose it.
    Drop(usize, Direction),
    /// The first frame in flight that way is delivered twice.
    Duplicate(usize, Direction),
    /// The first two frames in flight that way swap places.
    Reorder(usize, Direction),
    /// The first frame in flight that way loses its last byte (it no longer decodes).
    Corrupt(usize, Direction),
    /// The party's storage stops answering.
    Pause(Party),
    /// The party's storage answers again.
    Resume(Party),
}

/// Counters of what happened during a run, to check that a schedule exercised what it
/// meant to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames delivered to a session (including undecodable ones).
    pub frames_delivered: usize,
    /// Connections made.
    pub connections: usize,
    /// Sessions that opened (counted at the node).
    pub opened: usize,
    /// Sessions that ended, by how: done (cleanly or lost), refused, bad frame,
    /// internal (storage failed).
    pub ended_done: usize,
    /// See `ended_done`.
    pub ended_refused: usize,
    /// See `ended_done`.
    pub ended_bad_frame: usize,
    /// See `ended_done`.
    pub ended_internal: usize,
    /// Writes refused because the node's storage was paused.
    pub writes_refused: usize,
}

/// A community node of the simulation.
#[derive(Debug)]
pub struct SimNode {
    key: KeyPair,
    code: CommunityCode,
    host: MemoryHost,
    acknowledged: BTreeSet<String>,
    next_record: u64,
    link: Option<Link>,
    /// Whether its storage is paused (`MemoryHost` keeps the flag private).
    paused: bool,
}

/// The network. See the module doc.
#[derive(Debug)]
pub struct Sim {
    hub_key: KeyPair,
    hub: MemoryHost,
    nodes: Vec<SimNode>,
    now: Timestamp,
    city_writes: u64,
    stats: Stats,
    hub_paused: bool,
}

/// A connection between a node and the hub, with the frames in flight on it.
#[derive(Debug)]
struct Link {
    node_session: Session,
    hub_session: Session,
    to_hub: VecDeque<Vec<u8>>,
    to_node: VecDeque<Vec<u8>>,
}

impl SimNode {
    /// The node's key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The node's community.
    pub fn code(&self) -> CommunityCode {
        self.code
    }

    /// The node's store.
    pub fn host(&self) -> &MemoryHost {
        &self.host
    }

    /// The ids of the records the node acknowledged (committed).
    pub fn acknowledged(&self) -> &BTreeSet<String> {
        &self.acknowledged
    }

    /// Whether the node has a connection to the hub (open or opening).
    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// Whether both sessions of the node's connection are open.
    pub fn is_open(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|link| link.node_session.is_open() && link.hub_session.is_open())
    }

    /// Frames in flight on the node's connection, each way.
    pub fn in_flight(&self) -> (usize, usize) {
        self.link
            .as_ref()
            .map_or((0, 0), |link| (link.to_hub.len(), link.to_node.len()))
    }
}

impl Sim {
    /// A hub and `nodes` community nodes (codes 130903001001, 130903001002, …), each
    /// enrolled at the hub, none connected. Every node's document already holds an empty
    /// record list, as a node's document is created before it first syncs.
    pub fn new(nodes: usize) -> Sim {
        let hub_key = KeyPair::from_secret([0xAB; 32]);
        let mut hub = MemoryHost::new();
        hub.insert_doc(DocId::City, city_document());
        let nodes = (0..nodes)
            .map(|index| {
                let mut secret = [0u8; 32];
                secret[..8].copy_from_slice(&(index as u64 + 1).to_le_bytes());
                let key = KeyPair::from_secret(secret);
                let code = community_code(index);
                hub.enroll(key.public(), Scope::Community(code));
                let mut host = MemoryHost::new();
                host.insert_doc(DocId::Community(code), community_document(code));
                SimNode {
                    key,
                    code,
                    host,
                    acknowledged: BTreeSet::new(),
                    next_record: 0,
                    link: None,
                    paused: false,
                }
            })
            .collect();
        Sim {
            hub_key,
            hub,
            nodes,
            now: Timestamp::from_millis(1_790_000_000_000),
            city_writes: 0,
            stats: Stats::default(),
            hub_paused: false,
        }
    }

    /// The hub's store.
    pub fn hub(&self) -> &MemoryHost {
        &self.hub
    }

    /// The hub's key.
    pub fn hub_key(&self) -> &KeyPair {
        &self.hub_key
    }

    /// The nodes.
    pub fn nodes(&self) -> &[SimNode] {
        &self.nodes
    }

    /// A node, by index (modulo the number of nodes).
    pub fn node(&self, index: usize) -> &SimNode {
        &self.nodes[index % self.nodes.len()]
    }

    /// What happened so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Frames in flight on all links.
    pub fn frames_in_flight(&self) -> usize {
        self.nodes
            .iter()
            .map(|node| {
                let (to_hub, to_node) = node.in_flight();
                to_hub + to_node
            })
            .sum()
    }

    /// Applies each step in order.
    pub fn run(&mut self, steps: &[Step]) {
        for step in steps {
            self.apply(*step);
        }
    }

    /// Applies one step.
    pub fn apply(&mut self, step: Step) {
        self.now = Timestamp::from_millis(self.now.as_millis() + 250);
        let count = self.nodes.len();
        match step {
            Step::Write(node) => self.write(node % count),
            Step::CityWrite => self.city_write(),
            Step::Connect(node) => self.connect(node % count),
            Step::Disconnect(node) => self.lose_link(node % count),
            Step::Deliver(node, direction) => self.deliver(node % count, direction),
            Step::DeliverAny(node) => {
                let busy = (0..count)
                    .map(|offset| (node + offset) % count)
                    .flat_map(|node| [(node, Direction::ToHub), (node, Direction::ToNode)])
                    .find(|&(node, direction)| {
                        self.queue(node, direction)
                            .is_some_and(|queue| !queue.is_empty())
                    });
                if let Some((node, direction)) = busy {
                    self.deliver(node, direction);
                }
            }
            Step::Drop(node, direction) => {
                let node = node % count;
                if self
                    .queue(node, direction)
                    .and_then(VecDeque::pop_front)
                    .is_some()
                {
                    self.lose_link(node);
                }
            }
            Step::Duplicate(node, direction) => {
                if let Some(queue) = self.queue(node % count, direction)
                    && let Some(first) = queue.front().cloned()
                {
                    queue.insert(1, first);
                }
            }
            Step::Reorder(node, direction) => {
                if let Some(queue) = self.queue(node % count, direction)
                    && queue.len() >= 2
                {
                    queue.swap(0, 1);
                }
            }
            Step::Corrupt(node, direction) => {
                if let Some(queue) = self.queue(node % count, direction)
                    && let Some(first) = queue.front_mut()
                {
                    first.pop();
                }
            }
            Step::Pause(party) => self.set_paused(party, true),
            Step::Resume(party) => self.set_paused(party, false),
        }
    }

    /// Heals everything — storage answers again, every node reconnects — and delivers
    /// frames until none are in flight and every node is connected. Returns the number
    /// of deliveries. Panics, saying what is still in flight, if that takes more than
    /// `max_steps` deliveries: the protocol does not settle.
    pub fn run_until_quiescent(&mut self, max_steps: usize) -> usize {
        self.set_paused(Party::Hub, false);
        for node in 0..self.nodes.len() {
            self.set_paused(Party::Node(node), false);
        }
        let mut delivered = 0;
        loop {
            for node in 0..self.nodes.len() {
                self.connect(node);
            }
            if self.frames_in_flight() == 0 {
                return delivered;
            }
            // Round robin over links and directions, one frame each, so that no link
            // starves another and both directions interleave as on a real network.
            for node in 0..self.nodes.len() {
                for direction in [Direction::ToHub, Direction::ToNode] {
                    if self
                        .queue(node, direction)
                        .is_some_and(|queue| !queue.is_empty())
                    {
                        if delivered >= max_steps {
                            panic!(
                                "the network did not settle within {max_steps} deliveries; \
                                 in flight (to hub, to node) per node: {:?}",
                                self.nodes
                                    .iter()
                                    .map(SimNode::in_flight)
                                    .collect::<Vec<_>>()
                            );
                        }
                        self.now = Timestamp::from_millis(self.now.as_millis() + 10);
                        self.deliver(node, direction);
                        delivered += 1;
                    }
                }
            }
        }
    }

    /// Whether the network converged: every node connected with both sessions open,
    /// nothing in flight, every node's community document and city document with the
    /// same heads as the hub's copy, and every acknowledged write present at the hub and
    /// at its node. `Err` says the first thing that is not so.
    pub fn check_converged(&mut self) -> Result<(), String> {
        if self.frames_in_flight() != 0 {
            return Err(format!(
                "{} frames still in flight",
                self.frames_in_flight()
            ));
        }
        let city_heads = self.hub.doc(&DocId::City).map(heads).unwrap_or_default();
        for (index, node) in self.nodes.iter().enumerate() {
            let doc = DocId::Community(node.code);
            if !node.is_open() {
                return Err(format!(
                    "node {index} ({}) is not in an open session",
                    node.code
                ));
            }
            let node_doc = node
                .host
                .doc(&doc)
                .ok_or_else(|| format!("node {index} lost its document"))?;
            let hub_doc = self
                .hub
                .doc(&doc)
                .ok_or_else(|| format!("the hub has no copy of {doc}"))?;
            if heads(node_doc) != heads(hub_doc) {
                return Err(format!(
                    "{doc}: node {index} has heads {:?}, the hub {:?}",
                    heads(node_doc),
                    heads(hub_doc)
                ));
            }
            let at_node = records(node_doc);
            let at_hub = records(hub_doc);
            for id in &node.acknowledged {
                if !at_node.contains(id) {
                    return Err(format!("acknowledged write {id} is gone from node {index}"));
                }
                if !at_hub.contains(id) {
                    return Err(format!("acknowledged write {id} never reached the hub"));
                }
            }
            let node_city = node.host.doc(&DocId::City).map(heads).unwrap_or_default();
            if node_city != city_heads {
                return Err(format!(
                    "node {index} has city heads {node_city:?}, the hub {city_heads:?}"
                ));
            }
        }
        Ok(())
    }

    fn write(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        let doc = DocId::Community(node.code);
        if node.paused {
            // The node's store refuses the command: nothing is acknowledged.
            self.stats.writes_refused += 1;
            return;
        }
        let id = format!("n{index}-r{}", node.next_record);
        node.next_record += 1;
        let Some(document) = node.host.doc_mut(&doc) else {
            panic!("node {index} holds its document from the start");
        };
        append_record(document, &id, self.now);
        node.acknowledged.insert(id);
        self.node_event(index, Event::Changed(doc));
    }

    fn city_write(&mut self) {
        if self.hub_paused {
            return;
        }
        self.city_writes += 1;
        let Some(city) = self.hub.doc_mut(&DocId::City) else {
            panic!("the hub holds the city document from the start");
        };
        let rules = match city.get(ROOT, "rules") {
            Ok(Some((Value::Object(ObjType::List), rules))) => rules,
            _ => panic!("the city document has its rules list"),
        };
        let end = city.length(&rules);
        let rule = format!("rule {}", self.city_writes);
        if let Err(error) = city.insert(&rules, end, rule) {
            panic!("an insert into a list in memory cannot fail: {error}");
        }
        city.commit();
        self.hub_changed(None, DocId::City);
    }

    fn connect(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        if node.link.is_some() {
            return;
        }
        node.link = Some(Link {
            node_session: Session::dial(
                self.hub_key.public(),
                Role::Node,
                Scope::Community(node.code),
            ),
            hub_session: Session::listen(node.key.public()),
            to_hub: VecDeque::new(),
            to_node: VecDeque::new(),
        });
        self.stats.connections += 1;
        self.node_event(index, Event::Start);
    }

    /// The connection is lost: both sessions are told and what was in flight is gone.
    fn lose_link(&mut self, index: usize) {
        let now = self.now;
        let Some(mut link) = self.nodes[index].link.take() else {
            return;
        };
        let node_effects =
            link.node_session
                .handle_event(now, Event::Lost, &mut self.nodes[index].host);
        let hub_effects = link
            .hub_session
            .handle_event(now, Event::Lost, &mut self.hub);
        self.count_endings(&node_effects);
        self.count_endings(&hub_effects);
    }

    fn deliver(&mut self, index: usize, direction: Direction) {
        let Some(bytes) = self.queue(index, direction).and_then(VecDeque::pop_front) else {
            return;
        };
        self.stats.frames_delivered += 1;
        let event = match Frame::decode(&bytes) {
            Ok(frame) => Event::Frame(frame),
            Err(error) => Event::Malformed(error.to_string()),
        };
        match direction {
            Direction::ToHub => self.hub_event(index, event),
            Direction::ToNode => self.node_event(index, event),
        }
    }

    fn node_event(&mut self, index: usize, event: Event) {
        let now = self.now;
        let node = &mut self.nodes[index];
        let Some(link) = node.link.as_mut() else {
            return;
        };
        let effects = link.node_session.handle_event(now, event, &mut node.host);
        let mut closed = false;
        for effect in &effects {
            match effect {
                Effect::Send(frame) => link.to_hub.push_back(frame.encode()),
                Effect::Opened(_) => self.stats.opened += 1,
                Effect::Close { .. } => closed = true,
                _ => {}
            }
        }
        self.count_endings(&effects);
        // One side closed its session: the connection goes with it, and the other side
        // sees it lost.
        if closed {
            self.lose_link(index);
        }
    }

    fn hub_event(&mut self, index: usize, event: Event) {
        let now = self.now;
        let Some(link) = self.nodes[index].link.as_mut() else {
            return;
        };
        let effects = link.hub_session.handle_event(now, event, &mut self.hub);
        let mut closed = false;
        let mut changed = Vec::new();
        for effect in &effects {
            match effect {
                Effect::Send(frame) => link.to_node.push_back(frame.encode()),
                Effect::Changed(doc) => changed.push(*doc),
                Effect::Close { .. } => closed = true,
                _ => {}
            }
        }
        self.count_endings(&effects);
        for doc in changed {
            self.hub_changed(Some(index), doc);
        }
        // One side closed its session: the connection goes with it, and the other side
        // sees it lost.
        if closed {
            self.lose_link(index);
        }
    }

    /// A document at the hub changed: every other open session that syncs it offers the
    /// change to its peer, as the hub does for a district hub and a node sharing a
    /// community.
    fn hub_changed(&mut self, source: Option<usize>, doc: DocId) {
        for index in 0..self.nodes.len() {
            let syncs = self.nodes[index]
                .link
                .as_ref()
                .is_some_and(|link| link.hub_session.syncs(&doc));
            if Some(index) != source && syncs {
                self.hub_event(index, Event::Changed(doc));
            }
        }
    }

    fn count_endings(&mut self, effects: &[Effect]) {
        for effect in effects {
            if let Effect::Close { ending, .. } = effect {
                match ending {
                    Ending::Done => self.stats.ended_done += 1,
                    Ending::Refused => self.stats.ended_refused += 1,
                    Ending::BadFrame => self.stats.ended_bad_frame += 1,
                    Ending::Internal => self.stats.ended_internal += 1,
                }
            }
        }
    }

    fn set_paused(&mut self, party: Party, paused: bool) {
        match party {
            Party::Hub => {
                self.hub_paused = paused;
                self.hub.set_paused(paused);
            }
            Party::Node(index) => {
                let count = self.nodes.len();
                let node = &mut self.nodes[index % count];
                node.paused = paused;
                node.host.set_paused(paused);
            }
        }
    }

    fn queue(&mut self, index: usize, direction: Direction) -> Option<&mut VecDeque<Vec<u8>>> {
        let link = self.nodes[index].link.as_mut()?;
        Some(match direction {
            Direction::ToHub => &mut link.to_hub,
            Direction::ToNode => &mut link.to_node,
        })
    }
}

/// The code of the `index`th simulated community: 130903001001, 130903001002, …
pub fn community_code(index: usize) -> CommunityCode {
    let code = format!("130903{:06}", 1001 + index);
    match code.parse() {
        Ok(code) => code,
        Err(error) => panic!("{code} is a community code: {error}"),
    }
}

/// The record ids in a community document's record list.
pub fn records(document: &AutoCommit) -> BTreeSet<String> {
    let Ok(Some((Value::Object(ObjType::List), list))) = document.get(ROOT, RECORDS) else {
        return BTreeSet::new();
    };
    (0..document.length(&list))
        .filter_map(|at| match document.get(&list, at) {
            Ok(Some((Value::Object(ObjType::Map), record))) => match document.get(&record, "id") {
                Ok(Some((value, _))) => value.into_string().ok(),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A document's heads, sorted.
pub fn heads(document: &AutoCommit) -> Vec<automerge::ChangeHash> {
    let mut heads = document.clone().get_heads();
    heads.sort();
    heads
}

fn community_document(code: CommunityCode) -> AutoCommit {
    let mut document = AutoCommit::new();
    let built = document
        .put(ROOT, "code", code.to_string())
        .and_then(|()| document.put_object(ROOT, RECORDS, ObjType::List));
    if let Err(error) = built {
        panic!("a fresh document in memory takes any put: {error}");
    }
    document.commit();
    document
}

fn city_document() -> AutoCommit {
    let mut document = AutoCommit::new();
    let built = document
        .put(ROOT, "city", "沧州市")
        .and_then(|()| document.put_object(ROOT, "rules", ObjType::List));
    if let Err(error) = built {
        panic!("a fresh document in memory takes any put: {error}");
    }
    document.commit();
    document
}

fn append_record(document: &mut AutoCommit, id: &str, now: Timestamp) {
    let list = match document.get(ROOT, RECORDS) {
        Ok(Some((Value::Object(ObjType::List), list))) => list,
        _ => panic!("a simulated community document has its record list"),
    };
    let end = document.length(&list);
    let written = document
        .insert_object(&list, end, ObjType::Map)
        .and_then(|record| {
            document.put(&record, "id", id)?;
            document.put(&record, "minutes", 90u64)?;
            document.put(&record, "description", "走访慰问困难家庭")?;
            document.put(
                &record,
                "recorded_at",
                automerge::ScalarValue::Timestamp(now.as_millis()),
            )
        });
    if let Err(error) = written {
        panic!("an append to a list in memory cannot fail: {error}");
    }
    document.commit();
}
