//! wishtree-hub (being built).
