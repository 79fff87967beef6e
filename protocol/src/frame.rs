//! The frames of the sync protocol (DESIGN §6) and their byte encoding.
//!
//! One QUIC stream carries frames, each a `u32` big-endian length and then a payload
//! (the transport reads the length; see `wishtree-net`). A payload is one format byte
//! ([`FORMAT`]) followed by the postcard encoding of a [`Frame`]. The format byte lets a
//! later format be told apart from garbage; anything that does not decode is a
//! [`FrameError`], never a panic, and the connection it came on is closed.

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::attest::SignedHeads;
use crate::region::{CommunityCode, RegionPrefix};

/// The protocol version a [`Hello`] announces. Peers of another version are refused
/// with a reason that names both.
pub const PROTOCOL_VERSION: u16 = 1;

/// The first byte of every payload.
pub const FORMAT: u8 = 1;

/// A document that two peers sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocId {
    /// A community's document: written by its node, merged by hubs.
    Community(CommunityCode),
    /// The city document: written by the city hub only.
    City,
    /// A community's inbox (`crate::inbox`): written by the hub, read by the node.
    Inbox(CommunityCode),
}

/// What the dialing side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A community node.
    Node,
    /// A hub syncing with a hub above it (a district hub under the city hub).
    Hub,
}

/// What a peer asks to sync: its own community, or every community under a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// One community (a node's).
    Community(CommunityCode),
    /// Every community whose code starts with the prefix (a district hub's).
    Region(RegionPrefix),
}

/// A document and its heads, as one side sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    /// The document.
    pub doc: DocId,
    /// Its heads at the sender.
    #[serde(with = "crate::attest::heads_serde")]
    pub heads: Vec<ChangeHash>,
}

/// The first frame each side sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub version: u16,
    /// What the sender is.
    pub role: Role,
    /// What it asks to sync (the dialer) or grants (the listener).
    pub scope: Scope,
    /// The documents, with the sender's heads. The listener's answer lists exactly the
    /// documents it grants.
    pub docs: Vec<DocHeads>,
}

/// Why a peer was refused, in words for the person at the other end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refuse {
    /// What went wrong and what to do.
    pub reason: String,
}

/// One frame of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Opens a session: who the sender is and which documents it syncs.
    Hello(Hello),
    /// The session is refused or ended for a reason; the sender closes next.
    Refuse(Refuse),
    /// An automerge sync message about one document (`sync::Message::encode`).
    Sync {
        /// The document.
        doc: DocId,
        /// The encoded message.
        msg: Vec<u8>,
    },
    /// Signed heads of a community's document, passed on as received.
    Attest(Box<SignedHeads>),
    /// The city's signed roster (`roster::SignedRoster` bytes), from a hub to the
    /// district hub below it.
    Roster(Vec<u8>),
    /// The sender ends the session cleanly.
    Bye,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The payload is empty.
    #[error("an empty frame")]
    Empty,
    /// The format byte is not one this build reads.
    #[error("frame format {0} is not known to this version of wishtree (it reads format 1)")]
    UnknownFormat(u8),
    /// The payload does not decode.
    #[error("the frame does not decode: {0}")]
    Malformed(String),
}

impl Frame {
    /// The payload bytes of the frame (without the transport's length prefix).
    pub fn encode(&self) -> Vec<u8> {
        let bytes = vec![FORMAT];
        // Encoding into a Vec cannot fail for these types: every field is a plain
        // value with a known size.
        match postcard::to_extend(self, bytes) {
            Ok(bytes) => bytes,
            Err(error) => unreachable!("a frame always encodes: {error}"),
        }
    }

    /// Reads a payload. Bytes after the frame are an error: a frame is exactly one.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let (&format, rest) = bytes.split_first().ok_or(FrameError::Empty)?;
        if format != FORMAT {
            return Err(FrameError::UnknownFormat(format));
        }
        let (frame, trailing) = postcard::take_from_bytes::<Frame>(rest)
            .map_err(|error| FrameError::Malformed(error.to_string()))?;
        if !trailing.is_empty() {
            return Err(FrameError::Malformed(format!(
                "{} bytes after the end of the frame",
                trailing.len()
            )));
        }
        Ok(frame)
    }

    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello(_) => "Hello",
            Self::Refuse(_) => "Refuse",
            Self::Sync { .. } => "Sync",
            Self::Attest(_) => "Attest",
            Self::Roster(_) => "Roster",
            Self::Bye => "Bye",
        }
    }
}

impl std::fmt::Display for DocId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Community(code) => write!(f, "community {code}"),
            Self::City => f.write_str("the city document"),
            Self::Inbox(code) => write!(f, "the inbox of community {code}"),
        }
    }
}

impl Scope {
    /// Whether a document lies in the scope. The city document lies in every scope.
    pub fn covers(&self, doc: &DocId) -> bool {
        match (self, doc) {
            (_, DocId::City) => true,
            (Self::Community(own), DocId::Community(code) | DocId::Inbox(code)) => own == code,
            (Self::Region(prefix), DocId::Community(code) | DocId::Inbox(code)) => {
                prefix.contains(code)
            }
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Community(code) => write!(f, "community {code}"),
            Self::Region(prefix) => write!(f, "region {}", prefix.padded()),
        }
    }
}
