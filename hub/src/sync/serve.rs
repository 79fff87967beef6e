//! The hub's QUIC endpoint: accepts nodes (and district hubs), admits a bounded number
//! of handshakes and session steps at once, and runs one sync session per connection.
//!
//! After a city-wide outage three thousand nodes come back within seconds of each
//! other; unbounded, quinn's handshake rate on loopback fell from about 950/s to 365/s
//! (DESIGN §6). So handshakes wait for a permit ([`ServeOptions::max_handshakes`]),
//! and session steps — the part that merges and writes to disk — for another
//! ([`ServeOptions::max_steps`]); nodes beyond the bounds are served in turn, not
//! refused, and their own backoff spreads the retries. Steps are served in the order
//! the connections came in ([`StepGate`]), so that the sessions that came first finish
//! first instead of all advancing together.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use wishtree_net::{EndpointOptions, quinn};
use wishtree_protocol::sync::{Effect, Ending, Event, Session};

use crate::metrics::Metrics;
use crate::state::Hub;
use wishtree_net::drive::{Observer, drive};
use wishtree_net::steps::StepGate;

/// Bounds of the hub's endpoint.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Handshakes in flight at once.
    pub max_handshakes: usize,
    /// Session steps (merging, storing) in flight at once.
    pub max_steps: usize,
    /// Transport settings.
    pub endpoint: EndpointOptions,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_handshakes: 64,
            max_steps: 4,
            endpoint: EndpointOptions::default(),
        }
    }
}

/// Accepts connections on `endpoint` until `shutdown` turns true, then closes every
/// session cleanly and returns.
pub async fn serve_quic(
    hub: Arc<Hub>,
    endpoint: quinn::Endpoint,
    options: ServeOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let admission = Arc::new(Admission {
        handshakes: Arc::new(Semaphore::new(options.max_handshakes.max(1))),
        steps: StepGate::new(options.max_steps),
        max_handshakes: options.max_handshakes.max(1),
        max_steps: options.max_steps.max(1),
    });
    let mut connections = JoinSet::new();
    // Each connection's rank at the step gate: the order it came in.
    let mut accepted: u64 = 0;
    loop {
        let incoming = tokio::select! {
            incoming = endpoint.accept() => incoming,
            _ = shutdown.changed() => None,
        };
        let Some(incoming) = incoming else { break };
        // Finished connections are reaped as new ones come, so the set stays small.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = Arc::clone(&admission.handshakes).acquire_owned() => permit,
            _ = shutdown.changed() => break,
        };
        let Ok(permit) = permit else { break };
        admission.balance();
        accepted += 1;
        let rank = accepted;
        let hub = Arc::clone(&hub);
        let admission = Arc::clone(&admission);
        let steps = Arc::clone(&admission.steps);
        let endpoint_options = options.endpoint.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let link = wishtree_net::accept(incoming, &endpoint_options).await;
            drop(permit);
            admission.balance();
            match link {
                Ok(link) => serve_link(hub, link, (steps, rank), shutdown).await,
                Err(error) => tracing::debug!("a handshake failed: {error}"),
            }
        });
    }
    // Sessions see the shutdown too and close with a Bye; wait for them.
    while connections.join_next().await.is_some() {}
    // Lets the closes reach the peers, but a peer that is gone does not hold the stop.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), endpoint.wait_idle()).await;
}

/// The bounds of the endpoint: handshakes in flight and session steps at once.
struct Admission {
    handshakes: Arc<Semaphore>,
    steps: Arc<StepGate>,
    max_handshakes: usize,
    max_steps: usize,
}

impl Admission {
    /// While at least half the handshake bound is in flight (a city reconnecting at
    /// once), one session step at a time, so that handshakes keep a core: a node
    /// whose handshake is not done within its limit (15 s) fails and backs off, and
    /// ten thousand nodes connecting together left 6,000 failures at 15 s with four
    /// steps merging beside the handshakes. Sessions already open wait a little
    /// longer for their next step; none of them times out waiting.
    fn balance(&self) {
        let in_flight = self.max_handshakes - self.handshakes.available_permits();
        let flooded = in_flight * 2 >= self.max_handshakes && self.max_handshakes > 1;
        self.steps
            .set_limit(if flooded { 1 } else { self.max_steps });
    }
}

async fn serve_link(
    hub: Arc<Hub>,
    link: wishtree_net::Link,
    steps: (Arc<StepGate>, u64),
    shutdown: watch::Receiver<bool>,
) {
    let peer = link.peer();
    let address = link.remote_address();
    let metrics = Arc::clone(hub.metrics());
    metrics.sync_session_started();
    let (events, local) = mpsc::unbounded_channel();
    // Live push: every change at the hub of a document the peer syncs is offered to its
    // session.
    hub.follow(&hub.docs_of(&peer), &events);
    let events_for_roster = events;
    // A new roster goes to a district hub; a peer it revokes is sent away (it is
    // refused, with the reason, when it comes back).
    let mut roster = hub.subscribe_roster();
    let roster_hub = Arc::clone(&hub);
    let roster_events = events_for_roster;
    let forward = tokio::spawn(async move {
        while roster.changed().await.is_ok() {
            let event = if roster_hub.docs_of(&peer).is_empty() {
                Event::Close
            } else {
                Event::RosterChanged
            };
            if roster_events.send(event).is_err() {
                return;
            }
        }
    });
    let mut observer = HubObserver {
        metrics: Arc::clone(&metrics),
        opened: false,
        peer: peer.short(),
    };
    let clock = hub.clock().clone();
    let ended = drive(
        Session::listen(peer),
        link,
        hub.host(false),
        local,
        shutdown,
        Some(steps),
        move || clock.now(),
        &mut observer,
    )
    .await;
    forward.abort();
    if observer.opened {
        metrics.node_disconnected();
    }
    metrics.sync_session_ended();
    match ended.ending {
        Ending::Done => tracing::info!(
            "session with {} ({address}) ended: {}",
            peer.short(),
            ended.reason
        ),
        _ => tracing::warn!(
            "session with {} ({address}) closed ({:?}): {}",
            peer.short(),
            ended.ending,
            ended.reason
        ),
    }
}

struct HubObserver {
    metrics: Arc<Metrics>,
    opened: bool,
    peer: String,
}

impl Observer for HubObserver {
    fn effect(&mut self, effect: &Effect) {
        match effect {
            Effect::Opened(docs) => {
                self.opened = true;
                self.metrics.node_connected();
                tracing::info!("{} syncs {} documents", self.peer, docs.len());
            }
            Effect::Refused(reason) => tracing::warn!("{} refused the hub: {reason}", self.peer),
            Effect::AttestationRefused { reason, .. } => {
                tracing::warn!("{} passed on signed heads: {reason}", self.peer);
            }
            _ => {}
        }
    }

    fn bytes_in(&mut self, bytes: usize) {
        self.metrics.add_bytes_received(bytes as u64);
    }

    fn bytes_out(&mut self, bytes: usize) {
        self.metrics.add_bytes_sent(bytes as u64);
    }
}
