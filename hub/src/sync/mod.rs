//! The hub's side of sync: the documents it merges, held over its store, and the
//! [`Host`] that every sync session of the hub drives.
//!
//! [`Hub`] is shared by all connections. It keeps recently used documents in memory
//! within a bound ([`HubOptions::cached_docs`]) and loads the rest from the store on
//! demand (a loaded document costs about 8 times its saved size in RAM, DESIGN §6).
//! Everything a session receives is appended to the store before the session answers;
//! automerge's sync state per (peer, document) is kept in memory and saved after every
//! message that changed it, so a reconnect costs about the size of the new changes.
//!
//! The hub never edits a community's document, it merges; the only document it writes
//! is the city document ([`Hub::execute_city`]).

mod refresh;
mod serve;
mod upstream;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, ChangeHash, sync};
use tokio::sync::{Notify, broadcast, mpsc};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::frame::{DocId, Hello, Scope};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::roster::{
    Revocation as RosterRevocation, Role as RosterRole, Roster, RosterEntry, RosterError,
    SignedRoster,
};
use wishtree_protocol::sync::{Access, AttestOutcome, Event, Grant, Host, HostError};
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

pub use refresh::{refresh_one, refresh_worker};
pub use serve::{ServeOptions, serve_quic};
pub use upstream::{Upstream, run_upstream};

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::{EnrolledRole, HubStore, SqliteStore, StoreError, StoredDoc};

/// Compaction folds a document's chunks into one save when it has this many.
const COMPACT_AFTER: usize = 64;
/// Or when one batch of changes is this large.
const COMPACT_BATCH_BYTES: usize = 4096;

/// Limits of a running hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Documents kept in memory; the least recently used beyond this are dropped
    /// (they are all in the store).
    pub cached_docs: usize,
    /// The clock of the sessions, the accept loop, the upstream link and the dashboard.
    pub clock: Clock,
}

impl Default for HubOptions {
    fn default() -> Self {
        Self {
            cached_docs: 4096,
            clock: Clock::system(),
        }
    }
}

/// The hub's documents and sync state, shared by every session. See the module doc.
#[derive(Debug)]
pub struct Hub {
    store: Arc<SqliteStore>,
    key: KeyPair,
    city: RegionPrefix,
    metrics: Arc<Metrics>,
    options: HubOptions,
    state: Mutex<HubState>,
    /// Documents that changed, for whoever subscribes.
    changes: broadcast::Sender<DocId>,
    /// The roster's version (the time of its latest enrolment or revocation), for the
    /// sessions of district hubs, which get each new roster.
    roster_version: tokio::sync::watch::Sender<i64>,
    /// The sessions to tell of a change, per document (live push). Only the sessions
    /// that sync a document are woken by its changes: one broadcast to every session
    /// woke all of them for each change, quadratic work when a city's nodes sync at once.
    followers: Mutex<HashMap<DocId, Vec<mpsc::UnboundedSender<Event>>>>,
    /// Communities whose figures are stale, for the refresh worker.
    dirty: Mutex<HashSet<CommunityCode>>,
    /// Communities whose nodes connected, and when, for the refresh worker.
    seen: Mutex<HashMap<CommunityCode, Timestamp>>,
    dirty_notify: Notify,
}

#[derive(Debug, Default)]
struct HubState {
    docs: HashMap<DocId, CachedDoc>,
    /// automerge's sync state per (peer, document), loaded from the store at first use.
    sync_states: HashMap<(PublicKey, DocId), sync::State>,
    /// The encoded sync state last written to the store, per (peer, document).
    saved_states: HashMap<(PublicKey, DocId), Vec<u8>>,
    /// How often each document was written (to the store or the cache) under the lock,
    /// so that a document loaded without the lock is kept only if nothing was written
    /// to it meanwhile ([`Hub::preload`]).
    generations: HashMap<DocId, u64>,
    /// A counter for least-recently-used eviction.
    clock: u64,
}

#[derive(Debug)]
struct CachedDoc {
    doc: AutoCommit,
    used: u64,
}

/// Why the hub could not start its sync side.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document does not load.
    #[error("the stored {doc} does not load: {reason}; restore a backup")]
    Damaged {
        /// Which.
        doc: DocId,
        /// Why.
        reason: String,
    },
    /// A city command was refused.
    #[error("{0}")]
    City(String),
    /// A roster from the hub above was refused.
    #[error("the roster from the hub above is refused: {0}")]
    Roster(String),
}

fn roster_version_of(store: &SqliteStore) -> Result<i64, StoreError> {
    Ok(store
        .enrollments()?
        .iter()
        .map(|enrollment| {
            enrollment
                .revoked
                .as_ref()
                .map_or(enrollment.enrolled_at, |revocation| revocation.at)
                .as_millis()
                .max(enrollment.enrolled_at.as_millis())
        })
        .max()
        .unwrap_or(0))
}

/// The setting holding the signed roster received from the hub above (hex).
const RECEIVED_ROSTER: &str = "received_roster";
/// The setting holding that roster's version.
const RECEIVED_ROSTER_VERSION: &str = "received_roster_version";

impl Hub {
    /// The hub of `city`, over `store`. The city document is created from its genesis
    /// the first time.
    pub fn new(
        store: Arc<SqliteStore>,
        key: KeyPair,
        city: RegionPrefix,
        metrics: Arc<Metrics>,
        options: HubOptions,
    ) -> Result<Arc<Hub>, HubError> {
        if store.doc_bytes(StoredDoc::City)?.is_none() {
            store.append_chunk(
                StoredDoc::City,
                &CityDoc::genesis(&city),
                Timestamp::from_millis(0),
            )?;
        }
        let (changes, _) = broadcast::channel(1024);
        let (roster_version, _) = tokio::sync::watch::channel(roster_version_of(store.as_ref())?);
        Ok(Arc::new(Hub {
            roster_version,
            store,
            key,
            city,
            metrics,
            options,
            state: Mutex::new(HubState::default()),
            changes,
            followers: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashSet::new()),
            seen: Mutex::new(HashMap::new()),
            dirty_notify: Notify::new(),
        }))
    }

    /// The hub's key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// The city the hub serves.
    pub fn city(&self) -> &RegionPrefix {
        &self.city
    }

    /// The store.
    pub fn store(&self) -> &Arc<SqliteStore> {
        &self.store
    }

    /// The hub's clock.
    pub fn clock(&self) -> &Clock {
        &self.options.clock
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Tells of every document that changes at the hub.
    pub fn subscribe(&self) -> broadcast::Receiver<DocId> {
        self.changes.subscribe()
    }

    /// Sends `events` an [`Event::Changed`] each time one of `docs` changes at the hub,
    /// until its receiver is dropped.
    pub fn follow(&self, docs: &[DocId], events: &mpsc::UnboundedSender<Event>) {
        let mut followers = self
            .followers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for doc in docs {
            let list = followers.entry(*doc).or_default();
            // Sessions that ended are dropped here too, for documents that rarely change.
            list.retain(|follower| !follower.is_closed());
            list.push(events.clone());
        }
    }

    /// Tells the subscribers and the following sessions that `doc` changed.
    fn changed(&self, doc: DocId) {
        let _ = self.changes.send(doc);
        let mut followers = self
            .followers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(list) = followers.get_mut(&doc) {
            list.retain(|follower| follower.send(Event::Changed(doc)).is_ok());
        }
    }

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

    /// Notes that a community's node connected; the figures worker records it with
    /// others in one transaction.
    pub fn mark_seen(&self, community: CommunityCode, at: Timestamp) {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(community, at);
        self.dirty_notify.notify_one();
    }

    /// Applies a command to the city document, stores it, and offers it to every
    /// connected node.
    pub fn execute_city(&self, command: &CityCommand, now: Timestamp) -> Result<(), HubError> {
        let mut state = self.lock();
        let doc = self.cached(&mut state, DocId::City)?.clone();
        let before = doc.clone().get_heads();
        let mut city = CityDoc::from_automerge(doc, Some(&self.city), self.actor())
            .map_err(|error| HubError::City(error.to_string()))?;
        city.execute(command, now)
            .map_err(|error| HubError::City(error.to_string()))?;
        let mut doc = city.into_automerge();
        let bytes = doc.save_after(&before);
        self.store.append_chunk(StoredDoc::City, &bytes, now)?;
        self.put_cached(&mut state, DocId::City, doc);
        drop(state);
        self.changed(DocId::City);
        Ok(())
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

    /// Reloads the city document from the store if another process (the `city`
    /// command) wrote to it, and offers the change to connected nodes.
    pub fn reload_city_if_changed(&self) -> Result<bool, HubError> {
        let bytes = self.store.doc_bytes(StoredDoc::City)?.unwrap_or_default();
        let stored = load_doc(DocId::City, &bytes)?;
        let mut state = self.lock();
        let held = self.cached(&mut state, DocId::City)?;
        let mut stored_heads = stored.clone().get_heads();
        let mut held_heads = held.get_heads();
        stored_heads.sort();
        held_heads.sort();
        if stored_heads == held_heads {
            return Ok(false);
        }
        let mut merged = held.clone();
        let mut stored = stored;
        merged
            .merge(&mut stored)
            .map_err(|error| HubError::Damaged {
                doc: DocId::City,
                reason: error.to_string(),
            })?;
        self.put_cached(&mut state, DocId::City, merged);
        drop(state);
        self.changed(DocId::City);
        Ok(true)
    }

    /// Tells of every new roster version.
    pub fn subscribe_roster(&self) -> tokio::sync::watch::Receiver<i64> {
        self.roster_version.subscribe()
    }

    /// Reads the roster's version from the store (enrolment and revocation are
    /// commands of another process) and tells the sessions if it changed.
    pub fn check_roster(&self) -> Result<bool, HubError> {
        let version = roster_version_of(self.store.as_ref())?;
        let changed = self.roster_version.send_if_modified(|held| {
            let changed = *held != version;
            *held = version;
            changed
        });
        if changed {
            // A revoked node's community is flagged in the figures: its data stays.
            for enrollment in self.store.enrollments()? {
                if let (EnrolledRole::Node { community }, Some(_)) =
                    (&enrollment.role, &enrollment.revoked)
                {
                    self.mark_dirty(*community);
                }
            }
        }
        Ok(changed)
    }

    /// Marks a community's figures stale for the refresh worker.
    pub fn mark_dirty(&self, community: CommunityCode) {
        self.dirty
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(community);
        self.dirty_notify.notify_one();
    }

    /// The communities under `prefix` the hub holds documents of.
    pub fn communities_in(&self, prefix: &RegionPrefix) -> Vec<DocId> {
        self.store
            .communities()
            .unwrap_or_default()
            .into_iter()
            .filter(|record| prefix.contains(&record.community))
            .map(|record| DocId::Community(record.community))
            .collect()
    }

    /// The roster this hub hands the district hubs below it, signed: the one it
    /// received from above, if it has one; else its own, signed by its key (the city
    /// hub's key is the city key).
    pub fn signed_roster(&self, now: Timestamp) -> Result<Vec<u8>, HubError> {
        if let Some(received) = self.store.setting(RECEIVED_ROSTER)?
            && let Ok(bytes) = hex::decode(&received)
        {
            return Ok(bytes);
        }
        let mut entries = Vec::new();
        let mut revoked = Vec::new();
        let mut version = 0i64;
        for enrollment in self.store.enrollments()? {
            version = version.max(enrollment.enrolled_at.as_millis());
            entries.push(RosterEntry {
                key: enrollment.key,
                role: match enrollment.role {
                    EnrolledRole::Node { community } => RosterRole::Node { community },
                    EnrolledRole::Hub { scope } => RosterRole::Hub { scope },
                },
                enrolled_at: enrollment.enrolled_at,
            });
            if let Some(revocation) = enrollment.revoked {
                version = version.max(revocation.at.as_millis());
                revoked.push(RosterRevocation {
                    key: enrollment.key,
                    at: revocation.at,
                    reason: revocation.reason,
                });
            }
        }
        // The version grows with every enrolment and revocation: it is the time of the
        // latest one.
        let roster = Roster {
            city: self.city.clone(),
            version: u64::try_from(version).unwrap_or(0),
            issued_at: now,
            entries,
            revoked,
        };
        Ok(roster.sign(&self.key).to_bytes())
    }

    /// Checks a roster received from the hub above (`city_key`) and, if it is newer than
    /// the one held, makes it this hub's roster: its enrolments and revocations are
    /// applied to the store.
    pub fn install_roster(&self, city_key: &PublicKey, bytes: &[u8]) -> Result<(), HubError> {
        let signed =
            SignedRoster::from_bytes(bytes).map_err(|error| HubError::Roster(error.to_string()))?;
        let held = self
            .store
            .setting(RECEIVED_ROSTER_VERSION)?
            .and_then(|text| text.parse::<u64>().ok());
        let roster = match signed.accept(city_key, held) {
            Ok(roster) => roster,
            // The same roster again is the usual case on every reconnect.
            Err(RosterError::SameVersion { .. }) => return Ok(()),
            Err(error) => return Err(HubError::Roster(error.to_string())),
        };
        if roster.city != self.city {
            return Err(HubError::Roster(format!(
                "the roster is of city {}, this hub serves {}",
                roster.city.padded(),
                self.city.padded()
            )));
        }
        for revocation in &roster.revoked {
            if let Some(enrollment) = self.store.enrollment(&revocation.key)?
                && enrollment.revoked.is_none()
            {
                self.store
                    .revoke(&revocation.key, revocation.at, &revocation.reason)?;
            }
        }
        for entry in &roster.entries {
            if roster
                .revoked
                .iter()
                .any(|revocation| revocation.key == entry.key)
            {
                continue;
            }
            if self.store.enrollment(&entry.key)?.is_none() {
                let role = match &entry.role {
                    RosterRole::Node { community } => EnrolledRole::Node {
                        community: *community,
                    },
                    RosterRole::Hub { scope } => EnrolledRole::Hub {
                        scope: scope.clone(),
                    },
                };
                self.store.enroll(entry.key, role, entry.enrolled_at)?;
            }
        }
        self.store
            .set_setting(RECEIVED_ROSTER_VERSION, &roster.version.to_string())?;
        self.store
            .set_setting(RECEIVED_ROSTER, &hex::encode(signed.to_bytes()))?;
        self.check_roster()?;
        tracing::info!(
            "installed the city's roster version {} ({} keys, {} revoked)",
            roster.version,
            roster.entries.len(),
            roster.revoked.len()
        );
        Ok(())
    }

    /// The documents a peer's key may sync (for a district hub, those the hub holds
    /// under its scope now). Empty for an unknown or revoked key.
    pub fn docs_of(&self, peer: &PublicKey) -> Vec<DocId> {
        let Ok(Some(enrollment)) = self.store.enrollment(peer) else {
            return Vec::new();
        };
        if enrollment.revoked.is_some() {
            return Vec::new();
        }
        let mut docs = match enrollment.role {
            EnrolledRole::Node { community } => vec![DocId::Community(community)],
            EnrolledRole::Hub { scope } => self
                .store
                .communities()
                .unwrap_or_default()
                .into_iter()
                .filter(|record| scope.contains(&record.community))
                .map(|record| DocId::Community(record.community))
                .collect(),
        };
        docs.push(DocId::City);
        docs
    }

    /// A session's view of the hub: the [`Host`] it drives. `upstream` is set when the
    /// peer is the hub above this one, to which this hub passes signed heads.
    pub fn host(self: &Arc<Self>, upstream: bool) -> HubHost {
        HubHost {
            hub: Arc::clone(self),
            upstream,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // Every write under this lock goes to the store first; a panic cannot leave a
        // document half-stored, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn actor(&self) -> [u8; 16] {
        let key = self.key.public().to_bytes();
        let mut actor = [0u8; 16];
        actor.copy_from_slice(&key[..16]);
        actor
    }

    /// Loads a document into the cache if it is not there, without holding the lock
    /// while automerge reads it, so that two sessions load two documents on two cores.
    fn preload(&self, doc: DocId) -> Result<(), HubError> {
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

    fn cached<'a>(
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

    fn put_cached(&self, state: &mut HubState, doc: DocId, document: AutoCommit) {
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

    fn evict(&self, state: &mut HubState) {
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

    fn sync_state<'a>(
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

    fn admit(&self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String> {
        let enrollment = match self.store.enrollment(peer) {
            Ok(Some(enrollment)) => enrollment,
            Ok(None) => {
                return Err(format!(
                    "本节点尚未在市级枢纽登记，请把本节点密钥交给市级枢纽管理员 — this node is not enrolled at the city hub: give the city hub's operator this key: {peer}"
                ));
            }
            Err(error) => return Err(format!("the hub cannot read its roster: {error}")),
        };
        if let Some(revocation) = &enrollment.revoked {
            return Err(format!(
                "本节点密钥已被市级枢纽吊销，请联系市级枢纽管理员 — this node's key was revoked at the city on {} ({}): ask the city hub's operator to enroll this node's key again or a new one (wishtree-node rotate-key): {peer}",
                revocation.at.display_in_shanghai(),
                revocation.reason
            ));
        }
        match (&enrollment.role, &hello.scope) {
            (EnrolledRole::Node { community }, Scope::Community(asked)) if community == asked => {
                self.mark_seen(*community, now);
                Ok(Grant {
                    docs: vec![
                        (DocId::Community(*community), Access::ReadWrite),
                        (DocId::City, Access::ReadOnly),
                    ],
                })
            }
            (EnrolledRole::Hub { scope }, Scope::Region(asked)) if scope.covers(asked) => {
                // What this hub holds under the region, and what the district hub holds
                // that this one has not seen yet.
                let mut docs: Vec<DocId> = self.communities_in(asked);
                docs.extend(
                    hello.docs.iter().map(|held| held.doc).filter(
                        |doc| matches!(doc, DocId::Community(code) if asked.contains(code)),
                    ),
                );
                docs.sort();
                docs.dedup();
                let mut grant: Vec<(DocId, Access)> = docs
                    .into_iter()
                    .map(|doc| (doc, Access::ReadWrite))
                    .collect();
                grant.push((DocId::City, Access::ReadOnly));
                Ok(Grant { docs: grant })
            }
            (role, asked) => Err(format!(
                "本密钥登记的范围不同 — this key is enrolled at the hub as {role}, and may not sync {asked}"
            )),
        }
    }
}

/// One session's [`Host`] over the shared [`Hub`].
#[derive(Debug, Clone)]
pub struct HubHost {
    hub: Arc<Hub>,
    upstream: bool,
}

impl HubHost {
    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

impl Host for HubHost {
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String> {
        self.hub.admit(peer, hello, now)
    }

    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        let _ = self.hub.preload(*doc);
        self.hub.heads(*doc).unwrap_or_else(|error| {
            tracing::warn!("{error}");
            Vec::new()
        })
    }

    fn generate(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
    ) -> Result<Option<sync::Message>, HostError> {
        let hub = &self.hub;
        hub.preload(*doc).map_err(storage)?;
        let mut guard = hub.lock();
        let state = &mut *guard;
        let mut sync_state = hub.sync_state(state, peer, *doc).map_err(storage)?.clone();
        let message = hub
            .cached(state, *doc)
            .map_err(storage)?
            .sync()
            .generate_sync_message(&mut sync_state);
        state.sync_states.insert((*peer, *doc), sync_state);
        Ok(message)
    }

    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError> {
        let hub = &self.hub;
        let started = std::time::Instant::now();
        hub.preload(*doc).map_err(storage)?;
        let mut guard = hub.lock();
        let state = &mut *guard;
        let mut sync_state = hub.sync_state(state, peer, *doc).map_err(storage)?.clone();
        let document = hub.cached(state, *doc).map_err(storage)?;
        let applied = apply_message(hub, document, &mut sync_state, doc, message, access, now);
        let changed = match applied {
            Ok(changed) => changed,
            Err((error, reload)) => {
                if reload {
                    // What was half-applied is dropped; the store has the last good state.
                    state.docs.remove(doc);
                    *state.generations.entry(*doc).or_default() += 1;
                }
                return Err(error);
            }
        };
        if changed {
            *state.generations.entry(*doc).or_default() += 1;
        }
        // The encoded state is what both sides share; an unchanged one (a message that
        // brought nothing new) is not written again, which saves a disk flush.
        let encoded = sync_state.encode();
        let previous = state.saved_states.get(&(*peer, *doc));
        if previous != Some(&encoded) {
            hub.store
                .save_sync_state(peer, stored(*doc), &encoded)
                .map_err(|error| storage(error.into()))?;
            state.saved_states.insert((*peer, *doc), encoded);
        }
        state.sync_states.insert((*peer, *doc), sync_state);
        drop(guard);
        if changed {
            hub.metrics.observe_merge(started.elapsed());
            hub.changed(*doc);
            if let DocId::Community(code) = doc {
                hub.mark_dirty(*code);
                // A community is synced when its changes reach this hub, directly or
                // through a district hub (whose nodes this hub never admits, so
                // admission alone would leave them unseen). Changes from the hub above
                // are not news from the community.
                if !self.upstream {
                    hub.mark_seen(*code, now);
                }
            }
        }
        Ok(changed)
    }

    fn attestation_for(&mut self, _peer: &PublicKey, doc: &DocId) -> Option<SignedHeads> {
        // Only the hub above needs the communities' signed heads; a node has its own.
        let (true, DocId::Community(code)) = (self.upstream, doc) else {
            return None;
        };
        let signed = self.hub.store.attestation(*code).ok().flatten()?;
        // Heads by a key the city's roster no longer holds for the community (revoked,
        // or rotated away) would only be refused above: they stay here, flagged.
        let current = self.hub.store.community_key(*code).ok().flatten();
        if current != Some(signed.signer) {
            tracing::debug!(
                "not passing up the signed heads of {code}: their key {} is not its current one",
                signed.signer.short()
            );
            return None;
        }
        Some(signed)
    }

    fn record_attestation(
        &mut self,
        _peer: &PublicKey,
        signed: SignedHeads,
        now: Timestamp,
    ) -> Result<AttestOutcome, HostError> {
        let community = signed.community;
        let store = &self.hub.store;
        let enrolled = store
            .community_key(community)
            .map_err(|error| storage(error.into()))?;
        let Some(enrolled) = enrolled.filter(|key| *key == signed.signer) else {
            // Refused for this community only: the peer may be a district hub passing
            // on the heads of many communities, and the others must still get through.
            let signer = store
                .enrollment(&signed.signer)
                .map_err(|error| storage(error.into()))?;
            return Ok(AttestOutcome::Refused(refusal_of_signer(
                community,
                &signed.signer,
                signer.as_ref(),
                enrolled.as_ref(),
            )));
        };
        let attested = match signed.verify_by(&enrolled) {
            Ok(attested) => attested,
            Err(error) => {
                return Ok(AttestOutcome::Refused(format!(
                    "signed heads refused: {error}"
                )));
            }
        };
        let recorded = store
            .record_attestation(&attested, now)
            .map_err(|error| storage(error.into()))?;
        if recorded {
            self.hub.mark_dirty(community);
            // New signed heads are the community's own word that it synced, whichever
            // hub they came through.
            self.hub.mark_seen(community, now);
            // The hub above wants the new signed heads too.
            let _ = self.hub.changes.send(DocId::Community(community));
        }
        Ok(AttestOutcome::Kept)
    }

    fn docs_in(&mut self, scope: &Scope) -> Vec<DocId> {
        match scope {
            Scope::Community(code) => vec![DocId::Community(*code)],
            Scope::Region(prefix) => self.hub.communities_in(prefix),
        }
    }

    fn roster_for(&mut self, peer: &PublicKey) -> Option<Vec<u8>> {
        match self.hub.store.enrollment(peer) {
            Ok(Some(enrollment))
                if enrollment.revoked.is_none()
                    && matches!(enrollment.role, EnrolledRole::Hub { .. }) =>
            {
                match self.hub.signed_roster(self.hub.clock().now()) {
                    Ok(roster) => Some(roster),
                    Err(error) => {
                        tracing::warn!("cannot sign the roster for {}: {error}", peer.short());
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn receive_roster(&mut self, peer: &PublicKey, roster: &[u8]) -> Result<(), HostError> {
        if !self.upstream {
            return Err(HostError::Forbidden(
                "only the hub above may send this hub a roster".to_owned(),
            ));
        }
        self.hub
            .install_roster(peer, roster)
            .map_err(|error| match error {
                HubError::Store(error) => HostError::Storage(error.to_string()),
                other => HostError::Forbidden(other.to_string()),
            })
    }

    fn end(&mut self, peer: &PublicKey) {
        let mut state = self.hub.lock();
        for ((key, _), sync_state) in state.sync_states.iter_mut() {
            if key == peer {
                *sync_state = sync::State::decode(&sync_state.encode()).unwrap_or_default();
            }
        }
    }
}

/// Applies a sync message to the cached document and appends what it brought to the
/// store. On error, says whether the cached copy must be dropped and reloaded.
fn apply_message(
    hub: &Hub,
    document: &mut AutoCommit,
    sync_state: &mut sync::State,
    doc: &DocId,
    message: sync::Message,
    access: Access,
    now: Timestamp,
) -> Result<bool, (HostError, bool)> {
    let before = document.get_heads();
    if access == Access::ReadOnly {
        // A read-only peer's message is tried on a copy: the city document is small,
        // and a refused change must leave nothing behind.
        let mut trial = document.clone();
        trial
            .sync()
            .receive_sync_message(sync_state, message)
            .map_err(|error| (HostError::Invalid(error.to_string()), false))?;
        if trial.get_heads() != before {
            return Err((
                HostError::Forbidden(format!(
                    "{doc} is written by the hub only; this node may not change it"
                )),
                false,
            ));
        }
        return Ok(false);
    }
    document
        .sync()
        .receive_sync_message(sync_state, message)
        .map_err(|error| (HostError::Invalid(error.to_string()), true))?;
    if document.get_heads() == before {
        return Ok(false);
    }
    let bytes = document.save_after(&before);
    hub.store
        .append_chunk(stored(*doc), &bytes, now)
        .map_err(|error| (storage(error.into()), true))?;
    // A large batch (a first sync brings a community's whole history) is folded into
    // one full save at once: automerge loads a saved document several times faster than
    // it applies the same history change by change, and after a restart every
    // reconnecting node's document is loaded.
    if bytes.len() > COMPACT_BATCH_BYTES
        || hub.store.chunk_count(stored(*doc)).unwrap_or(0) > COMPACT_AFTER
    {
        let full = document.save();
        if let Err(error) = hub.store.compact(stored(*doc), &full) {
            tracing::warn!("compacting {doc} failed (the chunks stay): {error}");
        }
    }
    Ok(true)
}

/// Why signed heads of `community` by `signer` are refused, when `current` (if any) is
/// the community's key: the roster says whether the signer was revoked, and when.
fn refusal_of_signer(
    community: CommunityCode,
    signer: &PublicKey,
    enrollment: Option<&crate::store::Enrollment>,
    current: Option<&PublicKey>,
) -> String {
    match (enrollment, current) {
        (Some(enrollment), _) if enrollment.revoked.is_some() => {
            let revocation = enrollment.revoked.as_ref().map_or_else(String::new, |r| {
                format!(" on {} ({})", r.at.display_in_shanghai(), r.reason)
            });
            format!(
                "signed heads of community {community} are by key {}, which was revoked at the city{revocation}: its data stays, flagged; the community syncs attested again once the city enrolls its node's new key",
                signer.short()
            )
        }
        (_, Some(current)) => format!(
            "signed heads of community {community} are by key {}, not by its enrolled key {}: they are not kept",
            signer.short(),
            current.short()
        ),
        (_, None) => format!(
            "signed heads of community {community}, which has no key enrolled at the city: enroll its node's key at the city hub (wishtree-hub enroll --community {community} KEY)"
        ),
    }
}

/// The store's name of a document.
pub fn stored(doc: DocId) -> StoredDoc {
    match doc {
        DocId::Community(code) => StoredDoc::Community(code),
        DocId::City => StoredDoc::City,
    }
}

fn load_doc(doc: DocId, bytes: &[u8]) -> Result<AutoCommit, HubError> {
    AutoCommit::load(bytes).map_err(|error| HubError::Damaged {
        doc,
        reason: error.to_string(),
    })
}

fn storage(error: HubError) -> HostError {
    HostError::Storage(error.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_change_is_offered_only_to_the_sessions_that_sync_its_document() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
        let hub = Hub::new(
            store,
            KeyPair::from_secret([9; 32]),
            "1309".parse().unwrap(),
            Arc::new(Metrics::new()),
            HubOptions::default(),
        )
        .unwrap();
        let first = DocId::Community("130903001001".parse().unwrap());
        let second = DocId::Community("130903001002".parse().unwrap());
        let (to_first, mut first_events) = mpsc::unbounded_channel();
        hub.follow(&[first, DocId::City], &to_first);
        let (to_second, mut second_events) = mpsc::unbounded_channel();
        hub.follow(&[second, DocId::City], &to_second);

        hub.changed(first);
        hub.changed(DocId::City);
        let offered = |events: &mut mpsc::UnboundedReceiver<Event>| {
            let mut docs = Vec::new();
            while let Ok(Event::Changed(doc)) = events.try_recv() {
                docs.push(doc);
            }
            docs
        };
        assert_eq!(offered(&mut first_events), [first, DocId::City]);
        assert_eq!(offered(&mut second_events), [DocId::City]);

        // A session that ended is forgotten at the next change.
        drop(second_events);
        hub.changed(DocId::City);
        let followers = hub.followers.lock().unwrap();
        assert_eq!(followers[&DocId::City].len(), 1);
    }
}
