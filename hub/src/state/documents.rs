//! The documents at the hub: a least-recently-used cache over the store, loaded
//! without the lock where possible, and automerge's sync state per peer and document.

use std::sync::MutexGuard;

use automerge::{AutoCommit, ChangeHash, sync};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::PublicKey;

use super::{COMPACT_AFTER, CachedDoc, Hub, HubError, HubState, load_doc, stored};
use crate::store::HubStore;

impl Hub {
    /// The heads of a document at the hub (empty if it has none).
    pub fn heads(&self, doc: DocId) -> Result<Vec<ChangeHash>, HubError> {
        let mut state = self.lock();
        Ok(self.cached(&mut state, doc)?.get_heads())
    }

    /// A copy of a document, for figures and exports.
    pub fn snapshot(&self, doc: DocId) -> Result<AutoCommit, HubError> {
        {
            let state = self.lock();
            if let Some(cached) = state.docs.get(&doc) {
                return Ok(cached.doc.clone());
            }
        }
        // Not in memory: loaded from the store without the lock and without a place in
        // the cache, so that re-deriving figures neither stalls sessions nor evicts
        // the documents they are syncing.
        match self.store.doc_bytes(stored(doc))? {
            Some(bytes) => load_doc(doc, &bytes),
            None => Ok(AutoCommit::new()),
        }
    }

    /// Changes a community's document outside a sync session (a bundle import): `change`
    /// gets a copy of the document under the document lock, so that no session
    /// interleaves, and must store what it changed before it returns `Ok`; then the copy
    /// replaces the held document and connected peers are offered the change. On an
    /// error the held document stays as it was.
    pub fn update_community<T, E: From<HubError>>(
        &self,
        community: CommunityCode,
        change: impl FnOnce(&mut AutoCommit) -> Result<T, E>,
    ) -> Result<T, E> {
        let doc = DocId::Community(community);
        let mut state = self.lock();
        let mut copy = self.cached(&mut state, doc)?.clone();
        let before = copy.get_heads();
        let value = change(&mut copy)?;
        let changed = copy.get_heads() != before;
        if changed && self.store.chunk_count(stored(doc)).unwrap_or(0) > COMPACT_AFTER {
            // The copy holds everything stored: the change was stored by `change`.
            let full = copy.save();
            if let Err(error) = self.store.compact(stored(doc), &full) {
                tracing::warn!("compacting {doc} failed (the chunks stay): {error}");
            }
        }
        self.put_cached(&mut state, doc, copy);
        drop(state);
        if changed {
            self.changed(doc);
            self.mark_dirty(community);
        }
        Ok(value)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, HubState> {
        // Every write under this lock goes to the store first; a panic cannot leave a
        // document half-stored, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn actor(&self) -> [u8; 16] {
        let key = self.key.public().to_bytes();
        let mut actor = [0u8; 16];
        actor.copy_from_slice(&key[..16]);
        actor
    }

    /// Loads a document into the cache if it is not there, without holding the lock
    /// while automerge reads it, so that two sessions load two documents on two cores.
    pub(crate) fn preload(&self, doc: DocId) -> Result<(), HubError> {
        let generation = {
            let state = self.lock();
            if state.docs.contains_key(&doc) {
                return Ok(());
            }
            state.generations.get(&doc).copied().unwrap_or(0)
        };
        let loaded = match self.store.doc_bytes(stored(doc))? {
            Some(bytes) => load_doc(doc, &bytes)?,
            None => return Ok(()),
        };
        let mut state = self.lock();
        // Written meanwhile (and since dropped from the cache): what was read may be
        // older than the store; `cached` loads it again under the lock.
        let unchanged = state.generations.get(&doc).copied().unwrap_or(0) == generation;
        if unchanged && !state.docs.contains_key(&doc) {
            self.evict(&mut state);
            self.put_cached(&mut state, doc, loaded);
        }
        Ok(())
    }

    pub(crate) fn cached<'a>(
        &self,
        state: &'a mut HubState,
        doc: DocId,
    ) -> Result<&'a mut AutoCommit, HubError> {
        state.clock += 1;
        let used = state.clock;
        if !state.docs.contains_key(&doc) {
            let loaded = match self.store.doc_bytes(stored(doc))? {
                Some(bytes) => load_doc(doc, &bytes)?,
                None => AutoCommit::new(),
            };
            self.evict(state);
            state.docs.insert(doc, CachedDoc { doc: loaded, used });
        }
        let cached = state
            .docs
            .get_mut(&doc)
            .ok_or_else(|| HubError::City("the document cache lost a document".to_owned()))?;
        cached.used = used;
        Ok(&mut cached.doc)
    }

    pub(crate) fn put_cached(&self, state: &mut HubState, doc: DocId, document: AutoCommit) {
        *state.generations.entry(doc).or_default() += 1;
        state.clock += 1;
        let used = state.clock;
        state.docs.insert(
            doc,
            CachedDoc {
                doc: document,
                used,
            },
        );
    }

    pub(crate) fn evict(&self, state: &mut HubState) {
        while state.docs.len() >= self.options.cached_docs.max(1) {
            let oldest = state
                .docs
                .iter()
                .filter(|(doc, _)| **doc != DocId::City)
                .min_by_key(|(_, cached)| cached.used)
                .map(|(doc, _)| *doc);
            match oldest {
                Some(doc) => {
                    state.docs.remove(&doc);
                }
                None => break,
            }
        }
    }

    pub(crate) fn sync_state<'a>(
        &self,
        state: &'a mut HubState,
        peer: &PublicKey,
        doc: DocId,
    ) -> Result<&'a mut sync::State, HubError> {
        match state.sync_states.entry((*peer, doc)) {
            std::collections::hash_map::Entry::Occupied(entry) => Ok(entry.into_mut()),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let loaded = self
                    .store
                    .sync_state(peer, stored(doc))?
                    .and_then(|bytes| sync::State::decode(&bytes).ok())
                    .unwrap_or_default();
                Ok(entry.insert(loaded))
            }
        }
    }
}
