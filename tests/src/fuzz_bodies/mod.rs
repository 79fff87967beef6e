//! The bodies of the fuzz targets (issue 17 item 5): one plain function per target,
//! taking the fuzzer's bytes and asserting what must hold for any input — a decoder of
//! outside bytes answers an error, never a panic; what decodes encodes back to the
//! same value; and anything that claims a signature of one of the fixed keys below
//! verifies only if re-signing its statement with that key gives the same signature
//! (ed25519 is deterministic, so a forgery would have to be found by the fuzzer).
//!
//! `fuzz/` (cargo-fuzz, nightly, outside the workspace) calls these functions from its
//! targets; `tests/tests/fuzz_corpus.rs` replays the committed corpus and crashers
//! through them on stable, so every crash found stays a regression test. The corpus
//! is seeded from real encodings by `seeds`.

mod bundle;
mod config;
mod frames;
mod http;
pub mod seeds;
mod signed;

use wishtree_protocol::keys::{KeyPair, PublicKey};

/// A fuzz target: its name (the directory under `fuzz/corpus/`) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name. A new decoder of outside bytes belongs in one of them.
pub const TARGETS: &[Target] = &[
    ("frames", frames::frames),
    ("bundle", bundle::bundle),
    ("signed", signed::signed),
    ("config", config::config),
    ("http", http::http),
];

/// Runs the target `name` on `data`: what the stable replay calls.
pub fn run(name: &str, data: &[u8]) {
    match TARGETS.iter().find(|(target, _)| *target == name) {
        Some((_, body)) => body(data),
        None => panic!("no fuzz target {name}"),
    }
}

std::thread_local! {
    /// The last panic's message and place, kept by [`fuzzer_panic_hook`] until the
    /// panic is known to have escaped.
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Runs the target `name` on `data` under libFuzzer: what the fuzz targets call.
///
/// libfuzzer-sys's panic hook aborts on every panic, even one caught on the way out.
/// Our decoders catch automerge's known panics on malformed changes and answer an
/// error (`wishtree_protocol`'s guard), which is the behaviour we want, so a caught
/// panic must not count as a crash. This hook only remembers the message; a panic
/// that escapes the body is printed and aborts, which libFuzzer records as a crash.
pub fn run_fuzzed(name: &str, data: &[u8]) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(fuzzer_panic_hook)));
    let outcome = std::panic::catch_unwind(|| run(name, data));
    if outcome.is_err() {
        LAST_PANIC.with(|last| eprintln!("{name}: {}", last.borrow()));
        std::process::abort();
    }
}

fn fuzzer_panic_hook(info: &std::panic::PanicHookInfo<'_>) {
    let place = info
        .location()
        .map(|at| format!(" at {}:{}", at.file(), at.line()))
        .unwrap_or_default();
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_default();
    LAST_PANIC.with(|last| *last.borrow_mut() = format!("panicked{place}: {message}"));
}

/// The node key the seeds are signed with (a community's node).
pub fn node_key() -> KeyPair {
    KeyPair::from_secret([1; 32])
}

/// The hub key the seeds are signed with (inbox entries, bundles to a node).
pub fn hub_key() -> KeyPair {
    KeyPair::from_secret([2; 32])
}

/// The city key the seeds' rosters are signed with.
pub fn city_key() -> KeyPair {
    KeyPair::from_secret([3; 32])
}

/// The fixed key whose public half is `signer`, if any: a thing that verifies as
/// signed by it must be exactly what that key makes from the same statement.
fn fixed_key(signer: &PublicKey) -> Option<KeyPair> {
    [node_key(), hub_key(), city_key()]
        .into_iter()
        .find(|key| &key.public() == signer)
}

/// The bytes after the first, and the first as a selector among `count` cases; `None`
/// for empty input.
fn split_selector(data: &[u8], count: u8) -> Option<(u8, &[u8])> {
    let (&first, rest) = data.split_first()?;
    Some((first % count, rest))
}
