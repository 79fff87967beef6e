//! The lock that keeps a running hub and an offline import out of each other's way.
//!
//! `wishtree-hub run` holds `hub.lock` in its data directory for as long as it runs,
//! and `wishtree-hub import` holds it while it writes. A running hub keeps documents
//! in memory and folds a document's chunks into one save of what it holds; an import
//! beside it would not be seen, and that fold could drop the imported chunk. So an
//! import refuses while the hub runs, and a hub does not start during an import.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file inside a hub's data directory.
pub const LOCK_FILE: &str = "hub.lock";

/// How long taking the lock waits before calling the directory busy.
const LOCK_PATIENCE: Duration = Duration::from_millis(500);

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another wishtree-hub process is using {dir} (the running hub, or an import); {advice}"
    )]
    Busy {
        /// The data directory.
        dir: String,
        /// What to do, for the command that asked.
        advice: &'static str,
    },
    /// The lock file could not be opened.
    #[error("cannot open the lock file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Takes the exclusive lock of a hub's data directory; it is released when the file
/// is dropped, or by the OS if the process dies. `advice` says what to do if busy.
pub fn lock_data_dir(data: &Path, advice: &'static str) -> Result<File, LockError> {
    let path = data.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| LockError::Io {
            path: path.display().to_string(),
            source,
        })?;
    // The lock is an flock, held by an open file description. A child process being
    // spawned by this process shares every description until it execs, so a lock just
    // released can look held for an instant. A hub that really runs holds it for good,
    // so a short bounded wait tells the two apart (as the node's lock does).
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    dir: data.display().to_string(),
                    advice,
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(LockError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        }
    }
}
