//! Counting failed logins per client, so a password cannot be guessed at network speed.
//!
//! Five failures are free (people mistype); after that a client must wait before the
//! next try, 5 seconds at first and twice as long after each further failure, up to
//! 15 minutes. A client that stops failing for an hour is forgotten (longer than the
//! longest wait, or a patient guesser would start afresh after each wait). IPv6 clients
//! are counted by their /64, since one host can hold a whole /64.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The failed logins of recent clients.
#[derive(Debug)]
pub struct LoginThrottle {
    clients: Mutex<HashMap<IpAddr, Failures>>,
    free_failures: u32,
    first_wait: Duration,
    longest_wait: Duration,
    forget_after: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// How many clients are remembered before the forgotten ones are swept out.
const SWEEP_AT: usize = 4096;

impl LoginThrottle {
    /// Five free failures, then waits from 5 seconds rising to 15 minutes.
    pub fn new() -> Self {
        Self {
            clients: Mutex::new(HashMap::new()),
            free_failures: 5,
            first_wait: Duration::from_secs(5),
            longest_wait: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
        }
    }

    /// How long `client` must still wait before its next try, if it must.
    pub fn wait(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let clients = self.lock();
        let blocked_until = clients.get(&key(client))?.blocked_until?;
        let wait = blocked_until.saturating_duration_since(now);
        (!wait.is_zero()).then_some(wait)
    }

    /// Records a wrong password from `client`.
    pub fn failed(&self, client: IpAddr, now: Instant) {
        let mut clients = self.lock();
        if clients.len() >= SWEEP_AT {
            let forget_after = self.forget_after;
            clients
                .retain(|_, failures| now.saturating_duration_since(failures.last) < forget_after);
        }
        let failures = clients.entry(key(client)).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        if now.saturating_duration_since(failures.last) >= self.forget_after {
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        if failures.count >= self.free_failures {
            let doublings = (failures.count - self.free_failures).min(16);
            let wait = self
                .first_wait
                .saturating_mul(1 << doublings)
                .min(self.longest_wait);
            failures.blocked_until = Some(now + wait);
        }
    }

    /// Forgets the failures of `client`, which has just logged in.
    pub fn succeeded(&self, client: IpAddr) {
        self.lock().remove(&key(client));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        // A panic while holding the map leaves counts that are still usable.
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

/// The client as counted: an IPv4 address, or an IPv6 /64.
fn key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP in the test")
    }

    #[test]
    fn five_failures_are_free_then_the_wait_doubles() {
        let throttle = LoginThrottle::new();
        let client = ip("192.0.2.7");
        let start = Instant::now();
        for attempt in 0..4 {
            throttle.failed(client, start);
            assert_eq!(
                throttle.wait(client, start),
                None,
                "after failure {attempt}"
            );
        }
        throttle.failed(client, start);
        assert_eq!(throttle.wait(client, start), Some(Duration::from_secs(5)));
        let later = start + Duration::from_secs(5);
        assert_eq!(throttle.wait(client, later), None);
        throttle.failed(client, later);
        assert_eq!(throttle.wait(client, later), Some(Duration::from_secs(10)));
        assert_eq!(
            throttle.wait(ip("192.0.2.8"), later),
            None,
            "another client"
        );
        throttle.succeeded(client);
        assert_eq!(throttle.wait(client, later), None);
    }

    #[test]
    fn the_wait_stops_rising_at_fifteen_minutes_and_failures_an_hour_old_are_forgotten() {
        let throttle = LoginThrottle::new();
        let client = ip("2001:db8::1");
        let mut now = Instant::now();
        for _ in 0..40 {
            throttle.failed(client, now);
            now += throttle.wait(client, now).unwrap_or_default();
        }
        throttle.failed(ip("2001:db8::2"), now);
        assert_eq!(
            throttle.wait(client, now),
            Some(Duration::from_secs(15 * 60)),
            "the same /64 counts as one client"
        );
        let much_later = now + Duration::from_secs(61 * 60);
        throttle.failed(client, much_later);
        assert_eq!(throttle.wait(client, much_later), None);
    }
}
