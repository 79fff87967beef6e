//! Dialing a pinned hub again and again: what a node and a district hub both do.
//!
//! A [`Dialer`] keeps one client endpoint (one UDP socket, one TLS identity) across
//! attempts, resolves the hub's `host:port` afresh each time (its address may change),
//! and makes a new endpoint only when the address family changes. [`random_u64`] is the
//! random draw for the backoff's full jitter.

use std::net::SocketAddr;
use std::time::Duration;

use wishtree_protocol::keys::{KeyPair, PublicKey};

use crate::{EndpointOptions, Link, LinkError, client_endpoint, connect};

/// Dials one hub, reusing its endpoint between attempts.
#[derive(Debug)]
pub struct Dialer {
    key: KeyPair,
    options: EndpointOptions,
    /// The endpoint, and whether it is bound for IPv4.
    endpoint: Option<(bool, quinn::Endpoint)>,
}

impl Dialer {
    /// A dialer presenting `key`.
    pub fn new(key: KeyPair, options: EndpointOptions) -> Self {
        Self {
            key,
            options,
            endpoint: None,
        }
    }

    /// Resolves `address` (`host:port`) and connects to the hub, which must prove
    /// `pinned`.
    pub async fn dial(&mut self, address: &str, pinned: &PublicKey) -> Result<Link, LinkError> {
        let resolved: SocketAddr = tokio::net::lookup_host(address)
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .ok_or_else(|| LinkError::Setup {
                reason: format!("the hub address {address} does not resolve; check host:port"),
            })?;
        let ipv4 = resolved.is_ipv4();
        let endpoint = match &self.endpoint {
            Some((bound_v4, endpoint)) if *bound_v4 == ipv4 => endpoint.clone(),
            _ => {
                let bind = if ipv4 {
                    SocketAddr::from(([0, 0, 0, 0], 0))
                } else {
                    SocketAddr::from(([0u16; 8], 0))
                };
                let made = client_endpoint(bind, &self.key, &self.options)?;
                self.endpoint = Some((ipv4, made.clone()));
                made
            }
        };
        connect(&endpoint, resolved, pinned, &self.options).await
    }

    /// As [`Dialer::dial`], given up (`None`) as soon as `shutdown` turns true (or its
    /// sender is gone). A hub that does not answer keeps a handshake waiting up to the
    /// idle timeout, which a process asked to stop must not wait out: the chaos
    /// harness found nodes and district hubs taking 15 s to end on SIGINT while their
    /// hub was unreachable.
    pub async fn dial_unless_stopped(
        &mut self,
        address: &str,
        pinned: &PublicKey,
        shutdown: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Option<Result<Link, LinkError>> {
        tokio::select! {
            dialled = self.dial(address, pinned) => Some(dialled),
            _ = shutdown.wait_for(|stop| *stop) => None,
        }
    }

    /// Waits, at most `limit`, for the closes sent on the endpoint to reach the hub.
    pub async fn wait_idle(&self, limit: Duration) {
        if let Some((_, endpoint)) = &self.endpoint {
            let _ = tokio::time::timeout(limit, endpoint.wait_idle()).await;
        }
    }
}

/// A random `u64` for the backoff's jitter. Without randomness it is the largest: the
/// delay is then the ceiling, still correct, only less spread.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return u64::MAX;
    }
    u64::from_le_bytes(bytes)
}
