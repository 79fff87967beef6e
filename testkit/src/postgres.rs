//! A PostgreSQL database of its own for one test, in the throwaway cluster that
//! `scripts/with-test-pg` starts (and `scripts/test-all` through it): the cluster's
//! address is in `WISHTREE_TEST_PG`; [`TestDatabase::create`] makes a fresh database
//! there and dropping it drops the database, so tests running at once never share
//! tables.
//!
//! Without the variable a test is skipped loudly, or fails when
//! `WISHTREE_REQUIRE_ALL_TESTS=1` (as the browser tests do with a missing browser).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The variable that holds the throwaway cluster's address (its `postgres` database).
pub const TEST_PG_VARIABLE: &str = "WISHTREE_TEST_PG";

/// A database made for one test, dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A fresh database for `test`, or `None` (after a loud line) when no cluster is
    /// given; panics instead when every test must run.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let Ok(admin) = std::env::var(TEST_PG_VARIABLE) else {
            let message = format!(
                "the {test} needs PostgreSQL: {TEST_PG_VARIABLE} is not set (run it through scripts/with-test-pg)"
            );
            if std::env::var("WISHTREE_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
                panic!("{message}");
            }
            eprintln!("\n!!! SKIPPED {test}: {message} !!!\n");
            return None;
        };
        Some(TestDatabase::create_in(&admin))
    }

    /// A fresh database in the cluster whose admin database is at `admin` (a
    /// `postgres://` address), dropped with the value: for a bench given a cluster of
    /// its own choosing. Panics when the cluster cannot be reached.
    pub fn create_in(admin: &str) -> TestDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "wt_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin_sql(admin, &format!("CREATE DATABASE {name}"));
        let url = with_database(admin, &name);
        TestDatabase {
            admin: admin.to_owned(),
            name,
            url,
        }
    }

    /// The database's address, as `wishtree-hub run --store` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Ends every session connected to the database, as a restarted server or an
    /// administrator's `pg_terminate_backend` would, waiting (up to 5 s) until each
    /// has ended.
    pub fn end_sessions(&self) {
        admin_sql(
            &self.admin,
            &format!(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{}'",
                self.name
            ),
        );
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: a hub process a test killed may leave a session behind for a moment.
        admin_sql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let cut = base
        .rfind('/')
        .filter(|at| *at > "postgres://".len())
        .unwrap_or(base.len());
    let mut result = format!("{}/{name}", &base[..cut]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// Runs one statement on the cluster's admin database, on a thread and runtime of its
/// own (a test may call this from inside a tokio runtime, which cannot block on another).
fn admin_sql(admin: &str, sql: &str) {
    let admin = admin.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|error| panic!("cannot reach {TEST_PG_VARIABLE}: {error}"));
            let driver = tokio::spawn(connection);
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
            drop(client);
            let _ = driver.await;
        });
    })
    .join()
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_one_in_the_address() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5/postgres", "wt_1"),
            "postgres://u:p@127.0.0.1:5/wt_1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
