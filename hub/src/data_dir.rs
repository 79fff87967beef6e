//! A hub's data directory: the names of its files and opening its stores (its SQLite
//! file, and PostgreSQL when the hub keeps its documents there).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::accounts::AccountStore;
use crate::figure_store::FigureStore;
use crate::identity::read_key_file;
use crate::store::{HubStore, PgStore, SqliteStore};

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

/// The setting, in a data directory's SQLite file, that says its hub keeps documents,
/// roster and sync state in PostgreSQL (`init --store`), so that a command run without
/// the address is refused instead of reading the directory's empty tables.
pub const STORE_SETTING: &str = "store";
/// [`STORE_SETTING`]'s value for PostgreSQL. The address (with its password) is not
/// kept: it comes from `--store`, `WISHTREE_STORE` or the config file every time.
pub const STORE_POSTGRES: &str = "postgres";

/// A hub's stores: where it keeps documents, roster, sync state and accounts, where
/// its figures are, and its data directory's SQLite file (which is all of them when no
/// other store is given).
#[derive(Debug, Clone)]
pub struct HubStores {
    /// Documents, roster, sync state, signed heads, bundle receipts, settings.
    pub store: Arc<dyn HubStore>,
    /// Accounts, sessions, tokens, the audit log, the units' annual texts and the
    /// cookie key: in the same store as the documents, so that every process of a hub
    /// on PostgreSQL shares them.
    pub accounts: Arc<dyn AccountStore>,
    /// The figure tables, region names, bulletins and the members' other
    /// communities: in the same store as the documents too, so that every process of
    /// a hub on PostgreSQL derives into and serves the same figures.
    pub figures: FigureStore,
    /// The data directory's SQLite file.
    pub local: Arc<SqliteStore>,
}

/// Opens a data directory's stores: PostgreSQL at `store` (`postgres://…`) if given,
/// else its SQLite file. A directory initialised for one is refused with the other.
pub fn open_stores(data: &Path, store: Option<&str>) -> anyhow::Result<HubStores> {
    let local = Arc::new(open_store(data)?);
    let recorded = local.setting(STORE_SETTING)?;
    let (store, accounts, figures): (Arc<dyn HubStore>, Arc<dyn AccountStore>, _) = match (
        store,
        recorded.as_deref(),
    ) {
        (Some(url), Some(STORE_POSTGRES)) => {
            let shared = Arc::new(open_postgres(url)?);
            (
                Arc::clone(&shared) as Arc<dyn HubStore>,
                Arc::clone(&shared) as Arc<dyn AccountStore>,
                FigureStore::Shared(shared),
            )
        }
        (Some(_), _) => bail!(
            "the hub in {} keeps its documents in its own SQLite file (it was initialised without --store); leave out --store and WISHTREE_STORE",
            data.display()
        ),
        (None, Some(_)) => bail!(
            "the hub in {} keeps its documents in PostgreSQL: give its address with --store postgres://… (or WISHTREE_STORE, or `store` in the config file)",
            data.display()
        ),
        (None, None) => (
            Arc::clone(&local) as Arc<dyn HubStore>,
            Arc::clone(&local) as Arc<dyn AccountStore>,
            FigureStore::Local(Arc::clone(&local)),
        ),
    };
    Ok(HubStores {
        store,
        accounts,
        figures,
        local,
    })
}

/// Connects to the PostgreSQL store at `url`, which must be a `postgres://` address.
pub fn open_postgres(url: &str) -> anyhow::Result<PgStore> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "--store takes a PostgreSQL address, postgres://user:password@host:port/database (leave it out to keep everything in the data directory)"
        );
    }
    // The address is not repeated in the error: it may hold a password.
    PgStore::open(url).context("cannot open the PostgreSQL store given by --store")
}
