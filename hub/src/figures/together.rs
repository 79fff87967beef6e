//! A figure's statements sent to the database together: each statement is built
//! apart from its run, with what reads its rows, and [`Together::run`] sends them all
//! at once ([`Db::run_all`]; on PostgreSQL one round trip for all, not one each; on
//! SQLite they run in turn). Only statements that read, none needing another's rows.

use crate::sql::{self, Batched, Db, Row, SqlError, ToCell, Value};

/// A statement and its values, not yet run.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    /// The statement, in SQLite's form.
    pub(super) sql: String,
    /// Its parameters, `?1`, `?2`, …
    pub(super) values: Vec<Value>,
    /// Planned for its values ([`crate::sql::Db::run_fresh`]).
    pub(super) fresh: bool,
}

impl Statement {
    /// A statement with these values, planned once for any values.
    pub(super) fn new(sql: impl Into<String>, values: Vec<Value>) -> Self {
        Statement {
            sql: sql.into(),
            values,
            fresh: false,
        }
    }

    /// The statement planned for its values when `fresh`.
    pub(super) fn fresh(self, fresh: bool) -> Self {
        Statement { fresh, ..self }
    }
}

type Reader<'a> = Box<dyn FnMut(&Row<'_>) -> sql::Result<()> + 'a>;

/// Statements gathered to be sent together, each with what takes its rows.
#[derive(Default)]
#[allow(missing_debug_implementations)] // the readers have no Debug
pub(super) struct Together<'a> {
    statements: Vec<Statement>,
    readers: Vec<(Reader<'a>, Rows)>,
}

/// How many rows a statement answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Any number.
    Any,
    /// One: an aggregate's row; none is an error, as [`crate::sql::DbExt::query_row`]'s.
    One,
}

impl<'a> Together<'a> {
    /// Adds a statement whose every row goes to `each`.
    pub(super) fn add(
        &mut self,
        statement: Statement,
        each: impl FnMut(&Row<'_>) -> sql::Result<()> + 'a,
    ) {
        self.statements.push(statement);
        self.readers.push((Box::new(each), Rows::Any));
    }

    /// Adds a statement of one row (an aggregate without groups), which goes to `each`.
    pub(super) fn add_row(
        &mut self,
        statement: Statement,
        each: impl FnMut(&Row<'_>) -> sql::Result<()> + 'a,
    ) {
        self.statements.push(statement);
        self.readers.push((Box::new(each), Rows::One));
    }

    /// Sends every statement together and hands each its rows; the first error stops
    /// it.
    pub(super) fn run(self, db: &dyn Db) -> sql::Result<()> {
        let Together {
            statements,
            mut readers,
        } = self;
        let params: Vec<Vec<&dyn ToCell>> = statements
            .iter()
            .map(|statement| statement.values.iter().map(|v| v as &dyn ToCell).collect())
            .collect();
        let mut seen = vec![0_u64; statements.len()];
        let mut counted: Vec<_> = readers
            .iter_mut()
            .zip(seen.iter_mut())
            .map(|((each, rows), seen)| {
                let rows = *rows;
                move |row: &Row<'_>| {
                    *seen += 1;
                    // A statement of one row takes its first, as `query_row` does.
                    if rows == Rows::One && *seen > 1 {
                        return Ok(());
                    }
                    each(row)
                }
            })
            .collect();
        let mut batch: Vec<Batched<'_>> = statements
            .iter()
            .zip(&params)
            .zip(counted.iter_mut())
            .map(|((statement, params), each)| {
                Batched::new(&statement.sql, params, each).fresh(statement.fresh)
            })
            .collect();
        db.run_all(&mut batch)?;
        drop(batch);
        drop(counted);
        if readers
            .iter()
            .zip(&seen)
            .any(|((_, rows), &seen)| *rows == Rows::One && seen == 0)
        {
            return Err(SqlError::NoRow);
        }
        Ok(())
    }
}
