//! Schema migrations of a SQLite database: a list of SQL steps applied in order, each
//! in its own transaction, the number applied recorded in `PRAGMA user_version`.
//!
//! A database whose version is above the number of steps was written by a newer build,
//! whose tables this build does not know; it is refused, never written.

use rusqlite::Connection;

/// Why the migrations did not run.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database was written by a newer build.
    #[error("the database is at schema {found}, newer than this build's {known}; upgrade wishtree")]
    Newer {
        /// The version in the file.
        found: i64,
        /// The number of steps this build knows.
        known: i64,
    },
    /// SQLite failed (the caller classifies it: damaged, busy, disk full).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The schema version recorded in the file.
pub fn schema_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies the steps the database has not had yet.
pub fn migrate(connection: &mut Connection, steps: &[&str]) -> Result<(), MigrationError> {
    let current = schema_version(connection)?;
    let known = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(MigrationError::Newer {
            found: current,
            known,
        });
    }
    let done = usize::try_from(current).unwrap_or(0);
    for (index, sql) in steps.iter().enumerate().skip(done) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        // PRAGMA takes no parameters; the version is a number we count.
        transaction.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
        transaction.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE a (x INTEGER)",
        "ALTER TABLE a ADD COLUMN y INTEGER",
    ];

    #[test]
    fn steps_run_once_in_order_and_a_newer_file_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection, &STEPS[..1]).unwrap();
        assert_eq!(schema_version(&connection).unwrap(), 1);
        migrate(&mut connection, STEPS).unwrap();
        migrate(&mut connection, STEPS).unwrap();
        assert_eq!(schema_version(&connection).unwrap(), 2);
        connection
            .execute("INSERT INTO a (x, y) VALUES (1, 2)", [])
            .unwrap();
        let error = migrate(&mut connection, &STEPS[..1]).unwrap_err();
        assert!(matches!(
            error,
            MigrationError::Newer { found: 2, known: 1 }
        ));
        assert!(error.to_string().contains("upgrade wishtree"), "{error}");
    }

    #[test]
    fn a_failing_step_leaves_the_version_where_it_was() {
        let mut connection = Connection::open_in_memory().unwrap();
        let steps = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE a (x INTEGER)"];
        assert!(migrate(&mut connection, &steps).is_err());
        assert_eq!(schema_version(&connection).unwrap(), 1);
    }
}
