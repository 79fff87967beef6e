//! The hub's clock, shared with the node: see [`wishtree_common::clock`].

pub use wishtree_common::clock::{Clock, now};
