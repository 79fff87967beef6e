//! Fuzz target `signed`: the body is `wishtree_tests::fuzz_bodies`' `signed`, which
//! `tests/tests/fuzz_corpus.rs` replays on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wishtree_tests::fuzz_bodies::run_fuzzed("signed", data));
