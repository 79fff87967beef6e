//! [`Db`] on a PostgreSQL connection or transaction: each statement prepared once per
//! connection with its parameters' types and kept with the connection
//! ([`PgDb::cached`]); its rows read as they arrive, waited for on the caller's thread,
//! which drives the connection meanwhile as the store's calls do
//! (`store::postgres::driven`). Every statement runs on its generic plan; one asked
//! to be planned for its values ([`Db::run_fresh`]) goes unnamed instead, between two
//! `SET`s of `plan_cache_mode` (`PgDb::planned`), parsed, bound and run in one round
//! trip; statements run together ([`Db::run_all`]) are all sent before the first
//! answer is read.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::pin;

use futures_core::Stream;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Statement};

use super::{
    Batched, Cell, Db, Dialect, Kind, Result, Row, SqlError, ToCell, Value, postgres_form,
};
use crate::store::postgres::Driven;

/// The statements prepared on one connection, by their text and parameter types. A
/// figure statement is parsed and planned once per connection, then only bound and
/// run: on small figure queries the planning was most of PostgreSQL's time.
pub type Statements = RefCell<HashMap<(String, Vec<Type>), Statement>>;

/// Statements kept per connection; past it the cache starts over (the figures name a
/// few hundred, as SQLite's `STATEMENTS_KEPT`).
const STATEMENTS_KEPT: usize = 512;

/// Statements held by [`Db::execute_later`] before they are sent; past it they are
/// sent at once, so that a long derivation holds a bounded number in memory.
const LATER_KEPT: usize = 256;

/// A [`Db`] on a PostgreSQL client or transaction.
#[derive(Debug)]
pub struct PgDb<'a, C> {
    client: &'a C,
    /// What drives the connection `client` runs on, while this waits for an answer.
    driven: &'a RefCell<Driven>,
    /// The prepared statements of the connection `client` runs on.
    statements: &'a Statements,
    /// The statements [`Db::execute_later`] holds, when it holds any
    /// ([`PgDb::holding_writes`]).
    later: Option<RefCell<Vec<Later>>>,
}

/// A statement held by [`Db::execute_later`], with its own copy of its values.
#[derive(Debug)]
struct Later {
    sql: String,
    cells: Vec<Value>,
}

impl<'a, C: GenericClient + Sync> PgDb<'a, C> {
    /// Runs statements on `client` (a `tokio_postgres::Client` or `Transaction`),
    /// preparing each once and keeping it in `statements`; `driven` and `statements`
    /// must belong to the connection `client` runs on.
    pub(crate) fn cached(
        client: &'a C,
        driven: &'a RefCell<Driven>,
        statements: &'a Statements,
    ) -> Self {
        PgDb {
            client,
            driven,
            statements,
            later: None,
        }
    }

    /// As [`PgDb::cached`], holding the statements of [`Db::execute_later`] to send
    /// them together. The caller must call [`PgDb::send_held`] before it commits:
    /// held statements dropped are never run.
    pub(crate) fn holding_writes(
        client: &'a C,
        driven: &'a RefCell<Driven>,
        statements: &'a Statements,
    ) -> Self {
        PgDb {
            later: Some(RefCell::new(Vec::new())),
            ..PgDb::cached(client, driven, statements)
        }
    }

    /// Waits for `future`, a call on the client, driving its connection.
    fn wait<F: std::future::Future>(&self, future: F) -> F::Output {
        self.driven.borrow_mut().block_on(future)
    }

    /// Sends every held statement, all before the first answer is read ([`Db::run_all`]),
    /// and answers the first error.
    pub fn send_held(&self) -> Result<()> {
        let Some(later) = &self.later else {
            return Ok(());
        };
        let held = std::mem::take(&mut *later.borrow_mut());
        if held.is_empty() {
            return Ok(());
        }
        let params: Vec<Vec<&dyn ToCell>> = held
            .iter()
            .map(|statement| {
                statement
                    .cells
                    .iter()
                    .map(|cell| cell as &dyn ToCell)
                    .collect()
            })
            .collect();
        // They answer no rows.
        let mut no_rows: Vec<_> = held.iter().map(|_| |_: &Row<'_>| Ok(())).collect();
        let mut statements: Vec<Batched<'_>> = held
            .iter()
            .zip(&params)
            .zip(&mut no_rows)
            .map(|((statement, params), each)| Batched::new(&statement.sql, params, each))
            .collect();
        self.run_all(&mut statements)
    }

    /// The statement of `sql` with these parameter types, prepared on this connection.
    async fn prepared(&self, sql: &str, types: Vec<Type>) -> Result<Statement> {
        let statements = self.statements;
        let key = (sql.to_owned(), types);
        if let Some(statement) = statements.borrow().get(&key) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare_typed(&postgres_form(sql), &key.1)
            .await?;
        let mut kept = statements.borrow_mut();
        if kept.len() >= STATEMENTS_KEPT {
            kept.clear();
        }
        kept.insert(key, statement.clone());
        Ok(statement)
    }

    /// Runs `statement`, planned for its values when `for_values` ([`Db::run_fresh`]):
    /// the connection keeps a generic plan for every statement
    /// (`store::postgres::SESSION_SETTINGS`), so a statement planned for its values is
    /// sent between two `SET`s of `plan_cache_mode`, all three at once (no round trip
    /// more). In a transaction that fails, the rollback undoes the first `SET` too.
    async fn planned<T>(
        &self,
        for_values: bool,
        statement: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if !for_values {
            return statement.await;
        }
        // Each call sends its message when first polled; `biased` polls them in this
        // order, so they go in this order.
        let (set, ran, reset) = tokio::join!(
            biased;
            self.client.batch_execute(CUSTOM_PLANS),
            statement,
            self.client.batch_execute(GENERIC_PLANS),
        );
        // The statement's own error first: a failed `SET` fails what follows it.
        let value = ran?;
        set?;
        reset?;
        Ok(value)
    }
}

/// The setting a statement planned for its values runs under, and the connection's
/// own (`store::postgres::SESSION_SETTINGS`), restored after it.
const CUSTOM_PLANS: &str = "SET plan_cache_mode = force_custom_plan";
const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";

impl Kind {
    fn postgres_type(self) -> Type {
        match self {
            Kind::Int => Type::INT8,
            Kind::Real => Type::FLOAT8,
            Kind::Text => Type::TEXT,
            Kind::Blob => Type::BYTEA,
        }
    }
}

impl Cell<'_> {
    fn postgres_type(&self) -> Type {
        match self {
            Cell::Null(kind) => kind.postgres_type(),
            Cell::Int(_) => Type::INT8,
            Cell::Real(_) => Type::FLOAT8,
            Cell::Text(_) => Type::TEXT,
            Cell::Blob(_) => Type::BYTEA,
        }
    }
}

impl Cell<'_> {
    /// The cell as tokio-postgres binds it: a `NULL` as a typed `None`.
    fn postgres_value(&self) -> &(dyn ToSql + Sync) {
        const NULL_INT: Option<i64> = None;
        const NULL_REAL: Option<f64> = None;
        const NULL_TEXT: Option<&str> = None;
        const NULL_BLOB: Option<&[u8]> = None;
        match self {
            Cell::Null(Kind::Int) => &NULL_INT,
            Cell::Null(Kind::Real) => &NULL_REAL,
            Cell::Null(Kind::Text) => &NULL_TEXT,
            Cell::Null(Kind::Blob) => &NULL_BLOB,
            Cell::Int(value) => value,
            Cell::Real(value) => value,
            Cell::Text(value) => value,
            Cell::Blob(value) => value,
        }
    }
}

impl<C: GenericClient + Sync> Db for PgDb<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        self.send_held()?;
        let cells = cells(params)?;
        self.wait(async {
            let types = cells.iter().map(Cell::postgres_type).collect();
            let statement = self.prepared(sql, types).await?;
            let values = cells.iter().map(Cell::postgres_value);
            drain(self.client.query_raw(&statement, values).await?, each).await
        })
    }

    fn run_fresh(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        self.send_held()?;
        let cells = cells(params)?;
        let typed: Vec<_> = cells
            .iter()
            .map(|cell| (cell.postgres_value(), cell.postgres_type()))
            .collect();
        self.wait(self.planned(true, async {
            let stream = self
                .client
                .query_typed_raw(&postgres_form(sql), typed)
                .await?;
            drain(stream, each).await
        }))
    }

    fn run_all(&self, statements: &mut [Batched<'_>]) -> Result<()> {
        // One statement alone is read as it comes, not held whole first (a figure's
        // sums are often one: the ranking's 1,500 rows, bench city of 300).
        self.send_held()?;
        if let [statement] = statements {
            let run = if statement.fresh {
                self.run_fresh(statement.sql, statement.params, statement.each)
            } else {
                self.run(statement.sql, statement.params, statement.each)
            };
            return run.map(|_| ());
        }
        let cells = statements
            .iter()
            .map(|statement| cells(statement.params))
            .collect::<Result<Vec<_>>>()?;
        self.wait(async {
            // A statement planned for its values goes unnamed (`None` here), the rest
            // prepared.
            let mut prepared = Vec::with_capacity(statements.len());
            for (statement, cells) in statements.iter().zip(&cells) {
                prepared.push(if statement.fresh {
                    None
                } else {
                    let types = cells.iter().map(Cell::postgres_type).collect();
                    Some(self.prepared(statement.sql, types).await?)
                });
            }
            // Each statement's rows are read into memory as they come: the
            // connection hands them over in order, and waits while a statement's rows
            // are not taken, so reading one statement to its end before asking for
            // the next would leave the later ones unsent.
            let runs = statements.iter().zip(&prepared).zip(&cells).map(
                |((statement, prepared), cells)| {
                    self.planned(statement.fresh, async move {
                        let stream = match prepared {
                            Some(prepared) => {
                                let values = cells.iter().map(Cell::postgres_value);
                                self.client.query_raw(prepared, values).await?
                            }
                            None => {
                                let typed: Vec<_> = cells
                                    .iter()
                                    .map(|cell| (cell.postgres_value(), cell.postgres_type()))
                                    .collect();
                                self.client
                                    .query_typed_raw(&postgres_form(statement.sql), typed)
                                    .await?
                            }
                        };
                        let mut stream = pin!(stream);
                        let mut rows = Vec::new();
                        while let Some(row) =
                            std::future::poll_fn(|context| stream.as_mut().poll_next(context)).await
                        {
                            rows.push(row?);
                        }
                        Ok::<_, SqlError>(rows)
                    })
                },
            );
            let results = join_all(runs.collect()).await;
            for (statement, rows) in statements.iter_mut().zip(results) {
                for row in rows? {
                    (statement.each)(&Row::Postgres(&row))?;
                }
            }
            Ok(())
        })
    }

    fn run_batch(&self, sql: &str) -> Result<()> {
        self.send_held()?;
        Ok(self.wait(self.client.batch_execute(sql))?)
    }

    fn execute_later(&self, sql: &str, params: &[&dyn ToCell]) -> Result<()> {
        let Some(later) = &self.later else {
            return self.run(sql, params, &mut |_| Ok(())).map(drop);
        };
        let cells = params
            .iter()
            .map(|param| param.cell().map(Value::from))
            .collect::<Result<Vec<_>>>()?;
        let full = {
            let mut later = later.borrow_mut();
            later.push(Later {
                sql: sql.to_owned(),
                cells,
            });
            later.len() >= LATER_KEPT
        };
        if full { self.send_held() } else { Ok(()) }
    }
}

/// The parameters as cells.
fn cells<'p>(params: &'p [&'p dyn ToCell]) -> Result<Vec<Cell<'p>>> {
    params.iter().map(|param| param.cell()).collect()
}

/// Hands every row of `stream` to `each`; the rows the statement changed.
async fn drain(
    stream: tokio_postgres::RowStream,
    each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
) -> Result<u64> {
    let mut stream = pin!(stream);
    while let Some(row) = std::future::poll_fn(|context| stream.as_mut().poll_next(context)).await {
        each(&Row::Postgres(&row?))?;
    }
    Ok(stream.rows_affected().unwrap_or(0))
}

/// Waits for every future at once (each polled in turn whenever woken), their outputs
/// in order: the statements of [`Db::run_all`] sent together and read as they come.
async fn join_all<T>(futures: Vec<impl Future<Output = T>>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
