//! The replica's side of sync: automerge sync messages per peer and document with
//! their stored `sync::State`, changes received and stored, and what the node knows
//! of its link to the hub.

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::CommandError;
use wishtree_protocol::doc::DocError;
use wishtree_protocol::inbox::{InboxApplied, InboxDoc, InboxKeys};
use wishtree_protocol::keys::PublicKey;

use super::{ExecuteError, Replica};
use crate::store::{DocName, StoreError, SyncPeer};

/// What changes received from elsewhere did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Whether the document changed.
    pub is_changed: bool,
    /// Its heads now, sorted.
    pub heads: Vec<ChangeHash>,
}

/// Why changes from elsewhere were not taken in. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The bytes or message could not be applied.
    #[error("the changes cannot be applied: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The bytes are not a document of this community.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// The store failed; the documents were reloaded from it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An earlier store failure could not be recovered from.
    #[error("{0}")]
    Poisoned(String),
}

impl Replica {
    /// Applies saved automerge bytes (chunks or a full save) from elsewhere — a
    /// bundle, a peer — to a document and stores them before returning.
    pub fn apply_remote(&mut self, doc: DocName, bytes: &[u8]) -> Result<Received, ReceiveError> {
        self.check_usable().map_err(ReceiveError::Poisoned)?;
        let before = self.doc_heads(doc);
        let applied = self
            .held(doc)
            .0
            .load_incremental(bytes)
            .map(drop)
            .map_err(ReceiveError::from);
        if let Err(error) = applied {
            self.reload_after_failure();
            return Err(error);
        }
        self.store_received(doc, before, None)
    }

    /// The next sync message for `peer` about `doc`, or `None` if there is nothing
    /// to say. The peer's state is loaded from the store at first use.
    pub fn generate_sync_message(
        &mut self,
        peer: &PublicKey,
        doc: DocName,
    ) -> Result<Option<sync::Message>, StoreError> {
        self.load_sync_state(peer, doc)?;
        let mut state = self.sync_states.remove(&(*peer, doc)).unwrap_or_default();
        let message = self.held(doc).0.sync().generate_sync_message(&mut state);
        self.sync_states.insert((*peer, doc), state);
        Ok(message)
    }

    /// Applies a sync message from `peer` about `doc`. The changes it brought, the
    /// peer's sync state and its heads are stored in one transaction before this
    /// returns, so the caller may acknowledge them. A message from the configured hub
    /// about the community document updates [`SyncStatus`].
    pub fn receive_sync_message(
        &mut self,
        peer: &PublicKey,
        doc: DocName,
        message: sync::Message,
        now: Timestamp,
    ) -> Result<Received, ReceiveError> {
        self.check_usable().map_err(ReceiveError::Poisoned)?;
        self.load_sync_state(peer, doc)?;
        let before = self.doc_heads(doc);
        // The state is changed on a copy, so that a failure leaves the stored one.
        let mut state = self
            .sync_states
            .get(&(*peer, doc))
            .cloned()
            .unwrap_or_default();
        let result = self
            .held(doc)
            .0
            .sync()
            .receive_sync_message(&mut state, message);
        if let Err(error) = result {
            self.reload_after_failure();
            return Err(error.into());
        }
        let peer_record = SyncPeer {
            sync_state: state.encode(),
            their_heads: state.their_heads.clone().unwrap_or_default(),
            at: now,
        };
        let received = self.store_received(doc, before, Some((peer, &peer_record)))?;
        if doc == DocName::Community && self.hub.as_ref().is_some_and(|hub| hub.key == *peer) {
            self.hub_link.heads = peer_record.their_heads.clone();
            self.hub_link.last_synced_at = Some(now);
        }
        self.sync_states.insert((*peer, doc), state);
        if doc == DocName::Inbox
            && received.is_changed
            && let Err(error) = self.apply_inbox(now)
        {
            // The entries stay in the inbox and are applied at the next change or start.
            tracing::warn!("the inbox could not be applied: {error}");
        }
        Ok(received)
    }

    /// Applies the inbox's new entries to the community document (in inbox order, each
    /// at most once: `CommunityDoc::apply_inbox`) and stores the change with the node's
    /// signed heads, as a local write is stored. Without a hub there is no inbox.
    pub fn apply_inbox(&mut self, now: Timestamp) -> Result<InboxApplied, ExecuteError> {
        self.check_usable().map_err(ExecuteError::Poisoned)?;
        let Some(hub) = self.hub.as_ref().map(|hub| hub.key) else {
            return Ok(InboxApplied::default());
        };
        if self.inbox.get_heads().is_empty() || self.store.is_read_only() {
            return Ok(InboxApplied::default());
        }
        let entries = InboxDoc::from_automerge(self.inbox.clone(), self.code, [0; 16])
            .and_then(|inbox| inbox.entries())
            .map_err(CommandError::from)?;
        let worker = self.worker.clone();
        let applied = self
            .doc
            .apply_inbox(
                &entries,
                &InboxKeys {
                    hub,
                    node: self.key.public(),
                },
                &worker,
                now,
            )
            .map_err(CommandError::from)?;
        if applied.applied.is_empty() && applied.refused.is_empty() {
            return Ok(applied);
        }
        let private = match self.open_submissions(&applied.submitted) {
            Ok(private) => private,
            Err(error) => {
                // The document is ahead of the store: back to what the store holds.
                self.reload_after_failure();
                return Err(error);
            }
        };
        match self.persist_local(&private, now) {
            Ok((heads, _)) => {
                self.changes.send_modify(|notice| {
                    notice.heads = heads;
                    notice.local_commits += 1;
                });
                self.compact_if_due(DocName::Community);
                tracing::info!(
                    "applied {} inbox entries, refused {}",
                    applied.applied.len(),
                    applied.refused.len()
                );
                Ok(applied)
            }
            Err(error) => {
                self.reload_after_failure();
                Err(error.into())
            }
        }
    }

    /// Ends a sync session with `peer` at `now`: the in-flight parts of its state are
    /// dropped, as automerge asks before a reconnect; what both sides share is kept.
    pub fn end_sync_session(&mut self, peer: &PublicKey, now: Timestamp) {
        for ((key, _), state) in self.sync_states.iter_mut() {
            if key == peer {
                *state = sync::State::decode(&state.encode()).unwrap_or_default();
            }
        }
        if self.hub.as_ref().is_some_and(|hub| hub.key == *peer) {
            self.set_hub_connected(false, now);
        }
    }

    /// Records whether a sync session with the hub is open, as of `now`; the time is
    /// kept only when the state changes (the status shows "disconnected since …").
    pub fn set_hub_connected(&mut self, connected: bool, now: Timestamp) {
        if self.hub_link.connected != connected || self.hub_link.since.is_none() {
            self.hub_link.since = Some(now);
        }
        self.hub_link.connected = connected;
        if connected {
            self.hub_link.connecting = false;
        }
    }

    /// Records whether the sync client is dialing the hub now.
    pub fn set_hub_connecting(&mut self, connecting: bool) {
        self.hub_link.connecting = connecting;
    }

    /// Records why the hub refused the node or cannot be reached (`None` once it is
    /// fine again), for the status bar.
    pub fn set_hub_problem(&mut self, problem: Option<String>) {
        self.hub_link.problem = problem;
    }

    /// Stores the changes a document took in since its stored heads, with a peer's
    /// sync record, in one transaction.
    pub(super) fn store_received(
        &mut self,
        doc: DocName,
        before: Vec<ChangeHash>,
        peer: Option<(&PublicKey, &SyncPeer)>,
    ) -> Result<Received, ReceiveError> {
        let heads = self.doc_heads(doc);
        let is_changed = heads != before;
        let chunk = if is_changed {
            let (automerge, saved, _) = self.held(doc);
            automerge.save_after(saved)
        } else {
            Vec::new()
        };
        let stored = (|| {
            let transaction = self.store.transaction()?;
            if !chunk.is_empty() {
                transaction.append_chunk(doc, &chunk)?;
            }
            if let Some((key, record)) = peer {
                transaction.put_sync_peer(key, doc, record)?;
            }
            transaction.commit()
        })();
        if let Err(error) = stored {
            self.reload_after_failure();
            if let Some((key, _)) = peer {
                self.sync_states.remove(&(*key, doc));
            }
            return Err(error.into());
        }
        if !chunk.is_empty() {
            let (_, saved, chunks) = self.held(doc);
            *chunks += 1;
            *saved = heads.clone();
        }
        if is_changed {
            let community_heads = self.doc.heads();
            self.changes.send_modify(|notice| {
                notice.heads = community_heads;
                notice.remote_batches += 1;
            });
            self.compact_if_due(doc);
        }
        Ok(Received { is_changed, heads })
    }

    pub(super) fn load_sync_state(
        &mut self,
        peer: &PublicKey,
        doc: DocName,
    ) -> Result<(), StoreError> {
        if self.sync_states.contains_key(&(*peer, doc)) {
            return Ok(());
        }
        let state = match self.store.sync_peer(peer, doc)? {
            // A state that does not decode is only a cost: the next sync starts over.
            Some(record) => sync::State::decode(&record.sync_state).unwrap_or_else(|error| {
                tracing::warn!(
                    "the stored sync state of peer {} for the {doc} document does not decode ({error}); starting over",
                    peer.short()
                );
                sync::State::new()
            }),
            None => sync::State::new(),
        };
        self.sync_states.insert((*peer, doc), state);
        Ok(())
    }

    /// The heads of either document, sorted (for a sync `Hello`).
    pub fn doc_heads(&mut self, doc: DocName) -> Vec<ChangeHash> {
        match doc {
            // Read through the community document's own call: `held` hands it out
            // mutably, after which its next write looks its collections up again.
            DocName::Community => self.doc.heads(),
            DocName::City | DocName::Inbox => sorted_heads(self.held(doc).0),
        }
    }

    /// How many chunks hold `doc` in the store. Not through `held`, for the reason
    /// [`Self::doc_heads`] gives: every write asks, to see whether compaction is due.
    pub(super) fn chunks_stored(&self, doc: DocName) -> usize {
        match doc {
            DocName::Community => self.community_chunks,
            DocName::City => self.city_chunks,
            DocName::Inbox => self.inbox_chunks,
        }
    }

    /// The automerge document of `doc`, the heads its stored chunks cover, and how
    /// many chunks it has: what every document's sync and storage goes through.
    pub(super) fn held(
        &mut self,
        doc: DocName,
    ) -> (&mut AutoCommit, &mut Vec<ChangeHash>, &mut usize) {
        match doc {
            DocName::Community => (
                self.doc.automerge_mut(),
                &mut self.community_saved,
                &mut self.community_chunks,
            ),
            DocName::City => (
                self.city.automerge_mut(),
                &mut self.city_saved,
                &mut self.city_chunks,
            ),
            DocName::Inbox => (
                &mut self.inbox,
                &mut self.inbox_saved,
                &mut self.inbox_chunks,
            ),
        }
    }
}

pub(super) fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}
