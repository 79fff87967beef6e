//! Failed logins, counted per account name and per client address, so that a
//! password is guessed neither at one account from many addresses nor at many
//! accounts from one address. Failed member card exchanges are counted the same way,
//! the card's id standing for the name (`http::member`).
//!
//! Five failures within 15 minutes block further tries of that name, or from that
//! address, until the oldest of them is 15 minutes old. Time is the hub's clock, passed
//! in. The counts live in memory: a restart forgets them, which costs a guesser a
//! restart of the hub per five tries.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use wishtree_protocol::Timestamp;

/// How many failures are allowed within [`WINDOW_MS`].
const FREE_FAILURES: usize = 5;
/// The window failures are counted in.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// How many names and addresses are remembered before the stale ones are swept out.
const SWEEP_AT: usize = 4096;

/// The recent failed logins of names and addresses.
#[derive(Debug)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Timestamp>>>,
    /// Failures of one name allowed within the window.
    per_name: usize,
    /// Failures from one address allowed within the window.
    per_client: usize,
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
            failures: Mutex::default(),
            per_name,
            per_client,
        }
    }

    /// Whether a login as `name` from `client` must wait at `now`.
    pub fn is_blocked(&self, name: &str, client: IpAddr, now: Timestamp) -> bool {
        let mut failures = self.lock();
        [
            (Key::Name(name.to_owned()), self.per_name),
            (Key::Client(client_key(client)), self.per_client),
        ]
        .iter()
        .any(|(key, limit)| {
            failures
                .get_mut(key)
                .is_some_and(|times| recent(times, now) >= *limit)
        })
    }

    /// Records a failed login as `name` from `client`.
    pub fn failed(&self, name: &str, client: IpAddr, now: Timestamp) {
        let mut failures = self.lock();
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, times| recent(times, now) > 0);
        }
        for key in [Key::Name(name.to_owned()), Key::Client(client_key(client))] {
            let times = failures.entry(key).or_default();
            recent(times, now);
            times.push_back(now);
        }
    }

    /// Records one request as `name` from `client`, whatever its outcome: the same
    /// count, for a limit on how often something is done (claims and check-ins at the
    /// hub) rather than on how often it fails.
    pub fn counted(&self, name: &str, client: IpAddr, now: Timestamp) {
        self.failed(name, client, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Timestamp>>> {
        // A panic while holding the map leaves counts that are still usable.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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

    #[test]
    fn five_failures_of_a_name_or_an_address_block_for_fifteen_minutes() {
        let throttle = LoginThrottle::new();
        let start = Timestamp::from_millis(1_000_000_000);
        for _ in 0..5 {
            assert!(!throttle.is_blocked("运河区", ip("192.0.2.1"), start));
            throttle.failed("运河区", ip("192.0.2.1"), start);
        }
        assert!(throttle.is_blocked("运河区", ip("192.0.2.1"), start));
        assert!(
            throttle.is_blocked("运河区", ip("192.0.2.99"), start),
            "the name, from anywhere"
        );
        assert!(
            throttle.is_blocked("新华区", ip("192.0.2.1"), start),
            "the address, any name"
        );
        assert!(!throttle.is_blocked("新华区", ip("192.0.2.2"), start));
        let later = start.plus_millis(WINDOW_MS);
        assert!(!throttle.is_blocked("运河区", ip("192.0.2.1"), later));
        for n in 0..5 {
            throttle.failed(&format!("name{n}"), ip("2001:db8::1"), start);
        }
        assert!(
            throttle.is_blocked("other", ip("2001:db8::2"), start),
            "one /64"
        );
    }
}
