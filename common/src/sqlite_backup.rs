//! The online backup of a node's or a hub's SQLite file, taken while the process that
//! owns it goes on writing (SQLite's backup API, rusqlite's `backup` feature).
//!
//! The copy is taken in steps, for progress, inside one read transaction on the
//! source: in WAL mode that transaction sees one snapshot and blocks no writer, and
//! the backup does not restart when another process commits (outside a transaction
//! each step would see the newest data, and SQLite restarts a backup whose source
//! changed, which under steady writes may never finish). So the copy is the database
//! as it was when the backup began. The file is created new with mode 0600 (it holds
//! what the database holds); a backup that fails removes it.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

/// How many pages a step copies (4 MiB of 4 KiB pages).
const PAGES_PER_STEP: i32 = 1024;

/// How far a backup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupProgress {
    /// Pages still to copy.
    pub remaining: i32,
    /// Pages in the database.
    pub total: i32,
}

/// Why a backup was not written. No file is left behind.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file could not be created (it exists, or the directory is not
    /// writable).
    #[error("cannot create {path}: {source}")]
    Create {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// SQLite failed while copying.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl BackupProgress {
    /// The share copied, in percent.
    pub fn percent(&self) -> i32 {
        if self.total > 0 {
            100 - self.remaining * 100 / self.total
        } else {
            100
        }
    }
}

/// A progress callback for a command: "backup N%" on stderr at every tenth.
pub fn print_progress() -> impl FnMut(BackupProgress) {
    let mut shown = None;
    move |progress: BackupProgress| {
        let percent = progress.percent();
        if shown != Some(percent / 10) {
            shown = Some(percent / 10);
            eprintln!("backup {percent}%");
        }
    }
}

/// Copies the database `source` is connected to into the new file `out`; see the
/// module doc. `source` must not be inside a write transaction.
pub fn online_backup(
    source: &Connection,
    out: &Path,
    mut progress: impl FnMut(BackupProgress),
) -> Result<(), BackupError> {
    crate::key_file::create_private(out).map_err(|source| BackupError::Create {
        path: out.display().to_string(),
        source,
    })?;
    let result = copy(source, out, &mut progress);
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

fn copy(
    source: &Connection,
    out: &Path,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<(), BackupError> {
    let is_own_transaction = source.is_autocommit();
    if is_own_transaction {
        // A deferred transaction takes its snapshot at the first read.
        source.execute_batch("BEGIN")?;
        source.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
    }
    let copied = (|| {
        let mut target = Connection::open(out)?;
        {
            let backup = Backup::new(source, &mut target)?;
            loop {
                let step = backup.step(PAGES_PER_STEP)?;
                let now = backup.progress();
                progress(BackupProgress {
                    remaining: now.remaining,
                    total: now.pagecount,
                });
                match step {
                    StepResult::Done => break,
                    StepResult::More => {}
                    // The target is a new file nobody else opens; the source is read
                    // in our own snapshot. Busy or locked would be a bug, not a wait.
                    other => {
                        return Err(rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some(format!("the backup could not go on: {other:?}")),
                        ));
                    }
                }
            }
        }
        // The copy keeps the source's WAL mode; fold its log into the file so that
        // the backup is one self-contained file.
        target.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        target.close().map_err(|(_, error)| error)
    })();
    if is_own_transaction {
        source.execute_batch("COMMIT")?;
    }
    Ok(copied?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unwrap_used)]
    fn database(path: &Path) -> Connection {
        let connection = Connection::open(path).unwrap();
        connection
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        connection
            .execute_batch("CREATE TABLE t (n INTEGER, pad BLOB)")
            .unwrap();
        connection
    }

    #[test]
    fn a_backup_is_the_snapshot_of_its_start_whatever_is_written_during_it() {
        let dir = tempfile::tempdir().unwrap();
        let writer = database(&dir.path().join("db.sqlite"));
        for n in 0..2000 {
            writer
                .execute("INSERT INTO t VALUES (?1, zeroblob(4000))", [n])
                .unwrap();
        }
        let reader = Connection::open(dir.path().join("db.sqlite")).unwrap();
        let out = dir.path().join("backup.sqlite");
        let mut steps = 0;
        online_backup(&reader, &out, |_| {
            // Another connection commits between every step.
            steps += 1;
            writer
                .execute("INSERT INTO t VALUES (-1, zeroblob(4000))", [])
                .unwrap();
        })
        .unwrap();
        assert!(steps > 1, "copied in steps, for progress");
        let copy = Connection::open(&out).unwrap();
        let rows: i64 = copy
            .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 2000, "the rows of the start, none of those during");
        assert!(reader.is_autocommit(), "the snapshot is released");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }

    #[test]
    fn a_backup_never_overwrites_and_a_failed_one_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = database(&dir.path().join("db.sqlite"));
        let out = dir.path().join("backup.sqlite");
        std::fs::write(&out, b"keep").unwrap();
        let error = online_backup(&source, &out, |_| {}).unwrap_err();
        assert!(matches!(error, BackupError::Create { .. }), "{error}");
        assert_eq!(std::fs::read(&out).unwrap(), b"keep");
        let missing = dir.path().join("no-such-dir").join("backup.sqlite");
        assert!(online_backup(&source, &missing, |_| {}).is_err());
        assert!(!missing.exists());
    }
}
