//! One way to run SQL on either database the hub keeps its figures in: SQLite (the
//! embedded default, `rusqlite`) or PostgreSQL (several hub processes sharing one
//! database, `tokio-postgres`).
//!
//! The figures are a few hundred statements over the `fig_*` tables. They are written
//! once, in SQLite's form (`?1`, `?2`, …) and in SQL both dialects accept
//! (`COUNT(*) FILTER (WHERE …)`, `ON CONFLICT … DO NOTHING`, `CASE`, `COALESCE`,
//! `CAST(… AS BIGINT)`), and run through [`Db`]: SQLite compiles each once per
//! connection (`prepare_cached`); PostgreSQL gets `$1` for `?1`, and prepares each
//! once per connection with every parameter's type. What differs between the dialects
//! (an `INDEXED BY` hint, date arithmetic) asks [`Db::dialect`]. Two calls are for
//! PostgreSQL's sake and plain runs on SQLite: [`Db::run_fresh`] (through [`Fresh`])
//! plans a statement for its values rather than by a prepared statement's generic
//! plan, and [`Db::run_all`] sends independent statements together, one round trip.
//!
//! Values go in as [`Cell`]s ([`ToCell`], and the [`params!`] macro for a list) and
//! come out through [`Row::get`] ([`FromCell`]). Both sides agree on a small set of
//! types: 64-bit integers (booleans are 0 and 1), doubles, text and blobs. PostgreSQL's
//! sums of integers are `NUMERIC`; [`FromCell`] reads those as integers too, so a
//! statement need not cast every `SUM`.

mod columns;
mod postgres;
mod sqlite;

pub use postgres::{PgDb, Statements};

/// Which database a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite, through `rusqlite`.
    Sqlite,
    /// PostgreSQL, through `tokio-postgres`.
    Postgres,
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// SQLite's error.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's error.
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// [`DbExt::query_row`] found no row.
    #[error("the query returned no row")]
    NoRow,
    /// A column does not hold the type asked for.
    #[error("column {index} holds {found}, read as {wanted}")]
    ColumnType {
        /// The column's index.
        index: usize,
        /// What it holds.
        found: String,
        /// The type asked for.
        wanted: &'static str,
    },
    /// A number does not fit the type it is bound or read as.
    #[error("{value} does not fit {wanted}")]
    OutOfRange {
        /// The value, as text.
        value: String,
        /// The type.
        wanted: &'static str,
    },
    /// The database cannot be reached (a PostgreSQL connection could not be opened).
    #[error("the figures database cannot be reached: {0}")]
    Unreachable(String),
}

/// The result of a statement.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;

/// The type of a parameter, for a `NULL` (PostgreSQL wants each parameter's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer (`BIGINT`).
    Int,
    /// A double (`DOUBLE PRECISION`).
    Real,
    /// Text.
    Text,
    /// Bytes (`BYTEA` in PostgreSQL).
    Blob,
}

/// A value bound to a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// `NULL` of a type.
    Null(Kind),
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A value that binds to a parameter.
pub trait ToCell {
    /// The value as a cell; an integer beyond `i64` is an error.
    fn cell(&self) -> Result<Cell<'_>>;
}

/// The type a value of a Rust type binds as, for its `None`.
pub trait CellKind {
    /// The kind.
    const KIND: Kind;
}

macro_rules! int_cells {
    ($($t:ty),*) => {$(
        impl ToCell for $t {
            fn cell(&self) -> Result<Cell<'_>> {
                i64::try_from(*self).map(Cell::Int).map_err(|_| SqlError::OutOfRange {
                    value: self.to_string(),
                    wanted: "a 64-bit integer",
                })
            }
        }
        impl CellKind for $t {
            const KIND: Kind = Kind::Int;
        }
    )*};
}
int_cells!(i64, i32, i16, i8, u64, u32, u16, u8, usize);

impl ToCell for bool {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Int(i64::from(*self)))
    }
}
impl CellKind for bool {
    const KIND: Kind = Kind::Int;
}

impl ToCell for f64 {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Real(*self))
    }
}
impl CellKind for f64 {
    const KIND: Kind = Kind::Real;
}

impl ToCell for str {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Text(self))
    }
}
impl CellKind for str {
    const KIND: Kind = Kind::Text;
}

impl ToCell for String {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Text(self))
    }
}
impl CellKind for String {
    const KIND: Kind = Kind::Text;
}

impl ToCell for [u8] {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Blob(self))
    }
}
impl CellKind for [u8] {
    const KIND: Kind = Kind::Blob;
}

impl ToCell for Vec<u8> {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Blob(self))
    }
}
impl CellKind for Vec<u8> {
    const KIND: Kind = Kind::Blob;
}

impl<const N: usize> ToCell for [u8; N] {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(Cell::Blob(self))
    }
}
impl<const N: usize> CellKind for [u8; N] {
    const KIND: Kind = Kind::Blob;
}

impl<T: ToCell + CellKind> ToCell for Option<T> {
    fn cell(&self) -> Result<Cell<'_>> {
        match self {
            Some(value) => value.cell(),
            None => Ok(Cell::Null(T::KIND)),
        }
    }
}
impl<T: CellKind> CellKind for Option<T> {
    const KIND: Kind = T::KIND;
}

impl<T: ToCell + ?Sized> ToCell for &T {
    fn cell(&self) -> Result<Cell<'_>> {
        (**self).cell()
    }
}
impl<T: CellKind + ?Sized> CellKind for &T {
    const KIND: Kind = T::KIND;
}

impl ToCell for Cell<'_> {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(*self)
    }
}

/// An owned value, for parameter lists built at run time (a filter's optional parts).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL` of a type.
    Null(Kind),
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl ToCell for Value {
    fn cell(&self) -> Result<Cell<'_>> {
        Ok(match self {
            Value::Null(kind) => Cell::Null(*kind),
            Value::Int(value) => Cell::Int(*value),
            Value::Real(value) => Cell::Real(*value),
            Value::Text(value) => Cell::Text(value),
            Value::Blob(value) => Cell::Blob(value),
        })
    }
}

/// A cell's value, owned (a statement held to be sent later keeps its own copy).
impl From<Cell<'_>> for Value {
    fn from(cell: Cell<'_>) -> Self {
        match cell {
            Cell::Null(kind) => Value::Null(kind),
            Cell::Int(value) => Value::Int(value),
            Cell::Real(value) => Value::Real(value),
            Cell::Text(value) => Value::Text(value.to_owned()),
            Cell::Blob(value) => Value::Blob(value.to_vec()),
        }
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Value::Blob(value)
    }
}

/// A statement's parameters, in order: `params![a, b]` for `?1`, `?2`.
#[macro_export]
macro_rules! sql_params {
    () => {
        &[] as &[&dyn $crate::sql::ToCell]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::sql::ToCell),+] as &[&dyn $crate::sql::ToCell]
    };
}
pub use crate::sql_params as params;

/// A row of a result, read by column index.
#[allow(missing_debug_implementations)] // rusqlite's row has no Debug
pub enum Row<'a> {
    /// A row from SQLite.
    Sqlite(&'a rusqlite::Row<'a>),
    /// A row from PostgreSQL.
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// The value of column `index` (from 0).
    pub fn get<T: FromCell>(&self, index: usize) -> Result<T> {
        match self {
            Row::Sqlite(row) => T::from_sqlite(row, index),
            Row::Postgres(row) => T::from_postgres(row, index),
        }
    }
}

/// A Rust type a column reads as.
pub trait FromCell: Sized {
    /// From an SQLite row.
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self>;
    /// From a PostgreSQL row.
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self>;
}

/// A statement runner on one connection (or one transaction): the figures take `&dyn
/// Db`, and read through [`DbExt`].
pub trait Db {
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// Runs one statement with `params` bound to `?1`, `?2`, …, handing each row it
    /// returns to `each`; returns the number of rows it changed (0 for a query).
    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64>;

    /// Runs statements separated by `;`, with no parameters and no rows.
    fn run_batch(&self, sql: &str) -> Result<()>;

    /// As [`Db::run`], planned for these values at every run. The hub's PostgreSQL
    /// connections run every prepared statement on one plan made for any values (a
    /// generic plan, `store::postgres::SESSION_SETTINGS`); for the statements where
    /// that plan is much worse than one made for the values (a range of codes it
    /// takes for a few rows), this sends the statement unnamed, under
    /// `force_custom_plan`, parsed, planned and run in one round trip. SQLite plans the
    /// same either way, so there it is [`Db::run`].
    fn run_fresh(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        self.run(sql, params, each)
    }

    /// Runs a statement that returns no rows and whose count of changed rows no one
    /// reads (the figures' inserts and deletes). It takes effect before any statement
    /// after it on this `Db`, and in the same transaction; SQLite runs it now.
    /// PostgreSQL's figure transactions ([`crate::store::PgStore::in_db_transaction`])
    /// hold it and send it with the ones after it, all before the first answer is read,
    /// when a statement that answers something comes or the transaction commits: a
    /// community's whole derivation was about a thousand round trips. Its error, if it
    /// fails, is then that later call's, and the transaction is rolled back. Not for
    /// a statement that makes a table: the held statements are all prepared before the
    /// first runs, and one naming a table made before it would not find it.
    fn execute_later(&self, sql: &str, params: &[&dyn ToCell]) -> Result<()> {
        self.run(sql, params, &mut |_| Ok(())).map(drop)
    }

    /// Runs independent statements, each handing its rows to its own `each`, in
    /// order. PostgreSQL gets them all before it answers the first (one round trip
    /// for all, not one each), so no statement may depend on another's rows or
    /// changes; SQLite runs them one after another. The first error stops it.
    fn run_all(&self, statements: &mut [Batched<'_>]) -> Result<()> {
        for statement in statements {
            if statement.fresh {
                self.run_fresh(statement.sql, statement.params, statement.each)?;
            } else {
                self.run(statement.sql, statement.params, statement.each)?;
            }
        }
        Ok(())
    }
}

/// One statement of [`Db::run_all`]: its text, its parameters and what takes its rows.
#[allow(missing_debug_implementations)] // the row function has no Debug
pub struct Batched<'a> {
    /// The statement, in SQLite's form.
    pub sql: &'a str,
    /// Its parameters, `?1`, `?2`, …
    pub params: &'a [&'a dyn ToCell],
    /// What takes each row.
    pub each: &'a mut dyn FnMut(&Row<'_>) -> Result<()>,
    /// Whether it is planned for its values ([`Db::run_fresh`]).
    pub fresh: bool,
}

impl<'a> Batched<'a> {
    /// A statement whose rows go to `each`.
    pub fn new(
        sql: &'a str,
        params: &'a [&'a dyn ToCell],
        each: &'a mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Self {
        Batched {
            sql,
            params,
            each,
            fresh: false,
        }
    }

    /// The statement planned for its values when `fresh` ([`Db::run_fresh`]).
    pub fn fresh(self, fresh: bool) -> Self {
        Batched { fresh, ..self }
    }
}

/// A [`Db`] whose every statement is planned for its values ([`Db::run_fresh`]) when
/// asked: `Fresh::when(db, wide).query_row(…)` for a statement PostgreSQL's generic
/// plan serves badly.
#[derive(Clone, Copy)]
#[allow(missing_debug_implementations)] // a `dyn Db` has no Debug
pub struct Fresh<'a> {
    db: &'a dyn Db,
    fresh: bool,
}

impl<'a> Fresh<'a> {
    /// `db`, its statements planned for their values when `fresh`.
    pub fn when(db: &'a dyn Db, fresh: bool) -> Self {
        Fresh { db, fresh }
    }
}

impl Db for Fresh<'_> {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        if self.fresh {
            self.db.run_fresh(sql, params, each)
        } else {
            self.db.run(sql, params, each)
        }
    }

    fn run_fresh(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        self.db.run_fresh(sql, params, each)
    }

    fn run_all(&self, statements: &mut [Batched<'_>]) -> Result<()> {
        for statement in statements.iter_mut() {
            statement.fresh |= self.fresh;
        }
        self.db.run_all(statements)
    }

    fn run_batch(&self, sql: &str) -> Result<()> {
        self.db.run_batch(sql)
    }

    fn execute_later(&self, sql: &str, params: &[&dyn ToCell]) -> Result<()> {
        self.db.execute_later(sql, params)
    }
}

/// What the figures call on a [`Db`].
pub trait DbExt: Db {
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[&dyn ToCell]) -> Result<u64> {
        self.run(sql, params, &mut |_| Ok(()))
    }

    /// Every row of a query, each mapped by `map`.
    fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        mut map: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        self.run(sql, params, &mut |row| {
            rows.push(map(row)?);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Hands every row of a query to `each`, collecting nothing.
    fn for_each(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        mut each: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.run(sql, params, &mut each).map(|_| ())
    }

    /// The first row of a query, mapped, or `None` when it returns none.
    fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        mut map: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut first = None;
        self.run(sql, params, &mut |row| {
            if first.is_none() {
                first = Some(map(row)?);
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// The first row of a query, mapped; [`SqlError::NoRow`] when it returns none.
    fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        map: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, map)?.ok_or(SqlError::NoRow)
    }
}

impl<D: Db + ?Sized> DbExt for D {}

/// A statement in PostgreSQL's form: `$1` for `?1`, leaving quoted text alone. A bare
/// `?` (SQLite's next parameter) is numbered after the one before it.
pub fn postgres_form(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut last = 0u32;
    while let Some(c) = chars.next() {
        if let Some(open) = quote {
            out.push(c);
            if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let number = if digits.is_empty() {
                    last + 1
                } else {
                    digits.parse().unwrap_or(last + 1)
                };
                last = number;
                out.push('$');
                out.push_str(&number.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_the_postgresql_way_outside_quotes() {
        assert_eq!(
            postgres_form("SELECT ?1, ?12 FROM t WHERE a = '?3' AND b = ? AND c = ?"),
            "SELECT $1, $12 FROM t WHERE a = '?3' AND b = $13 AND c = $14"
        );
        assert_eq!(postgres_form("x = \"?\" OR y = ?2"), "x = \"?\" OR y = $2");
    }

    #[test]
    fn an_integer_beyond_i64_is_an_error_not_a_wrapped_value() {
        assert!(matches!(u64::MAX.cell(), Err(SqlError::OutOfRange { .. })));
        assert_eq!(7u32.cell().ok(), Some(Cell::Int(7)));
        assert_eq!(None::<i64>.cell().ok(), Some(Cell::Null(Kind::Int)));
        assert_eq!(None::<&str>.cell().ok(), Some(Cell::Null(Kind::Text)));
    }
}
