//! What the integration tests and benches of node, hub and `wishtree-tests` share:
//! one request and answer type with two ways to send it ([`oneshot`] against a router
//! in-process, [`socket`] over a real connection), one in-process server on port 0
//! ([`server`]), signing in through a login form ([`login`]), one community builder
//! ([`community`]), a PostgreSQL database per test ([`postgres`]) and the browser
//! walks' runner ([`browser`]).
//!
//! A dev-dependency only. Everything here panics on failure, because a panic is how a
//! test or a bench reports one.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod browser;
pub mod community;
pub mod http;
pub mod login;
pub mod oneshot;
pub mod postgres;
pub mod server;
pub mod socket;

pub use http::{Answer, Request};
