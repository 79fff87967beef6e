//! A hub's data directory: the names of its files and opening its store.

use std::path::Path;

use anyhow::bail;

use crate::identity::read_key_file;
use crate::store::SqliteStore;

/// The key file inside a hub's data directory.
pub const KEY_FILE: &str = "hub.key";
/// The database inside a hub's data directory.
pub const DATABASE_FILE: &str = "hub.sqlite";

/// Opens the store of a data directory, checking that the hub was initialised.
pub fn open_store(data: &Path) -> anyhow::Result<SqliteStore> {
    let database = data.join(DATABASE_FILE);
    if !database.exists() || !data.join(KEY_FILE).exists() {
        bail!(
            "{} is not a hub data directory (no {KEY_FILE} and {DATABASE_FILE}); run `wishtree-hub init --data {}` first",
            data.display(),
            data.display()
        );
    }
    read_key_file(&data.join(KEY_FILE))?;
    Ok(SqliteStore::open(&database)?)
}
