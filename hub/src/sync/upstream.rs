//! A district hub's link to the hub above it (the city hub): one sync session, as a
//! dialer with role `hub` and the district's region as scope, over the same QUIC
//! protocol the nodes speak.
//!
//! Through it the district hub passes up every community document it holds and the
//! communities' own signed heads (so the city hub checks them end to end against the
//! roster: a district hub cannot alter or invent a community's data unnoticed), and
//! receives the city document and the city's signed roster. A community that appears
//! at the district hub after the session opened is not in the session's grant; the
//! session is then closed and opened again at once, so the grant includes it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, watch};
use wishtree_net::dial::{Dialer, random_u64};
use wishtree_net::drive::{Observer, drive};
use wishtree_net::{EndpointOptions, LinkError};
use wishtree_protocol::RegionPrefix;
use wishtree_protocol::frame::{DocId, Role, Scope};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::sync::backoff::Backoff;
use wishtree_protocol::sync::{Effect, Event, Session};

use crate::state::Hub;

/// Where the hub above is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `host:port` of its QUIC endpoint.
    pub address: String,
    /// Its key (the city key), pinned.
    pub key: PublicKey,
    /// The region this hub serves under it.
    pub scope: RegionPrefix,
}

struct UpstreamObserver {
    docs: Arc<Mutex<BTreeSet<DocId>>>,
    opened: bool,
    refused: Option<String>,
}

impl Observer for UpstreamObserver {
    fn effect(&mut self, effect: &Effect) {
        match effect {
            Effect::Opened(docs) => {
                self.opened = true;
                *self.docs.lock().unwrap_or_else(|p| p.into_inner()) =
                    docs.iter().copied().collect();
                tracing::info!("synced with the hub above: {} documents", docs.len());
            }
            Effect::Refused(reason) => self.refused = Some(reason.clone()),
            _ => {}
        }
    }
}

/// Keeps a session with the hub above open until `shutdown` turns true, reconnecting
/// with backoff.
pub async fn run_upstream(
    hub: Arc<Hub>,
    upstream: Upstream,
    key: KeyPair,
    options: EndpointOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new();
    let mut dialer = Dialer::new(key, options);
    while !*shutdown.borrow() {
        let dialled = dialer
            .dial_unless_stopped(&upstream.address, &upstream.key, &mut shutdown)
            .await;
        let problem = match dialled {
            None => break,
            Some(Ok(link)) => {
                let docs = Arc::new(Mutex::new(BTreeSet::new()));
                let mut observer = UpstreamObserver {
                    docs: Arc::clone(&docs),
                    opened: false,
                    refused: None,
                };
                let (events, local) = mpsc::unbounded_channel();
                let _ = events.send(Event::Start);
                let forward = tokio::spawn(forward_changes(hub.subscribe(), events, docs));
                let clock = hub.clock().clone();
                let ended = drive(
                    Session::dial(
                        upstream.key,
                        Role::Hub,
                        Scope::Region(upstream.scope.clone()),
                    ),
                    link,
                    hub.host(true),
                    local,
                    shutdown.clone(),
                    Some((wishtree_net::steps::StepGate::new(1), 0)),
                    move || clock.now(),
                    &mut observer,
                )
                .await;
                forward.abort();
                backoff.session_ended(observer.opened, observer.refused.is_some());
                observer
                    .refused
                    .or_else(|| ended.link_error.as_ref().map(LinkError::explain))
                    .or(Some(ended.reason))
            }
            Some(Err(error)) => Some(error.explain()),
        };
        if *shutdown.borrow() {
            break;
        }
        if let Some(problem) = problem {
            // The district's communities reach the city only through this session: an
            // operator must see it end.
            tracing::warn!("the session with the hub above ended: {problem}");
        }
        let delay = backoff.fail(random_u64());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

/// Offers every change at this hub upward, with the community's signed heads; closes
/// the session when a community appears that it does not sync yet.
async fn forward_changes(
    mut changes: broadcast::Receiver<DocId>,
    events: mpsc::UnboundedSender<Event>,
    docs: Arc<Mutex<BTreeSet<DocId>>>,
) {
    loop {
        let doc = match changes.recv().await {
            Ok(doc) => doc,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                // Missed changes: reopening the session offers everything again.
                let _ = events.send(Event::Close);
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let known = docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&doc);
        let event = if known || doc == DocId::City {
            Event::Changed(doc)
        } else {
            Event::Close
        };
        let closing = matches!(event, Event::Close);
        if events.send(event).is_err() || closing {
            return;
        }
        if let DocId::Community(_) = doc
            && events.send(Event::Attested(doc)).is_err()
        {
            return;
        }
    }
}
