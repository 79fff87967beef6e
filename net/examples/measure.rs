//! Measures the transport on loopback: how long a pinned handshake up to the hub's
//! first frame takes, and how fast frames of 1 MiB go one way.
//!
//! `cargo run -p wishtree-net --release --example measure`

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use wishtree_net::{EndpointOptions, accept, client_endpoint, connect, server_endpoint};
use wishtree_protocol::keys::KeyPair;

const HANDSHAKES: u32 = 300;
const FRAMES: usize = 256;
const FRAME: usize = 1024 * 1024;

#[tokio::main]
async fn main() {
    let options = EndpointOptions::default();
    let hub_key = KeyPair::from_secret([1; 32]);
    let hub = server_endpoint("127.0.0.1:0".parse().unwrap(), &hub_key, &options).unwrap();
    let hub_addr = hub.local_addr().unwrap();

    // The hub reads every frame of every link until the link ends.
    let serving = tokio::spawn({
        let hub = hub.clone();
        async move {
            while let Some(incoming) = hub.accept().await {
                tokio::spawn(async move {
                    let mut link = accept(incoming, &EndpointOptions::default()).await.unwrap();
                    let mut received = 0;
                    while let Ok(Some(frame)) = link.read().await {
                        received += frame.len();
                        link.write(&received.to_be_bytes()).await.unwrap();
                    }
                });
            }
        }
    });

    let node_key = KeyPair::from_secret([2; 32]);
    let node = client_endpoint("127.0.0.1:0".parse().unwrap(), &node_key, &options).unwrap();

    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for _ in 0..HANDSHAKES {
        let one = Instant::now();
        let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
            .await
            .unwrap();
        link.write(b"hello").await.unwrap();
        link.read().await.unwrap().unwrap();
        slowest = slowest.max(one.elapsed());
        link.closer().close(wishtree_net::CloseCode::Done, "");
    }
    let elapsed = started.elapsed();
    println!(
        "{HANDSHAKES} sequential handshakes with a first frame and its answer: {:.2} ms each on average, slowest {:.2} ms",
        elapsed.as_secs_f64() * 1000.0 / f64::from(HANDSHAKES),
        slowest.as_secs_f64() * 1000.0
    );

    let mut link = connect(&node, hub_addr, &hub_key.public(), &options)
        .await
        .unwrap();
    let payload = vec![0x5a_u8; FRAME];
    let started = Instant::now();
    for _ in 0..FRAMES {
        link.write(&payload).await.unwrap();
        link.read().await.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{FRAMES} frames of 1 MiB, each answered: {:.0} MiB/s",
        FRAMES as f64 / elapsed.as_secs_f64()
    );
    serving.abort();
}
