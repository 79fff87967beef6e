//! The hub's tables in PostgreSQL against its SQLite file, and the figures' calls on
//! the PostgreSQL store (`PgStore::with_db`, `PgStore::in_db_transaction`), in a
//! database of its own in the cluster of `scripts/with-test-pg`.
//!
//! The first test is what keeps the two schemas from drifting apart: every table of a
//! freshly migrated `hub.sqlite` (`wishtree_hub::schema::migrate`) must be in
//! PostgreSQL under its name, with the same columns in the same order (the figures copy
//! rows with `INSERT … SELECT *`), the same nullability, defaults and primary key, every
//! index SQLite has under the same name (a query's `INDEXED BY` names one) on the same
//! columns, and every trigger. A new step of the SQLite schema (`schema/mod.rs`) fails
//! it until its PostgreSQL twin is at the end of the store's steps
//! (`store/postgres.rs`).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use wishtree_hub::sql::{Batched, Db, DbExt, Fresh, SqlError, params};
use wishtree_hub::store::PgStore;
use wishtree_testkit::postgres::TestDatabase;

/// The tables of the store's and the accounts' own PostgreSQL steps, written before the
/// figures' step and frozen: their integers and text were given PostgreSQL's plain
/// types (`unit_annual_texts.year` is an `INTEGER`, text the database's collation), so
/// the exact types are checked on the other tables only.
const STORE_TABLES: [&str; 12] = [
    "settings",
    "roster",
    "doc_chunks",
    "communities",
    "sync_peers",
    "attestations",
    "bundle_issuers",
    "accounts",
    "account_tokens",
    "account_sessions",
    "audit_log",
    "unit_annual_texts",
];

/// PostgreSQL's own tables, with nothing in SQLite to match: the schema version (SQLite
/// keeps it in `PRAGMA user_version`) and the secrets several processes share.
const POSTGRES_ONLY_TABLES: [&str; 2] = ["wishtree_schema", "hub_secrets"];

fn open(test: &str) -> Option<(TestDatabase, PgStore)> {
    let database = TestDatabase::create(test)?;
    let store = PgStore::open(database.url()).unwrap();
    Some((database, store))
}

/// A column as both databases describe it.
#[derive(Debug, PartialEq)]
struct Column {
    name: String,
    not_null: bool,
    has_default: bool,
}

/// An index as both databases describe it: its key columns (`DESC` noted) and whether
/// it is unique or partial; for a partial one, its predicate in a common spelling.
#[derive(Debug, PartialEq)]
struct Index {
    columns: Vec<(String, bool)>,
    unique: bool,
    predicate: Option<String>,
}

/// A predicate without PostgreSQL's casts and parentheses, in lower case, one space
/// between words: `((role = 'node'::text) AND (revoked_at IS NULL))` and SQLite's
/// `role = 'node' AND revoked_at IS NULL` read the same.
fn predicate(text: &str) -> String {
    text.replace("::text", "")
        .replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn sqlite_strings(connection: &rusqlite::Connection, sql: &str) -> Vec<String> {
    connection
        .prepare(sql)
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn fresh_sqlite() -> rusqlite::Connection {
    let mut connection = rusqlite::Connection::open_in_memory().unwrap();
    wishtree_hub::schema::migrate(&mut connection).unwrap();
    connection
}

/// SQLite's columns of `table` with their declared types, and its primary key in
/// order. A column of the primary key counts as NOT NULL (PostgreSQL makes it so; in
/// SQLite a rowid table's key could hold NULL, which the hub never writes).
fn sqlite_columns(
    connection: &rusqlite::Connection,
    table: &str,
) -> (Vec<(Column, String)>, Vec<String>) {
    let mut statement = connection
        .prepare(&format!("PRAGMA table_info({table})"))
        .unwrap();
    let rows: Vec<(String, String, bool, Option<String>, i64)> = statement
        .query_map([], |row| {
            Ok((
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut key: Vec<(i64, String)> = rows
        .iter()
        .filter(|row| row.4 > 0)
        .map(|row| (row.4, row.0.clone()))
        .collect();
    key.sort();
    let columns = rows
        .into_iter()
        .map(|(name, declared, not_null, default, key)| {
            let column = Column {
                name,
                not_null: not_null || key > 0,
                has_default: default.is_some(),
            };
            (column, declared)
        })
        .collect();
    (columns, key.into_iter().map(|(_, name)| name).collect())
}

/// SQLite's indexes of `table` by name: those made by `CREATE INDEX`, and (unnamed,
/// their name left out) those its `UNIQUE` constraints made.
fn sqlite_indexes(
    connection: &rusqlite::Connection,
    table: &str,
) -> (Vec<(String, Index)>, Vec<Vec<String>>) {
    let list: Vec<(String, bool, String, bool)> = connection
        .prepare(&format!("PRAGMA index_list({table})"))
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut named = Vec::new();
    let mut uniques = Vec::new();
    for (name, unique, origin, partial) in list {
        let columns: Vec<(String, bool)> = connection
            .prepare(&format!("PRAGMA index_xinfo({name})"))
            .unwrap()
            .query_map([], |row| {
                Ok((row.get::<_, Option<String>>(2)?, row.get(3)?, row.get(5)?))
            })
            .unwrap()
            .collect::<Result<Vec<(Option<String>, bool, bool)>, _>>()
            .unwrap()
            .into_iter()
            .filter(|(_, _, key)| *key)
            .map(|(column, descending, _)| (column.unwrap(), descending))
            .collect();
        match origin.as_str() {
            "c" => {
                let sql: String = connection
                    .query_row(
                        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                        [&name],
                        |row| row.get(0),
                    )
                    .unwrap();
                let predicate = partial.then(|| {
                    let (_, condition) = sql.split_once(" WHERE ").unwrap();
                    predicate(condition)
                });
                named.push((
                    name,
                    Index {
                        columns,
                        unique,
                        predicate,
                    },
                ));
            }
            "u" => uniques.push(columns.into_iter().map(|(column, _)| column).collect()),
            // The primary key's own index: checked as the primary key.
            _ => {}
        }
    }
    (named, uniques)
}

/// PostgreSQL's columns of `table` (in `public`): each with its type and collation.
fn postgres_columns(db: &dyn Db, table: &str) -> Vec<(Column, String, String)> {
    db.query_map(
        "SELECT a.attname::text, a.attnotnull, a.atthasdef,
                format_type(a.atttypid, a.atttypmod), COALESCE(co.collname::text, '')
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         WHERE c.relname = ?1 AND c.relnamespace = 'public'::regnamespace
           AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum",
        params![table],
        |row| {
            let column = Column {
                name: row.get(0)?,
                not_null: row.get(1)?,
                has_default: row.get(2)?,
            };
            Ok((column, row.get(3)?, row.get(4)?))
        },
    )
    .unwrap()
}

/// PostgreSQL's indexes of `table`, by name, with whether each is its primary key.
/// Their key columns only: an `INCLUDE` column is what SQLite's index of a `WITHOUT
/// ROWID` table holds of its primary key without naming it.
fn postgres_indexes(db: &dyn Db, table: &str) -> Vec<(String, bool, Index)> {
    let indexes: Vec<(String, bool, bool, Option<String>)> = db
        .query_map(
            "SELECT ic.relname::text, i.indisprimary, i.indisunique,
                    pg_get_expr(i.indpred, i.indrelid)
             FROM pg_index i
             JOIN pg_class ic ON ic.oid = i.indexrelid
             JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relname = ?1 AND c.relnamespace = 'public'::regnamespace
             ORDER BY 1",
            params![table],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    indexes
        .into_iter()
        .map(|(name, primary, unique, condition)| {
            // indoption's bit 1 is DESC.
            let columns = db
                .query_map(
                    "SELECT a.attname::text, (k.option & 1) = 1
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indoption::int2[])
                         WITH ORDINALITY AS k(attnum, option, n)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indexrelid = ?1::regclass AND k.n <= i.indnkeyatts
                     ORDER BY k.n",
                    params![name],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .unwrap();
            let index = Index {
                columns,
                unique,
                predicate: condition.as_deref().map(predicate),
            };
            (name, primary, index)
        })
        .collect()
}

#[test]
fn every_table_of_the_sqlite_file_is_in_postgresql_in_the_same_shape() {
    let Some((_database, store)) = open("figure tables test (schemas agree)") else {
        return;
    };
    let sqlite = fresh_sqlite();
    let tables = sqlite_strings(
        &sqlite,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    assert!(tables.contains(&"fig_wishes".to_owned()), "{tables:?}");
    store
        .with_db(|db| {
            for table in &tables {
                let (columns, key) = sqlite_columns(&sqlite, table);
                let found = postgres_columns(db, table);
                assert!(!found.is_empty(), "{table}: no such table in PostgreSQL");
                let names = |columns: &[&Column]| -> Vec<String> {
                    columns.iter().map(|column| column.name.clone()).collect()
                };
                assert_eq!(
                    names(&found.iter().map(|(c, _, _)| c).collect::<Vec<_>>()),
                    names(&columns.iter().map(|(c, _)| c).collect::<Vec<_>>()),
                    "{table}: the columns and their order"
                );
                for ((expected, declared), (column, pg_type, collation)) in
                    columns.iter().zip(&found)
                {
                    let at = format!("{table}.{}", expected.name);
                    assert_eq!(column, expected, "{at}: NOT NULL and DEFAULT");
                    let wanted = match declared.as_str() {
                        "INTEGER" => "bigint",
                        "TEXT" => "text",
                        "BLOB" => "bytea",
                        "REAL" => "double precision",
                        other => panic!("{at}: SQLite type {other} has no PostgreSQL twin"),
                    };
                    if STORE_TABLES.contains(&table.as_str()) {
                        if declared != "INTEGER" {
                            assert_eq!(pg_type, wanted, "{at}");
                        }
                    } else {
                        assert_eq!(pg_type, wanted, "{at}");
                        if wanted == "text" {
                            // Bytewise, as SQLite compares: code ranges and orderings.
                            assert_eq!(collation, "C", "{at}: the collation");
                        }
                    }
                }

                let indexes = postgres_indexes(db, table);
                let primary: Vec<&Index> = indexes
                    .iter()
                    .filter(|(_, primary, _)| *primary)
                    .map(|(_, _, index)| index)
                    .collect();
                match primary.as_slice() {
                    [] => assert!(key.is_empty(), "{table}: no primary key in PostgreSQL"),
                    [index] => assert_eq!(
                        index.columns.iter().map(|(c, _)| c).collect::<Vec<_>>(),
                        key.iter().collect::<Vec<_>>(),
                        "{table}: the primary key"
                    ),
                    _ => unreachable!("a table has one primary key"),
                }
                let (named, uniques) = sqlite_indexes(&sqlite, table);
                for (name, expected) in named {
                    let found = indexes.iter().find(|(found, _, _)| *found == name);
                    let Some((_, _, index)) = found else {
                        panic!("{table}: no index {name} in PostgreSQL");
                    };
                    assert_eq!(index, &expected, "{table}: index {name}");
                }
                for columns in uniques {
                    assert!(
                        indexes.iter().any(|(_, _, index)| index.unique
                            && index.predicate.is_none()
                            && index.columns.iter().map(|(c, _)| c).eq(columns.iter())),
                        "{table}: UNIQUE ({columns:?}) is not in PostgreSQL"
                    );
                }
            }

            let postgres_tables: Vec<String> = db.query_map(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'
                 ORDER BY 1",
                params![],
                |row| row.get(0),
            )?;
            let extra: Vec<&String> = postgres_tables
                .iter()
                .filter(|table| {
                    !tables.contains(table) && !POSTGRES_ONLY_TABLES.contains(&table.as_str())
                })
                .collect();
            assert!(extra.is_empty(), "tables SQLite does not have: {extra:?}");

            let triggers: BTreeSet<String> = db
                .query_map(
                    "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal",
                    params![],
                    |row| row.get(0),
                )?
                .into_iter()
                .collect();
            for trigger in sqlite_strings(
                &sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'trigger'",
            ) {
                assert!(
                    triggers.contains(&trigger),
                    "no trigger {trigger} in PostgreSQL"
                );
            }
            Ok::<_, SqlError>(())
        })
        .unwrap();
}

/// Why a test's transaction failed: a statement, or the work's own refusal.
#[derive(Debug)]
enum Failed {
    Sql(SqlError),
    Refused,
}

impl From<SqlError> for Failed {
    fn from(error: SqlError) -> Self {
        Failed::Sql(error)
    }
}

fn region_names(store: &PgStore) -> Vec<(String, String)> {
    store
        .with_db(|db| {
            db.query_map(
                "SELECT prefix, name FROM fig_region_names ORDER BY prefix",
                params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .unwrap()
}

const NAME_REGION: &str = "INSERT INTO fig_region_names (prefix, name) VALUES (?1, ?2)";

#[test]
fn a_transaction_keeps_its_rows_only_when_its_work_succeeds() {
    let Some((_database, store)) = open("figure tables test (transactions)") else {
        return;
    };
    let refused = store.in_db_transaction(|db| {
        db.execute(NAME_REGION, params!["130903", "运河区"])?;
        Err::<(), _>(Failed::Refused)
    });
    assert!(matches!(refused, Err(Failed::Refused)), "{refused:?}");
    // The next call takes the same pooled connection: it is in no transaction left open.
    assert_eq!(region_names(&store), []);

    // A statement that fails, its error let go by the work: PostgreSQL has aborted the
    // transaction, so the call fails and nothing of it is kept.
    let swallowed = store.in_db_transaction(|db| {
        db.execute(NAME_REGION, params!["130903", "运河区"])?;
        let again = db.execute(NAME_REGION, params!["130903", "运河区"]);
        assert!(matches!(again, Err(SqlError::Postgres(_))), "{again:?}");
        Ok::<_, Failed>(())
    });
    let Err(Failed::Sql(SqlError::Postgres(error))) = swallowed else {
        panic!("{swallowed:?}");
    };
    assert_eq!(
        error.code(),
        Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION),
        "{error}"
    );
    assert_eq!(region_names(&store), []);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.in_db_transaction(|db| {
            db.execute(NAME_REGION, params!["130903", "运河区"])?;
            panic!("the work fails half-way");
            #[allow(unreachable_code)]
            Ok::<_, SqlError>(())
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(region_names(&store), []);

    let written = store.in_db_transaction(|db| {
        db.execute(NAME_REGION, params!["130903", "运河区"])?;
        db.execute(NAME_REGION, params!["1309", "沧州市"])?;
        Ok::<_, SqlError>(2)
    });
    assert_eq!(written.unwrap(), 2);
    assert_eq!(
        region_names(&store),
        [
            ("1309".to_owned(), "沧州市".to_owned()),
            ("130903".to_owned(), "运河区".to_owned())
        ]
    );
}

/// `execute_later` inside a figures transaction: held and sent together, yet seen by
/// the next read as if run at once, committed with the transaction, and when one fails,
/// nothing of the transaction is kept.
#[test]
fn writes_held_for_later_are_read_committed_and_rolled_back_as_if_run_at_once() {
    let Some((_database, store)) = open("figure tables test (writes held)") else {
        return;
    };
    // More than a batch of held writes (256), so that some go before the end.
    let prefixes: Vec<String> = (0..300).map(|n| format!("1309{n:04}")).collect();
    let read_inside = store.in_db_transaction(|db| {
        for prefix in &prefixes {
            db.execute_later(NAME_REGION, params![prefix.as_str(), "区"])?;
        }
        db.execute_later(
            "UPDATE fig_region_names SET name = ?1 WHERE prefix = ?2",
            params!["运河区", "13090299"],
        )?;
        // A read after them sees every one, in the order given.
        db.query_row(
            "SELECT COUNT(*), MAX(CASE WHEN prefix = '13090299' THEN name END)
             FROM fig_region_names",
            params![],
            |row| Ok((row.get::<i64>(0)?, row.get::<String>(1)?)),
        )
    });
    assert_eq!(read_inside.unwrap(), (300, "运河区".to_owned()));
    assert_eq!(region_names(&store).len(), 300, "committed");

    // Held writes left at the end of the work are sent before the commit.
    store
        .in_db_transaction(|db| db.execute_later("DELETE FROM fig_region_names", params![]))
        .unwrap();
    assert_eq!(region_names(&store).len(), 0, "deleted");

    // A held write that fails (the same prefix twice), with no read after it: the call
    // fails with the server's error and keeps nothing, not even the writes before it.
    let failed = store.in_db_transaction(|db| {
        db.execute_later(NAME_REGION, params!["1309", "沧州市"])?;
        db.execute_later(NAME_REGION, params!["130903", "运河区"])?;
        db.execute_later(NAME_REGION, params!["130903", "运河区"])?;
        Ok::<_, SqlError>(())
    });
    let Err(SqlError::Postgres(error)) = failed else {
        panic!("{failed:?}");
    };
    assert_eq!(
        error.code(),
        Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION),
        "{error}"
    );
    assert_eq!(region_names(&store).len(), 0, "nothing kept");

    // Outside a transaction (`with_db`) a write is not held: it is run at once.
    store
        .with_db(|db| db.execute_later(NAME_REGION, params!["1309", "沧州市"]))
        .unwrap();
    assert_eq!(region_names(&store).len(), 1);
}

#[test]
fn the_figure_tables_read_back_every_type_and_keep_their_counts() {
    let Some((_database, store)) = open("figure tables test (types)") else {
        return;
    };
    const WISH: &str = "INSERT INTO fig_wishes (community, id, kind, beneficiary_group, state,
        submitted_day, month, claimant_member, claim_days) VALUES (?1, ?2, 'goods', 'elderly',
        ?3, ?4, 202603, ?5, ?6)";
    store
        .in_db_transaction(|db| {
            db.execute(
                WISH,
                params![
                    "130903003001",
                    [1u8; 16],
                    "claimed",
                    20_530,
                    Some([7u8; 16]),
                    Some(3)
                ],
            )?;
            db.execute(
                WISH,
                params![
                    "130903003002",
                    [2u8; 16],
                    "published",
                    20_531,
                    None::<[u8; 16]>,
                    None::<i64>
                ],
            )?;
            // A community of the next street: out of the street 130903003's range.
            db.execute(
                WISH,
                params![
                    "130903004001",
                    [3u8; 16],
                    "published",
                    20_532,
                    None::<[u8; 16]>,
                    None::<i64>
                ],
            )?;
            // fig_points_ranked counts the ranked members, whoever writes them.
            for (member, period) in [(1u8, "2026H1"), (2, "2026H1"), (3, "2026H2")] {
                db.execute(
                    "INSERT INTO fig_member_points (community, member, period, points)
                     VALUES ('130903003001', ?1, ?2, 10)",
                    params![[member; 16], period],
                )?;
            }
            db.execute(
                "DELETE FROM fig_member_points WHERE period = '2026H2'",
                params![],
            )?;
            // Moved to a community of another district: both counts follow it.
            db.execute(
                "UPDATE fig_member_points SET community = '130904001001' WHERE member = ?1",
                params![[2u8; 16]],
            )?;
            Ok::<_, SqlError>(())
        })
        .unwrap();

    store
        .with_db(|db| {
            let wishes = db.query_map(
                "SELECT community, id, submitted_day, claimant_member, claim_days
                 FROM fig_wishes WHERE community >= ?1 AND community < ?2 ORDER BY community",
                params!["130903003", "130903003:"],
                |row| {
                    Ok((
                        row.get::<String>(0)?,
                        row.get::<Vec<u8>>(1)?,
                        row.get::<i64>(2)?,
                        row.get::<Option<Vec<u8>>>(3)?,
                        row.get::<Option<i64>>(4)?,
                    ))
                },
            )?;
            assert_eq!(
                wishes,
                [
                    (
                        "130903003001".to_owned(),
                        vec![1; 16],
                        20_530,
                        Some(vec![7; 16]),
                        Some(3)
                    ),
                    ("130903003002".to_owned(), vec![2; 16], 20_531, None, None),
                ],
                "the community codes of the street 130903003, bytewise as in SQLite"
            );
            let (total, claimed): (i64, i64) = db.query_row(
                "SELECT SUM(submitted_day), COUNT(*) FILTER (WHERE state = 'claimed')
                 FROM fig_wishes",
                params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            assert_eq!((total, claimed), (20_530 + 20_531 + 20_532, 1));
            let counted = |table: &str, by: &str| {
                db.query_map(
                    &format!("SELECT period, {by}, ranked FROM {table} ORDER BY 1, 2"),
                    params![],
                    |row| {
                        Ok((
                            row.get::<String>(0)?,
                            row.get::<String>(1)?,
                            row.get::<i64>(2)?,
                        ))
                    },
                )
            };
            let row = |region: &str| ("2026H1".to_owned(), region.to_owned(), 1);
            assert_eq!(
                counted("fig_points_ranked", "community")?,
                [row("130903003001"), row("130904001001")]
            );
            assert_eq!(
                counted("fig_points_ranked_district", "district")?,
                [row("130903"), row("130904")]
            );
            Ok::<_, SqlError>(())
        })
        .unwrap();
}

#[test]
fn statements_sent_together_or_planned_fresh_read_what_each_reads_alone() {
    let Some((_database, store)) = open("figure tables test (together)") else {
        return;
    };
    const MANY: &str = "SELECT CAST(n AS BIGINT) FROM generate_series(1, CAST(?1 AS INTEGER)) AS n";
    const SUM: &str =
        "SELECT CAST(SUM(n) AS BIGINT), ?2 FROM generate_series(1, CAST(?1 AS INTEGER)) AS n";
    store
        .with_db(|db| {
            // Thousands of rows ahead of the others: the connection hands a statement's
            // rows over only as they are taken, so those behind must not wait on them.
            let alone: Vec<i64> = db.query_map(MANY, params![5_000], |row| row.get(0))?;
            let (mut many, mut sum, mut fresh) = (Vec::new(), None, None);
            db.run_all(&mut [
                Batched::new(MANY, params![5_000], &mut |row| {
                    many.push(row.get::<i64>(0)?);
                    Ok(())
                }),
                Batched::new(SUM, params![100, "sum"], &mut |row| {
                    sum = Some((row.get::<i64>(0)?, row.get::<String>(1)?));
                    Ok(())
                }),
                Batched::new(SUM, params![10, "fresh"], &mut |row| {
                    fresh = Some((row.get::<i64>(0)?, row.get::<String>(1)?));
                    Ok(())
                })
                .fresh(true),
            ])?;
            assert_eq!(many, alone);
            assert_eq!(sum, Some((5_050, "sum".to_owned())));
            assert_eq!(fresh, Some((55, "fresh".to_owned())));
            let planned: i64 =
                Fresh::when(db, true).query_row(SUM, params![4, "x"], |row| row.get(0))?;
            assert_eq!(planned, 10);

            // A statement that fails among others is the call's error, and the
            // connection serves the next call.
            let failed = db.run_all(&mut [
                Batched::new(SUM, params![3, "first"], &mut |_| Ok(())),
                Batched::new(
                    "SELECT no_such_column FROM fig_wishes",
                    params![],
                    &mut |_| Ok(()),
                ),
            ]);
            assert!(matches!(failed, Err(SqlError::Postgres(_))), "{failed:?}");
            let after: i64 = db.query_row(SUM, params![3, "after"], |row| row.get(0))?;
            assert_eq!(after, 6);
            Ok::<_, SqlError>(())
        })
        .unwrap();
}

#[test]
fn a_statement_planned_for_its_values_runs_so_and_the_connection_keeps_generic_plans() {
    let Some((_database, store)) = open("figure tables test (plans)") else {
        return;
    };
    const MODE: &str = "SELECT current_setting('plan_cache_mode'), CAST(?1 AS TEXT)";
    let modes = |db: &dyn Db| -> Result<Vec<String>, SqlError> {
        let (mut generic, mut fresh, mut again) = (String::new(), String::new(), String::new());
        db.run_all(&mut [
            Batched::new(MODE, params!["a"], &mut |row| {
                generic = row.get(0)?;
                Ok(())
            }),
            Batched::new(MODE, params!["b"], &mut |row| {
                fresh = row.get(0)?;
                Ok(())
            })
            .fresh(true),
            Batched::new(MODE, params!["c"], &mut |row| {
                again = row.get(0)?;
                Ok(())
            }),
        ])?;
        let alone = Fresh::when(db, true).query_row(MODE, params!["d"], |row| row.get(0))?;
        Ok(vec![generic, fresh, again, alone])
    };
    let expected = [
        "force_generic_plan",
        "force_custom_plan",
        "force_generic_plan",
        "force_custom_plan",
    ];
    store
        .with_db(|db| {
            assert_eq!(modes(db)?, expected);
            let after: String = db.query_row(MODE, params!["e"], |row| row.get(0))?;
            assert_eq!(after, "force_generic_plan");
            Ok::<_, SqlError>(())
        })
        .unwrap();
    // In a transaction too; and one whose statement planned for its values fails is
    // rolled back with the setting it made, so the connection is as it was.
    store
        .in_db_transaction(|db| {
            assert_eq!(modes(db)?, expected);
            Ok::<_, SqlError>(())
        })
        .unwrap();
    let failed = store.in_db_transaction(|db| {
        Fresh::when(db, true).query_row(
            "SELECT no_such_column FROM fig_wishes WHERE community = ?1",
            params!["x"],
            |row| row.get::<i64>(0),
        )
    });
    assert!(matches!(failed, Err(SqlError::Postgres(_))), "{failed:?}");
    for _ in 0..3 {
        // Whichever pooled connection serves the call.
        let mode: String = store
            .with_db(|db| db.query_row(MODE, params!["f"], |row| row.get(0)))
            .unwrap();
        assert_eq!(mode, "force_generic_plan");
    }
}
