//! [`Db`] on an SQLite connection or transaction: each statement compiled once per
//! connection (`prepare_cached`; the hub keeps 256 per connection, `STATEMENTS_KEPT`).

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{Cell, Db, Dialect, Result, Row, SqlError, ToCell};

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Cell::Null(_) => ValueRef::Null,
            Cell::Int(value) => ValueRef::Integer(value),
            Cell::Real(value) => ValueRef::Real(value),
            Cell::Text(value) => ValueRef::Text(value.as_bytes()),
            Cell::Blob(value) => ValueRef::Blob(value),
        }))
    }
}

fn run_on(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[&dyn ToCell],
    each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
) -> Result<u64> {
    let mut statement = connection.prepare_cached(sql)?;
    for (index, param) in params.iter().enumerate() {
        statement.raw_bind_parameter(index + 1, param.cell()?)?;
    }
    if statement.column_count() == 0 {
        let changed = statement.raw_execute()?;
        return Ok(u64::try_from(changed).unwrap_or(0));
    }
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next()? {
        each(&Row::Sqlite(row))?;
    }
    Ok(0)
}

impl Db for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        run_on(self, sql, params, each)
    }

    fn run_batch(&self, sql: &str) -> Result<()> {
        Ok(self.execute_batch(sql)?)
    }
}

impl Db for rusqlite::Transaction<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn run(
        &self,
        sql: &str,
        params: &[&dyn ToCell],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<u64> {
        run_on(self, sql, params, each)
    }

    fn run_batch(&self, sql: &str) -> Result<()> {
        Ok(self.execute_batch(sql)?)
    }
}

/// Reads an SQLite column as any type rusqlite reads, as a [`SqlError`].
pub(super) fn column<T: rusqlite::types::FromSql>(
    row: &rusqlite::Row<'_>,
    index: usize,
) -> Result<T> {
    row.get(index).map_err(SqlError::from)
}

#[cfg(test)]
mod tests {
    use super::super::{DbExt, params};
    use super::*;

    #[test]
    fn statements_bind_read_and_count_changes() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        let db: &dyn Db = &connection;
        db.run_batch("CREATE TABLE t (id BLOB, n INTEGER, s TEXT, x REAL)")
            .unwrap();
        let id = [7u8; 4];
        let inserted = db
            .execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4), (?1, ?2 + 1, NULL, NULL)",
                params![id, 5u32, "五", 0.5],
            )
            .unwrap();
        assert_eq!(inserted, 2);
        type Read = (Vec<u8>, i64, Option<String>, Option<f64>);
        let rows: Vec<Read> = db
            .query_map("SELECT id, n, s, x FROM t ORDER BY n", params![], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (id.to_vec(), 5, Some("五".to_owned()), Some(0.5)),
                (id.to_vec(), 6, None, None)
            ]
        );
        let none: Option<i64> = db
            .query_opt("SELECT n FROM t WHERE n > ?1", params![100], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(none, None);
        assert!(matches!(
            db.query_row("SELECT n FROM t WHERE n > ?1", params![100], |row| row
                .get::<i64>(0)),
            Err(SqlError::NoRow)
        ));
        let counted: u64 = db
            .query_row(
                "SELECT COUNT(*) FILTER (WHERE n > 5) FROM t",
                params![],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(counted, 1);
    }
}
