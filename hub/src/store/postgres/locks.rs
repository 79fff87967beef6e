//! Advisory locks of the PostgreSQL store: a document's, held across processes around
//! load-merge-save ([`super::HubStore::lock_doc`]), and the derivation's
//! ([`PgStore::lock_named`]). A lock is a session lock held by a pooled connection of
//! its own until dropped; taking a document's lock reads its seq in the same message
//! ([`PgStore::lock_named_at_seq`]), and releasing it after a merge reads the seq again
//! ([`AdvisoryLock::release_at_seq`]).

use std::sync::{Arc, Mutex};

use tokio_postgres::types::Type;

use super::{Conn, DocLock, LOCK_SPACE, PgStore, Pooled, StoreError, decode_seq};

/// A document's advisory lock, held by its connection's session until dropped. If the
/// unlock fails the connection is closed, which releases the lock too.
pub(super) struct AdvisoryLock {
    conn: Option<Conn>,
    idle: Arc<Mutex<Vec<Conn>>>,
    key: String,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let lock = [(&LOCK_SPACE as _, Type::INT4), (&self.key as _, Type::TEXT)];
        let unlocked = conn.call(|client| {
            client.execute_typed("SELECT pg_advisory_unlock($1, hashtext($2))", &lock)
        });
        if unlocked.is_ok() {
            self.give_back(conn);
        }
    }
}

impl AdvisoryLock {
    /// The lock named `key`, which `conn`'s session holds, of `store`'s pool.
    fn held(store: &PgStore, conn: Option<Conn>, key: String) -> Self {
        Self {
            conn,
            idle: Arc::clone(&store.idle),
            key,
        }
    }

    /// Gives the unlocked connection back to the pool.
    fn give_back(&self, conn: Conn) {
        drop(Pooled {
            idle: Arc::clone(&self.idle),
            conn: Some(conn),
        });
    }

    /// Reads the seq of the locked document's last chunk, then releases the lock, in
    /// one message (see [`PgStore::lock_named_at_seq`]). On an error the connection is
    /// closed, which releases the lock.
    pub(super) fn release_at_seq(&mut self) -> Result<u64, StoreError> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Unreachable("the lock was released".to_owned()))?;
        let literal = quoted(&self.key);
        let sql = format!(
            "SELECT MAX(seq) FROM doc_chunks WHERE doc = {literal}; \
             SELECT pg_advisory_unlock({LOCK_SPACE}, hashtext({literal}))"
        );
        let seq = seq_in_answer(conn.call(|client| client.simple_query(&sql)), 0)?;
        self.give_back(conn);
        Ok(seq)
    }
}

/// A text literal for a simple query (which takes no parameters).
pub(super) fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The seq (a `MAX(seq)`, NULL for none) in row `index` of a simple query's answer.
fn seq_in_answer(
    answer: Result<Vec<tokio_postgres::SimpleQueryMessage>, tokio_postgres::Error>,
    index: usize,
) -> Result<u64, StoreError> {
    let messages = answer?;
    let last = messages
        .iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .nth(index)
        .ok_or_else(|| StoreError::Corrupt {
            what: "seq",
            reason: "the query returned no seq".to_owned(),
        })?
        .try_get(0)?;
    let last: i64 = match last {
        None => 0,
        Some(text) => text.parse().map_err(|_| StoreError::Corrupt {
            what: "seq",
            reason: format!("`{text}` is not a number"),
        })?,
    };
    decode_seq(last)
}

impl PgStore {
    /// Takes the advisory lock named `key` (a document's storage key, or `figures:`
    /// and a community's code for its derivation), waiting for it; held by a
    /// connection of its own until the [`DocLock`] is dropped or the process dies.
    pub fn lock_named(&self, key: String) -> Result<DocLock, StoreError> {
        let mut pooled = self.client()?;
        let lock = [(&LOCK_SPACE as _, Type::INT4), (&key as _, Type::TEXT)];
        pooled.conn().call(|client| {
            client.execute_typed("SELECT pg_advisory_lock($1, hashtext($2))", &lock)
        })?;
        Ok(DocLock::held(AdvisoryLock::held(
            self,
            pooled.conn.take(),
            key,
        )))
    }

    /// Takes a document's advisory lock as [`PgStore::lock_named`] does, and reads the
    /// seq of its last chunk once the lock is granted, in one message (a simple query of
    /// two statements: one round trip, one implicit transaction, each statement reading
    /// what was committed when it began, so the seq is the lock holder's).
    ///
    /// A simple query takes no parameters: the key is sent as a literal. Storage keys
    /// are community codes, `city` and `inbox:` and a code; quoting doubles any `'` all
    /// the same. A session lock outlives the implicit transaction, even one rolled back:
    /// on any error the connection is closed, which releases the lock if it was taken.
    pub fn lock_named_at_seq(&self, key: String) -> Result<(DocLock, u64), StoreError> {
        let mut pooled = self.client()?;
        let literal = quoted(&key);
        let sql = format!(
            "SELECT pg_advisory_lock({LOCK_SPACE}, hashtext({literal})); \
             SELECT MAX(seq) FROM doc_chunks WHERE doc = {literal}"
        );
        let seq = seq_in_answer(pooled.conn().call(|client| client.simple_query(&sql)), 1);
        let conn = pooled.conn.take();
        match seq {
            Ok(seq) => Ok((DocLock::held(AdvisoryLock::held(self, conn, key)), seq)),
            // Dropped, the connection closes: its session's lock, if taken, goes with it.
            Err(error) => Err(error),
        }
    }
}
