//! The node's sync client: keeps a QUIC session with the hub open, pushes every change
//! live, and after any outage reconnects by itself with backoff.
//!
//! The session logic is `wishtree_protocol::sync`; this module is the driver around it:
//! [`NodeHost`] lends the session the replica (each call takes the replica's lock on a
//! blocking thread), [`run_sync`] dials, drives, and waits out failures with
//! exponential backoff and full jitter (1 s to 5 min). What the status bar shows —
//! connecting, connected or disconnected and since when, last synced, changes not yet
//! at the hub, why the hub refused or was lost — is set on the replica as it happens.
//! A lost hub is noticed within seconds: a restarted hub resets the old connection at
//! the node's next packet, and a hub that stays down within the idle timeout (see
//! [`EndpointOptions`]).

use std::time::Duration;

use automerge::{ChangeHash, sync};
use tokio::sync::{mpsc, watch};
use wishtree_net::dial::{Dialer, random_u64};
use wishtree_net::drive::{Observer, drive};
use wishtree_net::{EndpointOptions, LinkError};
use wishtree_protocol::Timestamp;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::frame::{DocId, Hello, Role, Scope};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::sync::backoff::Backoff;
use wishtree_protocol::sync::{
    Access, AttestOutcome, Effect, Event, Grant, Host, HostError, Session,
};

use crate::replica::{HubSettings, ReceiveError, SharedReplica};
use crate::store::DocName;

/// The replica as the session's [`Host`].
#[derive(Debug, Clone)]
pub struct NodeHost {
    replica: SharedReplica,
}

impl NodeHost {
    /// The host over a replica.
    pub fn new(replica: SharedReplica) -> Self {
        Self { replica }
    }
}

fn doc_name(doc: &DocId) -> DocName {
    match doc {
        DocId::Community(_) => DocName::Community,
        DocId::City => DocName::City,
        DocId::Inbox(_) => DocName::Inbox,
    }
}

impl Host for NodeHost {
    fn admit(
        &mut self,
        _peer: &PublicKey,
        _hello: &Hello,
        _now: Timestamp,
    ) -> Result<Grant, String> {
        Err("a community node does not accept sync sessions; it dials its hub".to_owned())
    }

    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        self.replica.blocking_lock().doc_heads(doc_name(doc))
    }

    fn generate(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
    ) -> Result<Option<sync::Message>, HostError> {
        self.replica
            .blocking_lock()
            .generate_sync_message(peer, doc_name(doc))
            .map_err(|error| HostError::Storage(error.to_string()))
    }

    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        _access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError> {
        let mut replica = self.replica.blocking_lock();
        if let DocId::Community(code) | DocId::Inbox(code) = doc
            && *code != replica.code()
        {
            return Err(HostError::Forbidden(format!(
                "the hub sent {doc}, but this node keeps community {}",
                replica.code()
            )));
        }
        match replica.receive_sync_message(peer, doc_name(doc), message, now) {
            Ok(received) => Ok(received.is_changed),
            Err(ReceiveError::Store(error)) => Err(HostError::Storage(error.to_string())),
            Err(ReceiveError::Poisoned(reason)) => Err(HostError::Storage(reason)),
            Err(error) => Err(HostError::Invalid(error.to_string())),
        }
    }

    fn attestation_for(&mut self, _peer: &PublicKey, doc: &DocId) -> Option<SignedHeads> {
        match doc {
            DocId::Community(_) => self
                .replica
                .blocking_lock()
                .last_attestation()
                .ok()
                .flatten(),
            DocId::City | DocId::Inbox(_) => None,
        }
    }

    /// The node's community, and its inbox: asking for the inbox is how a hub learns
    /// that this node knows the document.
    fn docs_in(&mut self, scope: &Scope) -> Vec<DocId> {
        match scope {
            Scope::Community(code) => vec![DocId::Community(*code), DocId::Inbox(*code)],
            Scope::Region(_) => Vec::new(),
        }
    }

    fn record_attestation(
        &mut self,
        _peer: &PublicKey,
        _signed: SignedHeads,
        _now: Timestamp,
    ) -> Result<AttestOutcome, HostError> {
        // A node keeps only its own signed heads; the hub has no reason to send any.
        Ok(AttestOutcome::Kept)
    }

    fn end(&mut self, peer: &PublicKey, now: Timestamp) {
        self.replica.blocking_lock().end_sync_session(peer, now);
    }
}

/// Settings of the sync client.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Transport settings.
    pub endpoint: EndpointOptions,
}

/// A change to what the status bar shows, applied in order by one task.
enum StatusUpdate {
    /// A dial starts: the status says "connecting to ADDR…" at once, not only when
    /// the attempt ends (an unreachable hub takes the handshake timeout to fail).
    Connecting,
    Connected,
    Disconnected(Option<String>),
    Problem(String),
}

struct NodeObserver {
    status: mpsc::UnboundedSender<StatusUpdate>,
    opened: bool,
    refused: Option<String>,
}

impl Observer for NodeObserver {
    fn effect(&mut self, effect: &Effect) {
        match effect {
            Effect::Opened(_) => {
                self.opened = true;
                let _ = self.status.send(StatusUpdate::Connected);
            }
            Effect::Refused(reason) => {
                self.refused = Some(reason.clone());
                let _ = self.status.send(StatusUpdate::Problem(reason.clone()));
            }
            _ => {}
        }
    }
}

/// Syncs the replica with its configured hub until `shutdown` turns true. Returns at
/// once if no hub is configured.
pub async fn run_sync(
    replica: SharedReplica,
    options: SyncOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let (hub, key, code) = {
        let replica = replica.lock().await;
        let Some(hub) = replica.hub().cloned() else {
            return;
        };
        (
            hub,
            KeyPair::from_secret(replica.key_pair().secret()),
            replica.code(),
        )
    };
    let (status, mut updates) = mpsc::unbounded_channel();
    let status_replica = replica.clone();
    let status_task = tokio::spawn(async move {
        while let Some(update) = updates.recv().await {
            let mut replica = status_replica.lock().await;
            let now = crate::now();
            match update {
                StatusUpdate::Connecting => {
                    replica.set_hub_connected(false, now);
                    replica.set_hub_connecting(true);
                }
                StatusUpdate::Connected => {
                    replica.set_hub_connected(true, now);
                    replica.set_hub_problem(None);
                }
                StatusUpdate::Disconnected(problem) => {
                    replica.set_hub_connected(false, now);
                    replica.set_hub_connecting(false);
                    if problem.is_some() {
                        replica.set_hub_problem(problem);
                    }
                }
                StatusUpdate::Problem(problem) => replica.set_hub_problem(Some(problem)),
            }
        }
    });
    let mut backoff = Backoff::new();
    let mut dialer = Dialer::new(key, options.endpoint.clone());
    while !*shutdown.borrow() {
        let _ = status.send(StatusUpdate::Connecting);
        let dialled = dialer
            .dial_unless_stopped(&hub.address, &hub.key, &mut shutdown)
            .await;
        let problem = match dialled {
            None => {
                let _ = status.send(StatusUpdate::Disconnected(None));
                break;
            }
            Some(Ok(link)) => {
                let mut observer = NodeObserver {
                    status: status.clone(),
                    opened: false,
                    refused: None,
                };
                let ended = session(&replica, link, code, &hub, &shutdown, &mut observer).await;
                backoff.session_ended(observer.opened, observer.refused.is_some());
                // The hub's own words win over the transport's ("not enrolled …").
                observer
                    .refused
                    .or_else(|| ended.link_error.as_ref().map(LinkError::explain))
                    .or_else(|| {
                        (ended.ending != wishtree_protocol::sync::Ending::Done)
                            .then(|| ended.reason.clone())
                    })
            }
            Some(Err(error)) => Some(error.explain()),
        };
        if *shutdown.borrow() {
            let _ = status.send(StatusUpdate::Disconnected(None));
            break;
        }
        if let Some(problem) = &problem {
            tracing::warn!("sync with the hub at {}: {problem}", hub.address);
        }
        let _ = status.send(StatusUpdate::Disconnected(problem));
        let delay = backoff.fail(random_u64());
        tracing::info!("reconnecting to the hub in {} ms", delay.as_millis());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    drop(status);
    let _ = status_task.await;
    // Lets the Bye and the close reach the hub.
    dialer.wait_idle(Duration::from_secs(2)).await;
}

async fn session(
    replica: &SharedReplica,
    link: wishtree_net::Link,
    code: wishtree_protocol::CommunityCode,
    hub: &HubSettings,
    shutdown: &watch::Receiver<bool>,
    observer: &mut NodeObserver,
) -> wishtree_net::drive::Ended {
    let (events, local) = mpsc::unbounded_channel();
    let _ = events.send(Event::Start);
    // Live push: every commit on the node is offered to the hub, with its signed heads.
    let mut changes = replica.lock().await.subscribe();
    let forward = tokio::spawn(async move {
        let doc = DocId::Community(code);
        while changes.changed().await.is_ok() {
            if events.send(Event::Changed(doc)).is_err()
                || events.send(Event::Attested(doc)).is_err()
            {
                return;
            }
        }
    });
    let ended = drive(
        Session::dial(hub.key, Role::Node, Scope::Community(code)),
        link,
        NodeHost::new(replica.clone()),
        local,
        shutdown.clone(),
        None,
        crate::now,
        observer,
    )
    .await;
    forward.abort();
    ended
}
