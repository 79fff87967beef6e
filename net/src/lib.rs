//! The QUIC transport of wishtree, used by the node (client) and the hub (server): a
//! pinned, mutually authenticated connection carrying one bidirectional stream of
//! length-prefixed frames. What the frames say is the sync protocol's business
//! (`wishtree-protocol`, sans-IO); this crate moves them.
//!
//! **Identity.** Every endpoint is its ed25519 key, presented in TLS 1.3 as an RFC 7250
//! raw public key (no certificates, no authority). The client pins the hub's key: a
//! hub that proves another key is refused with [`LinkError::WrongPeerKey`] before any
//! application byte is exchanged. The server accepts any client that proves possession
//! of an ed25519 key and exposes it as [`Link::peer`]; the hub checks its roster and,
//! if the key is not enrolled, closes with [`CloseCode::Refused`] and a reason in
//! words, which the node shows through [`LinkError::explain`].
//!
//! **The first frame.** A QUIC stream opened by the client reaches the server only
//! once the client writes on it, so [`accept`] completes when the client's first frame
//! (the sync protocol's `Hello`) arrives. Rule: the client speaks first, within
//! [`EndpointOptions::handshake_timeout`] of connecting.
//!
//! **Frames.** A u32 big-endian length, then that many bytes; see [`frame`].
//!
//! **A crashed hub.** A hub's endpoint derives its stateless-reset key from its own
//! ed25519 secret, so the same hub after a crash and restart answers a packet of a
//! connection it no longer knows with a stateless reset that the node accepts: the node
//! learns at its next packet (a keep-alive at the latest) that the link is gone, instead
//! of waiting out the idle timeout. A hub that stays down is noticed by the idle timeout.

pub mod dial;
pub mod drive;
pub mod frame;
pub mod steps;

mod error;
mod identity;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{IdleTimeout, TransportConfig, VarInt};
use wishtree_protocol::keys::{KeyPair, PublicKey};

pub use error::{CloseCode, LinkError};
pub use frame::{FrameReader, FrameWriter};
/// The QUIC library, re-exported so that drivers use the same version.
pub use quinn;

/// The ALPN protocol name of wishtree's sync, version 1.
pub const ALPN: &[u8] = b"wishtree/1";

/// The default largest frame: a whole community document fits with room to spare.
pub const DEFAULT_MAX_FRAME: usize = 32 * 1024 * 1024;

/// Settings of an endpoint and of the links it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOptions {
    /// How often a client sends a keep-alive when nothing else is sent, so that NAT
    /// mappings stay open while a connection waits for live changes, and so that a
    /// restarted hub gets a packet to answer with a stateless reset. Zero turns it off.
    /// Only clients send them: the hub need not double the traffic.
    pub keep_alive: Duration,
    /// How long a connection may stay silent before it is dropped: how long a node
    /// takes at most to notice a hub that is gone. Both sides offer theirs; the smaller
    /// wins.
    pub idle_timeout: Duration,
    /// The largest frame read or written.
    pub max_frame: usize,
    /// How long a handshake may take, and (on the server) how long the client has to
    /// send its first frame after it.
    pub handshake_timeout: Duration,
}

/// One established connection with its stream, from either side.
#[derive(Debug)]
pub struct Link {
    connection: quinn::Connection,
    reader: FrameReader,
    writer: FrameWriter,
    peer: PublicKey,
}

/// Closes a link, or waits for it to close, from any task.
#[derive(Debug, Clone)]
pub struct LinkCloser {
    connection: quinn::Connection,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        Self {
            // A keep-alive every 5 s bounds how long a node takes to meet a restarted
            // hub's reset; 3,000 nodes make 600 small packets a second at the hub. Three
            // keep-alives unanswered (15 s) and the hub counts as gone: long enough for a
            // Wi-Fi hiccup, short enough that the status bar does not lie for a minute.
            keep_alive: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(15),
            max_frame: DEFAULT_MAX_FRAME,
            handshake_timeout: Duration::from_secs(15),
        }
    }
}

impl Link {
    /// The peer's key, proven in the handshake.
    pub fn peer(&self) -> PublicKey {
        self.peer
    }

    /// The peer's current address (it can change when a node's network changes).
    pub fn remote_address(&self) -> SocketAddr {
        self.connection.remote_address()
    }

    /// The QUIC connection, for statistics such as the round-trip time.
    pub fn connection(&self) -> &quinn::Connection {
        &self.connection
    }

    /// A handle that closes this link or waits for it to close.
    pub fn closer(&self) -> LinkCloser {
        LinkCloser {
            connection: self.connection.clone(),
        }
    }

    /// Reads the next frame; see [`FrameReader::read`].
    pub async fn read(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        self.reader.read().await
    }

    /// Writes one frame; see [`FrameWriter::write`].
    pub async fn write(&mut self, payload: &[u8]) -> Result<(), LinkError> {
        self.writer.write(payload).await
    }

    /// The two halves of the stream and a closer, to read and write from different tasks.
    pub fn split(self) -> (FrameReader, FrameWriter, LinkCloser) {
        let closer = self.closer();
        (self.reader, self.writer, closer)
    }
}

impl LinkCloser {
    /// Closes the connection at once with `code` and `reason` (which the peer's
    /// [`LinkError::explain`] shows when `code` is [`CloseCode::Refused`]). Frames not
    /// yet delivered are dropped; finish the writer and wait for the peer first when
    /// they matter. The endpoint must live on for the close to reach the peer.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.connection.close(code.to_varint(), reason.as_bytes());
    }

    /// Waits until the connection is closed, and says why.
    pub async fn closed(&self) -> LinkError {
        self.connection.closed().await.into()
    }

    /// The peer's current address.
    pub fn remote_address(&self) -> SocketAddr {
        self.connection.remote_address()
    }
}

/// A hub's endpoint on `bind`, presenting `key` and accepting any client key.
/// Accept connections with `endpoint.accept()` and pass each to [`accept`].
pub fn server_endpoint(
    bind: SocketAddr,
    key: &KeyPair,
    options: &EndpointOptions,
) -> Result<quinn::Endpoint, LinkError> {
    let tls = identity::server_tls(key).map_err(setup_error)?;
    let quic = QuicServerConfig::try_from(tls).map_err(setup_error)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    let mut transport = transport(options)?;
    // A client opens exactly one bidirectional stream; nothing else is allowed.
    transport.max_concurrent_bidi_streams(VarInt::from_u32(1));
    config.transport_config(Arc::new(transport));
    let runtime = quinn::default_runtime().ok_or_else(|| LinkError::Setup {
        reason: "no async runtime: start the endpoint inside tokio".to_owned(),
    })?;
    let socket =
        std::net::UdpSocket::bind(bind).map_err(|source| LinkError::Bind { addr: bind, source })?;
    widen_receive_buffer(&socket);
    quinn::Endpoint::new(endpoint_config(key), Some(config), socket, runtime)
        .map_err(|source| LinkError::Bind { addr: bind, source })
}

/// The receive buffer a hub asks for: a city's nodes come back together after a
/// restart, and the kernel's default (about 200 KiB) overflowed while the hub was
/// busy (thousands of datagrams dropped in one reconnect bench run of 3,000 nodes),
/// each dropped keep-alive one reset the node waited longer for.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Asks for [`RECEIVE_BUFFER`]; the kernel caps it (Linux at `net.core.rmem_max`),
/// which the log says, with how to raise it.
fn widen_receive_buffer(socket: &std::net::UdpSocket) {
    let state = match quinn::udp::UdpSocketState::new(socket.into()) {
        Ok(state) => state,
        Err(error) => {
            tracing::warn!("cannot set the QUIC socket's receive buffer: {error}");
            return;
        }
    };
    if let Err(error) = state.set_recv_buffer_size(socket.into(), RECEIVE_BUFFER) {
        tracing::warn!("cannot set the QUIC socket's receive buffer: {error}");
        return;
    }
    match state.recv_buffer_size(socket.into()) {
        // Linux reports twice what it grants (the other half is its bookkeeping).
        Ok(granted) if granted < RECEIVE_BUFFER => tracing::info!(
            "the QUIC socket's receive buffer is {granted} bytes, less than the {RECEIVE_BUFFER} asked for; \
             on Linux, raise it with sysctl net.core.rmem_max={RECEIVE_BUFFER}"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!("cannot read the QUIC socket's receive buffer: {error}"),
    }
}

/// A node's endpoint on `bind` (port 0 for any), presenting `key`. Dial with
/// [`connect`]. One endpoint can dial many times.
pub fn client_endpoint(
    bind: SocketAddr,
    key: &KeyPair,
    options: &EndpointOptions,
) -> Result<quinn::Endpoint, LinkError> {
    let tls = identity::client_tls(key).map_err(setup_error)?;
    let quic = QuicClientConfig::try_from(tls).map_err(setup_error)?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    let mut transport = transport(options)?;
    // The server never opens streams towards a client.
    transport.max_concurrent_bidi_streams(VarInt::from_u32(0));
    if !options.keep_alive.is_zero() {
        transport.keep_alive_interval(Some(options.keep_alive));
    }
    config.transport_config(Arc::new(transport));
    let mut endpoint =
        quinn::Endpoint::client(bind).map_err(|source| LinkError::Bind { addr: bind, source })?;
    endpoint.set_default_client_config(config);
    Ok(endpoint)
}

/// Dials `addr`, verifies the server is `hub_key`, opens the one bidirectional stream.
///
/// The key is checked right after the handshake, before any frame is sent; another key
/// closes the connection and gives [`LinkError::WrongPeerKey`]. The hub sees the stream
/// only when the first frame is written, which the caller must do next (the sync
/// protocol's `Hello`).
pub async fn connect(
    endpoint: &quinn::Endpoint,
    addr: SocketAddr,
    hub_key: &PublicKey,
    options: &EndpointOptions,
) -> Result<Link, LinkError> {
    let connecting =
        endpoint
            .connect(addr, identity::SERVER_NAME)
            .map_err(|source| match source {
                quinn::ConnectError::InvalidRemoteAddress(_) => LinkError::Unreachable { addr },
                source => LinkError::Connect { addr, source },
            })?;
    let connection = tokio::time::timeout(options.handshake_timeout, connecting)
        .await
        .map_err(|_| LinkError::TimedOut)??;
    let Some(found) = identity::peer_key(&connection) else {
        // The verifier admits only ed25519 raw keys, so this is a bug if it happens.
        connection.close(CloseCode::Internal.to_varint(), b"no peer key");
        return Err(LinkError::Handshake {
            reason: "the hub presented no ed25519 key".to_string(),
        });
    };
    if found != *hub_key {
        tracing::warn!(%addr, expected = %hub_key, %found, "hub presented another key");
        connection.close(
            CloseCode::Refused.to_varint(),
            b"this is not the hub the node is configured for",
        );
        return Err(LinkError::WrongPeerKey {
            expected: Box::new(*hub_key),
            found: Box::new(found),
        });
    }
    let opened = tokio::time::timeout(options.handshake_timeout, connection.open_bi()).await;
    let (send, recv) = match opened {
        Ok(Ok(streams)) => streams,
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => {
            connection.close(CloseCode::BadFrame.to_varint(), b"no stream allowed");
            return Err(LinkError::TimedOut);
        }
    };
    tracing::debug!(%addr, hub = %found.short(), "connected to the hub");
    Ok(Link {
        reader: FrameReader::new(recv, options.max_frame),
        writer: FrameWriter::new(send, options.max_frame),
        connection,
        peer: found,
    })
}

/// Completes an incoming handshake and accepts the peer's stream, which arrives with
/// the peer's first frame (that frame is then the first [`Link::read`]).
pub async fn accept(
    incoming: quinn::Incoming,
    options: &EndpointOptions,
) -> Result<Link, LinkError> {
    let remote = incoming.remote_address();
    let connecting = incoming.accept()?;
    let connection = tokio::time::timeout(options.handshake_timeout, connecting)
        .await
        .map_err(|_| LinkError::TimedOut)??;
    let Some(peer) = identity::peer_key(&connection) else {
        // The verifier admits only ed25519 raw keys, so this is a bug if it happens.
        connection.close(CloseCode::Internal.to_varint(), b"no peer key");
        return Err(LinkError::Handshake {
            reason: "the client presented no ed25519 key".to_string(),
        });
    };
    let accepted = tokio::time::timeout(options.handshake_timeout, connection.accept_bi()).await;
    let (send, recv) = match accepted {
        Ok(Ok(streams)) => streams,
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => {
            connection.close(
                CloseCode::BadFrame.to_varint(),
                b"the node sent no first frame in time",
            );
            return Err(LinkError::TimedOut);
        }
    };
    tracing::debug!(%remote, peer = %peer.short(), "accepted a link");
    Ok(Link {
        reader: FrameReader::new(recv, options.max_frame),
        writer: FrameWriter::new(send, options.max_frame),
        connection,
        peer,
    })
}

/// The endpoint settings of a hub: keys that are the same in every run of the process
/// with this ed25519 key, so that a restarted hub resets the connections its previous
/// run held. Two are needed: the stateless-reset key (the reset token of a connection
/// id is an HMAC of it under this key), and the key of the connection ids' built-in
/// check (quinn drops, without a reset, a packet whose connection id fails the check
/// of this run's key). Each is an HMAC of its own fixed context under the ed25519
/// secret, so neither reveals anything of the secret or of the other.
fn endpoint_config(key: &KeyPair) -> quinn::EndpointConfig {
    let secret = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.secret());
    let derived = ring::hmac::sign(&secret, RESET_KEY_CONTEXT);
    let reset_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref());
    let mut config = quinn::EndpointConfig::new(Arc::new(reset_key));
    let cid_key = cid_key(&secret);
    config.cid_generator(move || {
        Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(cid_key))
    });
    // After a restart every node's next packet asks for a reset at once; quinn's
    // default (one reset per 20 ms) would stretch 3,000 of them over a minute. And any
    // interval drops more than it says: quinn reads every datagram its endpoint driver
    // finds waiting at one instant, so one interval admits one reset per wake-up. With
    // 200 µs, a busy hub (reading a backlog at each wake) answered few: the nodes whose
    // keep-alive and probes went unanswered backed off until their idle timeout (15 s),
    // the crash phase's last nodes of the reconnect bench, 19–21 s. So none: a reset is
    // always smaller than the packet that caused it, so it cannot amplify.
    config.min_reset_interval(Duration::ZERO);
    config
}

/// The key of the connection ids' built-in check: the first 8 bytes of an HMAC of its
/// context under the ed25519 secret.
fn cid_key(secret: &ring::hmac::Key) -> u64 {
    let derived = ring::hmac::sign(secret, CID_KEY_CONTEXT);
    let mut cid_key = [0u8; 8];
    cid_key.copy_from_slice(&derived.as_ref()[..8]);
    u64::from_le_bytes(cid_key)
}

/// What the stateless-reset key is derived for, so that it is never another key.
const RESET_KEY_CONTEXT: &[u8] = b"wishtree/1 QUIC stateless reset key";
/// What the connection-id check key is derived for.
const CID_KEY_CONTEXT: &[u8] = b"wishtree/1 QUIC connection id key";

/// The QUIC transport settings both sides share.
fn transport(options: &EndpointOptions) -> Result<TransportConfig, LinkError> {
    let idle = IdleTimeout::try_from(options.idle_timeout).map_err(setup_error)?;
    let mut transport = TransportConfig::default();
    transport.max_idle_timeout(Some(idle));
    transport.max_concurrent_uni_streams(VarInt::from_u32(0));
    Ok(transport)
}

fn setup_error(error: impl std::fmt::Display) -> LinkError {
    LinkError::Setup {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quinn_proto::{ConnectionIdGenerator, DatagramEvent, HashedConnectionIdGenerator};

    /// After a restart every node's next packet comes for a connection the hub no longer
    /// has, and quinn hands the endpoint every datagram read at one wake-up at one
    /// instant: each must still be answered with a reset, or its node waits out its
    /// idle timeout (the reconnect bench's crash phase did, with one reset per 200 µs).
    #[test]
    fn a_restarted_hub_resets_every_connection_whose_packets_arrive_at_once() {
        let key = KeyPair::from_secret([9; 32]);
        let secret = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.secret());
        // Connection ids of the previous run: the same key, so the check passes.
        let mut previous = HashedConnectionIdGenerator::from_key(cid_key(&secret));
        let mut endpoint =
            quinn_proto::Endpoint::new(Arc::new(endpoint_config(&key)), None, false, None);
        let now = std::time::Instant::now();
        let resets = (0..32)
            .filter(|n| {
                // A short-header packet of a keep-alive's size: the fixed bit, the
                // connection id, then what only the lost connection could read.
                let mut packet = vec![0x40];
                packet.extend_from_slice(&previous.generate_cid());
                packet.extend_from_slice(&[*n as u8; 40]);
                let node = SocketAddr::from(([127, 0, 0, 1], 40_000 + *n as u16));
                let mut response = Vec::new();
                let event = endpoint.handle(
                    now,
                    node,
                    None,
                    None,
                    bytes::BytesMut::from(&packet[..]),
                    &mut response,
                );
                matches!(event, Some(DatagramEvent::Response(_)))
            })
            .count();
        assert_eq!(resets, 32, "every packet answered with a reset");
    }

    /// The hub's socket gets the receive buffer it asks for, as far as the kernel allows.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_hub_socket_asks_for_a_wide_receive_buffer() {
        let socket = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        let state = quinn::udp::UdpSocketState::new((&socket).into()).unwrap();
        let before = state.recv_buffer_size((&socket).into()).unwrap();
        widen_receive_buffer(&socket);
        let granted = state.recv_buffer_size((&socket).into()).unwrap();
        let allowed: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Linux doubles what it grants (its bookkeeping) and caps the ask at rmem_max.
        assert_eq!(granted, 2 * RECEIVE_BUFFER.min(allowed), "{before} before");
    }
}
