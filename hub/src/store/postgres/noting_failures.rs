//! The figures' transaction on PostgreSQL notes whether any of its statements failed
//! (see [`super::PgStore::in_db_transaction`]).

use crate::sql::{Db, Dialect, Row, ToCell};

/// A [`Db`] that notes whether a statement failed (see [`super::PgStore::in_db_transaction`]).
pub(super) struct NotingFailures<D> {
    pub(super) db: D,
    pub(super) failed: std::cell::Cell<bool>,
}

impl<D: Db> NotingFailures<D> {
    pub(super) fn note<T>(&self, result: crate::sql::Result<T>) -> crate::sql::Result<T> {
        if result.is_err() {
            self.failed.set(true);
        }
        result
    }
}

impl<D: Db> Db for NotingFailures<D> {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> crate::sql::Result<()>,
    ) -> crate::sql::Result<u64> {
        self.note(self.db.run(sql, params, each))
    }

    fn run_batch(&self, sql: &str) -> crate::sql::Result<()> {
        self.note(self.db.run_batch(sql))
    }

    fn run_fresh(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> crate::sql::Result<()>,
    ) -> crate::sql::Result<u64> {
        self.note(self.db.run_fresh(sql, params, each))
    }

    fn run_all(&self, statements: &mut [crate::sql::Batched<'_>]) -> crate::sql::Result<()> {
        self.note(self.db.run_all(statements))
    }

    fn execute_later(&self, sql: &str, params: &[&dyn ToCell]) -> crate::sql::Result<()> {
        self.note(self.db.execute_later(sql, params))
    }
}
