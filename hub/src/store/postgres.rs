//! The hub store in PostgreSQL, for several hub processes behind one address.
//!
//! The same tables as the SQLite store (`schema/store.rs`), in a schema of their own
//! steps (`STEPS`, the count in `wishtree_schema`), run at open under an advisory lock
//! so that two processes starting at once do not both migrate.
//!
//! The trait's calls block, and a hub makes some of them from tokio tasks. So the
//! connections run on a small runtime this store owns, and a call waits for its answer
//! by parking its own thread ([`block_on`]): tokio-postgres's client side does no IO
//! itself (it hands messages to the connection's task), so any thread may wait on it,
//! in a tokio task or not. Idle connections are kept in a small pool; how many are in
//! use at once is bounded by the hub's callers (`ServeOptions::max_steps` session steps,
//! each holding at most a document's lock and one query, the figures worker, the polls),
//! not here.
//!
//! Several processes: a document is merged by one process at a time, under a session
//! advisory lock on its storage key ([`HubStore::lock_doc`]), taken by the hub around
//! load-merge-save (`state/documents.rs`), which first brings its copy up to date with
//! the chunks other processes stored ([`HubStore::chunks_after`]).

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, NoTls};
use wishtree_protocol::attest::{Attested, SignedHeads};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, Timestamp};

use super::{
    BundleReceipt, CommunityRecord, DocLock, EnrolledRole, Enrollment, HubStore, MergeWrite,
    StoreError, StoredDoc, decode_enrollment, decode_key, decode_seq, sql, stored_bundle_seq,
};

/// The first key of every advisory lock this store takes (the second names what is
/// locked), so that they do not collide with another program's in the same database.
const LOCK_SPACE: i32 = 0x7774; // "wt"
/// The second key of the migration lock (documents use `hashtext` of their key).
const MIGRATION_LOCK: i32 = 0;
/// Idle connections kept for the next call.
const IDLE_CONNECTIONS: usize = 16;

/// The store's steps, in order. Each is frozen once released: a change is a new step
/// at the end. The tables are those of `schema/store.rs`, in PostgreSQL's types.
const STEPS: [&str; 1] = [r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE roster (
    key BYTEA PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('node', 'hub')),
    community TEXT,
    scope TEXT,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
);
CREATE UNIQUE INDEX roster_active_community ON roster (community)
    WHERE role = 'node' AND revoked_at IS NULL;
CREATE TABLE doc_chunks (
    doc TEXT NOT NULL,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (doc, seq)
);
CREATE TABLE communities (
    code TEXT PRIMARY KEY,
    last_seen_at BIGINT,
    last_change_at BIGINT
);
CREATE TABLE sync_peers (
    peer BYTEA NOT NULL,
    doc TEXT NOT NULL,
    state BYTEA NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (peer, doc)
);
CREATE TABLE attestations (
    community TEXT PRIMARY KEY,
    signed TEXT NOT NULL,
    signer BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE bundle_issuers (
    issuer BYTEA PRIMARY KEY,
    seq BIGINT NOT NULL,
    bundle_hash BYTEA NOT NULL,
    previous BYTEA,
    accepted_at BIGINT NOT NULL
);
"#];

/// The hub store in a PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    url: String,
    idle: Arc<Mutex<Vec<Client>>>,
    /// Runs the connections' tasks; shut down in the background on drop, since a store
    /// may be dropped inside a tokio task, where a runtime cannot be dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

/// A connection taken from the pool, given back when dropped if it still works.
struct Pooled {
    idle: Arc<Mutex<Vec<Client>>>,
    client: Option<Client>,
}

/// A document's advisory lock, held by its connection's session until dropped. If the
/// unlock fails the connection is closed, which releases the lock too.
struct AdvisoryLock {
    client: Option<Client>,
    idle: Arc<Mutex<Vec<Client>>>,
    key: String,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let unlocked = block_on(client.execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&LOCK_SPACE, &self.key],
        ));
        if unlocked.is_ok() {
            drop(Pooled {
                idle: Arc::clone(&self.idle),
                client: Some(client),
            });
        }
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`) and
    /// runs its migrations.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wishtree-pg")
            .enable_all()
            .build()
            .map_err(|error| StoreError::Unreachable(error.to_string()))?;
        let store = PgStore {
            url: url.to_owned(),
            idle: Arc::new(Mutex::new(Vec::new())),
            runtime: Some(runtime),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut pooled = self.client()?;
        block_on(async {
            let transaction = pooled.get().transaction().await?;
            transaction
                .execute(
                    "SELECT pg_advisory_xact_lock($1, $2)",
                    &[&LOCK_SPACE, &MIGRATION_LOCK],
                )
                .await?;
            transaction
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS wishtree_schema (version INTEGER NOT NULL)",
                )
                .await?;
            let found: Option<i32> = transaction
                .query_opt("SELECT version FROM wishtree_schema", &[])
                .await?
                .map(|row| row.get(0));
            let found = found.unwrap_or(0);
            let known = STEPS.len() as i32;
            if found > known {
                return Err(StoreError::Newer {
                    path: "the PostgreSQL database".to_owned(),
                    found: i64::from(found),
                    known: i64::from(known),
                });
            }
            for step in &STEPS[found as usize..] {
                transaction.batch_execute(step).await?;
            }
            transaction
                .execute("DELETE FROM wishtree_schema", &[])
                .await?;
            transaction
                .execute(
                    "INSERT INTO wishtree_schema (version) VALUES ($1)",
                    &[&known],
                )
                .await?;
            transaction.commit().await?;
            Ok(())
        })
    }

    /// A connection: an idle one, or a new one.
    fn client(&self) -> Result<Pooled, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let client = match idle {
            Some(client) if !client.is_closed() => client,
            _ => self.connect()?,
        };
        Ok(Pooled {
            idle: Arc::clone(&self.idle),
            client: Some(client),
        })
    }

    fn connect(&self) -> Result<Client, StoreError> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Unreachable("the store is closing".to_owned()))?;
        let url = self.url.clone();
        // The TCP connect needs the runtime; the connection's task then lives on it.
        let connected = block_on(runtime.spawn(async move {
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!("a PostgreSQL connection ended: {error}");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        }))
        .map_err(|error| StoreError::Unreachable(error.to_string()))?;
        connected.map_err(|error| StoreError::Unreachable(error.to_string()))
    }

    /// Runs `work` on one connection in one transaction, committed if it returns `Ok`.
    fn in_transaction<T>(
        &self,
        work: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.client()?;
        block_on(async {
            let transaction = pooled.get().transaction().await?;
            let value = work(&transaction).await?;
            transaction.commit().await?;
            Ok(value)
        })
    }

    /// One statement's rows, on a pooled connection.
    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let pooled = self.client()?;
        Ok(block_on(pooled.get_ref().query(sql, params))?)
    }

    /// One statement's changed row count, on a pooled connection.
    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let pooled = self.client()?;
        Ok(block_on(pooled.get_ref().execute(sql, params))?)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Pooled {
    fn get(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }

    fn get_ref(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !client.is_closed()
        {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(client);
            }
        }
    }
}

/// A statement of [`sql`] with PostgreSQL's parameters: `$1` for SQLite's `?1` (no
/// statement there has a `?` of another kind).
fn pg(statement: &str) -> String {
    statement.replace('?', "$")
}

/// Waits for `future` on this thread, parking it between polls. See the module doc for
/// why this is safe for tokio-postgres's client futures anywhere.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::park();
    }
}

/// Appends a chunk and notes the community's change, in the caller's transaction.
async fn append_chunk_in(
    client: &impl GenericClient,
    doc: StoredDoc,
    bytes: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    client
        .execute(&pg(sql::APPEND_CHUNK), &[&doc.storage_key(), &bytes])
        .await?;
    if let StoredDoc::Community(code) = doc {
        client
            .execute(&pg(sql::NOTE_CHANGE), &[&code.to_string(), &at.as_millis()])
            .await?;
    }
    Ok(())
}

/// Replaces a document's chunks by one full save, keeping the next seq (see SQLite's).
async fn compact_in(
    client: &impl GenericClient,
    doc: StoredDoc,
    full_save: &[u8],
) -> Result<(), StoreError> {
    let key = doc.storage_key();
    let last: Option<i64> = client.query_one(&pg(sql::LAST_SEQ), &[&key]).await?.get(0);
    client.execute(&pg(sql::DELETE_CHUNKS), &[&key]).await?;
    client
        .execute(
            &pg(sql::INSERT_CHUNK_AT),
            &[&key, &(last.unwrap_or(0) + 1), &full_save],
        )
        .await?;
    Ok(())
}

async fn save_sync_state_in(
    client: &impl GenericClient,
    peer: &PublicKey,
    doc: StoredDoc,
    state: &[u8],
) -> Result<(), StoreError> {
    client
        .execute(
            &pg(sql::UPSERT_SYNC_STATE),
            &[&peer.to_bytes().as_slice(), &doc.storage_key(), &state],
        )
        .await?;
    Ok(())
}

fn row_to_enrollment(row: &tokio_postgres::Row) -> Result<Enrollment, StoreError> {
    decode_enrollment((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
    ))
}

async fn read_enrollment(
    client: &impl GenericClient,
    key: &PublicKey,
) -> Result<Option<Enrollment>, StoreError> {
    client
        .query_opt(
            &format!("{} WHERE key = $1", sql::ENROLLMENTS),
            &[&key.to_bytes().as_slice()],
        )
        .await?
        .map(|row| row_to_enrollment(&row))
        .transpose()
}

async fn active_key(
    client: &impl GenericClient,
    community: CommunityCode,
) -> Result<Option<PublicKey>, StoreError> {
    client
        .query_opt(&pg(sql::ACTIVE_KEY), &[&community.to_string()])
        .await?
        .map(|row| decode_key(&row.try_get::<_, Vec<u8>>(0)?))
        .transpose()
}

impl HubStore for PgStore {
    fn enroll(
        &self,
        key: PublicKey,
        role: EnrolledRole,
        at: Timestamp,
    ) -> Result<Enrollment, StoreError> {
        let (role_name, community, scope) = super::role_columns(&role);
        let enrolled = Enrollment {
            key,
            role,
            enrolled_at: at,
            revoked: None,
        };
        self.in_transaction(async move |transaction| {
            if let Some(existing) = read_enrollment(transaction, &enrolled.key).await? {
                return Err(StoreError::AlreadyEnrolled {
                    key: enrolled.key.short(),
                    role: existing.role.to_string(),
                });
            }
            if let EnrolledRole::Node { community } = &enrolled.role
                && let Some(active) = active_key(transaction, *community).await?
            {
                return Err(StoreError::CommunityTaken {
                    community: *community,
                    key: active.short(),
                });
            }
            transaction
                .execute(
                    &pg(sql::INSERT_ENROLLMENT),
                    &[
                        &enrolled.key.to_bytes().as_slice(),
                        &role_name,
                        &community,
                        &scope,
                        &at.as_millis(),
                    ],
                )
                .await?;
            Ok(enrolled)
        })
    }

    fn revoke(
        &self,
        key: &PublicKey,
        at: Timestamp,
        reason: &str,
    ) -> Result<Enrollment, StoreError> {
        self.in_transaction(async move |transaction| {
            let changed = transaction
                .execute(
                    &pg(sql::REVOKE),
                    &[&key.to_bytes().as_slice(), &at.as_millis(), &reason],
                )
                .await?;
            let enrollment = read_enrollment(transaction, key)
                .await?
                .ok_or_else(|| StoreError::NotEnrolled(key.short()))?;
            if changed == 0 && enrollment.revoked.is_none() {
                return Err(StoreError::NotEnrolled(key.short()));
            }
            Ok(enrollment)
        })
    }

    fn enrollment(&self, key: &PublicKey) -> Result<Option<Enrollment>, StoreError> {
        let pooled = self.client()?;
        block_on(read_enrollment(pooled.get_ref(), key))
    }

    fn community_key(&self, community: CommunityCode) -> Result<Option<PublicKey>, StoreError> {
        let pooled = self.client()?;
        block_on(active_key(pooled.get_ref(), community))
    }

    fn enrollments(&self) -> Result<Vec<Enrollment>, StoreError> {
        self.query(
            &format!("{} ORDER BY enrolled_at, key", sql::ENROLLMENTS),
            &[],
        )?
        .iter()
        .map(row_to_enrollment)
        .collect()
    }

    fn doc_bytes(&self, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.query(&pg(sql::CHUNKS), &[&doc.storage_key()])?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for row in rows {
            bytes.extend_from_slice(row.try_get::<_, &[u8]>(0)?);
        }
        Ok(Some(bytes))
    }

    fn append_chunk(&self, doc: StoredDoc, bytes: &[u8], at: Timestamp) -> Result<(), StoreError> {
        self.in_transaction(async move |transaction| {
            append_chunk_in(transaction, doc, bytes, at).await
        })
    }

    fn last_bundle_seq(&self, issuer: &PublicKey) -> Result<Option<u64>, StoreError> {
        self.query(&pg(sql::BUNDLE_SEQ), &[&issuer.to_bytes().as_slice()])?
            .first()
            .map(|row| decode_seq(row.try_get(0)?))
            .transpose()
    }

    fn accept_bundle(
        &self,
        doc: StoredDoc,
        chunk: &[u8],
        receipt: &BundleReceipt,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = stored_bundle_seq(receipt)?;
        self.in_transaction(async move |transaction| {
            // As in SQLite's: the seq is raised only if it grows, and a second import
            // that raced past the check rolls back with its chunk.
            let raised = transaction
                .execute(
                    &pg(sql::RAISE_BUNDLE_SEQ),
                    &[
                        &receipt.issuer.to_bytes().as_slice(),
                        &seq,
                        &receipt.hash.as_slice(),
                        &receipt.previous.as_ref().map(<[u8; 32]>::as_slice),
                        &at.as_millis(),
                    ],
                )
                .await?;
            if raised == 0 {
                let last: i64 = transaction
                    .query_one(
                        &pg(sql::BUNDLE_SEQ),
                        &[&receipt.issuer.to_bytes().as_slice()],
                    )
                    .await?
                    .try_get(0)?;
                return Err(StoreError::BundleNotNewer {
                    seq: receipt.seq,
                    last: u64::try_from(last).unwrap_or(0),
                });
            }
            if !chunk.is_empty() {
                append_chunk_in(transaction, doc, chunk, at).await?;
            }
            Ok(())
        })
    }

    fn compact(&self, doc: StoredDoc, full_save: &[u8]) -> Result<(), StoreError> {
        self.in_transaction(async move |transaction| compact_in(transaction, doc, full_save).await)
    }

    fn store_merge(&self, merge: &MergeWrite<'_>) -> Result<(), StoreError> {
        let merge = *merge;
        self.in_transaction(async move |transaction| {
            if let Some(chunk) = merge.chunk {
                append_chunk_in(transaction, merge.doc, chunk, merge.at).await?;
            }
            if let Some(full_save) = merge.full_save {
                compact_in(transaction, merge.doc, full_save).await?;
            }
            if let Some((peer, state)) = merge.sync_state {
                save_sync_state_in(transaction, peer, merge.doc, state).await?;
            }
            Ok(())
        })
    }

    fn chunk_count(&self, doc: StoredDoc) -> Result<usize, StoreError> {
        let count: i64 = self
            .query(&pg(sql::CHUNK_COUNT), &[&doc.storage_key()])?
            .first()
            .map(|row| row.try_get(0))
            .transpose()?
            .unwrap_or(0);
        Ok(count.max(0) as usize)
    }

    fn communities(&self) -> Result<Vec<CommunityRecord>, StoreError> {
        self.query(&pg(sql::COMMUNITIES), &[])?
            .iter()
            .map(|row| super::community_record(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
            .collect()
    }

    fn record_seen(&self, community: CommunityCode, at: Timestamp) -> Result<(), StoreError> {
        self.execute(
            &pg(sql::NOTE_SEEN),
            &[&community.to_string(), &at.as_millis()],
        )?;
        Ok(())
    }

    fn sync_state(&self, peer: &PublicKey, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        self.query(
            &pg(sql::SYNC_STATE),
            &[&peer.to_bytes().as_slice(), &doc.storage_key()],
        )?
        .first()
        .map(|row| Ok(row.try_get(0)?))
        .transpose()
    }

    fn save_sync_state(
        &self,
        peer: &PublicKey,
        doc: StoredDoc,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let pooled = self.client()?;
        block_on(save_sync_state_in(pooled.get_ref(), peer, doc, state))
    }

    fn record_attestation(
        &self,
        attested: &Attested,
        received_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let signed = attested.signed();
        let json = super::signed_heads_json(signed)?;
        let changed = self.execute(
            &pg(sql::UPSERT_ATTESTATION),
            &[
                &signed.community.to_string(),
                &json,
                &signed.signer.to_bytes().as_slice(),
                &(signed.seq as i64),
                &received_at.as_millis(),
            ],
        )?;
        Ok(changed > 0)
    }

    fn attestation(&self, community: CommunityCode) -> Result<Option<SignedHeads>, StoreError> {
        self.query(&pg(sql::ATTESTATION), &[&community.to_string()])?
            .first()
            .map(|row| super::signed_heads_from_json(row.try_get(0)?))
            .transpose()
    }

    fn backup(&self, _path: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "a hub on PostgreSQL is backed up with pg_dump (see the README), not wishtree-hub backup",
        ))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.query(&pg(sql::SETTING), &[&key])?
            .first()
            .map(|row| Ok(row.try_get(0)?))
            .transpose()
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute(&pg(sql::UPSERT_SETTING), &[&key, &value])?;
        Ok(())
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn lock_doc(&self, doc: StoredDoc) -> Result<DocLock, StoreError> {
        let mut pooled = self.client()?;
        let key = doc.storage_key();
        block_on(pooled.get_ref().execute(
            "SELECT pg_advisory_lock($1, hashtext($2))",
            &[&LOCK_SPACE, &key],
        ))?;
        Ok(DocLock::held(AdvisoryLock {
            client: pooled.client.take(),
            idle: Arc::clone(&self.idle),
            key,
        }))
    }

    fn doc_seq(&self, doc: StoredDoc) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .query(&pg(sql::LAST_SEQ), &[&doc.storage_key()])?
            .first()
            .map(|row| row.try_get(0))
            .transpose()?
            .flatten();
        decode_seq(last.unwrap_or(0))
    }

    fn chunks_after(&self, doc: StoredDoc, after: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.query(&pg(sql::CHUNKS_AFTER), &[&doc.storage_key(), &after])?
            .iter()
            .map(|row| Ok(row.try_get(0)?))
            .collect()
    }
}
