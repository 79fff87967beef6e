//! Schema migrations of a SQLite database: a list of SQL steps applied in order, each
//! in its own transaction, the number applied recorded in `PRAGMA user_version`.
//!
//! A database whose version is above the number of steps was written by a newer build,
//! whose tables this build does not know; it is refused, never written.
//!
//! A file made before it used this scheme (at version 0, with the bookkeeping of an
//! older one) is taken over by [`migrate_adopting`]: an adoption step says which of
//! the steps the file already has, in the same transaction that records it.

use rusqlite::{Connection, Transaction};

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
    migrate_adopting(connection, steps, |_| Ok(None))
}

/// Applies the steps the database has not had yet, as [`migrate`] does, after taking
/// over a file kept by an older scheme. On a file at version 0, `adopt` runs first in
/// a transaction and returns how many of `steps` the file already has, or `None` for a
/// file of no older scheme (an empty one), which starts at step one. What `adopt`
/// writes (dropping the older bookkeeping, completing a half-made layout) is committed
/// with the version it returns, or not at all: an error, or a version above the known
/// steps (a newer release wrote the file), leaves the file as it was.
pub fn migrate_adopting(
    connection: &mut Connection,
    steps: &[&str],
    adopt: impl FnOnce(&Transaction<'_>) -> Result<Option<i64>, MigrationError>,
) -> Result<(), MigrationError> {
    let known = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    let mut current = schema_version(connection)?;
    if current == 0 {
        let transaction = connection.transaction()?;
        if let Some(adopted) = adopt(&transaction)? {
            if adopted > known {
                return Err(MigrationError::Newer {
                    found: adopted,
                    known,
                });
            }
            transaction.execute_batch(&format!("PRAGMA user_version = {adopted}"))?;
            transaction.commit()?;
            current = adopted;
        }
    }
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

    /// A file of an older scheme: table `a` made, its version kept in `old_version`.
    fn older_scheme_file(old_version: i64) -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(STEPS[0]).unwrap();
        connection
            .execute_batch(&format!(
                "CREATE TABLE old_version (v INTEGER); INSERT INTO old_version VALUES ({old_version})"
            ))
            .unwrap();
        connection
    }

    /// Reads the older scheme's version and drops its table, as a real adoption does.
    fn adopt(transaction: &Transaction<'_>) -> Result<Option<i64>, MigrationError> {
        let version: i64 =
            transaction.query_row("SELECT v FROM old_version", [], |row| row.get(0))?;
        transaction.execute_batch("DROP TABLE old_version")?;
        Ok(Some(version))
    }

    fn has_table(connection: &Connection, name: &str) -> bool {
        connection
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1",
                [name],
                |row| row.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    }

    #[test]
    fn an_older_schemes_file_is_taken_over_at_the_step_it_had() {
        let mut connection = older_scheme_file(1);
        connection
            .execute("INSERT INTO a (x) VALUES (7)", [])
            .unwrap();
        migrate_adopting(&mut connection, STEPS, adopt).unwrap();
        assert_eq!(schema_version(&connection).unwrap(), 2);
        assert!(!has_table(&connection, "old_version"));
        // Step one did not run again (it would fail: `a` exists), step two did.
        let row: (i64, Option<i64>) = connection
            .query_row("SELECT x, y FROM a", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!(row, (7, None));
        // Once adopted, the file is at a version and `adopt` is not asked again.
        migrate_adopting(&mut connection, STEPS, |_| panic!("adopted twice")).unwrap();
    }

    #[test]
    fn an_empty_file_starts_at_step_one_and_an_adoption_beyond_the_steps_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate_adopting(&mut connection, STEPS, |_| Ok(None)).unwrap();
        assert_eq!(schema_version(&connection).unwrap(), 2);

        let mut connection = older_scheme_file(5);
        let error = migrate_adopting(&mut connection, STEPS, adopt).unwrap_err();
        assert!(matches!(
            error,
            MigrationError::Newer { found: 5, known: 2 }
        ));
        // Nothing was written: the older bookkeeping is still there, the version 0.
        assert!(has_table(&connection, "old_version"));
        assert_eq!(schema_version(&connection).unwrap(), 0);
    }
}
