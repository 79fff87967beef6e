//! Failed logins, counted per account name and per client address, so that a
//! password is guessed neither at one account from many addresses nor at many
//! accounts from one address. Failed member card exchanges are counted the same way,
//! the card's id standing for the name (`http::member`).
//!
//! Five failures within 15 minutes block further tries of that name, or from that
//! address, until the oldest of them is 15 minutes old. Time is the hub's clock, passed
//! in.
//!
//! A try is counted before it is worked on, not after: [`LoginThrottle::take`] checks
//! the counts and counts the try as a failure in one step, and the caller takes it
//! back ([`Attempt::forget`]) once it succeeded (a right password, a good card).
//! Checking first and counting the failure after the password check would let every
//! try fired at once through: each would be checked before any was counted.
//!
//! Where the counts live: in memory ([`LoginThrottle::with_limits`]) on a hub of one
//! process, where a restart forgets them, which costs a guesser a restart of the hub
//! per five tries; or in the accounts' store ([`LoginThrottle::shared`], table
//! `throttle_failures`) when several processes share one PostgreSQL store, so that
//! behind a load balancer every process counts the same failures, and a restart
//! forgets none. There the step is one transaction serialized per key across the
//! processes (`AccountStore::take_try`). The shared count's store calls block, so they
//! run on a blocking thread as the HTTP side's other store calls do; its old rows are
//! swept by the process that takes a try, once per window. A store that cannot be
//! read is an error for the caller, who refuses rather than let a try through
//! uncounted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use wishtree_protocol::Timestamp;

use super::{AccountError, AccountStore};

/// How many failures are allowed within [`WINDOW_MS`].
const FREE_FAILURES: usize = 5;
/// The window failures are counted in.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// How many names and addresses are remembered before the stale ones are swept out.
const SWEEP_AT: usize = 4096;

/// The recent failed logins of names and addresses.
#[derive(Debug)]
pub struct LoginThrottle {
    counts: Counts,
    /// Failures of one name allowed within the window.
    per_name: usize,
    /// Failures from one address allowed within the window.
    per_client: usize,
}

/// Where the failures are counted.
#[derive(Debug)]
enum Counts {
    /// In this process's memory.
    Memory(Mutex<HashMap<Key, VecDeque<Timestamp>>>),
    /// In the accounts' store, as the rows of `kind`.
    Shared {
        store: Arc<dyn AccountStore>,
        kind: &'static str,
        /// When this throttle last swept the store's stale rows (milliseconds).
        swept_at: AtomicI64,
    },
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::with_limits(FREE_FAILURES, FREE_FAILURES)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Name(String),
    Client(IpAddr),
}

impl LoginThrottle {
    /// No failures yet; five of a name, or from an address, block it.
    pub fn new() -> Self {
        Self::default()
    }

    /// No failures yet; `per_name` failures of one name, or `per_client` from one
    /// address, within the window block it. Member cards allow an address more than a
    /// card: many phones share one address behind a carrier's NAT.
    pub fn with_limits(per_name: usize, per_client: usize) -> Self {
        Self {
            counts: Counts::Memory(Mutex::default()),
            per_name,
            per_client,
        }
    }

    /// The same limits, the failures counted in `store` under `kind` (`login`,
    /// `card`, …: one name per throttle) rather than in memory, where every process
    /// that shares the store counts them too.
    pub fn shared(self, store: Arc<dyn AccountStore>, kind: &'static str) -> Self {
        Self {
            counts: Counts::Shared {
                store,
                kind,
                swept_at: AtomicI64::new(i64::MIN),
            },
            ..self
        }
    }

    /// Takes a try as `name` from `client` at `now`, counted as a failure unless
    /// [`Attempt::forget`] takes it back; `None` if the name or the address has had
    /// its failures in the window and must wait. An error (the shared store failed) is
    /// no answer: the caller refuses the try.
    ///
    /// A limit on how often something is done whatever its outcome (claims and
    /// check-ins at the hub) keeps every attempt.
    pub async fn take(
        &self,
        name: &str,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<Option<Attempt<'_>>, AccountError> {
        let taken = match &self.counts {
            Counts::Memory(failures) => self.take_in_memory(failures, name, client, now),
            Counts::Shared {
                store,
                kind,
                swept_at,
            } => {
                let (store, kind) = (Arc::clone(store), *kind);
                let keys = store_keys(name, client);
                let limits = [self.per_name, self.per_client];
                let after = Timestamp::from_millis(now.as_millis().saturating_sub(WINDOW_MS));
                // Each process, once per window per throttle, deletes the rows no
                // window counts any more (of every kind: they share the window).
                let last = swept_at.load(Ordering::Relaxed);
                let sweep = now.as_millis().saturating_sub(last) >= WINDOW_MS
                    && swept_at
                        .compare_exchange(
                            last,
                            now.as_millis(),
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok();
                blocking(move || {
                    if sweep {
                        // Stale rows left for the next sweep cost nothing but room,
                        // so a failed sweep does not fail the try.
                        if let Err(error) = store.sweep_failures(after) {
                            tracing::warn!(%error, kind, "stale throttle failures not swept");
                        }
                    }
                    let keys = [(keys[0].as_str(), limits[0]), (keys[1].as_str(), limits[1])];
                    store.take_try(kind, &keys, now, after)
                })
                .await?
            }
        };
        Ok(taken.then(|| Attempt {
            throttle: self,
            name: name.to_owned(),
            client,
            at: now,
        }))
    }

    fn take_in_memory(
        &self,
        failures: &Mutex<HashMap<Key, VecDeque<Timestamp>>>,
        name: &str,
        client: IpAddr,
        now: Timestamp,
    ) -> bool {
        let mut failures = lock(failures);
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, times| recent(times, now) > 0);
        }
        let keys = [
            (Key::Name(name.to_owned()), self.per_name),
            (Key::Client(client_key(client)), self.per_client),
        ];
        let blocked = keys.iter().any(|(key, limit)| {
            failures
                .get_mut(key)
                .is_some_and(|times| recent(times, now) >= *limit)
        });
        if !blocked {
            for (key, _) in keys {
                failures.entry(key).or_default().push_back(now);
            }
        }
        !blocked
    }
}

/// A try [`LoginThrottle::take`] let through, counted as a failure of its name and
/// its address unless [`Attempt::forget`] takes it back. Dropping it keeps it counted,
/// so that a try whose outcome is never told is a failure, not a free one.
#[derive(Debug)]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    name: String,
    client: IpAddr,
    at: Timestamp,
}

impl Attempt<'_> {
    /// Takes the try back: it succeeded (or it never got to be tried, the hub failing
    /// first), so it is not a failure. An error leaves it counted.
    pub async fn forget(self) -> Result<(), AccountError> {
        match &self.throttle.counts {
            Counts::Memory(failures) => {
                let mut failures = lock(failures);
                for key in [
                    Key::Name(self.name.clone()),
                    Key::Client(client_key(self.client)),
                ] {
                    // The latest of that instant: any one of them is this try's.
                    if let Some(times) = failures.get_mut(&key)
                        && let Some(at) = times.iter().rposition(|time| *time == self.at)
                    {
                        times.remove(at);
                    }
                }
                Ok(())
            }
            Counts::Shared { store, kind, .. } => {
                let (store, kind, at) = (Arc::clone(store), *kind, self.at);
                let keys = store_keys(&self.name, self.client);
                blocking(move || store.forget_try(kind, &[keys[0].as_str(), keys[1].as_str()], at))
                    .await
            }
        }
    }
}

fn lock(
    failures: &Mutex<HashMap<Key, VecDeque<Timestamp>>>,
) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Timestamp>>> {
    // A panic while holding the map leaves counts that are still usable.
    failures
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The name's and the address's keys in the store: prefixed, so that a name that
/// reads as an address is not counted as one.
fn store_keys(name: &str, client: IpAddr) -> [String; 2] {
    [
        format!("name:{name}"),
        format!("client:{}", client_key(client)),
    ]
}

/// Runs a store call on a blocking thread, so that the async runtime carrying the
/// other requests does not wait on the store.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        AccountError::SharedStore(crate::store::StoreError::Unreachable(format!(
            "a throttle's store task failed: {error}"
        )))
    })?
}

/// Drops the failures older than the window and counts the rest.
fn recent(times: &mut VecDeque<Timestamp>, now: Timestamp) -> usize {
    while times
        .front()
        .is_some_and(|first| first.as_millis() <= now.as_millis() - WINDOW_MS)
    {
        times.pop_front();
    }
    times.len()
}

/// An IPv4 address, or an IPv6 /64 (one host can hold a whole /64).
fn client_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Whether a try as `name` from `client` at `at` must wait; one let through is
    /// taken back, so that asking counts nothing.
    async fn blocked(throttle: &LoginThrottle, name: &str, client: &str, at: Timestamp) -> bool {
        match throttle.take(name, ip(client), at).await.unwrap() {
            Some(attempt) => {
                attempt.forget().await.unwrap();
                false
            }
            None => true,
        }
    }

    /// A try as `name` from `client` at `at` that fails.
    async fn fail(throttle: &LoginThrottle, name: &str, client: IpAddr, at: Timestamp) {
        let attempt = throttle.take(name, client, at).await.unwrap();
        assert!(attempt.is_some(), "{name} from {client} is let through");
    }

    /// The same tries, the same answers, whichever `open` gives: a throttle in memory,
    /// or one over a store. A second one `open` gives sees the first's failures if
    /// they are `shared`, as a second process on the store does.
    async fn five_failures_block(open: &dyn Fn() -> LoginThrottle, shared: bool) {
        let (throttle, other) = (open(), open());
        let start = Timestamp::from_millis(1_000_000_000);
        // A try that succeeds is no failure, however many.
        for _ in 0..10 {
            let attempt = throttle.take("运河区", ip("192.0.2.1"), start).await;
            attempt.unwrap().unwrap().forget().await.unwrap();
        }
        for _ in 0..5 {
            assert!(!blocked(&throttle, "运河区", "192.0.2.1", start).await);
            fail(&throttle, "运河区", ip("192.0.2.1"), start).await;
        }
        assert!(blocked(&throttle, "运河区", "192.0.2.1", start).await);
        assert!(
            blocked(&throttle, "运河区", "192.0.2.99", start).await,
            "the name, from anywhere"
        );
        assert!(
            blocked(&throttle, "新华区", "192.0.2.1", start).await,
            "the address, any name"
        );
        assert!(!blocked(&throttle, "新华区", "192.0.2.2", start).await);
        assert_eq!(blocked(&other, "运河区", "192.0.2.50", start).await, shared);
        let later = start.plus_millis(WINDOW_MS);
        assert!(!blocked(&throttle, "运河区", "192.0.2.1", later).await);
        for n in 0..5 {
            fail(&throttle, &format!("name{n}"), ip("2001:db8::1"), start).await;
        }
        assert!(
            blocked(&throttle, "other", "2001:db8::2", start).await,
            "one /64"
        );
    }

    #[tokio::test]
    async fn five_failures_of_a_name_or_an_address_block_for_fifteen_minutes() {
        five_failures_block(&LoginThrottle::new, false).await;
    }

    #[tokio::test]
    async fn failures_counted_in_a_store_block_at_every_throttle_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn AccountStore> =
            Arc::new(crate::store::SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
        five_failures_block(
            &|| LoginThrottle::new().shared(Arc::clone(&store), "login"),
            true,
        )
        .await;

        // Three failures at one, two at another: the name is blocked at both.
        let (one, two) = (
            LoginThrottle::new().shared(Arc::clone(&store), "login"),
            LoginThrottle::new().shared(Arc::clone(&store), "login"),
        );
        let at = Timestamp::from_millis(2_000_000_000);
        for n in 0..5u8 {
            let throttle = if n < 3 { &one } else { &two };
            fail(throttle, "yunhe", IpAddr::from([198, 51, 100, n]), at).await;
        }
        for throttle in [&one, &two] {
            assert!(blocked(throttle, "yunhe", "203.0.113.9", at).await);
        }
        // Another kind counts apart: a card's failures are not a login's.
        let cards = LoginThrottle::new().shared(Arc::clone(&store), "card");
        assert!(!blocked(&cards, "yunhe", "203.0.113.9", at).await);
        // Every failure so far is stale a window later, and swept by the next try.
        let later = at.plus_millis(WINDOW_MS);
        fail(&cards, "card:1", ip("203.0.113.9"), later).await;
        assert_eq!(
            store
                .failures_after("login", &["name:yunhe"], Timestamp::from_millis(0))
                .unwrap(),
            [0]
        );
    }
}
