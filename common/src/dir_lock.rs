//! The exclusive lock of a data directory: one process at a time writes a node's or a
//! hub's database.
//!
//! The lock is std's `File::try_lock` on a lock file in the directory: `flock` on Unix,
//! `LockFileEx` on Windows. It is released when the returned file is dropped, or by the
//! OS if the process dies, so a crash never leaves a stale lock behind.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long taking the lock waits before calling the directory busy.
const LOCK_PATIENCE: Duration = Duration::from_millis(500);

/// Why the lock could not be taken. The callers name the process and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum DirLockError {
    /// Another process holds it.
    #[error("another process is using {dir}; stop it first")]
    Busy {
        /// The data directory.
        dir: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot open the lock file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Takes the exclusive lock of `dir` through its lock file `file_name` (created if
/// missing). Hold the returned file for as long as the directory is in use.
pub fn lock(dir: &Path, file_name: &str) -> Result<File, DirLockError> {
    let path = dir.join(file_name);
    let io_error = |source| DirLockError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error)?;
    // On Unix the lock is an flock, held by an open file description. A child process
    // being spawned by this process (any thread) shares every description until it
    // execs, so a lock just released can look held for an instant. A process that
    // really runs holds it for good, so a short bounded wait tells the two apart.
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DirLockError::Busy {
                    dir: dir.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io_error(source)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_directory_is_busy_until_the_lock_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path(), "x.lock").unwrap();
        assert!(matches!(
            lock(dir.path(), "x.lock"),
            Err(DirLockError::Busy { .. })
        ));
        drop(held);
        assert!(lock(dir.path(), "x.lock").is_ok());
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let Err(DirLockError::Io { path, .. }) = lock(&missing, "x.lock") else {
            panic!("a missing directory cannot be locked");
        };
        assert!(path.ends_with("x.lock"), "{path}");
    }
}
