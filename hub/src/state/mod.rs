//! The hub's state, shared by every connection: the documents it merges (a bounded
//! cache over its store), automerge's sync state per peer and document, the roster, the
//! city document and the change broadcast.
//!
//! [`Hub`] keeps recently used documents in memory within a bound
//! ([`HubOptions::cached_docs`]) and loads the rest from the store on demand (a loaded
//! document costs about 8 times its saved size in RAM, DESIGN §6), each document
//! behind a lock of its own, so that different communities merge at once. The sync
//! sessions drive it through [`crate::sync::HubHost`].
//!
//! The hub never edits a community's document, it merges; the only document it writes
//! is the city document ([`Hub::execute_city`]).

mod changes;
mod city;
mod documents;
mod inbox;
mod roster;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use automerge::AutoCommit;
use tokio::sync::{Notify, broadcast, mpsc};
use wishtree_protocol::city::CityDoc;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::sync::Event;
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

use crate::clock::Clock;
use crate::figure_store::FigureStore;
use crate::metrics::Metrics;
use crate::quota::{QuotaBook, Quotas};
use crate::store::{HubStore, SqliteStore, StoreError, StoredDoc};
use documents::DocSlot;
pub(crate) use documents::Locked;
use roster::roster_version_of;

/// Compaction folds a document's chunks into one save when it has this many.
pub(crate) const COMPACT_AFTER: usize = 64;
/// Or when one batch of changes is this large.
pub(crate) const COMPACT_BATCH_BYTES: usize = 4096;

/// Limits of a running hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Documents kept in memory; the least recently used beyond this are dropped
    /// (they are all in the store).
    pub cached_docs: usize,
    /// What one community's node may put into this hub ([`crate::quota`]).
    pub quotas: Quotas,
    /// The clock of the sessions, the accept loop, the upstream link and the dashboard.
    pub clock: Clock,
}

impl Default for HubOptions {
    fn default() -> Self {
        Self {
            cached_docs: 4096,
            quotas: Quotas::default(),
            clock: Clock::system(),
        }
    }
}

/// The hub's documents and sync state, shared by every session. See the module doc.
#[derive(Debug)]
pub struct Hub {
    /// What the hub remembers: documents, roster, sync state (SQLite, or PostgreSQL
    /// shared with other hub processes).
    store: Arc<dyn HubStore>,
    /// The data directory's SQLite file: with no other store, `store` itself.
    local: Arc<SqliteStore>,
    /// Where the figures are derived into: `local`, or PostgreSQL shared with the hub's
    /// other processes.
    figures: FigureStore,
    key: KeyPair,
    city: RegionPrefix,
    metrics: Arc<Metrics>,
    options: HubOptions,
    /// Every document's slot, each behind its own lock (see `documents.rs`); this map
    /// is locked only to find or add a slot.
    slots: Mutex<HashMap<DocId, Arc<Mutex<DocSlot>>>>,
    /// Documents in memory, against [`HubOptions::cached_docs`].
    loaded_docs: AtomicUsize,
    /// A counter for least-recently-used eviction.
    use_clock: AtomicU64,
    /// Documents that changed, for whoever subscribes.
    pub(crate) changes: broadcast::Sender<DocId>,
    /// The roster's version (the time of its latest enrolment or revocation), for the
    /// sessions of district hubs, which get each new roster.
    roster_version: tokio::sync::watch::Sender<i64>,
    /// The sessions to tell of a change, per document (live push). Only the sessions
    /// that sync a document are woken by its changes: one broadcast to every session
    /// woke all of them for each change, quadratic work when a city's nodes sync at once.
    followers: Mutex<HashMap<DocId, Vec<mpsc::UnboundedSender<Event>>>>,
    /// Communities whose figures are stale, for the refresh worker.
    pub(crate) dirty: Mutex<HashSet<CommunityCode>>,
    /// What each community's figure rows were last derived from, so that the next
    /// re-derivation reads only what changed since (`figures/refresh.rs`); empty at
    /// start, when every community is re-derived whole.
    pub(crate) derived_from: Mutex<HashMap<CommunityCode, crate::figures::DerivedFrom>>,
    /// Communities whose nodes connected, and when, for the refresh worker.
    pub(crate) seen: Mutex<HashMap<CommunityCode, Timestamp>>,
    /// The city document changed since its figure rows (the campaigns) were derived;
    /// true at start, so that every start derives them once.
    pub(crate) city_dirty: AtomicBool,
    /// The heads of the city document as this process last stored or read it, sorted:
    /// a write by another process (the `city` command) shows as stored heads that
    /// differ, whether or not the document was in memory yet.
    pub(crate) city_heads: Mutex<Vec<automerge::ChangeHash>>,
    pub(crate) dirty_notify: Notify,
    /// The current session of each peer, by number (see [`Hub::open_session`]): a peer's
    /// sync states are one per document, so only one session of a peer may use them.
    sessions: Mutex<HashMap<PublicKey, u64>>,
    /// The last session number given.
    session_counter: AtomicU64,
    /// The documents each peer has a sync state in, so that a new session of the peer
    /// resets those and does not visit every document of the city.
    states_of: Mutex<HashMap<PublicKey, HashSet<DocId>>>,
    /// Each community's quota bucket, and the merges refused past a bound.
    quota_book: QuotaBook,
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

impl Hub {
    /// The hub of `city`, over `store`, its data directory's SQLite file. The city
    /// document is created from its genesis the first time.
    pub fn new(
        store: Arc<SqliteStore>,
        key: KeyPair,
        city: RegionPrefix,
        metrics: Arc<Metrics>,
        options: HubOptions,
    ) -> Result<Arc<Hub>, HubError> {
        let shared: Arc<dyn HubStore> = Arc::clone(&store) as Arc<dyn HubStore>;
        let figures = FigureStore::Local(Arc::clone(&store));
        Self::with_stores(shared, figures, store, key, city, metrics, options)
    }

    /// The hub of `city` over `store` (e.g. PostgreSQL, which other hub processes may
    /// share), deriving its figures into `figures` (the same PostgreSQL, or `local`,
    /// its data directory's SQLite file).
    pub fn with_stores(
        store: Arc<dyn HubStore>,
        figures: FigureStore,
        local: Arc<SqliteStore>,
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
        let city_heads = {
            let bytes = store.doc_bytes(StoredDoc::City)?.unwrap_or_default();
            let mut heads = load_doc(DocId::City, &bytes)?.get_heads();
            heads.sort();
            heads
        };
        let (changes, _) = broadcast::channel(1024);
        let (roster_version, _) = tokio::sync::watch::channel(roster_version_of(store.as_ref())?);
        Ok(Arc::new(Hub {
            quota_book: QuotaBook::new(options.quotas),
            roster_version,
            store,
            local,
            figures,
            key,
            city,
            metrics,
            options,
            slots: Mutex::new(HashMap::new()),
            loaded_docs: AtomicUsize::new(0),
            use_clock: AtomicU64::new(0),
            changes,
            followers: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            session_counter: AtomicU64::new(0),
            states_of: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashSet::new()),
            seen: Mutex::new(HashMap::new()),
            derived_from: Mutex::new(HashMap::new()),
            city_dirty: AtomicBool::new(true),
            city_heads: Mutex::new(city_heads),
            dirty_notify: Notify::new(),
        }))
    }

    /// The communities' quotas and the merges they refused.
    pub fn quota_book(&self) -> &QuotaBook {
        &self.quota_book
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
    pub fn store(&self) -> &Arc<dyn HubStore> {
        &self.store
    }

    /// The data directory's SQLite file (the store itself, when there is no other).
    pub fn local(&self) -> &Arc<SqliteStore> {
        &self.local
    }

    /// Where the figures are derived into and read from.
    pub fn figures(&self) -> &FigureStore {
        &self.figures
    }

    /// The hub's clock.
    pub fn clock(&self) -> &Clock {
        &self.options.clock
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// The store's name of a document.
pub fn stored(doc: DocId) -> StoredDoc {
    match doc {
        DocId::Community(code) => StoredDoc::Community(code),
        DocId::City => StoredDoc::City,
        DocId::Inbox(code) => StoredDoc::Inbox(code),
    }
}

pub(crate) fn load_doc(doc: DocId, bytes: &[u8]) -> Result<AutoCommit, HubError> {
    AutoCommit::load(bytes).map_err(|error| HubError::Damaged {
        doc,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A hub of city 1309 over a fresh SQLite store in `dir`.
    fn hub_in(dir: &tempfile::TempDir, options: HubOptions) -> Arc<Hub> {
        let store = Arc::new(SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
        Hub::new(
            store,
            KeyPair::from_secret([9; 32]),
            "1309".parse().unwrap(),
            Arc::new(Metrics::new()),
            options,
        )
        .unwrap()
    }

    #[test]
    fn a_change_is_offered_only_to_the_sessions_that_sync_its_document() {
        let dir = tempfile::tempdir().unwrap();
        let hub = hub_in(&dir, HubOptions::default());
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

    #[test]
    fn the_cache_stays_within_its_bound_and_drops_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let hub = hub_in(
            &dir,
            HubOptions {
                cached_docs: 16,
                ..HubOptions::default()
            },
        );
        let community = |index: usize| -> DocId {
            DocId::Community(format!("130903001{:03}", index + 1).parse().unwrap())
        };
        let peer = KeyPair::from_secret([7; 32]).public();
        for index in 0..100 {
            hub.with_doc(community(index), |locked| {
                locked.doc_and_sync_state(&peer)?;
                Ok::<_, HubError>(())
            })
            .unwrap();
            let loaded = hub.loaded_docs.load(std::sync::atomic::Ordering::Relaxed);
            assert!(loaded <= 16 + 1, "{loaded} documents held after {index}");
        }
        // The most recent ones are held, the first ones were dropped.
        assert!(hub.is_held(community(99)) && hub.is_held(community(98)));
        assert!(!hub.is_held(community(0)) && !hub.is_held(community(50)));
        // A new session of the peer resets its states in the documents it synced,
        // whether or not they are still in memory, and no other slot is made.
        let slots_before = hub.slots().len();
        hub.open_session(&peer);
        assert_eq!(hub.slots().len(), slots_before);
        assert_eq!(hub.lock_states_of()[&peer].len(), 100);
    }
}
