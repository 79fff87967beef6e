//! The demo city: sample data in Chinese, and the runner that builds it once and
//! starts a hub and three community nodes on loopback.

pub mod run;
pub mod seed;
