//! wishtree-common: what the node and the hub drivers both need and write once (CSV
//! for spreadsheets so far). It holds driver helpers, not protocol or domain policy,
//! which live in `wishtree-protocol`.

pub mod csv;
