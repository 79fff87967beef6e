//! Links over loopback QUIC: the pinned handshake both ways, frames both ways, a wrong
//! hub key, a refusal with its reason, frames that break the rules, and junk datagrams.
//! Every test is bounded in time and stops by itself.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use wishtree_net::{
    CloseCode, EndpointOptions, Link, LinkError, accept, client_endpoint, connect, quinn,
    server_endpoint,
};
use wishtree_protocol::keys::KeyPair;

/// Every test finishes well within this on loopback.
const LIMIT: Duration = Duration::from_secs(20);

const LOOPBACK: &str = "127.0.0.1:0";

#[tokio::test]
async fn a_pinned_handshake_carries_frames_both_ways() {
    bounded(async {
        let hub_key = KeyPair::from_secret([1; 32]);
        let node_key = KeyPair::from_secret([2; 32]);
        let (hub, hub_addr) = hub(&hub_key);
        let options = EndpointOptions::default();

        // The hub echoes every frame, then ends its side when the node ends its side.
        let hub_task = tokio::spawn({
            let hub = hub.clone();
            async move {
                let incoming = hub.accept().await.unwrap();
                let mut link = accept(incoming, &EndpointOptions::default()).await.unwrap();
                let node_seen = link.peer();
                while let Some(frame) = link.read().await.unwrap() {
                    link.write(&frame).await.unwrap();
                }
                let (_, mut writer, closer) = link.split();
                writer.finish().await.unwrap();
                let why_closed = closer.closed().await;
                (node_seen, why_closed)
            }
        });

        let node = client_endpoint(LOOPBACK.parse().unwrap(), &node_key, &options).unwrap();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        assert_eq!(link.peer(), hub_key.public());
        assert_eq!(link.remote_address(), hub_addr);

        let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        let frames: [&[u8]; 4] = [b"hello", b"", &big, b"bye"];
        for frame in frames {
            link.write(frame).await.unwrap();
        }
        for frame in frames {
            assert_eq!(link.read().await.unwrap().as_deref(), Some(frame));
        }
        let (mut reader, mut writer, closer) = link.split();
        writer.finish().await.unwrap();
        assert_eq!(reader.read().await.unwrap(), None, "the hub ended its side");
        closer.close(CloseCode::Done, "done");

        let (node_seen, why_closed) = hub_task.await.unwrap();
        assert_eq!(node_seen, node_key.public(), "the hub sees the node's key");
        assert!(
            matches!(
                why_closed,
                LinkError::ClosedByPeer {
                    code: Some(CloseCode::Done),
                    ..
                }
            ),
            "{why_closed:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_node_pinned_to_another_key_refuses_the_hub_and_the_hub_carries_on() {
    bounded(async {
        let hub_key = KeyPair::from_secret([3; 32]);
        let configured = KeyPair::from_secret([4; 32]).public();
        let (hub, hub_addr) = hub(&hub_key);
        let (results, mut accepted) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(accept_each(hub.clone(), results));
        let options = EndpointOptions::default();

        let node = client_endpoint(
            LOOPBACK.parse().unwrap(),
            &KeyPair::from_secret([5; 32]),
            &options,
        )
        .unwrap();
        let error = connect(&node, hub_addr, &configured, &options)
            .await
            .unwrap_err();
        match &error {
            LinkError::WrongPeerKey { expected, found } => {
                assert_eq!(**expected, configured);
                assert_eq!(**found, hub_key.public());
            }
            other => panic!("expected WrongPeerKey, got {other:?}"),
        }
        let explained = error.explain();
        assert!(explained.contains("--hub-key"), "{explained}");
        assert!(
            explained.contains(&hub_key.public().to_string()),
            "{explained}"
        );
        assert!(!error.is_transient());

        // The hub saw a node that went away before saying anything.
        assert!(accepted.recv().await.unwrap().is_err());

        // Another node, pinned right, is served.
        let other_key = KeyPair::from_secret([6; 32]);
        let other = client_endpoint(LOOPBACK.parse().unwrap(), &other_key, &options).unwrap();
        let mut link = connect(&other, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        link.write(b"hello").await.unwrap();
        let mut served = accepted.recv().await.unwrap().unwrap();
        assert_eq!(served.peer(), other_key.public());
        assert_eq!(served.read().await.unwrap().as_deref(), Some(&b"hello"[..]));
    })
    .await;
}

#[tokio::test]
async fn a_refused_node_reads_the_hubs_reason() {
    bounded(async {
        let hub_key = KeyPair::from_secret([7; 32]);
        let node_key = KeyPair::from_secret([8; 32]);
        let (hub, hub_addr) = hub(&hub_key);
        let reason = format!(
            "this node is not enrolled at the hub: give the hub operator this key: {}",
            node_key.public()
        );

        let hub_task = tokio::spawn({
            let hub = hub.clone();
            let reason = reason.clone();
            async move {
                let incoming = hub.accept().await.unwrap();
                let mut link = accept(incoming, &EndpointOptions::default()).await.unwrap();
                // The hub reads the node's first frame, looks the key up, and refuses.
                let hello = link.read().await.unwrap();
                link.closer().close(CloseCode::Refused, &reason);
                (hello, link.peer())
            }
        });

        let options = EndpointOptions::default();
        let node = client_endpoint(LOOPBACK.parse().unwrap(), &node_key, &options).unwrap();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options).await.unwrap();
        link.write(b"hello").await.unwrap();
        let error = link.read().await.unwrap_err();
        assert!(
            matches!(
                &error,
                LinkError::ClosedByPeer { code: Some(CloseCode::Refused), reason: said } if *said == reason
            ),
            "{error:?}"
        );
        assert_eq!(error.explain(), reason);
        assert!(!error.is_transient());

        let (hello, seen) = hub_task.await.unwrap();
        assert_eq!(hello.as_deref(), Some(&b"hello"[..]));
        assert_eq!(seen, node_key.public());
    })
    .await;
}

#[tokio::test]
async fn an_oversized_length_is_refused_before_its_payload() {
    bounded(async {
        let hub_key = KeyPair::from_secret([9; 32]);
        let (hub, hub_addr) = hub(&hub_key);
        let options = EndpointOptions {
            max_frame: 1000,
            ..EndpointOptions::default()
        };

        let hub_task = tokio::spawn({
            let hub = hub.clone();
            let options = options.clone();
            async move {
                let incoming = hub.accept().await.unwrap();
                let mut link = accept(incoming, &options).await.unwrap();
                let error = link.read().await.unwrap_err();
                link.closer().close(CloseCode::TooLarge, &error.to_string());
                error
            }
        });

        let node = client_endpoint(
            LOOPBACK.parse().unwrap(),
            &KeyPair::from_secret([10; 32]),
            &options,
        )
        .unwrap();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        // The writer refuses to send what the peer would refuse, and sends nothing.
        let error = link.write(&[0; 1001]).await.unwrap_err();
        assert!(
            matches!(
                error,
                LinkError::FrameTooLarge {
                    size: 1001,
                    limit: 1000
                }
            ),
            "{error:?}"
        );

        let (mut reader, writer, _closer) = link.split();
        // A header announcing 4 GiB and then nothing: the hub must not wait for it.
        let mut raw = writer.into_inner();
        raw.write_all(&u32::MAX.to_be_bytes()).await.unwrap();

        let error = hub_task.await.unwrap();
        assert!(
            matches!(
                error,
                LinkError::FrameTooLarge {
                    size,
                    limit: 1000
                } if size == u32::MAX as usize
            ),
            "{error:?}"
        );
        let seen = reader.read().await.unwrap_err();
        assert!(
            matches!(
                seen,
                LinkError::ClosedByPeer {
                    code: Some(CloseCode::TooLarge),
                    ..
                }
            ),
            "{seen:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_stream_cut_inside_a_frame_is_truncated() {
    bounded(async {
        let hub_key = KeyPair::from_secret([12; 32]);
        let (hub, hub_addr) = hub(&hub_key);
        let options = EndpointOptions::default();

        let hub_task = tokio::spawn({
            let hub = hub.clone();
            async move {
                let incoming = hub.accept().await.unwrap();
                let mut link = accept(incoming, &EndpointOptions::default()).await.unwrap();
                let first = link.read().await.unwrap();
                let error = link.read().await.unwrap_err();
                link.closer().close(CloseCode::BadFrame, "cut frame");
                (first, error)
            }
        });

        let node = client_endpoint(
            LOOPBACK.parse().unwrap(),
            &KeyPair::from_secret([13; 32]),
            &options,
        )
        .unwrap();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        link.write(b"whole").await.unwrap();
        let (mut reader, writer, _closer) = link.split();
        let mut raw = writer.into_inner();
        // Ten bytes announced, three sent, then the stream ends.
        raw.write_all(&[0, 0, 0, 10, b'a', b'b', b'c'])
            .await
            .unwrap();
        raw.finish().unwrap();

        let (first, error) = hub_task.await.unwrap();
        assert_eq!(first.as_deref(), Some(&b"whole"[..]));
        assert!(
            matches!(
                error,
                LinkError::Truncated {
                    expected: 14,
                    received: 7
                }
            ),
            "{error:?}"
        );
        assert!(
            reader.read().await.is_err(),
            "the hub closed the connection"
        );
    })
    .await;
}

#[tokio::test]
async fn junk_datagrams_do_not_stop_the_hub() {
    bounded(async {
        let hub_key = KeyPair::from_secret([14; 32]);
        let (hub, hub_addr) = hub(&hub_key);
        let (results, mut accepted) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(accept_each(hub.clone(), results));

        let junk = UdpSocket::bind(LOOPBACK).unwrap();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..300_usize {
            let len = [0, 1, 5, 20, 100, 1200, 1400, 1500][round % 8];
            let mut datagram: Vec<u8> = (0..len).map(|_| next_random(&mut state) as u8).collect();
            // Some look like QUIC long-header Initial packets of version 1, so that they
            // reach the handshake code rather than being dropped on the first byte.
            if round % 3 == 0 && datagram.len() > 6 {
                datagram[0] = 0xc0 | (datagram[0] & 0x0f);
                datagram[1..5].copy_from_slice(&1_u32.to_be_bytes());
                datagram[5] = 8;
            }
            junk.send_to(&datagram, hub_addr).unwrap();
        }

        let options = EndpointOptions::default();
        let node_key = KeyPair::from_secret([15; 32]);
        let node = client_endpoint(LOOPBACK.parse().unwrap(), &node_key, &options).unwrap();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        link.write(b"hello after junk").await.unwrap();
        // Junk that started a handshake ends in an error; the node's link arrives.
        let mut served = loop {
            if let Ok(link) = accepted.recv().await.unwrap() {
                break link;
            }
        };
        assert_eq!(served.peer(), node_key.public());
        assert_eq!(
            served.read().await.unwrap().as_deref(),
            Some(&b"hello after junk"[..])
        );
        served.write(b"answer").await.unwrap();
        assert_eq!(link.read().await.unwrap().as_deref(), Some(&b"answer"[..]));
    })
    .await;
}

#[test]
fn close_codes_survive_the_wire() {
    for code in CloseCode::ALL {
        assert_eq!(CloseCode::from_varint(code.to_varint()), Some(code));
    }
    assert_eq!(CloseCode::from_u64(99), None);
}

#[test]
fn an_unreachable_hub_is_explained_as_offline() {
    let explained = LinkError::TimedOut.explain();
    assert!(explained.contains("cannot be reached"), "{explained}");
    assert!(explained.contains("offline"), "{explained}");
    assert!(LinkError::TimedOut.is_transient());
}

/// A hub endpoint on a loopback port.
fn hub(key: &KeyPair) -> (quinn::Endpoint, SocketAddr) {
    let endpoint =
        server_endpoint(LOOPBACK.parse().unwrap(), key, &EndpointOptions::default()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    (endpoint, addr)
}

/// Accepts every incoming connection and reports how each went.
async fn accept_each(
    hub: quinn::Endpoint,
    results: tokio::sync::mpsc::UnboundedSender<Result<Link, LinkError>>,
) {
    while let Some(incoming) = hub.accept().await {
        let results = results.clone();
        tokio::spawn(async move {
            let _ = results.send(accept(incoming, &EndpointOptions::default()).await);
        });
    }
}

async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(LIMIT, test)
        .await
        .expect("the test did not finish in time");
}

/// xorshift64*, enough for junk.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}
