//! wishtree-tests: end-to-end tests that start real hubs and nodes on loopback, the
//! simulated-network harness, the chaos harness of real processes, and the demo city.

pub mod bench_city;
pub mod bench_pg;
pub mod chaos;
pub mod city;
pub mod demo;
pub mod fuzz_bodies;
pub mod hub_child;
pub mod phone;
pub mod sim;
