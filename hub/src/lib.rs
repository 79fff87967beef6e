//! wishtree-hub: the city hub (市级枢纽). It merges every community's replica, keeps the
//! roster of enrolled node keys, and derives the figures the organisation department
//! sees. It never edits a community's document; it only merges.

pub mod accounts;
pub mod admin;
pub mod backup;
pub mod bulletins;
pub mod cli;
pub mod clock;
pub mod data_dir;
pub mod exchange;
pub mod figure_store;
pub mod figures;
pub mod http;
pub mod identity;
pub mod import;
pub mod lock;
pub mod metrics;
pub mod quota;
pub mod regions;
pub mod run;
pub mod schema;
pub mod seals;
pub mod sql;
pub mod state;
pub mod store;
pub mod sync;
