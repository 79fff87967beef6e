//! The lock that keeps a running hub and an offline import out of each other's way.
//!
//! `wishtree-hub run` holds `hub.lock` in its data directory for as long as it runs,
//! and an offline `wishtree-hub import` holds it while it writes. A running hub keeps
//! documents in memory and folds a document's chunks into one save of what it holds;
//! an import written beside it would not be seen, and that fold could drop the imported
//! chunk. So an import that finds the lock held hands its bundle to the running hub
//! ([`crate::admin`]), and a hub does not start during an offline import.

use std::fs::File;
use std::path::Path;

use wishtree_common::dir_lock::DirLockError;

/// The lock file inside a hub's data directory.
pub const LOCK_FILE: &str = "hub.lock";

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
    wishtree_common::dir_lock::lock(data, LOCK_FILE).map_err(|error| match error {
        DirLockError::Busy { dir } => LockError::Busy { dir, advice },
        DirLockError::Io { path, source } => LockError::Io { path, source },
    })
}
