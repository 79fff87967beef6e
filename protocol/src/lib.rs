//! wishtree-protocol: the pure core of wishtree (心愿树).
//!
//! Everything that decides — the domain model and its rules, the document schema,
//! region codes, identities and signatures — lives here, with no sockets, no files,
//! no clock and no random source: `now` and random bytes are parameters. The node and
//! the hub are drivers around this crate (see `ARCHITECTURE.md`).

pub mod attest;
pub mod bundle;
pub mod card;
pub mod checkin;
pub mod city;
pub mod command;
pub mod conflicts;
pub mod doc;
pub mod frame;
mod guard;
pub mod id;
pub mod inbox;
pub mod keys;
pub mod lifecycle;
pub mod model;
pub mod names;
pub mod project;
pub mod ranking;
pub mod region;
pub mod report;
pub mod roster;
mod scan;
pub mod seal;
pub mod street;
pub mod submission;
pub mod sync;
pub mod text;
mod text_form;
pub mod time;
pub mod uscc;
pub mod view;
pub mod view_delta;

pub use doc::{CommunityDoc, DocError, SCHEMA_VERSION};
pub use region::{CommunityCode, RegionLevel, RegionPrefix};
pub use time::{Date, HalfYear, Timestamp};
