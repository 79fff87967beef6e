//! The system clock, read at the edge of the hub (its commands and [`crate::run`]).

use wishtree_protocol::Timestamp;

/// The current time.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    Timestamp::from_millis(millis)
}
