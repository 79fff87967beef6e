//! The node's SQLite store: document chunks, personal data, settings, per-peer sync
//! state and the node's own signed heads, in one file in WAL mode with
//! `synchronous=FULL`.
//!
//! Every write goes through a [`StoreTransaction`], so that a command's chunk, its
//! attestation and its personal data are committed together or not at all. With
//! `synchronous=FULL` a committed transaction is on disk when `commit` returns: that
//! is what lets the node answer "saved".
//!
//! A file that is not a database, or whose pages are damaged, is reported as
//! [`StoreError::Damaged`] naming the file and the way out (restore a backup); the
//! store never repairs or skips anything silently.

use std::fmt;
use std::path::{Path, PathBuf};

use automerge::ChangeHash;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use wishtree_common::migrations::MigrationError;
use wishtree_common::sqlite_backup::BackupError;
pub use wishtree_common::sqlite_backup::BackupProgress;
use wishtree_protocol::Timestamp;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::keys::{PublicKey, Signature};

use self::migrations::MIGRATIONS;
pub use self::private::{MemberPrivate, ResidentPrivate, VolunteerPrivate};

mod migrations;
mod private;

/// What to do about a damaged store, said wherever one is found.
pub const RESTORE_ADVICE: &str = "restore a backup: put the file written by \
`wishtree-node backup --out FILE` into an empty directory and point --data at that directory";

/// The node's database.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    connection: Connection,
    is_read_only: bool,
}

/// A write in progress; nothing of it is stored until [`StoreTransaction::commit`].
#[derive(Debug)]
pub struct StoreTransaction<'a> {
    path: &'a Path,
    transaction: rusqlite::Transaction<'a>,
}

/// The two documents a node keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocName {
    /// The community's own document, which the node writes.
    Community,
    /// The city document the hub writes and the node only receives.
    City,
    /// The community's inbox, which the hub writes and the node only receives.
    Inbox,
}

/// One stored piece of a document: a full save or an incremental one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Its place in the order of writing.
    pub seq: i64,
    /// Automerge bytes.
    pub bytes: Vec<u8>,
}

/// What the node keeps about one peer and one document for sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPeer {
    /// automerge's `sync::State`, encoded.
    pub sync_state: Vec<u8>,
    /// The heads the peer last told us it has.
    pub their_heads: Vec<ChangeHash>,
    /// When this was stored.
    pub at: Timestamp,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a database or its pages are damaged.
    #[error("the database {path} is damaged ({reason}); {RESTORE_ADVICE}")]
    Damaged {
        /// The file.
        path: String,
        /// What SQLite or the store found.
        reason: String,
    },
    /// Written by a newer build, whose tables this build does not know.
    #[error(
        "the database {path} was written by a newer wishtree-node (schema {found}; this build knows {known}); upgrade wishtree on this computer, or run the newer version"
    )]
    NewerSchema {
        /// The file.
        path: String,
        /// The schema in the file.
        found: i64,
        /// The newest schema this build knows.
        known: i64,
    },
    /// The disk is full: nothing was written.
    #[error("the disk holding {path} is full; nothing was saved: free some space and try again")]
    DiskFull {
        /// The file.
        path: String,
    },
    /// The store was opened read-only.
    #[error("{path} is open read-only here; writes go through the running node")]
    ReadOnly {
        /// The file.
        path: String,
    },
    /// Any other SQLite failure.
    #[error("the database {path} failed: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// The error.
        source: rusqlite::Error,
    },
    /// A file next to the database could not be created or read.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl Store {
    /// Creates a new database file, readable by its owner only (it holds personal
    /// data), and runs the migrations. Refuses an existing file.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        wishtree_common::key_file::create_private(path).map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::open(path)
    }

    /// Opens an existing database for reading and writing and runs the migrations it
    /// lacks.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connect(path, false)?;
        store.configure()?;
        store.quick_check()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading only, beside a running node: `status`,
    /// `export` and `backup` use this. Its schema must be one this build knows.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let store = Self::connect(path, true)?;
        store
            .connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| store.error(e))?;
        let version = store.schema_version()?;
        if version > MIGRATIONS.len() as i64 {
            return Err(store.newer_schema(version));
        }
        if version < MIGRATIONS.len() as i64 {
            return Err(StoreError::Damaged {
                path: store.shown(),
                reason: format!(
                    "schema {version} is older than this build's; open it once with `wishtree-node run` to upgrade"
                ),
            });
        }
        Ok(store)
    }

    /// Opens the connection to an existing file (never creating one: a missing file is
    /// `NotFound`), for reading and writing or for reading only.
    fn connect(path: &Path, is_read_only: bool) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Io {
                path: path.display().to_string(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        let access = if is_read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let connection =
            Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| classify(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            connection,
            is_read_only,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.is_read_only
    }

    /// Starts a write. The transaction takes SQLite's write lock at once, so a
    /// conflict shows here and not half-way.
    pub fn transaction(&mut self) -> Result<StoreTransaction<'_>, StoreError> {
        if self.is_read_only {
            return Err(StoreError::ReadOnly { path: self.shown() });
        }
        let path = self.path.as_path();
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| classify(path, e))?;
        Ok(StoreTransaction { path, transaction })
    }

    /// The chunks of a document, in order.
    pub fn chunks(&self, doc: DocName) -> Result<Vec<Chunk>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT seq, bytes FROM doc_chunks WHERE doc = ?1 ORDER BY seq")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([doc.as_str()], |row| {
                Ok(Chunk {
                    seq: row.get(0)?,
                    bytes: row.get(1)?,
                })
            })
            .map_err(|e| classify(&self.path, e))?;
        rows.map(|row| row.map_err(|e| classify(&self.path, e)))
            .collect()
    }

    /// How many chunks a document has.
    pub fn chunk_count(&self, doc: DocName) -> Result<usize, StoreError> {
        let count: i64 = self
            .connection
            .query_row(
                "SELECT COUNT(*) FROM doc_chunks WHERE doc = ?1",
                [doc.as_str()],
                |row| row.get(0),
            )
            .map_err(|e| self.error(e))?;
        Ok(count.max(0) as usize)
    }

    /// A setting, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connection
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))
    }

    /// What the node keeps about a peer for a document.
    pub fn sync_peer(
        &self,
        peer: &PublicKey,
        doc: DocName,
    ) -> Result<Option<SyncPeer>, StoreError> {
        let row = self
            .connection
            .query_row(
                "SELECT sync_state, their_heads, at FROM sync_peers WHERE peer_key = ?1 AND doc = ?2",
                params![peer.to_bytes().as_slice(), doc.as_str()],
                |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.error(e))?;
        row.map(|(sync_state, heads, at)| {
            Ok(SyncPeer {
                sync_state,
                their_heads: decode_heads(&heads).ok_or_else(|| StoreError::Damaged {
                    path: self.shown(),
                    reason: format!(
                        "the stored heads of peer {} are not whole hashes",
                        peer.short()
                    ),
                })?,
                at: Timestamp::from_millis(at),
            })
        })
        .transpose()
    }

    /// The node's latest signed heads.
    pub fn last_attestation(
        &self,
        community: wishtree_protocol::CommunityCode,
        signer: PublicKey,
    ) -> Result<Option<SignedHeads>, StoreError> {
        let row = self
            .connection
            .query_row(
                "SELECT seq, heads, at, signature FROM attestations ORDER BY seq DESC LIMIT 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.error(e))?;
        let Some((seq, heads, at, signature)) = row else {
            return Ok(None);
        };
        let damaged = |what: &str| StoreError::Damaged {
            path: self.shown(),
            reason: format!("attestation {seq} has {what}"),
        };
        let heads =
            decode_heads(&heads).ok_or_else(|| damaged("heads that are not whole hashes"))?;
        let signature = <[u8; 64]>::try_from(signature.as_slice())
            .map_err(|_| damaged("a signature that is not 64 bytes"))?;
        Ok(Some(SignedHeads {
            community,
            heads,
            seq: u64::try_from(seq).map_err(|_| damaged("a negative number"))?,
            at: Timestamp::from_millis(at),
            signer,
            signature: Signature::from_bytes(signature),
        }))
    }

    /// `PRAGMA integrity_check`: empty when the file is sound, otherwise what SQLite
    /// found.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.error(e))?;
        let findings: Vec<String> = rows.collect::<Result<_, _>>().map_err(|e| self.error(e))?;
        Ok(if findings == ["ok"] {
            Vec::new()
        } else {
            findings
        })
    }

    /// `PRAGMA quick_check`, run at every read-write open: a damaged page anywhere in
    /// the file stops the node at start, before it could lose anything, rather than
    /// on the first request that reads the page.
    fn quick_check(&self) -> Result<(), StoreError> {
        let mut statement = self
            .connection
            .prepare("PRAGMA quick_check(5)")
            .map_err(|e| self.error(e))?;
        let findings: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        if findings == ["ok"] {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.shown(),
            reason: findings.join("; "),
        })
    }

    /// Copies the database to `out` with SQLite's online backup, a consistent
    /// snapshot even while the node writes. `out` must not exist; it is created
    /// readable by its owner only.
    pub fn backup_to(
        &self,
        out: &Path,
        progress: impl FnMut(BackupProgress),
    ) -> Result<(), StoreError> {
        wishtree_common::sqlite_backup::online_backup(&self.connection, out, progress).map_err(
            |error| match error {
                BackupError::Create { path, source } => StoreError::Io { path, source },
                BackupError::Sqlite(error) => classify(&self.path, error),
            },
        )
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| classify(&self.path, e))
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        // journal_mode answers a row, so it is read rather than executed.
        let mode: String = self
            .connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| classify(&self.path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Damaged {
                path: self.shown(),
                reason: format!("the journal cannot be switched to WAL (it stays {mode})"),
            });
        }
        self.connection
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| classify(&self.path, e))?;
        self.connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| self.error(e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        match wishtree_common::migrations::migrate(&mut self.connection, MIGRATIONS) {
            Ok(()) => Ok(()),
            Err(MigrationError::Newer { found, .. }) => Err(self.newer_schema(found)),
            Err(MigrationError::Sqlite(error)) => Err(self.error(error)),
        }
    }

    fn newer_schema(&self, found: i64) -> StoreError {
        StoreError::NewerSchema {
            path: self.shown(),
            found,
            known: MIGRATIONS.len() as i64,
        }
    }

    fn error(&self, error: rusqlite::Error) -> StoreError {
        classify(&self.path, error)
    }

    fn shown(&self) -> String {
        self.path.display().to_string()
    }
}

impl StoreTransaction<'_> {
    /// Appends a chunk to a document; answers its seq.
    pub fn append_chunk(&self, doc: DocName, bytes: &[u8]) -> Result<i64, StoreError> {
        self.transaction
            .prepare_cached(doc.append_sql())
            .and_then(|mut statement| statement.query_row([bytes], |row| row.get(0)))
            .map_err(|e| self.error(e))
    }

    /// Replaces every chunk of a document by one full save (compaction).
    pub fn replace_chunks(&self, doc: DocName, full_save: &[u8]) -> Result<(), StoreError> {
        let last: Option<i64> = self
            .transaction
            .query_row(
                "SELECT MAX(seq) FROM doc_chunks WHERE doc = ?1",
                [doc.as_str()],
                |row| row.get(0),
            )
            .map_err(|e| self.error(e))?;
        self.transaction
            .execute("DELETE FROM doc_chunks WHERE doc = ?1", [doc.as_str()])
            .map_err(|e| self.error(e))?;
        // The full save keeps the next seq, so seqs never repeat.
        self.transaction
            .execute(
                "INSERT INTO doc_chunks (doc, seq, bytes) VALUES (?1, ?2, ?3)",
                params![doc.as_str(), last.unwrap_or(0) + 1, full_save],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Sets a setting.
    pub fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.transaction
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Stores what the node keeps about a peer for a document.
    pub fn put_sync_peer(
        &self,
        peer: &PublicKey,
        doc: DocName,
        sync_peer: &SyncPeer,
    ) -> Result<(), StoreError> {
        self.transaction
            .execute(
                "INSERT INTO sync_peers (peer_key, doc, sync_state, their_heads, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (peer_key, doc) DO UPDATE SET sync_state = excluded.sync_state,
                     their_heads = excluded.their_heads, at = excluded.at",
                params![
                    peer.to_bytes().as_slice(),
                    doc.as_str(),
                    sync_peer.sync_state,
                    encode_heads(&sync_peer.their_heads),
                    sync_peer.at.as_millis()
                ],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Stores the node's signed heads in place of the ones before: change hashes chain,
    /// so the latest signature covers everything an older one did, and only the latest
    /// is ever read or sent. (Every write kept its row until 0.2.0, about 150 bytes a
    /// write for the node's life; the first write after an upgrade drops them.) The
    /// table keeps the latest seq, so seqs never repeat.
    pub fn put_attestation(&self, signed: &SignedHeads) -> Result<(), StoreError> {
        let seq = i64::try_from(signed.seq).map_err(|_| StoreError::Damaged {
            path: self.path.display().to_string(),
            reason: format!("attestation seq {} is out of range", signed.seq),
        })?;
        self.transaction
            .prepare_cached(
                "INSERT INTO attestations (seq, heads, at, signature) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    seq,
                    encode_heads(&signed.heads),
                    signed.at.as_millis(),
                    signed.signature.to_bytes().as_slice()
                ])
            })
            .map_err(|e| self.error(e))?;
        self.transaction
            .prepare_cached("DELETE FROM attestations WHERE seq < ?1")
            .and_then(|mut statement| statement.execute([seq]))
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Makes the writes durable: when this returns `Ok`, they are on disk.
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        self.transaction.commit().map_err(|e| classify(path, e))
    }

    fn error(&self, error: rusqlite::Error) -> StoreError {
        classify(self.path, error)
    }
}

impl DocName {
    /// The name stored in `doc_chunks.doc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::City => "city",
            Self::Inbox => "inbox",
        }
    }

    /// The statement appending a chunk to this document, answering its seq. The name
    /// is written in, not bound: SQLite lets a bound value steer the plan of a
    /// `MAX(seq) … WHERE doc = ?`, so it marks such a statement to be compiled again
    /// whenever its parameters are cleared, which rusqlite's statement cache does after
    /// every use — a parse and plan on every write (about 4% of a write's CPU).
    const fn append_sql(self) -> &'static str {
        match self {
            Self::Community => {
                "INSERT INTO doc_chunks (doc, seq, bytes) VALUES ('community',
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc = 'community'),
                     ?1)
                 RETURNING seq"
            }
            Self::City => {
                "INSERT INTO doc_chunks (doc, seq, bytes) VALUES ('city',
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc = 'city'),
                     ?1)
                 RETURNING seq"
            }
            Self::Inbox => {
                "INSERT INTO doc_chunks (doc, seq, bytes) VALUES ('inbox',
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc = 'inbox'),
                     ?1)
                 RETURNING seq"
            }
        }
    }
}

impl fmt::Display for DocName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Heads as stored: 32 bytes each, concatenated.
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|head| head.0).collect()
}

/// Heads from their stored form; `None` if the bytes are not whole hashes.
pub fn decode_heads(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|chunk| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(chunk);
                ChangeHash(hash)
            })
            .collect(),
    )
}

/// Sorts a SQLite error into what the user can do about it.
fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    let shown = path.display().to_string();
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Damaged {
            path: shown,
            reason: error.to_string(),
        },
        Some(ErrorCode::DiskFull) => StoreError::DiskFull { path: shown },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path: shown },
        _ => StoreError::Sqlite {
            path: shown,
            source: error,
        },
    }
}

#[cfg(test)]
mod tests;
