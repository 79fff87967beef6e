//! The sync session: a sans-IO state machine that a node and a hub both drive.
//!
//! A [`Session`] is one connection's worth of protocol (DESIGN §6). The driver owns the
//! socket and the clock; it feeds the session [`Event`]s — frames read, local changes,
//! a wish to close — and carries out the [`Effect`]s it gets back: frames to send, a
//! connection to close, news for the status bar. The documents and their per-peer
//! automerge sync state live behind the [`Host`] trait, which the driver implements over
//! its store: the session asks the host to make and to take sync messages and never
//! holds a document itself. So the same logic runs over QUIC in the node and the hub,
//! and over an in-memory network in the simulation tests.
//!
//! The rules the session keeps:
//! - the dialer speaks first with a [`Hello`] naming its scope; the listener asks its
//!   host to admit the peer and answers with the documents it grants, or refuses with a
//!   reason the person at the other end can act on;
//! - a frame about a document outside the grant, a frame that does not decode, or a
//!   second `Hello` ends the session with an [`Ending`] code and changes nothing;
//! - a peer with [`Access::ReadOnly`] to a document (a node and the city document)
//!   cannot change it: the host refuses, and the session ends with the reason;
//! - the host stores what a message brought *before* the session answers it, so an
//!   answer is never sent for something that could still be lost.

pub mod backoff;
pub mod memory;
mod receive;

use std::collections::BTreeMap;

use automerge::{ChangeHash, sync};

use crate::attest::SignedHeads;
use crate::frame::{DocHeads, DocId, Frame, Hello, PROTOCOL_VERSION, Refuse, Role, Scope};
use crate::guard::decode_untrusted;
use crate::keys::PublicKey;
use crate::time::Timestamp;

pub use receive::receive_message;

/// What a peer may do with a document it syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its changes are merged.
    ReadWrite,
    /// It receives the document; a change from it is refused (a node and the city
    /// document).
    ReadOnly,
}

/// What the listener's host grants an admitted peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The documents, each with what the peer may do to it.
    pub docs: Vec<(DocId, Access)>,
}

/// Why the host could not do what the session asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The peer tried what it may not (change a read-only document, sign another
    /// community's heads): the session refuses with this reason.
    #[error("{0}")]
    Forbidden(String),
    /// What the peer sent is not valid (a sync message automerge refuses).
    #[error("{0}")]
    Invalid(String),
    /// The store failed; the session ends and the peer retries later.
    #[error("storage failed: {0}")]
    Storage(String),
}

/// What became of signed heads a peer passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestOutcome {
    /// Checked and recorded, or the same as (or older than) those held.
    Kept,
    /// Refused for their community only, with the reason; the session goes on, and
    /// the community's changes still sync (unattested, so flagged).
    Refused(String),
}

/// The documents and their sync state, as the driver keeps them.
///
/// Every method is called from [`Session::handle_event`]; a method that writes must
/// have made what it wrote durable before it returns.
pub trait Host {
    /// Listener only: whether `peer`, saying `hello`, may sync, and which documents.
    /// `Err` holds the reason to give it ("this node is not enrolled at the hub: …").
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String>;

    /// The current heads of a document (empty for one the host does not have yet).
    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash>;

    /// The next automerge sync message for `peer` about `doc`, if there is one; the
    /// host keeps automerge's `sync::State` per (peer, document).
    fn generate(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
    ) -> Result<Option<sync::Message>, HostError>;

    /// Applies a sync message from `peer`, storing the changes and the sync state
    /// before it returns. Says whether the document changed. With
    /// [`Access::ReadOnly`] a message that would change the document is refused with
    /// [`HostError::Forbidden`] and nothing is applied.
    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError>;

    /// Signed heads about `doc` worth passing to `peer` (a district hub passes its
    /// communities' to the city hub; a node its own), if any.
    fn attestation_for(&mut self, peer: &PublicKey, doc: &DocId) -> Option<SignedHeads>;

    /// Checks and records signed heads received from `peer`. Heads that are not
    /// good for their community alone (its key was revoked, another key signs for it
    /// now) are [`AttestOutcome::Refused`]: a district hub passes up many communities'
    /// heads, and one revoked key must not end the session of all the others. `Err`
    /// ends the session (the peer itself misbehaved, or the store failed).
    fn record_attestation(
        &mut self,
        peer: &PublicKey,
        signed: SignedHeads,
        now: Timestamp,
    ) -> Result<AttestOutcome, HostError>;

    /// The session with `peer` ended, or a new one opens, at `now`: in-flight parts of
    /// its sync state are dropped, as automerge asks before a reconnect.
    fn end(&mut self, peer: &PublicKey, now: Timestamp);

    /// Dialer: the documents of `scope` this side holds, named in its `Hello` so the
    /// listener grants them even if it has not seen them yet (a district hub's new
    /// communities). A node's scope is its one community.
    fn docs_in(&mut self, scope: &Scope) -> Vec<DocId> {
        match scope {
            Scope::Community(code) => vec![DocId::Community(*code)],
            Scope::Region(_) => Vec::new(),
        }
    }

    /// Listener: the city's signed roster to hand `peer` (a district hub), if any.
    fn roster_for(&mut self, _peer: &PublicKey) -> Option<Vec<u8>> {
        None
    }

    /// Dialer: a signed roster from the hub above, to check and keep if newer.
    fn receive_roster(&mut self, _peer: &PublicKey, _roster: &[u8]) -> Result<(), HostError> {
        Err(HostError::Forbidden(
            "this side does not take rosters".to_owned(),
        ))
    }
}

/// Something that happened to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The dialer's connection is up: send the `Hello`.
    Start,
    /// A frame arrived.
    Frame(Frame),
    /// Bytes arrived that are not a frame (the reason says why).
    Malformed(String),
    /// A local document changed: offer the change to the peer.
    Changed(DocId),
    /// New signed heads of a document are at hand: pass them on.
    Attested(DocId),
    /// The roster changed: a listener hands the new one to a district hub.
    RosterChanged,
    /// The driver wants to end the session (shutting down).
    Close,
    /// The connection was lost.
    Lost,
}

/// How a session ended, for the transport's close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Cleanly, by either side.
    Done,
    /// The peer was refused (not enrolled, outside its scope, read-only).
    Refused,
    /// The peer broke the protocol (a frame that does not decode, out of order).
    BadFrame,
    /// This side could not go on (its store failed).
    Internal,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send a frame.
    Send(Frame),
    /// The session is open and syncs these documents.
    Opened(Vec<DocId>),
    /// A document changed with what the peer sent (the hub re-derives figures and
    /// offers the change to its other sessions).
    Changed(DocId),
    /// The peer's heads of a document, as its last message said.
    PeerHeads {
        /// The document.
        doc: DocId,
        /// The peer's heads.
        heads: Vec<ChangeHash>,
    },
    /// Both sides now have the same heads of the document.
    CaughtUp(DocId),
    /// The peer refused this side, with its reason.
    Refused(String),
    /// Signed heads the peer passed on were refused for their community only; the
    /// session goes on (the driver logs it).
    AttestationRefused {
        /// The community's document.
        doc: DocId,
        /// Why, in words.
        reason: String,
    },
    /// Close the connection. Always the last effect of a session.
    Close {
        /// The close code.
        ending: Ending,
        /// Why, in words (sent with the close and logged).
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The dialer before `Start`, the listener before the peer's `Hello`.
    New,
    /// The dialer sent its `Hello` and waits for the answer.
    AwaitingHello,
    /// Syncing.
    Open,
    /// Over; every further event is ignored.
    Closed,
}

#[derive(Debug)]
struct DocSync {
    access: Access,
    caught_up: bool,
}

/// One connection's protocol state. See the module doc.
#[derive(Debug)]
pub struct Session {
    peer: PublicKey,
    /// The dialer's own role and scope; `None` for the listener.
    dialer: Option<(Role, Scope)>,
    phase: Phase,
    docs: BTreeMap<DocId, DocSync>,
}

impl Session {
    /// The side that connects (a node, or a district hub towards the city hub), asking
    /// to sync `scope` with the hub whose key is `peer`.
    pub fn dial(peer: PublicKey, role: Role, scope: Scope) -> Session {
        Session {
            peer,
            dialer: Some((role, scope)),
            phase: Phase::New,
            docs: BTreeMap::new(),
        }
    }

    /// The side that accepts, once the transport has proved that the peer holds `peer`.
    pub fn listen(peer: PublicKey) -> Session {
        Session {
            peer,
            dialer: None,
            phase: Phase::New,
            docs: BTreeMap::new(),
        }
    }

    /// The peer's key.
    pub fn peer(&self) -> &PublicKey {
        &self.peer
    }

    /// Whether the session is open and syncing.
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The documents the session syncs (empty until it is open).
    pub fn docs(&self) -> impl Iterator<Item = &DocId> {
        self.docs.keys()
    }

    /// Whether the session syncs a document.
    pub fn syncs(&self, doc: &DocId) -> bool {
        self.docs.contains_key(doc)
    }

    /// Advances the session by one event and says what to do.
    pub fn handle_event(
        &mut self,
        now: Timestamp,
        event: Event,
        host: &mut impl Host,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.phase == Phase::Closed {
            return effects;
        }
        let outcome = match event {
            Event::Start => self.start(host, &mut effects),
            Event::Frame(frame) => self.on_frame(now, frame, host, &mut effects),
            Event::Malformed(reason) => Err((Ending::BadFrame, reason)),
            Event::Changed(doc) => self.offer(&doc, host, &mut effects),
            Event::Attested(doc) => {
                self.pass_attestation(&doc, host, &mut effects);
                Ok(())
            }
            Event::RosterChanged => {
                if self.phase == Phase::Open
                    && self.dialer.is_none()
                    && let Some(roster) = host.roster_for(&self.peer)
                {
                    effects.push(Effect::Send(Frame::Roster(roster)));
                }
                Ok(())
            }
            Event::Close => {
                effects.push(Effect::Send(Frame::Bye));
                Err((Ending::Done, "closed by this side".to_owned()))
            }
            Event::Lost => Err((Ending::Done, "the connection was lost".to_owned())),
        };
        if let Err((ending, reason)) = outcome {
            self.close(now, ending, reason, host, &mut effects);
        }
        effects
    }

    fn start(&mut self, host: &mut impl Host, effects: &mut Vec<Effect>) -> Step {
        let Some((role, scope)) = self.dialer.clone() else {
            return Err((Ending::Internal, "only the dialer starts".to_owned()));
        };
        if self.phase != Phase::New {
            return Ok(());
        }
        // The dialer names the documents it holds in its scope (a node its community,
        // a district hub its communities) and the city document; the listener adds
        // what it holds under the scope.
        let mut wanted = host.docs_in(&scope);
        wanted.retain(|doc| *doc != DocId::City && scope.covers(doc));
        wanted.push(DocId::City);
        let docs = wanted
            .into_iter()
            .map(|doc| DocHeads {
                heads: host.heads(&doc),
                doc,
            })
            .collect();
        effects.push(Effect::Send(Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            role,
            scope,
            docs,
        })));
        self.phase = Phase::AwaitingHello;
        Ok(())
    }

    fn on_frame(
        &mut self,
        now: Timestamp,
        frame: Frame,
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) -> Step {
        match (self.phase, frame) {
            (_, Frame::Bye) => Err((Ending::Done, "the peer ended the session".to_owned())),
            (_, Frame::Refuse(Refuse { reason })) => {
                effects.push(Effect::Refused(reason.clone()));
                Err((Ending::Done, reason))
            }
            (Phase::New, Frame::Hello(hello)) if self.dialer.is_none() => {
                self.on_dialer_hello(now, hello, host, effects)
            }
            (Phase::AwaitingHello, Frame::Hello(hello)) => {
                self.on_listener_hello(now, hello, host, effects)
            }
            (Phase::Open, Frame::Sync { doc, msg }) => self.on_sync(now, doc, &msg, host, effects),
            (Phase::Open, Frame::Roster(bytes)) if self.dialer.is_some() => host
                .receive_roster(&self.peer, &bytes)
                .map_err(host_failure),
            (Phase::Open, Frame::Attest(signed)) => {
                let doc = DocId::Community(signed.community);
                if !self.docs.contains_key(&doc) {
                    return Err(refused(format!(
                        "signed heads of {doc} are outside this session"
                    )));
                }
                match host
                    .record_attestation(&self.peer, *signed, now)
                    .map_err(host_failure)?
                {
                    AttestOutcome::Kept => {}
                    AttestOutcome::Refused(reason) => {
                        effects.push(Effect::AttestationRefused { doc, reason });
                    }
                }
                Ok(())
            }
            (phase, frame) => Err((
                Ending::BadFrame,
                format!("a {} frame is out of order ({phase:?})", frame.kind()),
            )),
        }
    }

    /// Listener: the dialer's `Hello`.
    fn on_dialer_hello(
        &mut self,
        now: Timestamp,
        hello: Hello,
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) -> Step {
        if hello.version != PROTOCOL_VERSION {
            return Err(self.refuse(
                format!(
                    "this hub speaks wishtree protocol {PROTOCOL_VERSION} and the node {}: update the older one",
                    hello.version
                ),
                effects,
            ));
        }
        let grant = match host.admit(&self.peer, &hello, now) {
            Ok(grant) => grant,
            Err(reason) => return Err(self.refuse(reason, effects)),
        };
        let docs = grant
            .docs
            .iter()
            .map(|(doc, _)| DocHeads {
                doc: *doc,
                heads: host.heads(doc),
            })
            .collect();
        effects.push(Effect::Send(Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            role: Role::Hub,
            scope: hello.scope,
            docs,
        })));
        self.open(now, grant.docs, host, effects)
    }

    /// Dialer: the listener's answer.
    fn on_listener_hello(
        &mut self,
        now: Timestamp,
        hello: Hello,
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) -> Step {
        let Some((_, scope)) = &self.dialer else {
            return Err((Ending::Internal, "the listener got an answer".to_owned()));
        };
        if hello.version != PROTOCOL_VERSION {
            return Err((
                Ending::BadFrame,
                format!(
                    "the hub speaks wishtree protocol {} and this node {PROTOCOL_VERSION}: update the older one",
                    hello.version
                ),
            ));
        }
        if let Some(outside) = hello.docs.iter().find(|d| !scope.covers(&d.doc)) {
            return Err((
                Ending::BadFrame,
                format!("the hub offered {} outside {scope}", outside.doc),
            ));
        }
        // The hub this side dialed is pinned by key: what it sends is merged.
        let docs = hello
            .docs
            .iter()
            .map(|d| (d.doc, Access::ReadWrite))
            .collect();
        self.open(now, docs, host, effects)
    }

    fn open(
        &mut self,
        now: Timestamp,
        docs: Vec<(DocId, Access)>,
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) -> Step {
        self.phase = Phase::Open;
        // A session starts from what both sides share, never from another connection's
        // in-flight state: a node killed mid-sync reconnects before its hub has seen
        // the old connection die, and a stale "sent, awaiting an answer" would keep the
        // hub from opening the exchange.
        host.end(&self.peer, now);
        self.docs = docs
            .into_iter()
            .map(|(doc, access)| {
                (
                    doc,
                    DocSync {
                        access,
                        caught_up: false,
                    },
                )
            })
            .collect();
        effects.push(Effect::Opened(self.docs.keys().copied().collect()));
        // A district hub gets the city's roster first: it admits its nodes by it.
        if self.dialer.is_none()
            && let Some(roster) = host.roster_for(&self.peer)
        {
            effects.push(Effect::Send(Frame::Roster(roster)));
        }
        let docs: Vec<DocId> = self.docs.keys().copied().collect();
        for doc in docs {
            self.pass_attestation(&doc, host, effects);
            // Only the listener opens automerge's exchange: its first message for every
            // document follows its `Hello` in the same flight (a fresh or reset sync
            // state always has one to send), and the dialer answers it with what the
            // hub lacks. Were the dialer to open too, each side would answer the
            // other's opening as well, and a reconnect would cost a third round trip.
            if self.dialer.is_none() {
                self.offer(&doc, host, effects)?;
            }
        }
        Ok(())
    }

    fn on_sync(
        &mut self,
        now: Timestamp,
        doc: DocId,
        msg: &[u8],
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) -> Step {
        let Some(state) = self.docs.get(&doc) else {
            return Err(refused(format!("{doc} is outside this session")));
        };
        let access = state.access;
        let bad_frame = |why: String| {
            let message = format!("a sync message about {doc} does not decode: {why}");
            (Ending::BadFrame, message)
        };
        let message = match decode_untrusted(|| sync::Message::decode(msg)) {
            Some(Ok(message)) => message,
            Some(Err(error)) => return Err(bad_frame(error.to_string())),
            None => return Err(bad_frame("its changes are malformed".to_owned())),
        };
        let mut peer_heads = message.heads.clone();
        peer_heads.sort();
        let changed = host
            .receive(&self.peer, &doc, message, access, now)
            .map_err(host_failure)?;
        if changed {
            effects.push(Effect::Changed(doc));
        }
        effects.push(Effect::PeerHeads {
            doc,
            heads: peer_heads.clone(),
        });
        self.offer(&doc, host, effects)?;
        let mut heads = host.heads(&doc);
        heads.sort();
        if let Some(state) = self.docs.get_mut(&doc) {
            let caught_up = heads == peer_heads;
            if caught_up && !state.caught_up {
                effects.push(Effect::CaughtUp(doc));
            }
            state.caught_up = caught_up;
        }
        Ok(())
    }

    /// Sends the peer what it lacks of `doc`, if anything.
    fn offer(&mut self, doc: &DocId, host: &mut impl Host, effects: &mut Vec<Effect>) -> Step {
        if self.phase != Phase::Open || !self.docs.contains_key(doc) {
            return Ok(());
        }
        if let Some(message) = host.generate(&self.peer, doc).map_err(host_failure)? {
            effects.push(Effect::Send(Frame::Sync {
                doc: *doc,
                msg: message.encode(),
            }));
        }
        Ok(())
    }

    fn pass_attestation(&mut self, doc: &DocId, host: &mut impl Host, effects: &mut Vec<Effect>) {
        if self.phase != Phase::Open || !self.docs.contains_key(doc) {
            return;
        }
        if let Some(signed) = host.attestation_for(&self.peer, doc) {
            effects.push(Effect::Send(Frame::Attest(Box::new(signed))));
        }
    }

    /// Sends a refusal; the caller closes.
    fn refuse(&mut self, reason: String, effects: &mut Vec<Effect>) -> (Ending, String) {
        effects.push(Effect::Send(Frame::Refuse(Refuse {
            reason: reason.clone(),
        })));
        (Ending::Refused, reason)
    }

    fn close(
        &mut self,
        now: Timestamp,
        ending: Ending,
        reason: String,
        host: &mut impl Host,
        effects: &mut Vec<Effect>,
    ) {
        // A refusal of the peer's doing is told to it before the close, so that it
        // can show the reason, not only a lost connection.
        if ending == Ending::Refused
            && !effects
                .iter()
                .any(|effect| matches!(effect, Effect::Send(Frame::Refuse(_))))
        {
            effects.push(Effect::Send(Frame::Refuse(Refuse {
                reason: reason.clone(),
            })));
        }
        self.phase = Phase::Closed;
        host.end(&self.peer, now);
        effects.push(Effect::Close { ending, reason });
    }
}

/// The result of one step: `Err` ends the session.
type Step = Result<(), (Ending, String)>;

fn refused(reason: String) -> (Ending, String) {
    (Ending::Refused, reason)
}

fn host_failure(error: HostError) -> (Ending, String) {
    match error {
        HostError::Forbidden(reason) => (Ending::Refused, reason),
        HostError::Invalid(reason) => (Ending::BadFrame, reason),
        HostError::Storage(reason) => (Ending::Internal, reason),
    }
}
