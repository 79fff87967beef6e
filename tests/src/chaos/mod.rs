//! The chaos harness (issue 17): a city hub, a district hub under it and community
//! nodes as real processes, each link through a seeded [`proxy::FaultProxy`] on
//! loopback; writers on every node's JSON API logging what was acknowledged; a fault
//! [`schedule::Schedule`] drawn from a seed (partitions, loss, latency, duplication,
//! reordering, SIGKILL and restart, SIGSTOP longer than the idle timeout, clock skew,
//! a hub put back to an older backup, a node's [`disk`] full); and, once
//! everything is healed, the [`check`]er, which counts as Jepsen does: acknowledged
//! writes lost, replicas diverged, time to converge.
//!
//! [`run::run_schedule`] runs one seed; [`run::Report`] adds runs up. The CI size is
//! `tests/tests/chaos.rs`, the long size the `chaos` binary (`scripts/chaos --runs N`).

pub mod check;
pub mod cluster;
pub mod disk;
pub mod proxy;
pub mod run;
pub mod schedule;
pub mod writer;

use std::time::Duration;

/// A deterministic random source (splitmix64, as the simulated network's schedules
/// use): the same seed draws the same numbers on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator drawing from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        crate::sim::splitmix64(&mut self.0)
    }

    /// A number in `0..bound` (0 if `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        let drawn = self.next_u64();
        drawn.checked_rem(bound).unwrap_or(0)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits, which an f64 holds exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A duration in `0..bound`, to the microsecond.
    pub fn below_duration(&mut self, bound: Duration) -> Duration {
        let micros = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(self.below(micros))
    }

    /// A duration in `low..high`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        low + self.below_duration(high.saturating_sub(low))
    }
}
