//! What can go wrong on a link, as a narrow error enum, the close codes both sides use,
//! and `explain`, the one sentence a community worker reads in the node's status bar.

use std::io;
use std::net::SocketAddr;

use quinn::{ConnectionError, ReadError, VarInt, WriteError};
use wishtree_protocol::keys::PublicKey;

/// Why a connection was closed, as the QUIC application error code both sides send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// The session ended normally (both sides said all they had).
    Done,
    /// The hub will not serve this peer (not enrolled, wrong scope, …); the reason
    /// string says why, in words for the worker.
    Refused,
    /// A frame did not decode or broke the protocol.
    BadFrame,
    /// A frame was longer than the receiver's limit.
    TooLarge,
    /// The closing side failed (storage, a bug).
    Internal,
    /// The closing side is stopping; try again later.
    ShuttingDown,
}

/// What went wrong on a link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The UDP socket could not be opened.
    #[error("cannot open a UDP socket on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The TLS or QUIC settings could not be built from the options.
    #[error("cannot set up QUIC: {reason}")]
    Setup {
        /// What was wrong.
        reason: String,
    },
    /// Dialling could not start.
    #[error("cannot dial {addr}: {source}")]
    Connect {
        /// The address dialled.
        addr: SocketAddr,
        /// What quinn said.
        #[source]
        source: quinn::ConnectError,
    },
    /// The address cannot be reached from this socket (for example an IPv6 address
    /// from an IPv4 socket, or port 0).
    #[error("cannot reach {addr} from this socket")]
    Unreachable {
        /// The address dialled.
        addr: SocketAddr,
    },
    /// The peer answered with another key than the one pinned; nothing was sent to it.
    /// (The keys are boxed because a parsed key is large, and every `Result` of this
    /// crate would carry its size.)
    #[error("the hub presented key {found}, not the configured {expected}; check --hub-key")]
    WrongPeerKey {
        /// The key configured.
        expected: Box<PublicKey>,
        /// The key the peer proved it holds.
        found: Box<PublicKey>,
    },
    /// The TLS or QUIC handshake failed (the peer did not accept our key, does not speak
    /// `wishtree/1`, or presented no ed25519 key).
    #[error("the handshake failed: {reason}")]
    Handshake {
        /// What failed, as the QUIC or TLS stack put it.
        reason: String,
    },
    /// The peer closed the connection. `code` is `None` when the peer used a code this
    /// version does not know, or when its QUIC stack (not the application) closed.
    #[error("closed by the peer ({code:?}): {reason}")]
    ClosedByPeer {
        /// The peer's close code.
        code: Option<CloseCode>,
        /// The peer's reason, in words for the worker when the code is `Refused`.
        reason: String,
    },
    /// This side closed the connection.
    #[error("the connection was closed on this side")]
    ClosedLocally,
    /// The peer no longer knows the connection (it restarted).
    #[error("the peer reset the connection; it has probably restarted")]
    Reset,
    /// Nothing was heard from the peer for longer than the idle timeout, or it did not
    /// finish a handshake or send its first frame in time.
    #[error("the peer did not answer in time")]
    TimedOut,
    /// The peer abandoned the stream (reset it or stopped reading) with `code`.
    #[error("the peer abandoned the stream with code {code}")]
    StreamAbandoned {
        /// The QUIC application error code the peer gave.
        code: u64,
    },
    /// A frame's length is over the limit. On reading, nothing of the frame was
    /// allocated or read; on writing, nothing was sent.
    #[error("a frame of {size} bytes is over the limit of {limit} bytes")]
    FrameTooLarge {
        /// The frame's length.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The stream ended in the middle of a frame.
    #[error("the stream ended after {received} of the {expected} bytes of a frame")]
    Truncated {
        /// The bytes the frame (with its 4-byte length) should have had.
        expected: usize,
        /// The bytes that came.
        received: usize,
    },
    /// The QUIC connection broke for another reason (a protocol violation, a bug).
    #[error("the connection broke: {reason}")]
    Transport {
        /// What quinn said.
        reason: String,
    },
    /// Reading or writing failed in a way none of the above covers.
    #[error("stream input/output failed: {0}")]
    Io(#[source] io::Error),
}

impl CloseCode {
    /// Every code, for tests and tables.
    pub const ALL: [Self; 6] = [
        Self::Done,
        Self::Refused,
        Self::BadFrame,
        Self::TooLarge,
        Self::Internal,
        Self::ShuttingDown,
    ];

    /// The number sent on the wire.
    pub const fn to_u32(self) -> u32 {
        match self {
            Self::Done => 0,
            Self::Refused => 1,
            Self::BadFrame => 2,
            Self::TooLarge => 3,
            Self::Internal => 4,
            Self::ShuttingDown => 5,
        }
    }

    /// The code of a number from the wire, if it is one of ours.
    pub fn from_u64(code: u64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|known| u64::from(known.to_u32()) == code)
    }

    /// The code as quinn takes it.
    pub fn to_varint(self) -> VarInt {
        VarInt::from_u32(self.to_u32())
    }

    /// The code of a quinn application error code, if it is one of ours.
    pub fn from_varint(code: VarInt) -> Option<Self> {
        Self::from_u64(code.into_inner())
    }
}

impl From<CloseCode> for VarInt {
    fn from(code: CloseCode) -> Self {
        code.to_varint()
    }
}

impl LinkError {
    /// One sentence in plain words for a community worker: what happened and what to do.
    pub fn explain(&self) -> String {
        match self {
            Self::Bind { addr, source } => format!(
                "This computer could not open UDP port {} for syncing ({source}); \
                 check that no other program uses it, or choose another address",
                addr.port()
            ),
            Self::Setup { reason } => format!(
                "Syncing could not be set up ({reason}); this is a bug or a bad setting, \
                 please report it with this message"
            ),
            Self::Connect { .. } | Self::Unreachable { .. } | Self::TimedOut => {
                "The hub cannot be reached right now; the node keeps working offline \
                 and will try again by itself"
                    .to_string()
            }
            Self::Reset => "The hub restarted and no longer knew this connection; the \
                 node keeps working offline and reconnects by itself"
                .to_string(),
            Self::WrongPeerKey { expected, found } => format!(
                "The hub answered with key {found}, not the configured {expected}, so the \
                 node sent it nothing: check --hub-key against the key the hub operator gave you"
            ),
            Self::Handshake { reason } => format!(
                "The hub and this node could not agree on a secure connection ({reason}); \
                 check that both run a current wishtree version and that --hub-key and \
                 the hub address are right"
            ),
            Self::ClosedByPeer {
                code: Some(CloseCode::Refused),
                reason,
            } if !reason.is_empty() => reason.clone(),
            Self::ClosedByPeer {
                code: Some(CloseCode::Refused),
                ..
            } => "The hub refused this node without giving a reason; ask the city hub's \
                  operator, who enrolls the nodes"
                .to_string(),
            Self::ClosedByPeer {
                code: Some(CloseCode::ShuttingDown),
                ..
            } => "The hub is restarting or stopping; the node keeps working offline and \
                  will try again by itself"
                .to_string(),
            Self::ClosedByPeer {
                code: Some(CloseCode::Done),
                ..
            } => "The hub ended the sync session normally".to_string(),
            Self::ClosedByPeer {
                code: Some(CloseCode::BadFrame | CloseCode::TooLarge),
                reason,
            } => format!(
                "The hub could not read what this node sent ({reason}); \
                 check that both run a current wishtree version"
            ),
            Self::ClosedByPeer { code: _, reason } => format!(
                "The hub closed the connection ({reason}); the node keeps working offline \
                 and will try again by itself"
            ),
            Self::ClosedLocally => "This node closed the connection to the hub".to_string(),
            Self::StreamAbandoned { .. } | Self::Transport { .. } | Self::Io(_) => format!(
                "The connection to the hub broke ({self}); the node keeps working offline \
                 and will try again by itself"
            ),
            Self::FrameTooLarge { size, limit } => format!(
                "A message of {size} bytes was over the limit of {limit} bytes, so the \
                 connection was ended; check that both sides run a current wishtree version"
            ),
            Self::Truncated { .. } => "The connection to the hub ended in the middle of a \
                                       message; the node keeps working offline and will try \
                                       again by itself"
                .to_string(),
        }
    }

    /// Whether trying again later can help (the hub was away or the network broke), as
    /// opposed to a setting someone must change.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::Unreachable { .. }
            | Self::TimedOut
            | Self::Reset
            | Self::StreamAbandoned { .. }
            | Self::Transport { .. }
            | Self::Io(_)
            | Self::Truncated { .. } => true,
            Self::ClosedByPeer { code, .. } => !matches!(code, Some(CloseCode::Refused)),
            Self::Bind { .. }
            | Self::Setup { .. }
            | Self::WrongPeerKey { .. }
            | Self::Handshake { .. }
            | Self::ClosedLocally
            | Self::FrameTooLarge { .. } => false,
        }
    }
}

impl From<ConnectionError> for LinkError {
    fn from(error: ConnectionError) -> Self {
        match error {
            ConnectionError::ApplicationClosed(close) => Self::ClosedByPeer {
                code: CloseCode::from_varint(close.error_code),
                reason: String::from_utf8_lossy(&close.reason).into_owned(),
            },
            // A close by the peer's QUIC stack during the handshake carries a TLS alert
            // (codes 0x100–0x1ff): the peer refused our key or our ALPN.
            ConnectionError::ConnectionClosed(close) if is_crypto(close.error_code) => {
                Self::Handshake {
                    reason: format!("the peer sent {close}"),
                }
            }
            ConnectionError::ConnectionClosed(close) => Self::ClosedByPeer {
                code: None,
                reason: close.to_string(),
            },
            ConnectionError::TransportError(error) if is_crypto(error.code) => Self::Handshake {
                reason: error.to_string(),
            },
            ConnectionError::VersionMismatch => Self::Handshake {
                reason: "the peer speaks no QUIC version this node knows".to_string(),
            },
            ConnectionError::Reset => Self::Reset,
            ConnectionError::TimedOut => Self::TimedOut,
            ConnectionError::LocallyClosed => Self::ClosedLocally,
            error @ (ConnectionError::TransportError(_) | ConnectionError::CidsExhausted) => {
                Self::Transport {
                    reason: error.to_string(),
                }
            }
        }
    }
}

impl From<ReadError> for LinkError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::ConnectionLost(lost) => lost.into(),
            ReadError::Reset(code) => Self::StreamAbandoned {
                code: code.into_inner(),
            },
            error @ (ReadError::ClosedStream
            | ReadError::IllegalOrderedRead
            | ReadError::ZeroRttRejected) => Self::Transport {
                reason: error.to_string(),
            },
        }
    }
}

impl From<WriteError> for LinkError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::ConnectionLost(lost) => lost.into(),
            WriteError::Stopped(code) => Self::StreamAbandoned {
                code: code.into_inner(),
            },
            error @ (WriteError::ClosedStream | WriteError::ZeroRttRejected) => Self::Transport {
                reason: error.to_string(),
            },
        }
    }
}

impl From<quinn::ClosedStream> for LinkError {
    fn from(error: quinn::ClosedStream) -> Self {
        Self::Transport {
            reason: error.to_string(),
        }
    }
}

impl From<io::Error> for LinkError {
    /// quinn's streams report their errors through `io::Error` when read as tokio
    /// streams; the quinn error inside is recovered, so that a close by the peer keeps
    /// its code and reason.
    fn from(error: io::Error) -> Self {
        if error
            .get_ref()
            .is_some_and(|inner| inner.is::<ReadError>() || inner.is::<WriteError>())
        {
            let kind = error.kind();
            if let Some(inner) = error.into_inner() {
                return match inner.downcast::<ReadError>() {
                    Ok(read) => (*read).into(),
                    Err(inner) => match inner.downcast::<WriteError>() {
                        Ok(write) => (*write).into(),
                        Err(inner) => Self::Io(io::Error::new(kind, inner)),
                    },
                };
            }
            return Self::Io(io::Error::from(kind));
        }
        Self::Io(error)
    }
}

/// Whether a QUIC transport error code carries a TLS alert.
fn is_crypto(code: quinn::TransportErrorCode) -> bool {
    (0x100..0x200).contains(&u64::from(code))
}
