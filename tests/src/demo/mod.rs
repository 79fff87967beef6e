//! The demo city: sample data in Chinese, and (with sync) the runner that starts a hub
//! and three community nodes on loopback.

pub mod seed;
