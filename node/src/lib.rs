//! wishtree-node: the community node of wishtree (心愿树).
//!
//! A node keeps its community's automerge document durably in SQLite
//! ([`store`]), behind a [`replica::Replica`] that applies domain commands, signs its
//! heads and feeds the sync client. Workers reach it through the JSON API
//! ([`http`]), the web UI and the command line ([`cli`]). `main` only parses the
//! command line; [`server::run`] serves an already-bound listener until a shutdown
//! future completes, so tests run the real server in-process on port 0.

pub mod admin;
pub mod api;
pub mod cli;
pub mod http;
pub mod identity;
pub mod metrics;
pub use wishtree_common::password;
pub mod replica;
pub mod report;
pub mod run;
pub mod server;
pub mod store;
pub mod sync;
pub mod ui;

pub use replica::{Replica, SharedReplica};

/// The current time, from the system clock (the one clock node and hub share).
pub use wishtree_common::clock::now;
