//! The hub's store: what a hub remembers, behind a trait.
//!
//! A hub keeps each community's document as chunks (as a node does), the roster of
//! enrolled keys, the latest signed heads per community, automerge's sync state per
//! (peer, document), and the seq of the last bundle accepted from each issuer. The
//! embedded SQLite implementation ([`SqliteStore`]) is the default; the trait is what a
//! PostgreSQL implementation for several hub processes behind one address will
//! implement. Calls block: async drivers run them on a blocking thread.

pub(crate) mod postgres;
mod sql;
mod sqlite;

use std::fmt;
use std::path::Path;

use wishtree_protocol::attest::{Attested, SignedHeads};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

pub use postgres::PgStore;
pub(crate) use postgres::{Typed, pg};
pub use sqlite::{
    Checkpointed, STATEMENTS_KEPT, SqliteStore, WAL_PAGES_BEFORE_A_COMMIT_CHECKPOINTS,
    record_seen_in,
};

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
    /// The PostgreSQL server cannot be reached (or refused the login).
    #[error("the PostgreSQL store cannot be reached: {0}")]
    Unreachable(String),
    /// A PostgreSQL error.
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The store cannot do this; the message says what to do instead.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// What a hub remembers. Implementations are shared by many tasks.
pub trait HubStore: Send + Sync + fmt::Debug + 'static {
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
    /// this returns; on an error nothing of it is stored. A sync state alone (no change)
    /// may be written lazily (PostgreSQL does not wait for its flush): a crash may lose
    /// it, which only makes the next sync longer.
    fn store_merge(&self, merge: &MergeWrite<'_>) -> Result<(), StoreError>;

    /// How many chunks a document has (compaction is due when there are many) and
    /// their size (the community's quota, [`crate::quota`]).
    fn chunk_stats(&self, doc: StoredDoc) -> Result<ChunkStats, StoreError>;

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

    /// Whether other hub processes write this store too (PostgreSQL). Then the hub
    /// merges a document only under [`HubStore::lock_doc`], and first brings the copy it
    /// holds up to date with what the others stored ([`HubStore::chunks_after`]).
    fn is_shared(&self) -> bool {
        false
    }

    /// Takes the lock under which one process at a time loads, merges and stores a
    /// document, waiting for it; released when the [`DocLock`] is dropped (or the
    /// process dies). A store only this process writes needs none.
    fn lock_doc(&self, _doc: StoredDoc) -> Result<DocLock, StoreError> {
        Ok(DocLock::none())
    }

    /// Takes the document's lock ([`HubStore::lock_doc`]) and then reads its seq
    /// ([`HubStore::doc_seq`]), as the lock holder sees it. PostgreSQL sends both in one
    /// message, one transaction: the seq is read after the lock is granted (each
    /// statement of a read-committed transaction reads what was committed before it
    /// began), where two calls cost two round trips and two commits at every merge.
    fn lock_doc_at_seq(&self, doc: StoredDoc) -> Result<(DocLock, u64), StoreError> {
        let lock = self.lock_doc(doc)?;
        Ok((lock, self.doc_seq(doc)?))
    }

    /// Reads a document's seq ([`HubStore::doc_seq`]) as the lock holder, then releases
    /// its lock: after a merge, the seq the held copy is in step with. PostgreSQL sends
    /// both in one message. The lock is released whether or not the seq was read.
    fn release_doc_at_seq(&self, lock: DocLock, doc: StoredDoc) -> Result<u64, StoreError> {
        let seq = self.doc_seq(doc);
        drop(lock);
        seq
    }

    /// The seq of a document's last chunk (0 if it has none). It only grows:
    /// appending and compacting both take the next one.
    fn doc_seq(&self, doc: StoredDoc) -> Result<u64, StoreError>;

    /// A document's chunks with a seq above `after`, in order (after a compaction, the
    /// full save among them), each loadable into a copy that holds every chunk up to
    /// `after`.
    fn chunks_after(&self, doc: StoredDoc, after: u64) -> Result<Vec<Vec<u8>>, StoreError>;
}

/// A document's lock across processes ([`HubStore::lock_doc`]), released on drop.
pub struct DocLock(Option<Box<dyn std::any::Any + Send>>);

impl DocLock {
    /// No lock (a store one process writes).
    pub fn none() -> Self {
        Self(None)
    }

    /// A lock that `guard` releases when dropped.
    pub fn held(guard: impl Send + 'static) -> Self {
        Self(Some(Box::new(guard)))
    }

    /// The guard of a held lock, if it is a `G` (a store releasing its own lock its
    /// way); else the lock is given back.
    pub(crate) fn into_guard<G: 'static>(self) -> Result<Box<G>, Self> {
        match self.0 {
            Some(guard) => guard.downcast::<G>().map_err(|guard| Self(Some(guard))),
            None => Err(self),
        }
    }
}

impl fmt::Debug for DocLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "DocLock(held)"
        } else {
            "DocLock(none)"
        })
    }
}

/// A document's chunks in the store: how many, and their size in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkStats {
    /// How many chunks.
    pub count: usize,
    /// Their bytes together: the document's stored size.
    pub bytes: u64,
}

impl ChunkStats {
    /// From the counts a query returns.
    pub(crate) fn new(count: i64, bytes: i64) -> Self {
        Self {
            count: usize::try_from(count).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
        }
    }
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

/// A roster row as both stores read it: key, role, community, scope, enrolled at,
/// revoked at, revocation reason.
pub(crate) type RawEnrollment = (
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
);

/// The role, community and scope columns of a roster row.
pub(crate) fn role_columns(role: &EnrolledRole) -> (&'static str, Option<String>, Option<String>) {
    match role {
        EnrolledRole::Node { community } => ("node", Some(community.to_string()), None),
        EnrolledRole::Hub { scope } => ("hub", None, Some(scope.to_string())),
    }
}

/// A bundle's seq as stored; one too large for the column is refused as not newer.
pub(crate) fn stored_bundle_seq(receipt: &BundleReceipt) -> Result<i64, StoreError> {
    i64::try_from(receipt.seq).map_err(|_| StoreError::BundleNotNewer {
        seq: receipt.seq,
        last: i64::MAX as u64,
    })
}

/// A stored seq, which is never negative.
pub(crate) fn decode_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt {
        what: "seq",
        reason: format!("{seq} is negative"),
    })
}

/// A row of the communities table.
pub(crate) fn community_record(
    code: String,
    last_seen_at: Option<i64>,
    last_change_at: Option<i64>,
) -> Result<CommunityRecord, StoreError> {
    Ok(CommunityRecord {
        community: code
            .parse()
            .map_err(
                |e: wishtree_protocol::region::RegionParseError| StoreError::Corrupt {
                    what: "community code",
                    reason: e.to_string(),
                },
            )?,
        last_seen_at: last_seen_at.map(Timestamp::from_millis),
        last_change_at: last_change_at.map(Timestamp::from_millis),
    })
}

/// Signed heads as they are stored (JSON).
pub(crate) fn signed_heads_json(signed: &SignedHeads) -> Result<String, StoreError> {
    serde_json::to_string(signed).map_err(|e| StoreError::Corrupt {
        what: "signed heads",
        reason: e.to_string(),
    })
}

/// Stored signed heads.
pub(crate) fn signed_heads_from_json(json: &str) -> Result<SignedHeads, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: "signed heads",
        reason: e.to_string(),
    })
}

pub(crate) fn decode_key(bytes: &[u8]) -> Result<PublicKey, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "key",
        reason,
    };
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| corrupt(format!("{} bytes", bytes.len())))?;
    PublicKey::from_bytes(&array).map_err(|e| corrupt(e.to_string()))
}

pub(crate) fn decode_enrollment(raw: RawEnrollment) -> Result<Enrollment, StoreError> {
    let (key, role, community, scope, enrolled_at, revoked_at, reason) = raw;
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "roster entry",
        reason,
    };
    let role = match (role.as_str(), community, scope) {
        ("node", Some(community), _) => EnrolledRole::Node {
            community: community
                .parse()
                .map_err(|e: wishtree_protocol::region::RegionParseError| corrupt(e.to_string()))?,
        },
        ("hub", _, Some(scope)) => EnrolledRole::Hub {
            scope: scope
                .parse()
                .map_err(|e: wishtree_protocol::region::RegionParseError| corrupt(e.to_string()))?,
        },
        (other, _, _) => {
            return Err(corrupt(format!(
                "role `{other}` without its community or scope"
            )));
        }
    };
    Ok(Enrollment {
        key: decode_key(&key)?,
        role,
        enrolled_at: Timestamp::from_millis(enrolled_at),
        revoked: revoked_at.map(|at| Revocation {
            at: Timestamp::from_millis(at),
            reason: reason.unwrap_or_default(),
        }),
    })
}
