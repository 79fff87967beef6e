//! The drivers' clock: the system's in a running node or hub, read at its edge (its
//! commands and its `run`); a fixed or stepping one in tests. The hub's sessions, accept
//! loop, upstream link and HTTP side take it as a parameter, as the protocol does.
//!
//! The reliability tests start real processes with the system clock off by days, as an
//! office PC's may be: `WISHTREE_CLOCK_SKEW=SECONDS` (signed) moves what [`now`] reads by
//! that much. Only wall time moves; timeouts and backoff run on the monotonic clock.

use std::fmt;
use std::sync::Arc;

use wishtree_protocol::Timestamp;

/// A clock, shared by everything a running node or hub starts.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(now))
    }

    /// A clock that reads `read`, for tests (a fixed time, or one a test steps).
    pub fn new(read: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        Self(Arc::new(read))
    }

    /// The time by this clock.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Clock")
    }
}

/// The variable that sets the system clock's skew, in seconds.
pub const SKEW_VARIABLE: &str = "WISHTREE_CLOCK_SKEW";

/// The current time by the system clock (moved by `WISHTREE_CLOCK_SKEW`, if set).
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    let millis = i64::try_from(millis).unwrap_or(i64::MAX);
    Timestamp::from_millis(millis.saturating_add(skew_millis()))
}

/// The skew set by `WISHTREE_CLOCK_SKEW`, read once: none if unset or not a number of
/// seconds (each binary checks it at start with [`check_skew`], so a typo is not silent).
fn skew_millis() -> i64 {
    static SKEW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *SKEW.get_or_init(|| {
        parse_skew(std::env::var(SKEW_VARIABLE).ok().as_deref())
            .ok()
            .flatten()
            .map_or(0, |seconds| seconds.saturating_mul(1000))
    })
}

/// The skew `WISHTREE_CLOCK_SKEW` sets, in seconds; an error naming the variable if it
/// is set to something else than a whole number of seconds.
pub fn check_skew() -> Result<Option<i64>, String> {
    parse_skew(std::env::var(SKEW_VARIABLE).ok().as_deref())
}

/// Checks `WISHTREE_CLOCK_SKEW` at a binary's start, and logs the skew it sets: a
/// process whose clock reads off says so in its log.
pub fn announce_skew() -> Result<(), String> {
    if let Some(seconds) = check_skew()? {
        tracing::warn!("this process's clock reads {seconds} s off the system's ({SKEW_VARIABLE})");
    }
    Ok(())
}

fn parse_skew(value: Option<&str>) -> Result<Option<i64>, String> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            format!(
                "{SKEW_VARIABLE}={} is not a whole number of seconds (e.g. -86400 for a clock a day behind)",
                text.chars().take(40).collect::<String>()
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skew_is_whole_seconds_either_way_and_anything_else_is_named() {
        assert_eq!(parse_skew(None), Ok(None));
        assert_eq!(parse_skew(Some(" ")), Ok(None));
        assert_eq!(parse_skew(Some("-604800")), Ok(Some(-604_800)));
        assert_eq!(parse_skew(Some("86400")), Ok(Some(86_400)));
        let refused = parse_skew(Some("3d")).unwrap_err();
        assert!(refused.contains("WISHTREE_CLOCK_SKEW=3d"), "{refused}");
    }
}
