//! `wishtree-hub backup --out FILE`: a copy of `hub.sqlite` taken while the hub runs,
//! with SQLite's online backup in one read snapshot, so the hub never waits for it.
//! A hub on PostgreSQL (`init --store`) keeps nearly everything there, which this
//! copy does not hold: the command says so, and that `pg_dump` backs the database up
//! (deploy/README.md).

use std::path::Path;

use anyhow::Context;
use wishtree_common::sqlite_backup::print_progress;

use crate::data_dir::{DATABASE_FILE, KEY_FILE, STORE_POSTGRES, STORE_SETTING, open_store};
use crate::store::HubStore;

/// Writes the backup of the hub in `data` to the new file `out`, with progress lines.
pub fn backup(data: &Path, out: &Path) -> anyhow::Result<()> {
    let store = open_store(data)?;
    // Read from the file itself: the command needs no PostgreSQL address for it.
    let on_postgres = store.setting(STORE_SETTING)?.as_deref() == Some(STORE_POSTGRES);
    store
        .backup_with_progress(out, print_progress())
        .with_context(|| format!("no backup of {}", data.display()))?;
    if on_postgres {
        // An operator who reads only "wrote" would believe the hub backed up.
        println!(
            "wrote {}: the data directory's {DATABASE_FILE} only (its settings), NOT the hub's data",
            out.display()
        );
        println!(
            "this hub keeps its documents, roster, accounts, figures, region names and bulletins in PostgreSQL: back that database up with pg_dump (deploy/README.md)"
        );
        println!(
            "to restore, restore the dump, put this file as {DATABASE_FILE} beside a copy of {KEY_FILE} in a new data directory and run the hub there with --store"
        );
        return Ok(());
    }
    println!(
        "wrote {}; to restore, put it as {DATABASE_FILE} beside a copy of {KEY_FILE} in a new data directory and run the hub on that",
        out.display()
    );
    Ok(())
}
