//! The replica: the community document, the city document, the store and the node's
//! key, kept in step so that what is in memory is what is on disk.
//!
//! Every change to a document — a local command, changes received by sync, an
//! import — is written to the store as a chunk in one SQLite transaction before the
//! call returns; a local command's transaction also holds the node's signed heads and
//! the personal data that came with it. If the transaction fails, the documents are
//! reloaded from the store, so a failed write leaves no trace in memory either.
//!
//! **Sharing.** A `Replica` is one value with `&mut self` methods. The HTTP handlers,
//! the web UI and the sync client share it as [`SharedReplica`]
//! (`Arc<tokio::sync::Mutex<Replica>>`). Its methods do blocking SQLite work (a commit
//! waits for the disk), so async code calls them from `tokio::task::spawn_blocking`
//! with `blocking_lock()`, and holds the lock only for one call — see
//! [`crate::http`] for the pattern.
//!
//! **One process per data directory.** `Replica::open` takes an exclusive lock on
//! `node.lock`: a second writer would not see the first one's changes in memory and
//! its compaction could drop them. Read-only opens (`status`, `export`, `backup`
//! beside a running node) take no lock and cannot write.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use automerge::{AutoCommit, ChangeHash};
use tokio::sync::watch;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::city::{CityDoc, CityView};
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::doc::DocError;
use wishtree_protocol::id::{MemberId, VolunteerId, WishId};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::model::{Actor, Member, Volunteer, Wish};
use wishtree_protocol::report::{ReportError, SealedReport};
use wishtree_protocol::seal::SignedSeal;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, HalfYear, Timestamp};

mod batch;
mod bundle;
mod compact;
mod encryption;
mod load;
mod open;
mod status;
mod sync;

use self::batch::Batch;
pub use self::batch::GroupCommit;
pub use self::bundle::{BundleExportError, BundleOptions, ExportedBundle};
use self::load::{load_city, load_community, load_inbox};
pub use self::open::{HubLevel, HubSettings, InitOptions, OpenError};
pub use self::status::{ChunkCounts, Counts, NodeStatus, SyncStatus};
use self::sync::sorted_heads;
pub use self::sync::{ReceiveError, Received};
use crate::metrics::WriteMetrics;
use crate::store::{DocName, MemberPrivate, ResidentPrivate, Store, StoreError, VolunteerPrivate};

/// The database inside a node's data directory.
pub const DATABASE_FILE: &str = "node.sqlite";

/// The key file inside a node's data directory.
pub const KEY_FILE: &str = "node.key";

/// The new key of a rotation in progress, renamed over [`KEY_FILE`] when it is done.
pub const ROTATED_KEY_FILE: &str = "node.key.new";

/// The lock file that keeps a second process out of a data directory.
pub const LOCK_FILE: &str = "node.lock";

/// A document with this many chunks is folded into one full save.
pub const COMPACT_AFTER_CHUNKS: usize = 1000;

/// The worker name used when none was set at init.
pub const DEFAULT_WORKER: &str = "社区工作者";

/// The names of the settings the node keeps.
pub mod setting {
    /// The 12-digit community code.
    pub const COMMUNITY_CODE: &str = "community_code";
    /// The community name given at init.
    pub const COMMUNITY_NAME: &str = "community_name";
    /// The node's secret key, 64 hex digits (a copy of the key file, so that a backup
    /// restores the node's identity).
    pub const NODE_SECRET: &str = "node_secret";
    /// The node's public key, as text.
    pub const NODE_KEY: &str = "node_key";
    /// The hub's address, `host:port`.
    pub const HUB_ADDRESS: &str = "hub_address";
    /// The hub's public key, as text.
    pub const HUB_KEY: &str = "hub_key";
    /// Whether the hub is the city's or a district's (`city`, `district`).
    pub const HUB_LEVEL: &str = "hub_level";
    /// The hub's web address for phones (e.g. `https://hub.example.cn`), which member
    /// cards link to; unset, a card's link is its path alone.
    pub const HUB_WEB: &str = "hub_web";
    /// The hash of the UI password (see `crate::password`).
    pub const PASSWORD_HASH: &str = "password_hash";
    /// The name the node's worker signs lifecycle events with.
    pub const WORKER_NAME: &str = "worker_name";
    /// When the node was created, in ms.
    pub const CREATED_AT: &str = "created_at";
    /// The seq of the last bundle the node issued (`export --bundle`).
    pub const BUNDLE_SEQ: &str = "bundle_seq";
    /// The hash of the last bundle the node issued, 64 hex digits: the next bundle's
    /// `previous`.
    pub const BUNDLE_PREVIOUS: &str = "bundle_previous";
    /// The seed of the node's X25519 encryption key, 64 hex digits (`encryption.rs`).
    pub const ENCRYPTION_SEED: &str = "encryption_seed";
}

/// The replica shared by the HTTP handlers, the UI and the sync client.
pub type SharedReplica = Arc<tokio::sync::Mutex<Replica>>;

/// A community node's replica; see the module doc.
pub struct Replica {
    data_dir: PathBuf,
    store: Store,
    code: CommunityCode,
    doc: CommunityDoc,
    /// The city document, from its genesis (derived from the city's code, the first
    /// four digits of the community's) plus what the hub sent.
    city: CityDoc,
    /// The community's inbox as the hub sent it (empty until it sends one): read-only
    /// here, applied to the community document by [`Replica::apply_inbox`].
    inbox: AutoCommit,
    key: KeyPair,
    worker: Actor,
    hub: Option<HubSettings>,
    /// The heads the stored chunks of each document cover.
    community_saved: Vec<ChangeHash>,
    city_saved: Vec<ChangeHash>,
    inbox_saved: Vec<ChangeHash>,
    community_chunks: usize,
    city_chunks: usize,
    inbox_chunks: usize,
    compact_after: usize,
    attestation_seq: u64,
    view: Option<(Vec<ChangeHash>, Arc<CommunityView>)>,
    sync_states: HashMap<(PublicKey, DocName), automerge::sync::State>,
    hub_link: HubLink,
    pending_cache: Option<(Vec<ChangeHash>, Vec<ChangeHash>, usize)>,
    changes: watch::Sender<ChangeNotice>,
    write_metrics: WriteMetrics,
    is_poisoned: bool,
    /// The writes of a group commit not yet flushed ([`GroupCommit`]).
    batch: Option<Batch>,
    /// Held for the life of the replica; the OS releases it if the process dies.
    _lock: Option<File>,
}

/// Personal data that travels with a command and is stored in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateRecord {
    /// A member's address and phone.
    Member {
        /// The member.
        id: MemberId,
        /// The data.
        data: MemberPrivate,
    },
    /// A resident's real name and phone, for their wish.
    Resident {
        /// The wish.
        wish: WishId,
        /// The data.
        data: ResidentPrivate,
    },
    /// A volunteer's real name and phone.
    Volunteer {
        /// The volunteer.
        id: VolunteerId,
        /// The data.
        data: VolunteerPrivate,
    },
}

/// What a committed command left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The change it made; `None` if the command changed nothing in the document.
    pub change: Option<ChangeHash>,
    /// The heads of the community document after it, sorted.
    pub heads: Vec<ChangeHash>,
    /// The node's signature over those heads, if the heads moved.
    pub attestation: Option<SignedHeads>,
}

/// Sent on the watch of [`Replica::subscribe`] after every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeNotice {
    /// The heads of the community document, sorted.
    pub heads: Vec<ChangeHash>,
    /// Local commits since the process started.
    pub local_commits: u64,
    /// Batches of changes received from elsewhere since the process started (either
    /// document).
    pub remote_batches: u64,
}

/// Why the hub's web address was not taken.
#[derive(Debug, thiserror::Error)]
pub enum HubWebError {
    /// Not `http://` or `https://`.
    #[error(
        "the hub's web address must start with https:// (or http://), e.g. https://hub.example.cn"
    )]
    Scheme,
    /// Empty, too long, or with spaces, `#`, `?`, quotes or angle brackets.
    #[error("the hub's web address has no host, or characters an address cannot have")]
    Host,
    /// The setting could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a command was not committed. In every case nothing was stored and the
/// replica is as it was before the call.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The command was refused by the domain rules.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The store failed; the documents were reloaded from it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Personal data given for an entity that does not exist.
    #[error("there is no {kind} {id} to keep personal data for")]
    NoSuchEntity {
        /// What kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// An earlier store failure could not be recovered from.
    #[error("{0}")]
    Poisoned(String),
}

impl Replica {
    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether this replica holds its data directory's lock (opened to write, not
    /// beside a running node).
    pub fn holds_lock(&self) -> bool {
        self._lock.is_some()
    }

    /// The community the node serves.
    pub fn code(&self) -> CommunityCode {
        self.code
    }

    /// The node's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// The node's key pair, for the sync client's TLS identity.
    pub fn key_pair(&self) -> &KeyPair {
        &self.key
    }

    /// The hub, if one is configured.
    pub fn hub(&self) -> Option<&HubSettings> {
        self.hub.as_ref()
    }

    /// The actor lifecycle events of the node's worker carry.
    pub fn worker(&self) -> &Actor {
        &self.worker
    }

    /// The store, for reads the replica does not wrap (settings, private rows).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The community document, for reads.
    pub fn doc(&self) -> &CommunityDoc {
        &self.doc
    }

    /// The city document: its genesis and whatever the hub has sent. The node never
    /// writes it.
    pub fn city_doc(&self) -> &CityDoc {
        &self.city
    }

    /// The derived state of the city document (empty until the hub sends it).
    pub fn city_view(&self) -> Result<CityView, DocError> {
        self.city.view()
    }

    /// The heads of the community document, sorted.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.heads()
    }

    /// The seq of the node's latest signed heads.
    pub fn attestation_seq(&self) -> u64 {
        self.attestation_seq
    }

    /// The node's latest signed heads.
    pub fn last_attestation(&self) -> Result<Option<SignedHeads>, StoreError> {
        self.store.last_attestation(self.code, self.key.public())
    }

    /// The derived state of the community document, computed once per heads.
    pub fn view(&mut self) -> Result<Arc<CommunityView>, DocError> {
        let heads = self.doc.heads();
        if let Some((cached, view)) = &self.view
            && *cached == heads
        {
            return Ok(Arc::clone(view));
        }
        let view = Arc::new(CommunityView::derive(&self.doc)?);
        self.view = Some((heads, Arc::clone(&view)));
        Ok(view)
    }

    /// Closes `period`: signs the document's heads as they are now and writes the
    /// seal ([`Command::SealPeriod`]), stored and announced as any write. Refused
    /// before the period is over by the node's clock, and once it is sealed.
    pub fn seal(&mut self, period: HalfYear, now: Timestamp) -> Result<Committed, ExecuteError> {
        let heads = self.doc.heads();
        let seal = SignedSeal::sign(&self.key, self.code, period, &heads, now);
        self.execute(&Command::SealPeriod { seal }, now)
    }

    /// `member`'s report for `period`, from the sealed state if the period is sealed,
    /// with the seal checked against this node's key and the late amendments.
    pub fn sealed_report(
        &mut self,
        member: MemberId,
        period: HalfYear,
    ) -> Result<SealedReport, ReportError> {
        let view = self
            .view()
            .map_err(|error| ReportError::Doc(error.to_string()))?;
        let own = self.key.public();
        SealedReport::compute(&mut self.doc, &view, member, period, |signer| {
            *signer == own
        })
    }

    /// A watch that changes after every local commit and every batch of changes
    /// received; the sync client pushes on it, pages can refresh on it.
    pub fn subscribe(&self) -> watch::Receiver<ChangeNotice> {
        self.changes.subscribe()
    }

    /// Applies a command as the node's worker, stores it and signs the new heads; see
    /// [`Replica::execute_as`].
    pub fn execute(
        &mut self,
        command: &Command,
        now: Timestamp,
    ) -> Result<Committed, ExecuteError> {
        let worker = self.worker.clone();
        self.execute_as(command, &worker, None, now)
    }

    /// Applies a command with the personal data that belongs to it; see
    /// [`Replica::execute_as`].
    pub fn execute_with_private(
        &mut self,
        command: &Command,
        private: &PrivateRecord,
        now: Timestamp,
    ) -> Result<Committed, ExecuteError> {
        let worker = self.worker.clone();
        self.execute_as(command, &worker, Some(private), now)
    }

    /// Applies a command written by `worker`, then in one SQLite transaction stores
    /// the change as a chunk, the node's signature over the new heads (with the next
    /// seq) and `private`. Returns only after that transaction is on disk — except
    /// inside a batch ([`GroupCommit`]), where the change is stored and signed with the
    /// rest of the batch, `attestation` is `None`, and the caller is answered only
    /// after the flush.
    pub fn execute_as(
        &mut self,
        command: &Command,
        worker: &Actor,
        private: Option<&PrivateRecord>,
        now: Timestamp,
    ) -> Result<Committed, ExecuteError> {
        let started = Instant::now();
        // Every way a write can end is timed and counted, so the body is one closure.
        let mut apply_and_persist = || -> Result<Committed, ExecuteError> {
            self.check_usable().map_err(ExecuteError::Poisoned)?;
            if self.store.is_read_only() {
                return Err(ExecuteError::Store(StoreError::ReadOnly {
                    path: self.store.path().display().to_string(),
                }));
            }
            self.doc.apply(command, worker, now)?;
            // The target of personal data is checked before the change is committed,
            // so that a refusal drops the pending operations alone: a reload from the
            // store would also drop the earlier writes of a batch not yet flushed.
            if let Some(private) = private
                && let Err(error) = self.check_private_target(private)
            {
                self.doc.rollback();
                return Err(error);
            }
            let change = self.doc.commit(now);
            if let Some(batch) = &mut self.batch {
                // Stored, signed and announced when the batch is flushed.
                batch.add(change.is_some(), private.cloned(), started);
                return Ok(Committed {
                    change,
                    heads: self.doc.heads(),
                    attestation: None,
                });
            }
            let committed = match self.persist_local(private, now) {
                Ok((heads, attestation)) => Committed {
                    change,
                    heads,
                    attestation,
                },
                Err(error) => {
                    self.reload_after_failure();
                    return Err(error.into());
                }
            };
            if change.is_some() {
                self.changes.send_modify(|notice| {
                    notice.heads = committed.heads.clone();
                    notice.local_commits += 1;
                });
                self.compact_if_due(DocName::Community);
            }
            Ok(committed)
        };
        let result = apply_and_persist();
        // A batched write is on disk only when its batch is flushed, and counted then.
        if result.is_err() || self.batch.is_none() {
            self.write_metrics.record(&result, started.elapsed());
        }
        result
    }

    /// Sets the hub's web address that member cards link to: `http://` or `https://`
    /// and a host, nothing after the host but a path.
    pub fn set_hub_web(&mut self, web: &str) -> Result<(), HubWebError> {
        let web = web.trim().trim_end_matches('/');
        let host = web
            .strip_prefix("https://")
            .or_else(|| web.strip_prefix("http://"))
            .ok_or(HubWebError::Scheme)?;
        if host.is_empty()
            || host.len() > 200
            || host.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '#' | '?' | '"' | '<' | '>')
            })
        {
            return Err(HubWebError::Host);
        }
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::HUB_WEB, web)?;
        transaction.commit()?;
        Ok(())
    }

    /// What the replica counts of its writes, for `/metrics`.
    pub fn write_metrics(&self) -> &WriteMetrics {
        &self.write_metrics
    }

    /// Stores personal data for an existing member or wish, without a document change.
    pub fn put_private(&mut self, record: &PrivateRecord) -> Result<(), ExecuteError> {
        self.check_usable().map_err(ExecuteError::Poisoned)?;
        self.check_private_target(record)?;
        if let Some(batch) = &mut self.batch {
            batch.add(false, Some(record.clone()), Instant::now());
            return Ok(());
        }
        let transaction = self.store.transaction()?;
        write_private(&transaction, record)?;
        transaction.commit()?;
        Ok(())
    }

    /// A member's personal data (what a batch not yet flushed holds for them first,
    /// so that a write's answer shows what it wrote).
    pub fn member_private(&self, id: MemberId) -> Result<Option<MemberPrivate>, StoreError> {
        self.private_of(
            |record| match record {
                PrivateRecord::Member { id: member, data } if *member == id => Some(data.clone()),
                _ => None,
            },
            |store| store.member_private(id),
        )
    }

    /// A resident's personal data, by their wish (a batch's first, as for members).
    pub fn resident_private(&self, wish: WishId) -> Result<Option<ResidentPrivate>, StoreError> {
        self.private_of(
            |record| match record {
                PrivateRecord::Resident { wish: of, data } if *of == wish => Some(data.clone()),
                _ => None,
            },
            |store| store.resident_private(wish),
        )
    }

    /// A volunteer's personal data (a batch's first, as for members).
    pub fn volunteer_private(
        &self,
        id: VolunteerId,
    ) -> Result<Option<VolunteerPrivate>, StoreError> {
        self.private_of(
            |record| match record {
                PrivateRecord::Volunteer { id: of, data } if *of == id => Some(data.clone()),
                _ => None,
            },
            // A community has tens of volunteers: reading them all is one small query.
            |store| Ok(store.volunteers_private()?.remove(&id)),
        )
    }

    /// Personal data as a batch not yet flushed holds it (`batched` picks it out),
    /// else as the store does.
    fn private_of<T>(
        &self,
        batched: impl Fn(&PrivateRecord) -> Option<T>,
        stored: impl FnOnce(&Store) -> Result<Option<T>, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self.batched_private().find_map(batched) {
            Some(data) => Ok(Some(data)),
            None => stored(&self.store),
        }
    }

    /// Stores what the community document holds beyond its stored heads, signing the
    /// new heads, with `private`, in one transaction.
    fn persist_local<'a>(
        &mut self,
        private: impl IntoIterator<Item = &'a PrivateRecord>,
        now: Timestamp,
    ) -> Result<(Vec<ChangeHash>, Option<SignedHeads>), StoreError> {
        let heads = self.doc.heads();
        let (chunk, attestation) = if heads != self.community_saved {
            let chunk = self.doc.save_after(&self.community_saved);
            let signed =
                SignedHeads::sign(&self.key, self.code, &heads, self.attestation_seq + 1, now);
            (chunk, Some(signed))
        } else {
            (Vec::new(), None)
        };
        let transaction = self.store.transaction()?;
        if !chunk.is_empty() {
            transaction.append_chunk(DocName::Community, &chunk)?;
        }
        if let Some(signed) = &attestation {
            transaction.put_attestation(signed)?;
        }
        for private in private {
            write_private(&transaction, private)?;
        }
        transaction.commit()?;
        if !chunk.is_empty() {
            self.community_chunks += 1;
        }
        if let Some(signed) = &attestation {
            self.attestation_seq = signed.seq;
        }
        self.community_saved = heads.clone();
        Ok((heads, attestation))
    }

    fn check_private_target(&self, record: &PrivateRecord) -> Result<(), ExecuteError> {
        let (exists, kind, id) = match record {
            PrivateRecord::Member { id, .. } => (
                self.doc.contains::<Member>(*id),
                MemberId::KIND,
                id.to_string(),
            ),
            PrivateRecord::Resident { wish, .. } => (
                self.doc.contains::<Wish>(*wish),
                WishId::KIND,
                wish.to_string(),
            ),
            PrivateRecord::Volunteer { id, .. } => (
                self.doc.contains::<Volunteer>(*id),
                VolunteerId::KIND,
                id.to_string(),
            ),
        };
        if exists.map_err(CommandError::from)? {
            return Ok(());
        }
        Err(ExecuteError::NoSuchEntity { kind, id })
    }

    /// Puts memory back in step with the store after a failed write: the documents
    /// are loaded again, with a new actor id so that no sequence number of the
    /// dropped change is ever reused.
    fn reload_after_failure(&mut self) {
        self.view = None;
        self.pending_cache = None;
        let reloaded = random_bytes().and_then(|actor| {
            let community = load_community(&self.store, self.code, actor)?;
            let city = load_city(&self.store, self.code, actor)?;
            Ok((community, city, load_inbox(&self.store)?))
        });
        match reloaded {
            Ok(((doc, community_chunks), (mut city, city_chunks), (mut inbox, inbox_chunks))) => {
                self.doc = doc;
                self.community_saved = self.doc.heads();
                self.community_chunks = community_chunks;
                self.city_saved = sorted_heads(city.automerge_mut());
                self.city = city;
                self.city_chunks = city_chunks;
                self.inbox_saved = sorted_heads(&mut inbox);
                self.inbox = inbox;
                self.inbox_chunks = inbox_chunks;
            }
            Err(error) => {
                tracing::error!("after a failed write the store cannot be read again: {error}");
                self.is_poisoned = true;
            }
        }
    }

    fn check_usable(&self) -> Result<(), String> {
        if self.is_poisoned {
            return Err(
                "an earlier write failed and the database could not be read again; restart the node"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// What the replica knows of the hub's side.
#[derive(Debug, Clone, Default)]
struct HubLink {
    connected: bool,
    connecting: bool,
    /// When `connected` last changed.
    since: Option<Timestamp>,
    last_synced_at: Option<Timestamp>,
    heads: Vec<ChangeHash>,
    problem: Option<String>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The documents are left out: their debug form runs to megabytes.
        f.debug_struct("Replica")
            .field("data_dir", &self.data_dir)
            .field("code", &self.code)
            .field("key", &self.key)
            .field("heads", &self.community_saved)
            .field("chunks", &self.chunk_counts())
            .field("attestation_seq", &self.attestation_seq)
            .field("is_read_only", &self.store.is_read_only())
            .finish_non_exhaustive()
    }
}

fn write_private(
    transaction: &crate::store::StoreTransaction<'_>,
    record: &PrivateRecord,
) -> Result<(), StoreError> {
    match record {
        PrivateRecord::Member { id, data } => transaction.put_member_private(*id, data),
        PrivateRecord::Resident { wish, data } => transaction.put_resident_private(*wish, data),
        PrivateRecord::Volunteer { id, data } => transaction.put_volunteer_private(*id, data),
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], OpenError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| OpenError::Random(error.to_string()))?;
    Ok(bytes)
}
