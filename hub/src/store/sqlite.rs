//! The embedded hub store: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! One connection behind a mutex does all the work. SQLite serialises writers
//! anyway, and the hub's writes are short (a chunk, a sync state, an attestation);
//! readers that need their own connection (the figures API) open the same file.
//!
//! Merges share commits: with `synchronous=FULL` a commit waits for the disk, which
//! takes longer than a merge's CPU, so sessions that merge at once queue their writes,
//! and whoever takes the connection next writes every queued one in one transaction
//! (one disk sync) and answers each; a merge returns only once its write is committed.
//!
//! Checkpoints are off the commit path: a commit that finds the write-ahead log past
//! SQLite's default 1,000 pages copies it into the database file and syncs it (tens
//! of milliseconds), so whichever merge or re-derivation committed then paid for all
//! the others. The checkpoint worker (`run.rs`) calls [`SqliteStore::checkpoint`]
//! every second on a connection of its own, which waits for no writer and holds up
//! none; a commit checkpoints itself only past [`WAL_PAGES_BEFORE_A_COMMIT_CHECKPOINTS`],
//! should the worker fall behind.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, mpsc};

use rusqlite::{Connection, OptionalExtension, params};
use wishtree_common::migrations::MigrationError;
use wishtree_common::sqlite_backup::{BackupProgress, online_backup};
use wishtree_protocol::attest::{Attested, SignedHeads};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, Timestamp};

use super::{
    BundleReceipt, ChunkStats, CommunityRecord, EnrolledRole, Enrollment, HubStore, MergeWrite,
    RawEnrollment, StoreError, StoredDoc, community_record, decode_enrollment, decode_key,
    decode_seq, role_columns, signed_heads_from_json, signed_heads_json, sql, stored_bundle_seq,
};

/// The hub store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
    /// The checkpoint worker's connection, opened at its first checkpoint.
    checkpointer: Mutex<Option<Connection>>,
    /// Merges waiting for the connection, written together by the next to take it.
    queued_merges: Mutex<Vec<QueuedMerge>>,
}

/// A merge's write waiting to be committed, and where its result goes.
#[derive(Debug)]
struct QueuedMerge {
    doc: StoredDoc,
    chunk: Option<Vec<u8>>,
    full_save: Option<Vec<u8>>,
    sync_state: Option<(PublicKey, Vec<u8>)>,
    at: Timestamp,
    done: mpsc::Sender<Result<(), StoreError>>,
}

/// Pages the write-ahead log may hold before a commit checkpoints it itself: a safety
/// net for a checkpoint worker that falls behind (see the module doc).
pub const WAL_PAGES_BEFORE_A_COMMIT_CHECKPOINTS: u32 = 10_000;

/// Compiled statements a connection to the hub's file keeps. The hub's code names some
/// 120 statements with `prepare_cached`, and one connection runs the merges and every
/// figure derivation: at rusqlite's default of 16 a derivation's cycle of statements
/// evicted each one before its next use, so every statement was compiled again each
/// time (SQLite's parser showed in the figures worker's profile). A compiled
/// statement costs a few KiB.
pub const STATEMENTS_KEPT: usize = 256;

/// What a checkpoint found and did, in pages of the write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    /// Pages in the log.
    pub logged: u64,
    /// Of those, pages now copied into the database file (fewer while a reader still
    /// reads an older state).
    pub copied: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and runs its migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let damaged = |error: rusqlite::Error| StoreError::Damaged {
            path: path.display().to_string(),
            reason: error.to_string(),
        };
        let mut connection = Connection::open(path).map_err(damaged)?;
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;",
            )
            .map_err(damaged)?;
        connection
            .pragma_update(
                None,
                "wal_autocheckpoint",
                WAL_PAGES_BEFORE_A_COMMIT_CHECKPOINTS,
            )
            .map_err(damaged)?;
        // A file that is not a database fails here, on the first read.
        crate::schema::migrate(&mut connection).map_err(|error| match error {
            MigrationError::Newer { found, known } => StoreError::Newer {
                path: path.display().to_string(),
                found,
                known,
            },
            MigrationError::Sqlite(error) => damaged(error),
        })?;
        Ok(Self {
            path: path.to_owned(),
            connection: Mutex::new(connection),
            checkpointer: Mutex::new(None),
            queued_merges: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one transaction on the store's connection. This is how modules
    /// with their own tables in the same file (the figures) write beside the store.
    pub fn with_transaction<T, E: From<rusqlite::Error>>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction_as(rusqlite::TransactionBehavior::Deferred, work)
    }

    /// [`Self::with_transaction`], the transaction begun as a write (`BEGIN
    /// IMMEDIATE`): one that reads and then writes on what it read (a throttle's
    /// count) holds the file's write lock from its first read, so that another
    /// process's does not read the same count meanwhile.
    pub fn with_write_transaction<T, E: From<rusqlite::Error>>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction_as(rusqlite::TransactionBehavior::Immediate, work)
    }

    fn transaction_as<T, E: From<rusqlite::Error>>(
        &self,
        behavior: rusqlite::TransactionBehavior,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(behavior)?;
        let value = work(&transaction)?;
        transaction.commit()?;
        Ok(value)
    }

    /// [`HubStore::backup`], telling `progress` how far it is: SQLite's online backup
    /// in one read snapshot ([`wishtree_common::sqlite_backup`]). It holds this store's
    /// connection for the copy, so a running hub's writes go on only through another
    /// store (`wishtree-hub backup` is a process of its own).
    pub fn backup_with_progress(
        &self,
        path: &Path,
        progress: impl FnMut(BackupProgress),
    ) -> Result<(), StoreError> {
        Ok(online_backup(&self.lock(), path, progress)?)
    }

    /// Copies what the write-ahead log holds into the database file, as far as no
    /// reader still needs it (SQLite's passive checkpoint), on a connection of its own:
    /// writers and readers go on meanwhile. The checkpoint worker calls it.
    pub fn checkpoint(&self) -> Result<Checkpointed, StoreError> {
        let mut checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let connection = match &mut *checkpointer {
            Some(connection) => connection,
            None => {
                let connection = Connection::open(&self.path)?;
                connection.busy_timeout(std::time::Duration::from_secs(5))?;
                checkpointer.insert(connection)
            }
        };
        let (logged, copied) =
            connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            })?;
        // Both are -1 when the file is not in WAL mode (it always is here).
        Ok(Checkpointed {
            logged: u64::try_from(logged).unwrap_or(0),
            copied: u64::try_from(copied).unwrap_or(0),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Vec<QueuedMerge>> {
        // Only pushes and a take under this lock: never half-written.
        self.queued_merges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the
        // transaction rolls back), so a poisoned lock is still usable.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Notes that a community's node connected at `at`, on a connection or inside a
/// transaction (the figures worker records many at once).
pub fn record_seen_in(
    connection: &Connection,
    community: CommunityCode,
    at: Timestamp,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(sql::NOTE_SEEN)?
        .execute(params![community.to_string(), at.as_millis()])?;
    Ok(())
}

impl HubStore for SqliteStore {
    fn enroll(
        &self,
        key: PublicKey,
        role: EnrolledRole,
        at: Timestamp,
    ) -> Result<Enrollment, StoreError> {
        let connection = self.lock();
        if let Some(existing) = read_enrollment(&connection, &key)? {
            return Err(StoreError::AlreadyEnrolled {
                key: key.short(),
                role: existing.role.to_string(),
            });
        }
        let (role_name, community, scope) = role_columns(&role);
        if let EnrolledRole::Node { community } = &role
            && let Some(active) = active_key(&connection, *community)?
        {
            return Err(StoreError::CommunityTaken {
                community: *community,
                key: active.short(),
            });
        }
        connection.execute(
            sql::INSERT_ENROLLMENT,
            params![
                key.to_bytes().as_slice(),
                role_name,
                community,
                scope,
                at.as_millis()
            ],
        )?;
        Ok(Enrollment {
            key,
            role,
            enrolled_at: at,
            revoked: None,
        })
    }

    fn revoke(
        &self,
        key: &PublicKey,
        at: Timestamp,
        reason: &str,
    ) -> Result<Enrollment, StoreError> {
        let connection = self.lock();
        let changed = connection.execute(
            sql::REVOKE,
            params![key.to_bytes().as_slice(), at.as_millis(), reason],
        )?;
        let enrollment = read_enrollment(&connection, key)?
            .ok_or_else(|| StoreError::NotEnrolled(key.short()))?;
        if changed == 0 && enrollment.revoked.is_none() {
            return Err(StoreError::NotEnrolled(key.short()));
        }
        Ok(enrollment)
    }

    fn enrollment(&self, key: &PublicKey) -> Result<Option<Enrollment>, StoreError> {
        read_enrollment(&self.lock(), key)
    }

    fn community_key(&self, community: CommunityCode) -> Result<Option<PublicKey>, StoreError> {
        active_key(&self.lock(), community)
    }

    fn enrollments(&self) -> Result<Vec<Enrollment>, StoreError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare(&format!("{} ORDER BY enrolled_at, key", sql::ENROLLMENTS))?;
        let rows = statement.query_map([], row_to_raw)?;
        rows.map(|row| decode_enrollment(row?)).collect()
    }

    fn doc_bytes(&self, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(sql::CHUNKS)?;
        let mut rows = statement.query([doc.storage_key()])?;
        let mut bytes = Vec::new();
        let mut any = false;
        while let Some(row) = rows.next()? {
            any = true;
            let chunk: Vec<u8> = row.get(0)?;
            bytes.extend_from_slice(&chunk);
        }
        Ok(any.then_some(bytes))
    }

    fn append_chunk(&self, doc: StoredDoc, bytes: &[u8], at: Timestamp) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        append_chunk_in(&transaction, doc, bytes, at)?;
        transaction.commit()?;
        Ok(())
    }

    fn last_bundle_seq(&self, issuer: &PublicKey) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = self
            .lock()
            .query_row(sql::BUNDLE_SEQ, [issuer.to_bytes().as_slice()], |row| {
                row.get(0)
            })
            .optional()?;
        seq.map(decode_seq).transpose()
    }

    fn accept_bundle(
        &self,
        doc: StoredDoc,
        chunk: &[u8],
        receipt: &BundleReceipt,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = stored_bundle_seq(receipt)?;
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        // The seq is raised only if it grows: a second import of the same bundle that
        // raced past the check before this transaction finds it taken, and its chunk
        // rolls back with it.
        let raised = transaction.execute(
            sql::RAISE_BUNDLE_SEQ,
            params![
                receipt.issuer.to_bytes().as_slice(),
                seq,
                receipt.hash.as_slice(),
                receipt.previous.as_ref().map(<[u8; 32]>::as_slice),
                at.as_millis()
            ],
        )?;
        if raised == 0 {
            let last: i64 = transaction.query_row(
                sql::BUNDLE_SEQ,
                [receipt.issuer.to_bytes().as_slice()],
                |row| row.get(0),
            )?;
            return Err(StoreError::BundleNotNewer {
                seq: receipt.seq,
                last: u64::try_from(last).unwrap_or(0),
            });
        }
        if !chunk.is_empty() {
            append_chunk_in(&transaction, doc, chunk, at)?;
        }
        transaction.commit()?;
        Ok(())
    }

    fn compact(&self, doc: StoredDoc, full_save: &[u8]) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        compact_in(&transaction, doc, full_save)?;
        transaction.commit()?;
        Ok(())
    }

    fn store_merge(&self, merge: &MergeWrite<'_>) -> Result<(), StoreError> {
        let (done, result) = mpsc::channel();
        self.queue().push(QueuedMerge {
            doc: merge.doc,
            chunk: merge.chunk.map(<[u8]>::to_vec),
            full_save: merge.full_save.map(<[u8]>::to_vec),
            sync_state: merge
                .sync_state
                .map(|(peer, state)| (*peer, state.to_vec())),
            at: merge.at,
            done,
        });
        let mut connection = self.lock();
        // Whoever held the connection may have committed this write with its own.
        if let Ok(committed) = result.try_recv() {
            return committed;
        }
        // Not answered, so still queued: writes are taken from the queue and answered
        // only under the connection's lock, which this thread holds now.
        let batch = std::mem::take(&mut *self.queue());
        commit_merges(&mut connection, batch);
        result.recv().unwrap_or_else(|_| {
            Err(StoreError::Damaged {
                path: self.path.display().to_string(),
                reason: "a merge's write was lost from the commit queue".to_owned(),
            })
        })
    }

    fn chunk_stats(&self, doc: StoredDoc) -> Result<ChunkStats, StoreError> {
        let (count, bytes): (i64, i64) =
            self.lock()
                .query_row(sql::CHUNK_STATS, [doc.storage_key()], |row| row.try_into())?;
        Ok(ChunkStats::new(count, bytes))
    }

    fn communities(&self) -> Result<Vec<CommunityRecord>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(sql::COMMUNITIES)?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Option<i64>>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (code, seen, changed) = row?;
            community_record(code, seen, changed)
        })
        .collect()
    }

    fn record_seen(&self, community: CommunityCode, at: Timestamp) -> Result<(), StoreError> {
        record_seen_in(&self.lock(), community, at)?;
        Ok(())
    }

    fn sync_state(&self, peer: &PublicKey, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                sql::SYNC_STATE,
                params![peer.to_bytes().as_slice(), doc.storage_key()],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn save_sync_state(
        &self,
        peer: &PublicKey,
        doc: StoredDoc,
        state: &[u8],
    ) -> Result<(), StoreError> {
        save_sync_state_in(&self.lock(), peer, doc, state)
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row(sql::SETTING, [key], |row| row.get(0))
            .optional()?)
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(sql::UPSERT_SETTING, params![key, value])?;
        Ok(())
    }

    fn record_attestation(
        &self,
        attested: &Attested,
        received_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let signed = attested.signed();
        let json = signed_heads_json(signed)?;
        // Newer means a greater seq from the same signer; a new signer (a rotated key)
        // replaces the old one's record.
        let changed = self.lock().execute(
            sql::UPSERT_ATTESTATION,
            params![
                signed.community.to_string(),
                json,
                signed.signer.to_bytes().as_slice(),
                signed.seq as i64,
                received_at.as_millis()
            ],
        )?;
        Ok(changed > 0)
    }

    fn attestation(&self, community: CommunityCode) -> Result<Option<SignedHeads>, StoreError> {
        let json: Option<String> = self
            .lock()
            .query_row(sql::ATTESTATION, [community.to_string()], |row| row.get(0))
            .optional()?;
        json.as_deref().map(signed_heads_from_json).transpose()
    }

    fn backup(&self, path: &Path) -> Result<(), StoreError> {
        self.backup_with_progress(path, |_| {})
    }

    fn doc_seq(&self, doc: StoredDoc) -> Result<u64, StoreError> {
        let last: Option<i64> =
            self.lock()
                .query_row(sql::LAST_SEQ, [doc.storage_key()], |row| row.get(0))?;
        decode_seq(last.unwrap_or(0))
    }

    fn chunks_after(&self, doc: StoredDoc, after: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(sql::CHUNKS_AFTER)?;
        let rows = statement.query_map(
            params![doc.storage_key(), i64::try_from(after).unwrap_or(i64::MAX)],
            |row| row.get(0),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Writes `batch` in one transaction and answers each merge. If the transaction
/// fails, each is written alone, so that one bad write fails only its own merge.
fn commit_merges(connection: &mut Connection, batch: Vec<QueuedMerge>) {
    if batch.len() > 1 && write_merges(connection, &batch).is_ok() {
        for merge in batch {
            // A merge whose session gave up waiting has no one to tell.
            let _ = merge.done.send(Ok(()));
        }
        return;
    }
    for merge in batch {
        let alone = write_merges(connection, std::slice::from_ref(&merge));
        let _ = merge.done.send(alone);
    }
}

fn write_merges(connection: &mut Connection, merges: &[QueuedMerge]) -> Result<(), StoreError> {
    let transaction = connection.transaction()?;
    for merge in merges {
        if let Some(chunk) = &merge.chunk {
            append_chunk_in(&transaction, merge.doc, chunk, merge.at)?;
        }
        if let Some(full_save) = &merge.full_save {
            compact_in(&transaction, merge.doc, full_save)?;
        }
        if let Some((peer, state)) = &merge.sync_state {
            save_sync_state_in(&transaction, peer, merge.doc, state)?;
        }
    }
    transaction.commit()?;
    Ok(())
}

/// Appends a chunk and notes the community's change, in the caller's transaction.
/// Replaces a document's chunks by one full save, which keeps the next seq so that
/// seqs never repeat.
fn compact_in(connection: &Connection, doc: StoredDoc, full_save: &[u8]) -> Result<(), StoreError> {
    let key = doc.storage_key();
    let last: Option<i64> = connection.query_row(sql::LAST_SEQ, [&key], |row| row.get(0))?;
    connection.execute(sql::DELETE_CHUNKS, [&key])?;
    connection.execute(
        sql::INSERT_CHUNK_AT,
        params![key, last.unwrap_or(0) + 1, full_save],
    )?;
    Ok(())
}

fn save_sync_state_in(
    connection: &Connection,
    peer: &PublicKey,
    doc: StoredDoc,
    state: &[u8],
) -> Result<(), StoreError> {
    connection.execute(
        sql::UPSERT_SYNC_STATE,
        params![peer.to_bytes().as_slice(), doc.storage_key(), state],
    )?;
    Ok(())
}

fn append_chunk_in(
    transaction: &rusqlite::Transaction<'_>,
    doc: StoredDoc,
    bytes: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    transaction.execute(sql::APPEND_CHUNK, params![doc.storage_key(), bytes])?;
    if let StoredDoc::Community(code) = doc {
        transaction.execute(sql::NOTE_CHANGE, params![code.to_string(), at.as_millis()])?;
    }
    Ok(())
}

fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEnrollment> {
    row.try_into()
}

fn read_enrollment(
    connection: &Connection,
    key: &PublicKey,
) -> Result<Option<Enrollment>, StoreError> {
    connection
        .query_row(
            &format!("{} WHERE key = ?1", sql::ENROLLMENTS),
            [key.to_bytes().as_slice()],
            row_to_raw,
        )
        .optional()?
        .map(decode_enrollment)
        .transpose()
}

fn active_key(
    connection: &Connection,
    community: CommunityCode,
) -> Result<Option<PublicKey>, StoreError> {
    let key: Option<Vec<u8>> = connection
        .query_row(sql::ACTIVE_KEY, [community.to_string()], |row| row.get(0))
        .optional()?;
    key.map(|bytes| decode_key(&bytes)).transpose()
}

#[cfg(test)]
mod tests;
