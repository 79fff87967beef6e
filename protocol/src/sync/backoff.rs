//! Reconnect delays: exponential backoff with full jitter, from 1 s to 5 minutes.
//!
//! After an outage every node of a city retries at once; full jitter (a delay drawn
//! uniformly between zero and the exponential ceiling) spreads those retries out so
//! the hub is not met by three thousand handshakes in the same second. The random
//! draw is a parameter: this crate has no random source of its own.

use std::time::Duration;

/// The first ceiling.
pub const INITIAL: Duration = Duration::from_secs(1);
/// The largest ceiling.
pub const MAX: Duration = Duration::from_secs(300);

/// Consecutive failures and the delay they call for.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ceiling of the next delay: 1 s doubled per failure so far, at most 5 min.
    pub fn ceiling(&self) -> Duration {
        let doubled = INITIAL.saturating_mul(1u32 << self.failures.min(16));
        doubled.min(MAX)
    }

    /// Records a failure and returns how long to wait before the next attempt:
    /// `random` (any `u64`) picks a point between zero and the ceiling.
    pub fn fail(&mut self, random: u64) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random % (millis + 1))
    }

    /// A session opened: the next failure starts from 1 s again.
    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    /// A session has ended. One that opened and was not refused was a success: the
    /// next failure starts from 1 s again. A refusal after the opening (a key revoked,
    /// a community outside the scope) comes back at every reconnect, so it counts as a
    /// failure like any other, and a peer that admits and then refuses is met with a
    /// rising delay, not twice a second.
    pub fn session_ended(&mut self, opened: bool, refused: bool) {
        if opened && !refused {
            self.succeed();
        }
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_one_second_to_five_minutes() {
        let mut backoff = Backoff::new();
        let mut ceilings = Vec::new();
        for _ in 0..12 {
            ceilings.push(backoff.ceiling().as_secs());
            backoff.fail(0);
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        backoff.succeed();
        assert_eq!(backoff.ceiling(), INITIAL);
    }

    #[test]
    fn a_session_refused_after_it_opened_is_a_failure() {
        let mut backoff = Backoff::new();
        for _ in 0..4 {
            backoff.session_ended(true, true);
            backoff.fail(0);
        }
        assert_eq!(backoff.failures(), 4, "refusals add up");
        backoff.session_ended(false, false);
        assert_eq!(
            backoff.failures(),
            4,
            "a session that never opened resets nothing"
        );
        backoff.session_ended(true, false);
        assert_eq!(
            backoff.ceiling(),
            INITIAL,
            "a session that opened and ran resets"
        );
    }

    #[test]
    fn delay_lies_between_zero_and_the_ceiling() {
        for random in [0, 1, 999, 1000, 1001, u64::MAX, u64::MAX / 3] {
            let mut backoff = Backoff::new();
            for _ in 0..40 {
                let ceiling = backoff.ceiling();
                assert!(backoff.fail(random) <= ceiling);
            }
        }
        assert_eq!(
            Backoff::new().fail(u64::MAX),
            Duration::from_millis(u64::MAX % 1001)
        );
    }
}
