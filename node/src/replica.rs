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

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use tokio::sync::watch;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::city::{CityDoc, CityView};
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::doc::DocError;
use wishtree_protocol::id::{MemberId, WishId};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::model::{Actor, Member, Wish};
use wishtree_protocol::roster::{KeyRotation, SignedRotation};
use wishtree_protocol::text::Name;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionLevel, Timestamp};

use crate::identity::{self, IdentityError, create_key_file, read_key_file};
use crate::password::{self, PasswordError};
use crate::store::{
    DocName, MemberPrivate, RESTORE_ADVICE, ResidentPrivate, Store, StoreError, SyncPeer,
};

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
    key: KeyPair,
    worker: Actor,
    hub: Option<HubSettings>,
    /// The heads the stored chunks of each document cover.
    community_saved: Vec<ChangeHash>,
    city_saved: Vec<ChangeHash>,
    community_chunks: usize,
    city_chunks: usize,
    compact_after: usize,
    attestation_seq: u64,
    view: Option<(Vec<ChangeHash>, Arc<CommunityView>)>,
    sync_states: HashMap<(PublicKey, DocName), sync::State>,
    hub_link: HubLink,
    pending_cache: Option<(Vec<ChangeHash>, Vec<ChangeHash>, usize)>,
    changes: watch::Sender<ChangeNotice>,
    is_poisoned: bool,
    /// Held for the life of the replica; the OS releases it if the process dies.
    _lock: Option<File>,
}

/// What `init` needs to create a node.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The community the node serves.
    pub community: CommunityCode,
    /// The community's name.
    pub name: Name,
    /// The hub to sync with, if known yet.
    pub hub: Option<HubSettings>,
    /// The password that guards the node when it listens beyond localhost.
    pub password: Option<String>,
    /// The name lifecycle events of the node's worker carry.
    pub worker: Option<Name>,
}

/// Where the hub is and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// `host:port` of the hub's QUIC endpoint.
    pub address: String,
    /// The hub's key, pinned.
    pub key: PublicKey,
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

/// What changes received from elsewhere did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Whether the document changed.
    pub is_changed: bool,
    /// Its heads now, sorted.
    pub heads: Vec<ChangeHash>,
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

/// How the node stands with its hub: what the status bar shows. The sync client sets
/// the link's state (connecting, connected, lost and why) and feeds the hub's heads in
/// through [`Replica::receive_sync_message`]; the count is computed from those heads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    /// The hub's address, if one is configured.
    pub hub_address: Option<String>,
    /// The hub's key as text, if one is configured.
    pub hub_key: Option<String>,
    /// Whether a sync session with the hub is open now.
    pub hub_connected: bool,
    /// Whether the sync client is dialing the hub now (it is not connected then).
    pub hub_connecting: bool,
    /// Since when `hub_connected` has had its value: connected since, or disconnected
    /// since (the session was lost, or the sync client started without one). `None`
    /// while the sync client has not started.
    pub hub_since: Option<Timestamp>,
    /// When the hub last sent a sync message about the community document.
    pub last_synced_at: Option<Timestamp>,
    /// Changes of the community document the hub's last known heads do not cover.
    pub changes_not_at_hub: usize,
    /// Why the hub refused the node or cannot be reached, with what to do, as the sync
    /// client last reported it (e.g. "not enrolled at the hub").
    pub hub_problem: Option<String>,
}

/// The figures `status` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NodeStatus {
    /// Code and name.
    pub community: wishtree_protocol::model::Community,
    /// The node's key as text.
    pub node_key: String,
    /// The data directory.
    pub data_dir: String,
    /// The schema the community document declares.
    pub schema: u64,
    /// How many of each record.
    pub counts: Counts,
    /// The heads of the community document, as hex.
    pub heads: Vec<String>,
    /// The seq of the node's latest signed heads.
    pub attestation_seq: u64,
    /// Stored chunks of each document.
    pub chunks: ChunkCounts,
    /// How the node stands with its hub.
    pub sync: SyncStatus,
}

/// Record counts for `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Members.
    pub members: usize,
    /// Organisations.
    pub orgs: usize,
    /// Pairings.
    pub pairings: usize,
    /// Branches.
    pub branches: usize,
    /// Teams.
    pub teams: usize,
    /// Posts.
    pub posts: usize,
    /// Wishes.
    pub wishes: usize,
    /// Projects.
    pub projects: usize,
    /// Activities.
    pub activities: usize,
    /// Participations that count.
    pub participations: usize,
    /// Service records, voided ones included.
    pub services: usize,
    /// Passbook entries, voided ones included.
    pub passbook_entries: usize,
    /// Voids.
    pub voids: usize,
    /// Entities that could not be read.
    pub malformed: usize,
}

/// Stored chunks per document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChunkCounts {
    /// The community document.
    pub community: usize,
    /// The city document.
    pub city: usize,
}

/// What a changes bundle for the hub ([`Replica::export_bundle`]) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleOptions {
    /// The whole history, instead of the changes the hub's last known heads do not
    /// cover.
    pub is_whole_history: bool,
    /// How long the hub accepts it.
    pub valid_for: std::time::Duration,
}

/// A signed changes bundle, ready to be written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBundle {
    /// The bundle's bytes.
    pub bytes: Vec<u8>,
    /// Its seq among the node's bundles.
    pub seq: u64,
    /// How many changes it carries.
    pub changes: usize,
    /// The hub heads it builds on (empty: the whole history).
    pub base_heads: Vec<ChangeHash>,
    /// When the hub's heads were last learned (by sync), if they were.
    pub hub_heads_at: Option<Timestamp>,
    /// The heads it brings the hub to.
    pub heads: Vec<ChangeHash>,
    /// The seq of the node's signed heads it carries.
    pub attestation_seq: Option<u64>,
    /// When it goes stale.
    pub expires_at: Timestamp,
}

/// Why no bundle was written. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum BundleExportError {
    /// A bundle is addressed to the hub's key, and none is configured.
    #[error(
        "no hub is configured, and a bundle is addressed to the hub's key; create the node with --hub and --hub-key"
    )]
    NoHub,
    /// A stored bundle setting does not parse.
    #[error("the setting {key} in {path} is damaged; {RESTORE_ADVICE}")]
    BadSetting {
        /// The database.
        path: String,
        /// The setting.
        key: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An earlier store failure could not be recovered from.
    #[error("{0}")]
    Poisoned(String),
}

/// Why a replica could not be created or opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory holds no node.
    #[error(
        "{dir} holds no node (no {DATABASE_FILE}): run `wishtree-node init --data {dir} --community CODE --name NAME` first, or point --data at the directory that holds the node"
    )]
    NotInitialised {
        /// The data directory.
        dir: String,
    },
    /// `init` found a node in the directory.
    #[error("{file} exists already: {dir} holds a node, and init never overwrites one")]
    AlreadyInitialised {
        /// The data directory.
        dir: String,
        /// The file found.
        file: String,
    },
    /// Another process holds the directory.
    #[error(
        "another wishtree-node process is using {dir} (is `wishtree-node run` running?); stop it first, or make the change through its web page or JSON API"
    )]
    Busy {
        /// The data directory.
        dir: String,
    },
    /// More than one database file and none of them `node.sqlite`.
    #[error(
        "{dir} holds several database files ({names}) and no {DATABASE_FILE}; keep only the one to use"
    )]
    SeveralDatabases {
        /// The data directory.
        dir: String,
        /// The files.
        names: String,
    },
    /// The database could not be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key file could not be used.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The key file and the database name different keys.
    #[error(
        "the key file {key_file} holds another key than the database {database} was made with; put back the node.key that belongs to this database, or remove node.key to restore it from the database"
    )]
    KeyMismatch {
        /// The key file.
        key_file: String,
        /// The database.
        database: String,
    },
    /// A document in the store cannot be loaded.
    #[error("the {doc} document in {path} cannot be read: {reason}; {RESTORE_ADVICE}")]
    DamagedDocument {
        /// The database.
        path: String,
        /// Which document.
        doc: DocName,
        /// What was wrong, naming the chunk if one was found at fault.
        reason: String,
    },
    /// A setting every node has is missing or unreadable.
    #[error(
        "the database {path} has no valid `{key}` setting, so it is not a whole node database; {RESTORE_ADVICE}"
    )]
    BadSetting {
        /// The database.
        path: String,
        /// The setting.
        key: &'static str,
    },
    /// The password given at init was refused.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The data directory could not be created or read.
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The operating system gave no random bytes.
    #[error("the system has no random source: {0}")]
    Random(String),
    /// The community document could not be created.
    #[error("cannot create the community document: {0}")]
    Create(#[source] DocError),
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
    /// Creates a node in `data_dir` (made if missing): its key file (mode 0600), its
    /// database with the community document, and its first signed heads. Refuses a
    /// directory that holds a node already.
    pub fn init(
        data_dir: &Path,
        options: &InitOptions,
        now: Timestamp,
    ) -> Result<Replica, OpenError> {
        let dir = data_dir.display().to_string();
        std::fs::create_dir_all(data_dir).map_err(|source| OpenError::Io {
            path: dir.clone(),
            source,
        })?;
        for name in [KEY_FILE, DATABASE_FILE] {
            let path = data_dir.join(name);
            if path.exists() {
                return Err(OpenError::AlreadyInitialised {
                    dir,
                    file: path.display().to_string(),
                });
            }
        }
        if let Some(found) = find_database(data_dir)? {
            return Err(OpenError::AlreadyInitialised {
                dir,
                file: found.display().to_string(),
            });
        }
        let lock = lock_directory(data_dir)?;
        let secret: [u8; 32] = random_bytes()?;
        let password_hash = match &options.password {
            Some(password) => Some(password::hash_password(password, random_bytes()?)?),
            None => None,
        };
        let database = data_dir.join(DATABASE_FILE);
        let key_file = data_dir.join(KEY_FILE);
        let created = (|| {
            let mut store = Store::create(&database)?;
            let key = KeyPair::from_secret(secret);
            let mut doc = CommunityDoc::create(
                options.community,
                options.name.as_str(),
                random_bytes()?,
                now,
            )
            .map_err(OpenError::Create)?;
            let heads = doc.heads();
            let signed = SignedHeads::sign(&key, options.community, &heads, 1, now);
            let transaction = store.transaction()?;
            transaction.append_chunk(DocName::Community, &doc.save())?;
            transaction.put_attestation(&signed)?;
            let settings = [
                (setting::COMMUNITY_CODE, Some(options.community.to_string())),
                (setting::COMMUNITY_NAME, Some(options.name.to_string())),
                (setting::NODE_SECRET, Some(identity::secret_to_hex(&secret))),
                (setting::NODE_KEY, Some(key.public().to_string())),
                (
                    setting::HUB_ADDRESS,
                    options.hub.as_ref().map(|hub| hub.address.clone()),
                ),
                (
                    setting::HUB_KEY,
                    options.hub.as_ref().map(|hub| hub.key.to_string()),
                ),
                (setting::PASSWORD_HASH, password_hash.clone()),
                (
                    setting::WORKER_NAME,
                    options.worker.as_ref().map(Name::to_string),
                ),
                (setting::CREATED_AT, Some(now.as_millis().to_string())),
            ];
            for (name, value) in settings {
                if let Some(value) = value {
                    transaction.put_setting(name, &value)?;
                }
            }
            transaction.commit()?;
            drop(store);
            create_key_file(&key_file, secret)?;
            Ok::<_, OpenError>(())
        })();
        if let Err(error) = created {
            // Leave no half-made node behind, so that init can be run again.
            for path in [&database, &key_file] {
                let _ = std::fs::remove_file(path);
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(data_dir.join(format!("{DATABASE_FILE}{suffix}")));
            }
            return Err(error);
        }
        drop(lock);
        Self::open(data_dir)
    }

    /// Opens the node in `data_dir` for reading and writing, holding the directory
    /// until the replica is dropped. Folds the chunks into one if there are many.
    pub fn open(data_dir: &Path) -> Result<Replica, OpenError> {
        let lock = lock_directory(data_dir)?;
        let database = database_path(data_dir)?;
        let store = Store::open(&database)?;
        let mut replica = Self::load(data_dir, store, Some(lock))?;
        if replica.community_chunks >= replica.compact_after {
            replica.compact(DocName::Community)?;
        }
        if replica.city_chunks >= replica.compact_after {
            replica.compact(DocName::City)?;
        }
        Ok(replica)
    }

    /// Opens the node in `data_dir` for reading only, beside a running node if there
    /// is one. Commands on it fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(data_dir: &Path) -> Result<Replica, OpenError> {
        let database = database_path(data_dir)?;
        let store = Store::open_read_only(&database)?;
        Self::load(data_dir, store, None)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
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

    /// Stored chunks of each document.
    pub fn chunk_counts(&self) -> ChunkCounts {
        ChunkCounts {
            community: self.community_chunks,
            city: self.city_chunks,
        }
    }

    /// Sets after how many chunks a document is compacted (tests and benches).
    pub fn set_compact_after(&mut self, chunks: usize) {
        self.compact_after = chunks.max(2);
    }

    /// Whether the password is set (needed to listen beyond localhost).
    pub fn password_hash(&self) -> Result<Option<String>, StoreError> {
        self.store.setting(setting::PASSWORD_HASH)
    }

    /// Sets (or replaces) the password that guards the node beyond localhost.
    pub fn set_password(&mut self, password: &str) -> Result<(), OpenError> {
        let hash = password::hash_password(password, random_bytes()?)?;
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::PASSWORD_HASH, &hash)?;
        transaction.commit()?;
        Ok(())
    }

    /// Replaces the node's key by a new one, announced in a statement signed by the
    /// old key (`wishtree-hub rotate` applies it at the hub). The current heads are
    /// signed again by the new key at once, so the latest signed heads are the new
    /// key's. Crash-safe: the new key file is written beside the old one, the database
    /// switches in one transaction, then the file is renamed over the old one; an
    /// interrupted rotation is finished at the next open.
    pub fn rotate_key(&mut self, now: Timestamp) -> Result<SignedRotation, OpenError> {
        self.check_usable().map_err(|reason| OpenError::Io {
            path: self.data_dir.display().to_string(),
            source: std::io::Error::other(reason),
        })?;
        let new_key = KeyPair::from_secret(random_bytes()?);
        let rotation = KeyRotation {
            old: self.key.public(),
            new: new_key.public(),
            at: now,
        }
        .sign(&self.key);
        let pending = self.data_dir.join(ROTATED_KEY_FILE);
        if pending.exists() {
            std::fs::remove_file(&pending).map_err(|source| OpenError::Io {
                path: pending.display().to_string(),
                source,
            })?;
        }
        create_key_file(&pending, new_key.secret())?;
        let heads = self.doc.heads();
        let signed = SignedHeads::sign(&new_key, self.code, &heads, self.attestation_seq + 1, now);
        let transaction = self.store.transaction()?;
        transaction.put_setting(
            setting::NODE_SECRET,
            &identity::secret_to_hex(&new_key.secret()),
        )?;
        transaction.put_setting(setting::NODE_KEY, &new_key.public().to_string())?;
        transaction.put_attestation(&signed)?;
        transaction.commit()?;
        std::fs::rename(&pending, self.data_dir.join(KEY_FILE)).map_err(|source| {
            OpenError::Io {
                path: pending.display().to_string(),
                source,
            }
        })?;
        self.attestation_seq = signed.seq;
        self.key = new_key;
        Ok(rotation)
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
    /// seq) and `private`. Returns only after that transaction is on disk.
    pub fn execute_as(
        &mut self,
        command: &Command,
        worker: &Actor,
        private: Option<&PrivateRecord>,
        now: Timestamp,
    ) -> Result<Committed, ExecuteError> {
        self.check_usable().map_err(ExecuteError::Poisoned)?;
        if self.store.is_read_only() {
            return Err(ExecuteError::Store(StoreError::ReadOnly {
                path: self.store.path().display().to_string(),
            }));
        }
        self.doc.apply(command, worker, now)?;
        let change = self.doc.commit(now);
        if let Some(private) = private
            && let Err(error) = self.check_private_target(private)
        {
            if change.is_some() {
                self.reload_after_failure();
            }
            return Err(error);
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
    }

    /// Stores personal data for an existing member or wish, without a document change.
    pub fn put_private(&mut self, record: &PrivateRecord) -> Result<(), ExecuteError> {
        self.check_usable().map_err(ExecuteError::Poisoned)?;
        self.check_private_target(record)?;
        let transaction = self.store.transaction()?;
        write_private(&transaction, record)?;
        transaction.commit()?;
        Ok(())
    }

    /// A member's personal data.
    pub fn member_private(&self, id: MemberId) -> Result<Option<MemberPrivate>, StoreError> {
        self.store.member_private(id)
    }

    /// A resident's personal data, by their wish.
    pub fn resident_private(&self, wish: WishId) -> Result<Option<ResidentPrivate>, StoreError> {
        self.store.resident_private(wish)
    }

    /// The whole community document as one automerge save, for `export`.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Merges a whole document (an export of this community, from this node or
    /// another) into the community document and stores the new changes, signing the
    /// new heads. Refuses another community's document.
    pub fn import(&mut self, bytes: &[u8], now: Timestamp) -> Result<Received, ReceiveError> {
        self.check_usable().map_err(ReceiveError::Poisoned)?;
        let started = Instant::now();
        // The loaded copy is only merged from, never written, so its actor is moot.
        let mut other = CommunityDoc::load(bytes, Some(self.code), [0; 16])?;
        tracing::info!(
            "import: read {} bytes in {} ms; merging",
            bytes.len(),
            started.elapsed().as_millis()
        );
        let before = self.doc.heads();
        if let Err(error) = self.doc.merge(&mut other) {
            self.reload_after_failure();
            return Err(error.into());
        }
        let heads = self.doc.heads();
        if heads == before {
            return Ok(Received {
                is_changed: false,
                heads,
            });
        }
        if let Err(error) = self.persist_local(None, now) {
            self.reload_after_failure();
            return Err(error.into());
        }
        tracing::info!(
            "import: merged and stored in {} ms",
            started.elapsed().as_millis()
        );
        self.changes.send_modify(|notice| {
            notice.heads = heads.clone();
            notice.remote_batches += 1;
        });
        self.compact_if_due(DocName::Community);
        Ok(Received {
            is_changed: true,
            heads,
        })
    }

    /// Makes a signed changes bundle for the hub, for a USB stick when the network is
    /// gone (DESIGN §7): the changes the hub's heads, as last learned by sync, do not
    /// cover (or the whole history), addressed to the hub's key, with the node's latest
    /// signed heads. Its seq (one more than the last bundle's) and its hash (the next
    /// bundle's `previous`) are stored before it is returned, so that no seq is ever
    /// issued twice; a bundle that is then not written only leaves a gap, which the
    /// format allows.
    pub fn export_bundle(
        &mut self,
        options: &BundleOptions,
        now: Timestamp,
    ) -> Result<ExportedBundle, BundleExportError> {
        use wishtree_protocol::bundle::{Audience, Envelope, NewBundle, bundle_hash};
        self.check_usable().map_err(BundleExportError::Poisoned)?;
        let hub = self.hub.clone().ok_or(BundleExportError::NoHub)?;
        let bad_setting = |key| BundleExportError::BadSetting {
            path: self.store.path().display().to_string(),
            key,
        };
        let last_seq = match self.store.setting(setting::BUNDLE_SEQ)? {
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| bad_setting(setting::BUNDLE_SEQ))?,
            None => 0,
        };
        // The hash is 32 bytes in hex, the form the key's secret is kept in.
        let previous = match self.store.setting(setting::BUNDLE_PREVIOUS)? {
            Some(text) => Some(
                identity::secret_from_hex(&text)
                    .ok_or_else(|| bad_setting(setting::BUNDLE_PREVIOUS))?,
            ),
            None => None,
        };
        let seq = last_seq + 1;
        let valid_ms = i64::try_from(options.valid_for.as_millis()).unwrap_or(i64::MAX);
        let envelope = Envelope {
            audience: Audience::Key(hub.key),
            seq,
            previous,
            issued_at: now,
            expires_at: now.plus_millis(valid_ms),
        };
        let base = if options.is_whole_history {
            Vec::new()
        } else {
            self.hub_link.heads.clone()
        };
        let attestation = self.last_attestation()?;
        let attestation_seq = attestation.as_ref().map(|signed| signed.seq);
        let new = NewBundle::changes(&mut self.doc, &base, attestation, envelope);
        let changes = self
            .doc
            .automerge_mut()
            .get_changes_meta(&new.base_heads)
            .len();
        let base_heads = new.base_heads.clone();
        let heads = new.heads.clone();
        let bytes = new.sign(&self.key);
        let hash = bundle_hash(&bytes);
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::BUNDLE_SEQ, &seq.to_string())?;
        transaction.put_setting(setting::BUNDLE_PREVIOUS, &identity::secret_to_hex(&hash))?;
        transaction.commit()?;
        Ok(ExportedBundle {
            bytes,
            seq,
            changes,
            base_heads,
            hub_heads_at: self.hub_link.last_synced_at,
            heads,
            attestation_seq,
            expires_at: envelope.expires_at,
        })
    }

    /// Applies saved automerge bytes (chunks or a full save) from elsewhere — a
    /// bundle, a peer — to a document and stores them before returning.
    pub fn apply_remote(&mut self, doc: DocName, bytes: &[u8]) -> Result<Received, ReceiveError> {
        self.check_usable().map_err(ReceiveError::Poisoned)?;
        let before = self.doc_heads(doc);
        let applied = match doc {
            DocName::Community => self
                .doc
                .load_incremental(bytes)
                .map(drop)
                .map_err(ReceiveError::from),
            DocName::City => self
                .city
                .automerge_mut()
                .load_incremental(bytes)
                .map(drop)
                .map_err(ReceiveError::from),
        };
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
        let state = self
            .sync_states
            .get_mut(&(*peer, doc))
            .expect("load_sync_state inserted the state");
        let message = match doc {
            DocName::Community => self.doc.automerge_mut().sync().generate_sync_message(state),
            DocName::City => self
                .city
                .automerge_mut()
                .sync()
                .generate_sync_message(state),
        };
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
        let result = match doc {
            DocName::Community => self
                .doc
                .automerge_mut()
                .sync()
                .receive_sync_message(&mut state, message),
            DocName::City => self
                .city
                .automerge_mut()
                .sync()
                .receive_sync_message(&mut state, message),
        };
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
        Ok(received)
    }

    /// Ends a sync session with `peer`: the in-flight parts of its state are dropped,
    /// as automerge asks before a reconnect; what both sides share is kept.
    pub fn end_sync_session(&mut self, peer: &PublicKey) {
        for ((key, _), state) in self.sync_states.iter_mut() {
            if key == peer {
                *state = sync::State::decode(&state.encode()).unwrap_or_default();
            }
        }
        if self.hub.as_ref().is_some_and(|hub| hub.key == *peer) {
            self.set_hub_connected(false, crate::now());
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

    /// How the node stands with its hub.
    pub fn sync_status(&mut self) -> SyncStatus {
        let heads = self.doc.heads();
        let hub_heads = self.hub_link.heads.clone();
        let pending = match &self.pending_cache {
            Some((cached_heads, cached_hub, count))
                if *cached_heads == heads && *cached_hub == hub_heads =>
            {
                *count
            }
            _ => {
                let document = self.doc.automerge_mut();
                let known: Vec<ChangeHash> = hub_heads
                    .iter()
                    .filter(|hash| document.get_change_meta_by_hash(hash).is_some())
                    .copied()
                    .collect();
                let count = document.get_changes_meta(&known).len();
                self.pending_cache = Some((heads, hub_heads, count));
                count
            }
        };
        SyncStatus {
            hub_address: self.hub.as_ref().map(|hub| hub.address.clone()),
            hub_key: self.hub.as_ref().map(|hub| hub.key.to_string()),
            hub_connected: self.hub_link.connected,
            hub_connecting: self.hub_link.connecting,
            hub_since: self.hub_link.since,
            last_synced_at: self.hub_link.last_synced_at,
            changes_not_at_hub: pending,
            hub_problem: self.hub_link.problem.clone(),
        }
    }

    /// The figures `status` shows.
    pub fn status(&mut self) -> Result<NodeStatus, DocError> {
        let view = self.view()?;
        let counts = Counts {
            members: view.members.len(),
            orgs: view.orgs.len(),
            pairings: view.pairings.len(),
            branches: view.branches.len(),
            teams: view.teams.len(),
            posts: view.posts.len(),
            wishes: view.wishes.len(),
            projects: view.projects.len(),
            activities: view.activities.len(),
            participations: view.participations().count(),
            services: view.services.len(),
            passbook_entries: view.passbook.len(),
            voids: view.voids.len(),
            malformed: view.malformed.len(),
        };
        Ok(NodeStatus {
            community: view.community.clone(),
            node_key: self.key.public().to_string(),
            data_dir: self.data_dir.display().to_string(),
            schema: view.schema,
            counts,
            heads: self.doc.heads().iter().map(ToString::to_string).collect(),
            attestation_seq: self.attestation_seq,
            chunks: self.chunk_counts(),
            sync: self.sync_status(),
        })
    }

    /// `PRAGMA integrity_check` of the database: empty when sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        self.store.integrity_check()
    }

    /// Writes a consistent copy of the database to `out` (SQLite online backup).
    pub fn backup_to(
        &self,
        out: &Path,
        progress: impl FnMut(crate::store::BackupProgress),
    ) -> Result<(), StoreError> {
        self.store.backup_to(out, progress)
    }

    /// Folds a document's chunks into one full save, in one transaction.
    pub fn compact(&mut self, doc: DocName) -> Result<(), StoreError> {
        if self.store.is_read_only() {
            return Err(StoreError::ReadOnly {
                path: self.store.path().display().to_string(),
            });
        }
        let started = Instant::now();
        let chunks = match doc {
            DocName::Community => self.community_chunks,
            DocName::City => self.city_chunks,
        };
        let (bytes, heads) = match doc {
            DocName::Community => (self.doc.save(), self.doc.heads()),
            DocName::City => {
                if self.city_chunks == 0 {
                    // Nothing received: the genesis needs no storing.
                    return Ok(());
                }
                (self.city.save(), sorted_heads(self.city.automerge_mut()))
            }
        };
        tracing::info!(
            "compacting {chunks} chunks of the {doc} document into one save of {} bytes",
            bytes.len()
        );
        let transaction = self.store.transaction()?;
        transaction.replace_chunks(doc, &bytes)?;
        transaction.commit()?;
        match doc {
            DocName::Community => {
                self.community_saved = heads;
                self.community_chunks = 1;
            }
            DocName::City => {
                self.city_saved = heads;
                self.city_chunks = 1;
            }
        }
        tracing::info!(
            "compacted the {doc} document in {} ms",
            started.elapsed().as_millis()
        );
        Ok(())
    }

    fn load(data_dir: &Path, store: Store, lock: Option<File>) -> Result<Replica, OpenError> {
        let database = store.path().display().to_string();
        let bad_setting = |key: &'static str| OpenError::BadSetting {
            path: database.clone(),
            key,
        };
        let code: CommunityCode = store
            .setting(setting::COMMUNITY_CODE)?
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| bad_setting(setting::COMMUNITY_CODE))?;
        let secret = store
            .setting(setting::NODE_SECRET)?
            .and_then(|text| identity::secret_from_hex(&text))
            .ok_or_else(|| bad_setting(setting::NODE_SECRET))?;
        let key = Self::load_key(data_dir, &database, secret, lock.is_some())?;
        let hub = match (
            store.setting(setting::HUB_ADDRESS)?,
            store.setting(setting::HUB_KEY)?,
        ) {
            (Some(address), Some(key)) => Some(HubSettings {
                address,
                key: key.parse().map_err(|_| bad_setting(setting::HUB_KEY))?,
            }),
            _ => None,
        };
        let worker = Actor::Worker(
            store
                .setting(setting::WORKER_NAME)?
                .unwrap_or_else(|| DEFAULT_WORKER.to_owned()),
        );

        let started = Instant::now();
        // A fresh actor per process start: two starts never write under one actor.
        let actor = random_bytes()?;
        let (mut doc, community_chunks) = load_community(&store, code, actor)?;
        let (mut city, city_chunks) = load_city(&store, code, actor)?;
        tracing::debug!(
            "loaded the documents in {} ms",
            started.elapsed().as_millis()
        );
        let attestation_seq = store
            .last_attestation(code, key.public())?
            .map_or(0, |signed| signed.seq);
        let hub_link = match &hub {
            Some(hub) => {
                let peer = store.sync_peer(&hub.key, DocName::Community)?;
                HubLink {
                    connected: false,
                    connecting: false,
                    since: None,
                    last_synced_at: peer.as_ref().map(|peer| peer.at),
                    heads: peer.map(|peer| peer.their_heads).unwrap_or_default(),
                    problem: None,
                }
            }
            None => HubLink::default(),
        };
        let community_saved = doc.heads();
        let city_saved = sorted_heads(city.automerge_mut());
        let (changes, _) = watch::channel(ChangeNotice {
            heads: community_saved.clone(),
            local_commits: 0,
            remote_batches: 0,
        });
        Ok(Replica {
            data_dir: data_dir.to_owned(),
            store,
            code,
            doc,
            city,
            key,
            worker,
            hub,
            community_saved,
            city_saved,
            community_chunks,
            city_chunks,
            compact_after: COMPACT_AFTER_CHUNKS,
            attestation_seq,
            view: None,
            sync_states: HashMap::new(),
            hub_link,
            pending_cache: None,
            changes,
            is_poisoned: false,
            _lock: lock,
        })
    }

    /// The key from the key file, which must match the database's copy; a missing key
    /// file (a restored backup) is written again from the database.
    fn load_key(
        data_dir: &Path,
        database: &str,
        secret: [u8; 32],
        may_write: bool,
    ) -> Result<KeyPair, OpenError> {
        let key_file = data_dir.join(KEY_FILE);
        // A rotation interrupted after the database switched: the new key file is
        // beside the old one; finish it.
        let rotated = data_dir.join(ROTATED_KEY_FILE);
        if may_write
            && rotated.exists()
            && read_key_file(&rotated).is_ok_and(|key| key.secret() == secret)
        {
            std::fs::rename(&rotated, &key_file).map_err(|source| OpenError::Io {
                path: rotated.display().to_string(),
                source,
            })?;
        }
        if key_file.exists() {
            let key = read_key_file(&key_file)?;
            if key.secret() != secret {
                return Err(OpenError::KeyMismatch {
                    key_file: key_file.display().to_string(),
                    database: database.to_owned(),
                });
            }
            Ok(key)
        } else if may_write {
            tracing::info!(
                "{} is missing; writing it again from the database",
                key_file.display()
            );
            Ok(create_key_file(&key_file, secret)?)
        } else {
            Ok(KeyPair::from_secret(secret))
        }
    }

    /// Stores what the community document holds beyond its stored heads, signing the
    /// new heads, with `private`, in one transaction.
    fn persist_local(
        &mut self,
        private: Option<&PrivateRecord>,
        now: Timestamp,
    ) -> Result<(Vec<ChangeHash>, Option<SignedHeads>), StoreError> {
        let heads = self.doc.heads();
        let (chunk, attestation) = if heads != self.community_saved {
            let chunk = self.doc.automerge_mut().save_after(&self.community_saved);
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
        if let Some(private) = private {
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

    /// Stores the changes a document took in since its stored heads, with a peer's
    /// sync record, in one transaction.
    fn store_received(
        &mut self,
        doc: DocName,
        before: Vec<ChangeHash>,
        peer: Option<(&PublicKey, &SyncPeer)>,
    ) -> Result<Received, ReceiveError> {
        let heads = self.doc_heads(doc);
        let is_changed = heads != before;
        let chunk = if is_changed {
            match doc {
                DocName::Community => self.doc.automerge_mut().save_after(&self.community_saved),
                DocName::City => self.city.automerge_mut().save_after(&self.city_saved),
            }
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
            match doc {
                DocName::Community => {
                    self.community_chunks += 1;
                    self.community_saved = heads.clone();
                }
                DocName::City => {
                    self.city_chunks += 1;
                    self.city_saved = heads.clone();
                }
            }
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

    fn load_sync_state(&mut self, peer: &PublicKey, doc: DocName) -> Result<(), StoreError> {
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
            DocName::Community => self.doc.heads(),
            DocName::City => sorted_heads(self.city.automerge_mut()),
        }
    }

    fn check_private_target(&self, record: &PrivateRecord) -> Result<(), ExecuteError> {
        let exists = match record {
            PrivateRecord::Member { id, .. } => self.doc.contains::<Member>(*id),
            PrivateRecord::Resident { wish, .. } => self.doc.contains::<Wish>(*wish),
        }
        .map_err(CommandError::from)?;
        if exists {
            return Ok(());
        }
        Err(match record {
            PrivateRecord::Member { id, .. } => ExecuteError::NoSuchEntity {
                kind: MemberId::KIND,
                id: id.to_string(),
            },
            PrivateRecord::Resident { wish, .. } => ExecuteError::NoSuchEntity {
                kind: WishId::KIND,
                id: wish.to_string(),
            },
        })
    }

    fn compact_if_due(&mut self, doc: DocName) {
        let chunks = match doc {
            DocName::Community => self.community_chunks,
            DocName::City => self.city_chunks,
        };
        if chunks >= self.compact_after
            && let Err(error) = self.compact(doc)
        {
            // The chunks are all stored; compaction is tried again after the next one.
            tracing::warn!("compaction of the {doc} document failed: {error}");
        }
    }

    /// Puts memory back in step with the store after a failed write: the documents
    /// are loaded again, with a new actor id so that no sequence number of the
    /// dropped change is ever reused.
    fn reload_after_failure(&mut self) {
        self.view = None;
        self.pending_cache = None;
        let reloaded = random_bytes().and_then(|actor| {
            let community = load_community(&self.store, self.code, actor)?;
            Ok((community, load_city(&self.store, self.code, actor)?))
        });
        match reloaded {
            Ok(((doc, community_chunks), (mut city, city_chunks))) => {
                self.doc = doc;
                self.community_saved = self.doc.heads();
                self.community_chunks = community_chunks;
                self.city_saved = sorted_heads(city.automerge_mut());
                self.city = city;
                self.city_chunks = city_chunks;
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

/// The database of a data directory: `node.sqlite`, or else the one `*.sqlite` file
/// there (a backup copied into an empty directory).
fn database_path(data_dir: &Path) -> Result<PathBuf, OpenError> {
    let dir = data_dir.display().to_string();
    if !data_dir.is_dir() {
        return Err(OpenError::NotInitialised { dir });
    }
    let standard = data_dir.join(DATABASE_FILE);
    if standard.exists() {
        return Ok(standard);
    }
    find_database(data_dir)?.ok_or(OpenError::NotInitialised { dir })
}

/// The one `*.sqlite` file in a directory, if there is exactly one.
fn find_database(data_dir: &Path) -> Result<Option<PathBuf>, OpenError> {
    let io = |source| OpenError::Io {
        path: data_dir.display().to_string(),
        source,
    };
    let mut found = Vec::new();
    if !data_dir.is_dir() {
        return Ok(None);
    }
    for entry in std::fs::read_dir(data_dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|ext| ext == "sqlite") && path.is_file() {
            found.push(path);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(OpenError::SeveralDatabases {
            dir: data_dir.display().to_string(),
            names: found
                .iter()
                .filter_map(|path| path.file_name())
                .map(|name| name.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn lock_directory(data_dir: &Path) -> Result<File, OpenError> {
    let dir = data_dir.display().to_string();
    if !data_dir.is_dir() {
        return Err(OpenError::NotInitialised { dir });
    }
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| OpenError::Io {
            path: path.display().to_string(),
            source,
        })?;
    // The lock is an flock, held by an open file description. A child process being
    // spawned by this process (any thread) shares every description until it execs,
    // so a lock just released can look held for an instant. A node that is really
    // running holds it for good, so a short bounded wait tells the two apart.
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(OpenError::Busy { dir }),
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(OpenError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        }
    }
}

/// How long opening waits for a data directory's lock before calling it busy.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// Loads the community document from its chunks. When the whole does not load, the
/// chunks are tried one by one to name the first one at fault.
fn load_community(
    store: &Store,
    code: CommunityCode,
    actor: [u8; 16],
) -> Result<(CommunityDoc, usize), OpenError> {
    let chunks = store.chunks(DocName::Community)?;
    let damaged = |reason: String| OpenError::DamagedDocument {
        path: store.path().display().to_string(),
        doc: DocName::Community,
        reason,
    };
    if chunks.is_empty() {
        return Err(damaged("it has no chunks".to_owned()));
    }
    if let Some(empty) = chunks.iter().find(|chunk| chunk.bytes.is_empty()) {
        return Err(damaged(format!("chunk {} is empty", empty.seq)));
    }
    let total = chunks.iter().map(|chunk| chunk.bytes.len()).sum();
    let mut bytes = Vec::with_capacity(total);
    for chunk in &chunks {
        bytes.extend_from_slice(&chunk.bytes);
    }
    let count = chunks.len();
    match CommunityDoc::load(&bytes, Some(code), actor) {
        Ok(doc) => Ok((doc, count)),
        Err(error @ (DocError::WrongCommunity { .. } | DocError::NotACommunityDocument(_))) => {
            Err(damaged(error.to_string()))
        }
        Err(error) => Err(damaged(
            find_bad_chunk(&[], &chunks).unwrap_or_else(|| error.to_string()),
        )),
    }
}

/// Loads the city document: its genesis, then the chunks the hub's changes were
/// stored in.
fn load_city(
    store: &Store,
    code: CommunityCode,
    actor: [u8; 16],
) -> Result<(CityDoc, usize), OpenError> {
    let prefix = code.region(RegionLevel::City);
    let genesis = CityDoc::genesis(&prefix);
    let chunks = store.chunks(DocName::City)?;
    let mut bytes = genesis.clone();
    for chunk in &chunks {
        bytes.extend_from_slice(&chunk.bytes);
    }
    match CityDoc::load(&bytes, Some(&prefix), actor) {
        Ok(city) => Ok((city, chunks.len())),
        Err(error) => Err(OpenError::DamagedDocument {
            path: store.path().display().to_string(),
            doc: DocName::City,
            reason: find_bad_chunk(&genesis, &chunks).unwrap_or_else(|| error.to_string()),
        }),
    }
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

/// Names the first chunk at fault: the shortest run of chunks from the first that
/// does not load ends with it. Runs from the first load or fail monotonically (a
/// chunk only depends on those before it), so a binary search finds it.
fn find_bad_chunk(base: &[u8], chunks: &[crate::store::Chunk]) -> Option<String> {
    let loads = |count: usize| {
        let mut bytes = base.to_vec();
        for chunk in &chunks[..count] {
            bytes.extend_from_slice(&chunk.bytes);
        }
        AutoCommit::load(&bytes).map(drop)
    };
    if loads(chunks.len()).is_ok() {
        return None;
    }
    // Invariant of the search: `good` chunks load, `bad` chunks do not.
    let (mut good, mut bad) = (0, chunks.len());
    while bad - good > 1 {
        let middle = (good + bad) / 2;
        if loads(middle).is_ok() {
            good = middle;
        } else {
            bad = middle;
        }
    }
    let chunk = &chunks[bad - 1];
    let error = loads(bad).err()?;
    Some(format!(
        "chunk {} ({} bytes) does not load: {error}",
        chunk.seq,
        chunk.bytes.len()
    ))
}

fn write_private(
    transaction: &crate::store::StoreTransaction<'_>,
    record: &PrivateRecord,
) -> Result<(), StoreError> {
    match record {
        PrivateRecord::Member { id, data } => transaction.put_member_private(*id, data),
        PrivateRecord::Resident { wish, data } => transaction.put_resident_private(*wish, data),
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], OpenError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| OpenError::Random(error.to_string()))?;
    Ok(bytes)
}
