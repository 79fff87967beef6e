//! wishtree-node (being built).
