//! The documents at the hub, one lock each: a least-recently-used cache over the
//! store, and automerge's sync state per peer beside each document.
//!
//! Every document has a slot ([`DocSlot`]) behind a mutex of its own; the hub's map of
//! slots is locked only to find or add a slot, never while a document is loaded,
//! merged or stored. So sessions of different communities merge on different cores
//! at once, and a session waits only for another session of the same document. A slot
//! whose document was evicted keeps its sync states, so that a session in the middle
//! of an exchange loses nothing when its document is dropped from memory.
//!
//! A store other hub processes write too (PostgreSQL, [`HubStore::is_shared`]) adds a
//! second lock: [`Hub::with_doc`] takes the document's lock in the store after the
//! slot's, then brings the held copy up to date with the chunks stored since it was
//! last in step (by seq, [`HubStore::chunks_after`]) before any work, and notes the
//! seq it is in step with after the work, before the lock is released. So two processes
//! never merge one document at once, and neither merges into a stale copy. A call that
//! only reads ([`Hub::reading_doc`]: the heads, a sync message to send) brings the held
//! copy in step the same way but takes no lock across processes: it merges nothing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::{AutoCommit, ChangeHash, sync};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::PublicKey;

use super::{COMPACT_AFTER, Hub, HubError, load_doc, stored};
use crate::store::DocLock;

/// One document at the hub and the sync states of the peers that sync it.
#[derive(Debug, Default)]
pub(crate) struct DocSlot {
    /// The document, if it is in memory.
    doc: Option<AutoCommit>,
    /// automerge's sync state per peer, loaded from the store at first use.
    sync_states: HashMap<PublicKey, sync::State>,
    /// The encoded sync state last written to the store, per peer.
    saved_states: HashMap<PublicKey, Vec<u8>>,
    /// When the slot was last used, for least-recently-used eviction.
    used: u64,
    /// The seq of the last stored chunk the held document holds (shared stores only).
    seq: u64,
}

/// A slot locked for one document: what a session reads, merges and stores under.
pub(crate) struct Locked<'a> {
    hub: &'a Hub,
    id: DocId,
    slot: MutexGuard<'a, DocSlot>,
}

impl Hub {
    /// The heads of a document at the hub (empty if it has none).
    pub fn heads(&self, doc: DocId) -> Result<Vec<ChangeHash>, HubError> {
        self.reading_doc(doc, |locked| Ok(locked.doc()?.get_heads()))
    }

    /// A copy of a document, for figures and exports.
    pub fn snapshot(&self, doc: DocId) -> Result<AutoCommit, HubError> {
        {
            let slot = self.slot(doc);
            let slot = lock_slot(&slot);
            // With a shared store the held copy may be behind what other processes
            // stored: it serves only if it is in step (its seq is the store's last),
            // which one number tells, where loading the whole document from the store
            // took the figures worker a read of every chunk and an automerge load.
            if let Some(held) = &slot.doc
                && (!self.store.is_shared() || self.store.doc_seq(stored(doc))? == slot.seq)
            {
                return Ok(held.clone());
            }
        }
        // Not in memory: loaded from the store without a place in the cache, so that
        // re-deriving figures neither evicts the documents sessions are syncing nor
        // holds the document's lock while automerge reads it.
        match self.store.doc_bytes(stored(doc))? {
            Some(bytes) => load_doc(doc, &bytes),
            None => Ok(AutoCommit::new()),
        }
    }

    /// Changes a community's document outside a sync session (a bundle import): `change`
    /// gets a copy of the document under the document's lock, so that no session
    /// interleaves, and must store what it changed before it returns `Ok`; then the copy
    /// replaces the held document and connected peers are offered the change. On an
    /// error the held document stays as it was.
    pub fn update_community<T, E: From<HubError>>(
        &self,
        community: CommunityCode,
        change: impl FnOnce(&mut AutoCommit) -> Result<T, E>,
    ) -> Result<T, E> {
        let doc = DocId::Community(community);
        let (value, changed) = self.with_doc(doc, |locked| {
            let mut copy = locked.doc()?.clone();
            let before = copy.get_heads();
            let value = change(&mut copy)?;
            let changed = copy.get_heads() != before;
            if changed
                && self
                    .store
                    .chunk_stats(stored(doc))
                    .map_or(0, |stats| stats.count)
                    > COMPACT_AFTER
            {
                // The copy holds everything stored: the change was stored by `change`.
                let full = copy.save();
                if let Err(error) = self.store.compact(stored(doc), &full) {
                    tracing::warn!("compacting {doc} failed (the chunks stay): {error}");
                }
            }
            locked.replace(copy);
            Ok::<_, E>((value, changed))
        })?;
        if changed {
            self.changed(doc);
            self.mark_dirty(community);
        }
        Ok(value)
    }

    /// Runs `work` with the document's lock held and the document in memory (loaded
    /// from the store if it was not; a new, empty one if the store has none). Other
    /// documents are not held up: the hub-wide map is locked only to find the slot.
    pub(crate) fn with_doc<T, E: From<HubError>>(
        &self,
        doc: DocId,
        work: impl FnOnce(&mut Locked<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_doc_as(doc, Access::Merge, work)
    }

    /// Runs `work`, which stores nothing (it reads the document's heads, or generates a
    /// sync message from it), as [`Hub::with_doc`] does but without the document's lock
    /// across processes: with a shared store the held copy is still brought in step
    /// with what was stored first, under the slot's lock. The store's lock keeps two
    /// processes from merging one document at once; a read merges nothing, and what it
    /// reads is the committed chunks, each applied whole (applying one twice changes
    /// nothing). Two of every three calls of a sync session are reads, and the lock and
    /// its release were two of a read's three statements.
    pub(crate) fn reading_doc<T, E: From<HubError>>(
        &self,
        doc: DocId,
        work: impl FnOnce(&mut Locked<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_doc_as(doc, Access::Read, work)
    }

    fn with_doc_as<T, E: From<HubError>>(
        &self,
        doc: DocId,
        access: Access,
        work: impl FnOnce(&mut Locked<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let slot = self.slot(doc);
        let (result, loaded, caught_up) = {
            let mut locked = Locked {
                hub: self,
                id: doc,
                slot: lock_slot(&slot),
            };
            locked.slot.used = self.tick();
            let shared = self.store.is_shared();
            // Dropped before the slot's lock (declared after it). With a shared store the
            // lock comes with the seq stored under it, in one trip; a read takes no lock,
            // and reads the seq alone.
            let (across_processes, stored_seq) = match (shared, access) {
                (false, _) => (self.store.lock_doc(stored(doc)).map_err(HubError::from)?, 0),
                (true, Access::Merge) => self
                    .store
                    .lock_doc_at_seq(stored(doc))
                    .map_err(HubError::from)?,
                (true, Access::Read) => (
                    DocLock::none(),
                    self.store.doc_seq(stored(doc)).map_err(HubError::from)?,
                ),
            };
            let loaded = locked.slot.doc.is_none();
            let mut caught_up = false;
            if shared {
                caught_up = self.catch_up(&mut locked, stored_seq)?;
            } else if loaded {
                let document = match self.store.doc_bytes(stored(doc)).map_err(HubError::from)? {
                    Some(bytes) => load_doc(doc, &bytes)?,
                    None => AutoCommit::new(),
                };
                locked.slot.doc = Some(document);
                self.loaded_docs.fetch_add(1, Ordering::Relaxed);
            }
            let heads_before = self
                .store
                .is_shared()
                .then(|| locked.slot.doc.as_mut().map(AutoCommit::get_heads))
                .flatten();
            let result = work(&mut locked);
            // Every write of a chunk changes the document's heads (a merge, a compaction
            // with it, an edit), so work that left them as they were stored no chunk and
            // the held copy's seq still holds: most of a session's calls only read
            // (generate, heads), and the seq's read was one of their four statements.
            // Were a chunk stored without a change of heads, the next use would only
            // apply it again (loading a change twice changes nothing).
            let wrote = heads_before.is_none()
                || locked.slot.doc.as_mut().map(AutoCommit::get_heads) != heads_before;
            if self.store.is_shared() && wrote {
                // What this process stored under the lock is in the held copy. The seq is
                // read as the lock is released, in one trip.
                match self.store.release_doc_at_seq(across_processes, stored(doc)) {
                    Ok(seq) => locked.slot.seq = seq,
                    Err(error) => {
                        tracing::warn!("{doc} is dropped from memory: {error}");
                        locked.drop_doc();
                    }
                }
            }
            (result, loaded, caught_up)
        };
        // Outside the document's lock: eviction takes the map's lock and then tries
        // other documents' locks, never the other way round.
        if loaded {
            self.evict(doc);
        }
        // Another process changed the document: the sessions here that sync it are
        // offered the change, as if it were merged here.
        if caught_up {
            self.changed(doc);
        }
        result
    }

    /// Brings the held copy of a document in step with a shared store (its lock held):
    /// loads it if it is not in memory, else applies the chunks other processes stored
    /// since; a copy they do not load into is loaded again whole. Says whether a held
    /// copy changed. `last` is the document's seq in the store, read before any chunk:
    /// without the store's lock (a read) more may be stored meanwhile, so the held copy
    /// may hold more than `last` says, never less.
    fn catch_up(&self, locked: &mut Locked<'_>, last: u64) -> Result<bool, HubError> {
        let key = stored(locked.id);
        let mut changed = false;
        let held_at = locked.slot.seq;
        if let Some(held) = locked.slot.doc.as_mut() {
            if last == held_at {
                return Ok(false);
            }
            let applied = self
                .store
                .chunks_after(key, held_at)?
                .iter()
                .try_for_each(|chunk| held.load_incremental(chunk).map(drop));
            if applied.is_ok() {
                locked.slot.seq = last;
                return Ok(true);
            }
            locked.drop_doc();
            changed = true;
        }
        let document = match self.store.doc_bytes(key)? {
            Some(bytes) => load_doc(locked.id, &bytes)?,
            None => AutoCommit::new(),
        };
        locked.replace(document);
        locked.slot.seq = last;
        Ok(changed)
    }

    /// Makes a new session of `peer` its current one, and returns its number. The
    /// sessions before it are over: a peer dials again only when its last session
    /// died (it restarted, or its link broke), though this hub may not learn so until
    /// the idle timeout. Until then the dead session would share the peer's sync
    /// states with the new one, and a message it generated for nobody would leave the
    /// new session waiting for an answer that never comes — the chaos harness saw a
    /// restarted district hub's changes stall short of the city so. So the peer's sync
    /// states restart from what was stored, and the old session is refused at its next
    /// step ([`Hub::is_current_session`]).
    pub(crate) fn open_session(&self, peer: &PublicKey) -> u64 {
        let number = self.session_counter.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock_sessions().insert(*peer, number);
        // Only the documents the peer has states in: visiting every slot made each
        // session's start cost as much as the city has documents (10,000 nodes
        // reconnecting spent seconds here).
        let docs: Vec<DocId> = self
            .lock_states_of()
            .get(peer)
            .map(|docs| docs.iter().copied().collect())
            .unwrap_or_default();
        self.reset_sync_states(peer, &docs);
        number
    }

    /// Whether session `number` is still `peer`'s current one.
    pub(crate) fn is_current_session(&self, peer: &PublicKey, number: u64) -> bool {
        self.lock_sessions().get(peer) == Some(&number)
    }

    /// Session `number` of `peer` ended (or is opening: the session resets its peer's
    /// states as it opens), having exchanged messages about `docs`. If it is the
    /// current one, what it had in flight is forgotten; a newer session's states are
    /// left alone. The peer's entry stays: one number per enrolled key.
    pub(crate) fn close_session<'a>(
        &self,
        peer: &PublicKey,
        number: Option<u64>,
        docs: impl IntoIterator<Item = &'a DocId>,
    ) {
        if number.is_some_and(|number| !self.is_current_session(peer, number)) {
            return;
        }
        self.reset_sync_states(peer, docs);
    }

    pub(super) fn lock_states_of(&self) -> MutexGuard<'_, HashMap<PublicKey, HashSet<DocId>>> {
        // A single insert under the lock: never half-written.
        self.states_of
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_sessions(&self) -> MutexGuard<'_, HashMap<PublicKey, u64>> {
        // A single insert or remove under the lock: never half-written.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets what is in flight in every sync state of `peer` for `docs` (a session
    /// ended): what both sides stored is kept, what the peer had in flight is not.
    fn reset_sync_states<'a>(&self, peer: &PublicKey, docs: impl IntoIterator<Item = &'a DocId>) {
        for doc in docs {
            let slot = self.slot(*doc);
            let mut slot = lock_slot(&slot);
            if self.store.is_shared() {
                slot.sync_states.remove(peer);
                slot.saved_states.remove(peer);
            } else if let Some(state) = slot.sync_states.get_mut(peer) {
                *state = sync::State::decode(&state.encode()).unwrap_or_default();
            }
        }
    }

    pub(crate) fn actor(&self) -> [u8; 16] {
        let key = self.key.public().to_bytes();
        let mut actor = [0u8; 16];
        actor.copy_from_slice(&key[..16]);
        actor
    }

    /// The slot of a document, added if it has none.
    fn slot(&self, doc: DocId) -> Arc<Mutex<DocSlot>> {
        let mut slots = self.slots();
        Arc::clone(slots.entry(doc).or_default())
    }

    pub(super) fn slots(&self) -> MutexGuard<'_, HashMap<DocId, Arc<Mutex<DocSlot>>>> {
        // Slots are only added under this lock; a panic cannot leave the map half-written.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `doc` is in memory now.
    #[cfg(test)]
    pub(super) fn is_held(&self, doc: DocId) -> bool {
        self.slots()
            .get(&doc)
            .is_some_and(|slot| lock_slot(slot).doc.is_some())
    }

    fn tick(&self) -> u64 {
        self.use_clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Drops least recently used documents (never the city's, nor `keep`) while more
    /// than the bound are in memory, down to an eighth below it. A document whose lock
    /// is held is in use, and skipped.
    ///
    /// One look over every slot drops many documents: looking for the single oldest
    /// at each load made every load past the bound cost a walk of the whole city's
    /// slots (with 10,000 nodes reconnecting, the hub's second-hottest function).
    fn evict(&self, keep: DocId) {
        let bound = self.options.cached_docs.max(1);
        let loaded = self.loaded_docs.load(Ordering::Relaxed);
        if loaded <= bound {
            return;
        }
        let excess = loaded - bound + bound / 8;
        let mut candidates: Vec<(u64, Arc<Mutex<DocSlot>>)> = {
            let slots = self.slots();
            slots
                .iter()
                .filter(|(id, _)| **id != keep && **id != DocId::City)
                .filter_map(|(_, slot)| {
                    let guard = slot.try_lock().ok()?;
                    guard.doc.is_some().then(|| (guard.used, Arc::clone(slot)))
                })
                .collect()
        };
        candidates.sort_unstable_by_key(|(used, _)| *used);
        for (used, slot) in candidates.into_iter().take(excess) {
            // Used again since the look, or in use now: it stays.
            let Ok(mut guard) = slot.try_lock() else {
                continue;
            };
            if guard.used == used && guard.doc.take().is_some() {
                self.loaded_docs.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

impl<'a> Locked<'a> {
    /// The hub.
    pub(crate) fn hub(&self) -> &'a Hub {
        self.hub
    }

    /// The document.
    pub(crate) fn doc(&mut self) -> Result<&mut AutoCommit, HubError> {
        self.slot.doc.as_mut().ok_or_else(|| HubError::Damaged {
            doc: self.id,
            reason: "it was dropped from memory after a failed write".to_owned(),
        })
    }

    /// Replaces the document held in memory by `document`.
    pub(crate) fn replace(&mut self, document: AutoCommit) {
        if self.slot.doc.is_none() {
            self.hub.loaded_docs.fetch_add(1, Ordering::Relaxed);
        }
        self.slot.doc = Some(document);
    }

    /// Drops the document from memory (what was half-applied to it); the next use
    /// loads it again from the store, which has the last good state.
    pub(crate) fn drop_doc(&mut self) {
        if self.slot.doc.take().is_some() {
            self.hub.loaded_docs.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The document and the sync state of `peer` for it (loaded from the store at
    /// first use), for one exchange.
    pub(crate) fn doc_and_sync_state(
        &mut self,
        peer: &PublicKey,
    ) -> Result<(&mut AutoCommit, &mut sync::State), HubError> {
        if !self.slot.sync_states.contains_key(peer) {
            let loaded = self
                .hub
                .store
                .sync_state(peer, stored(self.id))?
                .and_then(|bytes| sync::State::decode(&bytes).ok())
                .unwrap_or_default();
            self.slot.sync_states.insert(*peer, loaded);
            self.hub
                .lock_states_of()
                .entry(*peer)
                .or_default()
                .insert(self.id);
        }
        let id = self.id;
        let slot = &mut *self.slot;
        let doc = slot.doc.as_mut().ok_or_else(|| HubError::Damaged {
            doc: id,
            reason: "it was dropped from memory after a failed write".to_owned(),
        })?;
        let state = slot
            .sync_states
            .get_mut(peer)
            .ok_or_else(|| HubError::City("the sync state was lost".to_owned()))?;
        Ok((doc, state))
    }

    /// The sync state of `peer` encoded, if it differs from what was last written to
    /// the store (an unchanged one is not written again, which saves a disk sync).
    pub(crate) fn sync_state_to_save(&self, peer: &PublicKey) -> Option<Vec<u8>> {
        let encoded = self.slot.sync_states.get(peer)?.encode();
        (self.slot.saved_states.get(peer) != Some(&encoded)).then_some(encoded)
    }

    /// Records that `encoded` is the sync state of `peer` in the store.
    pub(crate) fn sync_state_saved(&mut self, peer: &PublicKey, encoded: Vec<u8>) {
        self.slot.saved_states.insert(*peer, encoded);
    }
}

/// Whether a call on a document may store (and takes the document's lock across
/// processes) or only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Merge,
    Read,
}

fn lock_slot(slot: &Mutex<DocSlot>) -> MutexGuard<'_, DocSlot> {
    // Every write under a slot's lock goes to the store first; a panic cannot leave a
    // document half-stored, so a poisoned lock is still usable.
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
