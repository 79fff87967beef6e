//! Benchmarks of domain commands (written below).
fn main() {}
