//! wishtree-tests (being built).
