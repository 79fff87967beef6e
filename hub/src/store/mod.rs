//! The hub's store: what a hub remembers, behind a trait.
//!
//! A hub keeps each community's document as chunks (as a node does), the roster of
//! enrolled keys, the latest signed heads per community, automerge's sync state per
//! (peer, document), and the seq of the last bundle accepted from each issuer. The
//! embedded SQLite implementation ([`SqliteStore`]) is the default; the trait is what a
//! PostgreSQL implementation for several hub processes behind one address will
//! implement. Calls block: async drivers run them on a blocking thread.

mod sqlite;

use std::fmt;
use std::path::Path;

use wishtree_protocol::attest::{Attested, SignedHeads};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

pub use sqlite::{SqliteStore, record_seen_in};

/// A document the hub keeps: one per community, and the city document it authors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoredDoc {
    /// A community's document, merged from its node.
    Community(CommunityCode),
    /// The city document (organisation directory, post categories, campaign rules).
    City,
    /// A community's inbox, which the hub writes (`wishtree_protocol::inbox`).
    Inbox(CommunityCode),
}

/// What an enrolled key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolledRole {
    /// A community node, syncing its own community's document.
    Node {
        /// The community.
        community: CommunityCode,
    },
    /// A child hub (a district hub), syncing the communities under its scope.
    Hub {
        /// The region it serves.
        scope: RegionPrefix,
    },
}

/// A key in the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The key.
    pub key: PublicKey,
    /// What it may do.
    pub role: EnrolledRole,
    /// When it was enrolled.
    pub enrolled_at: Timestamp,
    /// Its revocation, if it was revoked.
    pub revoked: Option<Revocation>,
}

/// Why and when a key stopped being trusted. Data it signed before stays, flagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// When.
    pub at: Timestamp,
    /// Why, in the operator's words.
    pub reason: String,
}

/// What the hub records of an accepted bundle, with its data, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReceipt {
    /// Who issued it.
    pub issuer: PublicKey,
    /// Its seq: the last accepted from the issuer from now on.
    pub seq: u64,
    /// Its hash (`Bundle::hash`), which the issuer's next bundle names as `previous`.
    pub hash: [u8; 32],
    /// The hash of the issuer's bundle before it, as the bundle says, for audit.
    pub previous: Option<[u8; 32]>,
}

/// What the hub knows about a community's sync, for figures and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRecord {
    /// The community.
    pub community: CommunityCode,
    /// When its node last connected.
    pub last_seen_at: Option<Timestamp>,
    /// When its document last changed at the hub.
    pub last_change_at: Option<Timestamp>,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or is damaged.
    #[error(
        "the hub database {path} cannot be used: {reason}; restore a backup (wishtree-hub backup) and point --data at it"
    )]
    Damaged {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The database was written by a newer release of the hub.
    #[error(
        "the hub database {path} is at schema {found}, newer than this build's {known}: a newer wishtree-hub wrote it; run that release (or newer) on it"
    )]
    Newer {
        /// The file.
        path: String,
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The key is enrolled already (for another role or community).
    #[error("key {key} is already enrolled for {role}")]
    AlreadyEnrolled {
        /// The key, short form.
        key: String,
        /// What it is enrolled for.
        role: String,
    },
    /// The community already has an active key.
    #[error(
        "community {community} already has the enrolled key {key}; revoke it first (wishtree-hub revoke --key …)"
    )]
    CommunityTaken {
        /// The community.
        community: CommunityCode,
        /// Its active key, short form.
        key: String,
    },
    /// The key is not in the roster.
    #[error("key {0} is not enrolled")]
    NotEnrolled(String),
    /// A stored value does not decode (the database was edited by hand or damaged).
    #[error("stored {what} does not decode: {reason}")]
    Corrupt {
        /// What.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A bundle's seq is not greater than the last accepted from its issuer (another
    /// import took it first).
    #[error("bundle seq {seq} is not greater than {last}, the last accepted from its issuer")]
    BundleNotNewer {
        /// The bundle's seq.
        seq: u64,
        /// The last accepted.
        last: u64,
    },
    /// A backup was not written (no file is left behind).
    #[error("the backup was not written: {0}")]
    Backup(#[from] wishtree_common::sqlite_backup::BackupError),
    /// An SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// What a hub remembers. Implementations are shared by many tasks.
pub trait HubStore: Send + Sync + 'static {
    /// Adds a key to the roster.
    fn enroll(
        &self,
        key: PublicKey,
        role: EnrolledRole,
        at: Timestamp,
    ) -> Result<Enrollment, StoreError>;

    /// Revokes a key. Its data stays.
    fn revoke(
        &self,
        key: &PublicKey,
        at: Timestamp,
        reason: &str,
    ) -> Result<Enrollment, StoreError>;

    /// The roster entry of a key, revoked or not.
    fn enrollment(&self, key: &PublicKey) -> Result<Option<Enrollment>, StoreError>;

    /// The active (unrevoked) key of a community's node.
    fn community_key(&self, community: CommunityCode) -> Result<Option<PublicKey>, StoreError>;

    /// The whole roster, revoked keys included.
    fn enrollments(&self) -> Result<Vec<Enrollment>, StoreError>;

    /// A document's stored bytes (its chunks concatenated, loadable by automerge), or
    /// `None` if the hub has none.
    fn doc_bytes(&self, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError>;

    /// Appends changes received for a document. Durable when this returns.
    fn append_chunk(&self, doc: StoredDoc, bytes: &[u8], at: Timestamp) -> Result<(), StoreError>;

    /// The seq of the last bundle accepted from `issuer`, if any.
    fn last_bundle_seq(&self, issuer: &PublicKey) -> Result<Option<u64>, StoreError>;

    /// Stores an accepted bundle: appends its changes (`chunk`, empty if it brought
    /// none) to a document and records `receipt.seq` as the last accepted from its
    /// issuer, in one transaction (docs/bundle-format.md: stored apart, a crash between
    /// the two would refuse the next bundle or accept this one again). Fails with
    /// [`StoreError::BundleNotNewer`], storing nothing, if the seq does not grow.
    fn accept_bundle(
        &self,
        doc: StoredDoc,
        chunk: &[u8],
        receipt: &BundleReceipt,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Replaces a document's chunks by one full save, in one transaction.
    fn compact(&self, doc: StoredDoc, full_save: &[u8]) -> Result<(), StoreError>;

    /// Stores what one sync message brought, in one transaction (one disk sync where
    /// there were up to three): the new changes, the full save that replaces the
    /// document's chunks if compaction is due, and the peer's sync state. Durable when
    /// this returns; on an error nothing of it is stored.
    fn store_merge(&self, merge: &MergeWrite<'_>) -> Result<(), StoreError>;

    /// How many chunks a document has (compaction is due when there are many).
    fn chunk_count(&self, doc: StoredDoc) -> Result<usize, StoreError>;

    /// The communities the hub holds documents of.
    fn communities(&self) -> Result<Vec<CommunityRecord>, StoreError>;

    /// Notes that a community's node connected now.
    fn record_seen(&self, community: CommunityCode, at: Timestamp) -> Result<(), StoreError>;

    /// automerge's sync state for a peer and a document (`sync::State::encode`).
    fn sync_state(&self, peer: &PublicKey, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError>;

    /// Saves automerge's sync state for a peer and a document.
    fn save_sync_state(
        &self,
        peer: &PublicKey,
        doc: StoredDoc,
        state: &[u8],
    ) -> Result<(), StoreError>;

    /// Records verified signed heads if they are newer (a greater seq from the same
    /// signer, or any seq from a new signer) than those held; says whether they were.
    fn record_attestation(
        &self,
        attested: &Attested,
        received_at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// The latest signed heads recorded for a community.
    fn attestation(&self, community: CommunityCode) -> Result<Option<SignedHeads>, StoreError>;

    /// Writes a consistent copy of the whole store to the new file `path`, as it was
    /// when the backup began, while the hub goes on writing.
    fn backup(&self, path: &Path) -> Result<(), StoreError>;

    /// A setting (the city code, …), if set.
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets a setting.
    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// What one sync message leaves in the store ([`HubStore::store_merge`]).
#[derive(Debug, Clone, Copy)]
pub struct MergeWrite<'a> {
    /// The document.
    pub doc: StoredDoc,
    /// The changes the message brought, if any.
    pub chunk: Option<&'a [u8]>,
    /// The whole document, saved, if its chunks are to be folded into one.
    pub full_save: Option<&'a [u8]>,
    /// The peer and its encoded sync state, if that changed.
    pub sync_state: Option<(&'a PublicKey, &'a [u8])>,
    /// When.
    pub at: Timestamp,
}

impl StoredDoc {
    /// The key of the document in storage: the community code, `city`, or
    /// `inbox:` and the community code.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Community(code) => code.to_string(),
            Self::City => "city".to_owned(),
            Self::Inbox(code) => format!("inbox:{code}"),
        }
    }

    /// The document of a storage key.
    pub fn from_storage_key(key: &str) -> Option<Self> {
        if key == "city" {
            Some(Self::City)
        } else if let Some(code) = key.strip_prefix("inbox:") {
            code.parse().ok().map(Self::Inbox)
        } else {
            key.parse().ok().map(Self::Community)
        }
    }
}

impl fmt::Display for StoredDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Community(code) => write!(f, "community {code}"),
            Self::City => f.write_str("the city document"),
            Self::Inbox(code) => write!(f, "the inbox of community {code}"),
        }
    }
}

impl fmt::Display for EnrolledRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Node { community } => write!(f, "the node of community {community}"),
            Self::Hub { scope } => write!(f, "the hub of region {}", scope.padded()),
        }
    }
}
