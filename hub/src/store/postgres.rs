//! The hub store in PostgreSQL, for several hub processes behind one address.
//!
//! The same tables as the SQLite store (`schema/store.rs`, and the accounts' of
//! `schema/accounts.rs`, whose `AccountStore` impl is `accounts/postgres.rs`), and the
//! figures', the members' and the bulletins' (`figure_tables.rs`, run through
//! [`PgStore::with_db`] and [`PgStore::in_db_transaction`]), in a schema of their own
//! steps (`STEPS`, the count in `wishtree_schema`), run at open
//! under an advisory lock so that two processes starting at once do not both migrate.
//!
//! The trait's calls block, and a hub makes some of them from tokio tasks. So each
//! connection is driven by the thread that waits on it, on its own socket
//! ([`driven::Driven`]): no runtime is needed, any thread may wait, in a tokio task or
//! not, and the server's answer wakes the caller directly. Idle connections are kept
//! in a small pool; how many are in use at once is bounded by the hub's callers
//! (`ServeOptions::max_steps` session steps, each holding at most a document's lock and
//! one query, the figures worker, the polls), not here.
//!
//! Several processes: a document is merged by one process at a time, under a session
//! advisory lock on its storage key ([`HubStore::lock_doc`]), taken by the hub around
//! load-merge-save (`state/documents.rs`), which first brings its copy up to date with
//! the chunks other processes stored ([`HubStore::chunks_after`]). The lock and the
//! seq read under it go in one message, as do the seq read after a merge and the
//! unlock ([`PgStore::lock_named_at_seq`]): a simple query of two statements, one
//! round trip and one transaction.

use std::cell::RefCell;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, GenericClient};
use wishtree_protocol::attest::{Attested, SignedHeads};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, Timestamp};

use crate::sql::{Db, PgDb, SqlError, Statements};

use super::{
    BundleReceipt, ChunkStats, CommunityRecord, DocLock, EnrolledRole, Enrollment, HubStore,
    MergeWrite, StoreError, StoredDoc, decode_enrollment, decode_key, decode_seq, sql,
    stored_bundle_seq,
};

mod driven;
mod figure_tables;
mod hub_store;
mod locks;
mod noting_failures;

pub(crate) use driven::Driven;
use locks::{AdvisoryLock, quoted};
use noting_failures::NotingFailures;

/// The first key of every advisory lock this store takes (the second names what is
/// locked), so that they do not collide with another program's in the same database.
const LOCK_SPACE: i32 = 0x7774; // "wt"
/// The second key of the migration lock (documents use `hashtext` of their key).
const MIGRATION_LOCK: i32 = 0;
/// Idle connections kept for the next call.
const IDLE_CONNECTIONS: usize = 16;

/// Set on every connection when it opens. JIT compiling pays off for queries of
/// seconds; a figure query takes milliseconds, and one whose plan's cost passes
/// `jit_above_cost` (the raw rows of a big city) would spend tens of milliseconds
/// compiling it, at every run. A prepared statement keeps one generic plan: left to
/// choose (`auto`), PostgreSQL planned many figure statements again at every run, for
/// their values, 0.08–0.16 ms each (about as long as some took to run), where SQLite
/// runs the plan it compiled. The statements whose plan must fit their values
/// (a range of codes that is a city or a few communities) are marked so
/// ([`crate::sql::Db::run_fresh`]) and run under `force_custom_plan`
/// (`sql::postgres`). (Planning every statement every run, `force_custom_plan` for
/// all, was measured too: a member's standing 2.5x faster, but most figures 5–70%
/// slower at their p50 for the planning, bench city of 300 communities.)
const SESSION_SETTINGS: &str = "SET jit = off; SET plan_cache_mode = force_generic_plan";

/// The store's steps, in order. Each is frozen once released: a change is a new step
/// at the end. The tables are those of `schema/store.rs` and `schema/accounts.rs`, in
/// PostgreSQL's types, then every other table of the hub's SQLite file.
const STEPS: [&str; 8] = [
    r#"
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
"#,
    // The accounts, their tokens and sessions, the audit log and the units' annual
    // texts (`schema/accounts.rs`), shared by every process of the hub; and the
    // secrets those processes share (the cookie key, `accounts/postgres.rs`).
    r#"
CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('city', 'district', 'street', 'org')),
    scope TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE account_tokens (
    token_hash BYTEA PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);
CREATE TABLE account_sessions (
    id BYTEA PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX account_sessions_account ON account_sessions (account);
CREATE INDEX account_tokens_account ON account_tokens (account);
CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE unit_annual_texts (
    org BYTEA NOT NULL,
    year INTEGER NOT NULL,
    text TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (org, year)
);
CREATE TABLE hub_secrets (name TEXT PRIMARY KEY, secret BYTEA NOT NULL);
"#,
    // The figures', the members' elsewhere and the bulletins' tables, in their shape
    // in SQLite at its version 29 (issue 15).
    figure_tables::STEP,
    // The throttles' failures (`schema/accounts.rs`, its third step; SQLite's version
    // 30), which every process counts alike.
    r#"
CREATE TABLE throttle_failures (
    kind TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX throttle_failures_key ON throttle_failures (kind, key, at);
CREATE INDEX throttle_failures_at ON throttle_failures (at);
"#,
    // An organisation's figures read its rows through its own indexes, and SQLite's
    // hold the primary key's columns too (its tables are `WITHOUT ROWID`), so it reads
    // no row; PostgreSQL's held only their own and read the table for the community
    // (a unit's communities and units reported, its projects by stage, its medians of
    // days waited). Its indexes of the same names hold them as `INCLUDE` columns: the
    // largest unit's five statements 0.40 → 0.26 ms of execution, its medians walking
    // the index alone in order (EXPLAIN ANALYZE of the generic plans, bench city of
    // 300 communities).
    r#"
DROP INDEX fig_orgs_id;
CREATE INDEX fig_orgs_id ON fig_orgs (id, reported_day) INCLUDE (community);
DROP INDEX fig_wishes_claim_org;
CREATE INDEX fig_wishes_claim_org ON fig_wishes (credited_org, claim_days, submitted_day)
    INCLUDE (community) WHERE claim_days IS NOT NULL;
DROP INDEX fig_wishes_fulfil_org;
CREATE INDEX fig_wishes_fulfil_org ON fig_wishes (credited_org, fulfil_days, submitted_day)
    INCLUDE (community) WHERE fulfil_days IS NOT NULL;
DROP INDEX fig_project_units_org;
CREATE INDEX fig_project_units_org ON fig_project_units (org, community) INCLUDE (project);
"#,
    // A wide region's edge days read by day (SQLite's version 31,
    // `schema/wait_days.rs`).
    r#"
CREATE INDEX fig_wishes_claimed_by_day ON fig_wishes (submitted_day, community, claim_days)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfilled_by_day ON fig_wishes (submitted_day, community, fulfil_days)
    WHERE fulfil_days IS NOT NULL;
"#,
    // The ranked members counted per district (SQLite's version 32).
    figure_tables::POINTS_RANKED_DISTRICT_STEP,
    // The units reported in counted per district (SQLite's version 33).
    figure_tables::DISTRICT_ORGS_STEP,
];

/// The hub store in a PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    config: Config,
    idle: Arc<Mutex<Vec<Conn>>>,
}

/// A connection, what drives it, and the figures' statements prepared on it
/// (`sql::PgDb`): a figure query planned once per connection, not at every run.
#[derive(Debug)]
struct Conn {
    client: Client,
    driven: RefCell<Driven>,
    statements: Statements,
}

impl Conn {
    /// Makes `call` on this connection's client and waits for its answer, driving the
    /// connection.
    fn call<'c, F: Future>(&'c self, call: impl FnOnce(&'c Client) -> F) -> F::Output {
        self.driven.borrow_mut().block_on(call(&self.client))
    }
}

/// A connection taken from the pool, given back when dropped if it still works.
struct Pooled {
    idle: Arc<Mutex<Vec<Conn>>>,
    conn: Option<Conn>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`) and
    /// runs its migrations.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let config = url
            .parse::<Config>()
            .map_err(|error| StoreError::Unreachable(error.to_string()))?;
        let store = PgStore {
            config,
            idle: Arc::new(Mutex::new(Vec::new())),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut pooled = self.client()?;
        let Conn { client, driven, .. } = pooled.conn_mut();
        driven.get_mut().block_on(async {
            let transaction = client.transaction().await?;
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
        let conn = match idle {
            Some(conn) if conn.driven.borrow_mut().is_usable() && !conn.client.is_closed() => conn,
            _ => self.connect()?,
        };
        Ok(Pooled {
            idle: Arc::clone(&self.idle),
            conn: Some(conn),
        })
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        let unreachable =
            |error: &dyn std::fmt::Display| StoreError::Unreachable(error.to_string());
        let (client, mut driven) =
            Driven::connect(&self.config).map_err(|error| unreachable(&error))?;
        driven
            .block_on(client.batch_execute(SESSION_SETTINGS))
            .map_err(|error| unreachable(&error))?;
        Ok(Conn {
            client,
            driven: RefCell::new(driven),
            statements: Statements::default(),
        })
    }

    /// Saves a peer's sync state alone (a sync message that brought no change), in one
    /// message and one transaction, committed without waiting for its WAL flush
    /// (`synchronous_commit = off` for it alone). A crash may lose the last such states
    /// (the WAL writer flushes within a few hundred milliseconds), never a change: an
    /// older sync state, or none, only makes the next sync with the peer longer (each
    /// state only says what both sides had), while every message's flush was one of a
    /// first sync's four. The statement takes no parameters: key and state go as hex.
    pub(crate) fn save_sync_state_lazily(
        &self,
        peer: &PublicKey,
        doc: StoredDoc,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let pooled = self.client()?;
        let sql = format!(
            "SET LOCAL synchronous_commit = off; \
             INSERT INTO sync_peers (peer, doc, state, at) \
             VALUES ('\\x{}'::bytea, {}, '\\x{}'::bytea, 0) \
             ON CONFLICT (peer, doc) DO UPDATE SET state = excluded.state",
            hex::encode(peer.to_bytes()),
            quoted(&doc.storage_key()),
            hex::encode(state),
        );
        pooled.conn().call(|client| client.simple_query(&sql))?;
        Ok(())
    }

    /// Runs `work` on one connection in one transaction, committed if it returns `Ok`.
    /// Modules with their own tables in the store (the accounts) write through it too.
    pub(crate) fn in_transaction<T, E: From<StoreError> + From<tokio_postgres::Error>>(
        &self,
        work: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut pooled = self.client()?;
        let Conn { client, driven, .. } = pooled.conn_mut();
        driven.get_mut().block_on(async {
            let transaction = client.transaction().await?;
            let value = work(&transaction).await?;
            transaction.commit().await?;
            Ok(value)
        })
    }

    /// One statement's rows, on a pooled connection.
    pub(crate) fn query(
        &self,
        sql: &str,
        params: &[Typed<'_>],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let pooled = self.client()?;
        Ok(pooled
            .conn()
            .call(|client| client.query_typed(sql, params))?)
    }

    /// One statement's changed row count, on a pooled connection.
    pub(crate) fn execute(&self, sql: &str, params: &[Typed<'_>]) -> Result<u64, StoreError> {
        let pooled = self.client()?;
        Ok(pooled
            .conn()
            .call(|client| client.execute_typed(sql, params))?)
    }

    /// Runs `work` on one pooled connection, each statement committed on its own: the
    /// figures' reads. A connection that cannot be opened is [`SqlError::Unreachable`].
    pub fn with_db<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, E>,
    ) -> Result<T, E> {
        let pooled = self.client().map_err(cannot_connect)?;
        let conn = pooled.conn();
        work(&PgDb::cached(&conn.client, &conn.driven, &conn.statements))
    }

    /// Runs `work` in one transaction on one pooled connection (BEGIN … COMMIT): the
    /// figures' writes. Committed when `work` returns `Ok`; rolled back when it returns
    /// an error, panics, or the connection is lost (the server rolls back a session's
    /// open transaction when it ends). A connection that cannot be opened, or is lost at
    /// BEGIN or COMMIT, is [`SqlError::Unreachable`].
    ///
    /// PostgreSQL aborts a transaction at its first failed statement, where SQLite goes
    /// on, and answers a COMMIT of an aborted transaction by rolling it back without an
    /// error. So when a statement of `work` failed and `work` still returned `Ok` (it
    /// let the error go), nothing is committed and the call fails with the server's
    /// answer, rather than report as written what was not.
    pub fn in_db_transaction<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut pooled = self.client().map_err(cannot_connect)?;
        // Dropped without a commit (an error or a panic in `work`), the transaction
        // queues its ROLLBACK on the connection before the connection goes back to the
        // pool, so the next user of the connection finds no transaction open.
        let Conn {
            client,
            driven,
            statements,
        } = pooled.conn_mut();
        let transaction = driven
            .get_mut()
            .block_on(client.transaction())
            .map_err(lost)?;
        let db = NotingFailures {
            db: PgDb::holding_writes(&transaction, driven, statements),
            failed: std::cell::Cell::new(false),
        };
        let value = work(&db)?;
        // The writes `work` left held go now; if one fails, nothing is committed.
        db.note(db.db.send_held())?;
        if db.failed.get() {
            // The server says whether the transaction is aborted: a failure on this
            // side (a value out of range, a column read as the wrong type) leaves it open.
            db.db.run_batch("SELECT 1")?;
        }
        driven
            .borrow_mut()
            .block_on(transaction.commit())
            .map_err(lost)?;
        Ok(value)
    }
}

impl Pooled {
    fn conn(&self) -> &Conn {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }

    fn conn_mut(&mut self) -> &mut Conn {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !conn.client.is_closed()
        {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
    }
}

/// The store's error opening a connection, as the figures' [`SqlError`].
fn cannot_connect(error: StoreError) -> SqlError {
    match error {
        StoreError::Unreachable(reason) => SqlError::Unreachable(reason),
        other => SqlError::Unreachable(other.to_string()),
    }
}

/// A failed BEGIN or COMMIT: [`SqlError::Unreachable`] when the connection is gone.
fn lost(error: tokio_postgres::Error) -> SqlError {
    if error.is_closed() {
        SqlError::Unreachable(error.to_string())
    } else {
        SqlError::Postgres(error)
    }
}

/// A statement's parameter with its PostgreSQL type. Every statement is sent with its
/// parameters' types (`query_typed`, `execute_typed`): one round trip to the server,
/// where a statement with its types left to the server takes two (prepare, then
/// execute) and a third message to close it. A merge runs seven statements.
pub(crate) type Typed<'a> = (&'a (dyn ToSql + Sync), Type);

/// A statement of [`sql`] with PostgreSQL's parameters: `$1` for SQLite's `?1` (no
/// statement there has a `?` of another kind).
pub(crate) fn pg(statement: &str) -> String {
    statement.replace('?', "$")
}

/// Appends a chunk and notes the community's change, in the caller's transaction.
async fn append_chunk_in(
    client: &impl GenericClient,
    doc: StoredDoc,
    bytes: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    client
        .execute_typed(
            &pg(sql::APPEND_CHUNK),
            &[(&doc.storage_key(), Type::TEXT), (&bytes, Type::BYTEA)],
        )
        .await?;
    if let StoredDoc::Community(code) = doc {
        client
            .execute_typed(
                &pg(sql::NOTE_CHANGE),
                &[
                    (&code.to_string(), Type::TEXT),
                    (&at.as_millis(), Type::INT8),
                ],
            )
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
    let last: Option<i64> = client
        .query_typed_one(&pg(sql::LAST_SEQ), &[(&key, Type::TEXT)])
        .await?
        .try_get(0)?;
    client
        .execute_typed(&pg(sql::DELETE_CHUNKS), &[(&key, Type::TEXT)])
        .await?;
    client
        .execute_typed(
            &pg(sql::INSERT_CHUNK_AT),
            &[
                (&key, Type::TEXT),
                (&(last.unwrap_or(0) + 1), Type::INT8),
                (&full_save, Type::BYTEA),
            ],
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
        .execute_typed(
            &pg(sql::UPSERT_SYNC_STATE),
            &[
                (&peer.to_bytes().as_slice(), Type::BYTEA),
                (&doc.storage_key(), Type::TEXT),
                (&state, Type::BYTEA),
            ],
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
        .query_typed_opt(
            &format!("{} WHERE key = $1", sql::ENROLLMENTS),
            &[(&key.to_bytes().as_slice(), Type::BYTEA)],
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
        .query_typed_opt(
            &pg(sql::ACTIVE_KEY),
            &[(&community.to_string(), Type::TEXT)],
        )
        .await?
        .map(|row| decode_key(&row.try_get::<_, Vec<u8>>(0)?))
        .transpose()
}
