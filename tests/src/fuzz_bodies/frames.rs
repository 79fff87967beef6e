//! Sync frames: the transport's u32-length-prefixed framing (`wishtree_net::frame`)
//! and the payloads in it (`wishtree_protocol::frame::Frame`), with the signed heads,
//! rosters and automerge sync messages frames carry.

use std::sync::OnceLock;

use wishtree_net::FrameReader;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::frame::Frame;
use wishtree_protocol::roster::SignedRoster;

use super::{city_key, fixed_key};

/// The largest frame the target's reader takes: small, so that the limit is reached.
const MAX_FRAME: usize = 4096;

/// Reads `data` both as one frame payload and as a stream of length-prefixed frames.
pub(super) fn frames(data: &[u8]) {
    payload(data);
    runtime().block_on(async {
        let mut reader = FrameReader::new(data, MAX_FRAME);
        // Each frame read consumes at least its 4-byte header, so this ends.
        while let Ok(Some(frame)) = reader.read().await {
            assert!(frame.len() <= MAX_FRAME, "a frame over the limit was read");
            let framed = match wishtree_net::frame::encode(&frame) {
                Ok(framed) => framed,
                Err(error) => panic!("a frame under the limit encodes: {error}"),
            };
            assert_eq!(framed.get(4..), Some(frame.as_slice()));
            payload(&frame);
        }
    });
}

/// The runtime the stream is read on, built once for the process: building one per
/// input cost more than reading the input.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(
        || match tokio::runtime::Builder::new_current_thread().build() {
            Ok(runtime) => runtime,
            Err(error) => panic!("a current-thread runtime always builds: {error}"),
        },
    )
}

/// One frame's payload: decodes to an error or to a frame that encodes to the same
/// bytes, and what it carries is checked as the receiving side would.
fn payload(bytes: &[u8]) {
    let Ok(frame) = Frame::decode(bytes) else {
        return;
    };
    let encoded = frame.encode();
    assert_eq!(
        Frame::decode(&encoded).as_ref(),
        Ok(&frame),
        "a decoded frame does not round-trip"
    );
    match &frame {
        Frame::Attest(heads) => signed_heads(heads),
        Frame::Roster(bytes) => roster(bytes),
        Frame::Sync { msg, .. } => {
            if let Ok(message) = automerge::sync::Message::decode(msg) {
                let again = automerge::sync::Message::decode(&message.clone().encode());
                assert!(
                    again.is_ok(),
                    "an automerge sync message does not re-decode"
                );
            }
        }
        Frame::Hello(_) | Frame::Refuse(_) | Frame::Bye => {}
    }
}

/// Signed heads that verify under a fixed key are what that key signs.
pub(super) fn signed_heads(heads: &SignedHeads) {
    if heads.verify().is_err() {
        return;
    }
    if let Some(key) = fixed_key(&heads.signer) {
        let made = SignedHeads::sign(&key, heads.community, &heads.heads, heads.seq, heads.at);
        assert_eq!(&made, heads, "signed heads the key did not sign verified");
    }
}

/// A roster: read (form only), written back to the same bytes, and accepted under the
/// city key only as the city key signs it.
pub(super) fn roster(bytes: &[u8]) {
    let Ok(signed) = SignedRoster::from_bytes(bytes) else {
        return;
    };
    assert_eq!(signed.to_bytes(), bytes, "a roster does not round-trip");
    let city = city_key();
    if let Ok(roster) = signed.verify(&city.public()) {
        let made = roster.clone().sign(&city);
        assert_eq!(
            made.to_bytes(),
            bytes,
            "a roster the city key did not sign verified"
        );
    }
}
