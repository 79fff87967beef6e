//! Where the hub keeps its figure tables (and their neighbours: region names,
//! bulletins, the members' other communities): the data directory's SQLite file, or
//! the PostgreSQL database the hub's processes share (issue 15). The figures' SQL is
//! written once and runs on either through [`crate::sql::Db`]; this is the one place
//! that knows which it is.
//!
//! On PostgreSQL every process derives into the same tables. Two processes may be told
//! of the same community at once (each merged one of its node's sessions, or each one's
//! poll found the change), so a derivation holds an advisory lock
//! ([`FigureStore::lock_derivations`]) from before it reads the document until its last
//! write: the second process then follows on from what the first wrote, never from a
//! state that is no longer in the rows.

use std::sync::Arc;

use crate::sql::{Db, SqlError};
use crate::store::{DocLock, PgStore, SqliteStore, StoreError};

/// The name of the advisory lock a derivation holds on PostgreSQL.
const DERIVATION_LOCK: &str = "figures";

/// The database the figures are derived into and read from.
#[derive(Debug, Clone)]
pub enum FigureStore {
    /// The data directory's SQLite file: figures of this process alone.
    Local(Arc<SqliteStore>),
    /// PostgreSQL, shared with the hub's other processes.
    Shared(Arc<PgStore>),
}

/// What went wrong in a transaction: the database's error or the work's.
enum Failed<E> {
    Sqlite(rusqlite::Error),
    Work(E),
}

impl<E> From<rusqlite::Error> for Failed<E> {
    fn from(error: rusqlite::Error) -> Self {
        Failed::Sqlite(error)
    }
}

impl FigureStore {
    /// Whether other processes derive into these tables too.
    pub fn is_shared(&self) -> bool {
        matches!(self, FigureStore::Shared(_))
    }

    /// Runs `work` in one transaction, committed when it returns `Ok`.
    pub fn write<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            FigureStore::Local(store) => store
                .with_transaction(|transaction| work(transaction as &dyn Db).map_err(Failed::Work))
                .map_err(|failed| match failed {
                    Failed::Sqlite(error) => E::from(SqlError::from(error)),
                    Failed::Work(error) => error,
                }),
            FigureStore::Shared(store) => store.in_db_transaction(work),
        }
    }

    /// Runs `work` on a connection, to read (a transaction on SQLite, whose store has
    /// one connection; none on PostgreSQL).
    pub fn read<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            FigureStore::Local(_) => self.write(work),
            FigureStore::Shared(store) => store.with_db(work),
        }
    }

    /// Takes the figures' derivation lock, held until the [`DocLock`] is dropped. A
    /// derivation (a community's rows, or the city document's: campaigns, the units'
    /// directory) takes it before it reads the document and drops it after its last
    /// write. SQLite's figures have one process: no lock.
    ///
    /// On PostgreSQL it is one lock for every community: one process at a time
    /// derives. Communities of one district share their district's rollup rows
    /// (`fig_district_*`), which each derivation shifts by its difference; two
    /// processes deriving two communities at once would take those rows' locks in
    /// orders of their own, and could deadlock. Derivations are off the sync path, so
    /// merges still run in every process at once.
    pub fn lock_derivations(&self) -> Result<DocLock, StoreError> {
        match self {
            FigureStore::Local(_) => Ok(DocLock::none()),
            FigureStore::Shared(store) => store.lock_named(DERIVATION_LOCK.to_owned()),
        }
    }
}
