//! `wishtree-hub backup --out FILE`: a copy of `hub.sqlite` taken while the hub runs,
//! with SQLite's online backup in one read snapshot, so the hub never waits for it.
//! A PostgreSQL store would be backed up with `pg_dump` instead (deploy/README.md).

use std::path::Path;

use anyhow::Context;
use wishtree_common::sqlite_backup::print_progress;

use crate::data_dir::{DATABASE_FILE, KEY_FILE, open_store};

/// Writes the backup of the hub in `data` to the new file `out`, with progress lines.
pub fn backup(data: &Path, out: &Path) -> anyhow::Result<()> {
    let store = open_store(data)?;
    store
        .backup_with_progress(out, print_progress())
        .with_context(|| format!("no backup of {}", data.display()))?;
    println!(
        "wrote {}; to restore, put it as {DATABASE_FILE} beside a copy of {KEY_FILE} in a new data directory and run the hub on that",
        out.display()
    );
    Ok(())
}
