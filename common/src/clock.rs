//! The drivers' clock: the system's in a running node or hub, read at its edge (its
//! commands and its `run`); a fixed or stepping one in tests. The hub's sessions, accept
//! loop, upstream link and HTTP side take it as a parameter, as the protocol does.

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

/// The current time by the system clock.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    Timestamp::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}
