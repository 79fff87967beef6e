//! wishtree-node (being built).
pub mod ui;
