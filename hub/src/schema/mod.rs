//! The hub database's tables — the store's, the figures', the accounts', the
//! members' — as one list of steps with one version in `PRAGMA user_version`, run by
//! `wishtree_common::migrations` as the node's are. A file written by a newer release
//! is refused, never written.
//!
//! Releases before this one kept two versions in a table `schema_versions(component,
//! version)`: `store` (its two steps) and `figures` (its two). Those four steps are the
//! first four here, the store's first, so a legacy `(store, figures)` pair maps to one
//! version: the store's missing steps are run, then the version is 2 + figures. The
//! figures' steps then follow as usual; nothing is dropped, and no figure is
//! re-derived for the move.
//!
//! The PostgreSQL store holds the same tables (`store/postgres.rs`, the figures' in
//! `store/postgres/figure_tables.rs`), in their final shape there. A new figures step
//! needs its PostgreSQL twin: a new step at the end of that store's steps giving
//! PostgreSQL the same change. `hub/tests/figure_tables_postgres.rs` fails until it
//! does, comparing every table, column, key, index and trigger of a fresh file with
//! PostgreSQL's.

mod accounts;
mod bulletins;
mod district_counts;
mod figures;
mod members;
mod store;
mod streets;
mod wait_days;

use rusqlite::{OptionalExtension, Transaction};
use wishtree_common::migrations::{MigrationError, migrate_adopting};

#[cfg(test)]
pub(crate) use figures::MEASURE_COLUMNS;

/// Every step of the hub database, in order; the index + 1 is the version. A new step
/// goes at the end, whichever tables it touches.
const STEPS: [&str; 33] = [
    store::STEPS[0],
    store::STEPS[1],
    figures::STEPS[0],
    figures::STEPS[1],
    accounts::STEPS[0],
    figures::STEPS[2],
    figures::POINTS_STEP,
    bulletins::STEPS[0],
    figures::STEPS[3],
    figures::STEPS[4],
    accounts::STEPS[1],
    figures::STEPS[5],
    members::STEPS[0],
    figures::PROJECT_STAGES_STEP,
    figures::REPORT_INDEXES_STEP,
    figures::VOLUNTEERS_STEP,
    figures::ROUNDS_STEP,
    figures::POINTS_RANKED_STEP,
    figures::DISTRICT_MONTHS_STEP,
    figures::DISTRICT_DAYS_STEP,
    figures::PROJECT_UNIT_DAYS_STEP,
    figures::DISTRICT_ORG_MONTHS_STEP,
    figures::POSTS_GROUPS_STEP,
    streets::STREET_STEP,
    figures::PARTY_ORGS_STEP,
    figures::PROJECT_CREDITS_STEP,
    wait_days::WAIT_DAYS_STEP,
    wait_days::ORG_WAIT_INDEXES_STEP,
    figures::DERIVED_FROM_STEP,
    accounts::STEPS[2],
    wait_days::EDGE_DAY_INDEXES_STEP,
    district_counts::POINTS_RANKED_DISTRICT_STEP,
    district_counts::DISTRICT_ORGS_STEP,
];

/// The version of a database this build has migrated.
pub const VERSION: i64 = STEPS.len() as i64;

/// How many steps each component had in `schema_versions`, the last release that kept
/// it; frozen.
const LEGACY_STORE_STEPS: i64 = 2;
const LEGACY_FIGURES_STEPS: i64 = 2;

/// Creates or upgrades every table of the hub database, taking over a file that kept
/// `schema_versions`. Idempotent: a database at [`VERSION`] is left as it is.
pub fn migrate(connection: &mut rusqlite::Connection) -> Result<(), MigrationError> {
    migrate_adopting(connection, &STEPS, adopt_schema_versions)
}

/// Maps a legacy file's `(store, figures)` versions to one, completing the store's
/// steps it lacked (a release between the two store steps ran the figures' first), and
/// drops `schema_versions`. A component above what the legacy scheme knew was written by
/// a newer release: refused, with nothing written.
fn adopt_schema_versions(transaction: &Transaction<'_>) -> Result<Option<i64>, MigrationError> {
    let has_legacy_table: bool = transaction.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions')",
        [],
        |row| row.get(0),
    )?;
    if !has_legacy_table {
        return Ok(None);
    }
    let legacy_version = |component: &str| -> rusqlite::Result<i64> {
        let version: Option<i64> = transaction
            .query_row(
                "SELECT version FROM schema_versions WHERE component = ?1",
                [component],
                |row| row.get(0),
            )
            .optional()?;
        Ok(version.unwrap_or(0).max(0))
    };
    let store = legacy_version("store")?;
    let figures = legacy_version("figures")?;
    for (found, known) in [(store, LEGACY_STORE_STEPS), (figures, LEGACY_FIGURES_STEPS)] {
        if found > known {
            return Err(MigrationError::Newer { found, known });
        }
    }
    // Both numbers are at most 2 here, so the casts and the slice are in range.
    for step in &STEPS[store as usize..LEGACY_STORE_STEPS as usize] {
        transaction.execute_batch(step)?;
    }
    transaction.execute_batch("DROP TABLE schema_versions")?;
    Ok(Some(LEGACY_STORE_STEPS + figures))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use wishtree_common::migrations::schema_version;

    use super::*;

    /// A file as a release that kept `schema_versions` left it: the store's first
    /// `store` steps and the figures' first `figures` steps, in the order releases ran
    /// them, and a row in each table the test reads back.
    fn legacy_file(store: usize, figures: usize) -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            )
            .unwrap();
        for (component, steps, count) in [
            ("store", &store::STEPS[..], store),
            ("figures", &figures::STEPS[..], figures),
        ] {
            for step in &steps[..count] {
                connection.execute_batch(step).unwrap();
            }
            if count > 0 {
                connection
                    .execute(
                        "INSERT INTO schema_versions VALUES (?1, ?2)",
                        rusqlite::params![component, count as i64],
                    )
                    .unwrap();
            }
        }
        if store > 0 {
            connection
                .execute("INSERT INTO settings VALUES ('city', '1309')", [])
                .unwrap();
        }
        if figures > 0 {
            connection
                .execute(
                    "INSERT INTO fig_region_names VALUES ('130903', '运河区')",
                    [],
                )
                .unwrap();
        }
        connection
    }

    fn tables(connection: &Connection) -> Vec<String> {
        connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn every_legacy_pair_ends_at_the_one_version_with_its_records() {
        let fresh = {
            let mut connection = Connection::open_in_memory().unwrap();
            migrate(&mut connection).unwrap();
            tables(&connection)
        };
        // (store, figures) as releases left them: `init` alone ran the store's steps;
        // the figures' first step came between the store's two.
        for (store, figures) in [(1, 0), (2, 0), (1, 1), (2, 1), (2, 2), (0, 2)] {
            let mut connection = legacy_file(store, figures);
            migrate(&mut connection).unwrap();
            let case = format!("legacy (store {store}, figures {figures})");
            assert_eq!(schema_version(&connection).unwrap(), VERSION, "{case}");
            assert_eq!(
                tables(&connection),
                fresh,
                "{case}: the same tables as a new file"
            );
            if store > 0 {
                let city: String = connection
                    .query_row("SELECT value FROM settings WHERE key = 'city'", [], |row| {
                        row.get(0)
                    })
                    .unwrap();
                assert_eq!(city, "1309", "{case}");
            }
            if figures > 0 {
                let name: String = connection
                    .query_row("SELECT name FROM fig_region_names", [], |row| row.get(0))
                    .unwrap();
                assert_eq!(name, "运河区", "{case}");
            }
            // The second step of the figures ran exactly once.
            connection
                .prepare("SELECT signer_revoked FROM fig_communities")
                .unwrap();
        }
    }

    #[test]
    fn a_legacy_component_newer_than_the_legacy_scheme_is_refused_and_left_as_it_is() {
        for component in ["store", "figures"] {
            let mut connection = legacy_file(2, 2);
            connection
                .execute(
                    "UPDATE schema_versions SET version = 3 WHERE component = ?1",
                    [component],
                )
                .unwrap();
            let error = migrate(&mut connection).unwrap_err();
            assert!(
                matches!(error, MigrationError::Newer { found: 3, known: 2 }),
                "{component}: {error}"
            );
            assert_eq!(schema_version(&connection).unwrap(), 0, "{component}");
            assert!(tables(&connection).contains(&"schema_versions".to_owned()));
        }
    }
}
