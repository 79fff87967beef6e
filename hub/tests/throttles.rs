//! The throttles (`accounts::LoginThrottle`) under tries at once: twenty wrong
//! passwords fired together at one name let five through to the password check, not
//! twenty, whether the count is in memory, in one SQLite file or in PostgreSQL shared
//! by two processes.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::sync::Arc;

use wishtree_hub::accounts::{AccountStore, LoginThrottle};
use wishtree_hub::store::{PgStore, SqliteStore};
use wishtree_protocol::Timestamp;
use wishtree_testkit::postgres::TestDatabase;

const TRIES: usize = 20;

/// Fires [`TRIES`] wrong passwords for one name from as many addresses at `throttles`
/// in turn, every try checked before any is known to have failed (each waits for all
/// to be checked before it fails: the worst a guesser can hope for); answers how many
/// got through to the password check.
async fn tries_at_once(throttles: &[Arc<LoginThrottle>]) -> usize {
    let now = Timestamp::from_millis(1_000_000_000);
    let checked = Arc::new(tokio::sync::Barrier::new(TRIES));
    let tries: Vec<_> = (0..TRIES)
        .map(|n| {
            let throttle = Arc::clone(&throttles[n % throttles.len()]);
            let checked = Arc::clone(&checked);
            tokio::spawn(async move {
                let client = IpAddr::from([198, 51, 100, u8::try_from(n).unwrap()]);
                let attempt = throttle.take("yunhe", client, now).await.unwrap();
                checked.wait().await;
                // The password was wrong: the attempt stays counted.
                attempt.is_some()
            })
        })
        .collect();
    let mut through = 0;
    for try_ in tries {
        through += usize::from(try_.await.unwrap());
    }
    through
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_in_memory_pass_five() {
    assert_eq!(tries_at_once(&[Arc::new(LoginThrottle::new())]).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_on_one_sqlite_file_pass_five() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let throttles: Vec<_> = (0..2)
        .map(|_| {
            let store: Arc<dyn AccountStore> = Arc::new(SqliteStore::open(&path).unwrap());
            Arc::new(LoginThrottle::new().shared(store, "login"))
        })
        .collect();
    assert_eq!(tries_at_once(&throttles).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_at_once_at_two_processes_on_postgres_pass_five() {
    let Some(database) = TestDatabase::create("tries at once on PostgreSQL") else {
        return;
    };
    // Two stores on one database stand for two hub processes.
    let throttles: Vec<_> = (0..2)
        .map(|_| {
            let store: Arc<dyn AccountStore> = Arc::new(PgStore::open(database.url()).unwrap());
            Arc::new(LoginThrottle::new().shared(store, "login"))
        })
        .collect();
    assert_eq!(tries_at_once(&throttles).await, 5);
}
