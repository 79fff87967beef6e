//! Automerge's decoders of outside bytes, behind a guard.
//!
//! automerge 0.12 can panic on some malformed change bytes (an `unwrap` of an integer
//! conversion in its columnar object-id decoder, found by `tests/bundle_fuzz.rs`). A
//! peer's or a carrier's bytes must get an error, never take the process down, so the
//! places that hand outside bytes to automerge's decoders run them here and turn a
//! panic into `None`.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `decode` on outside bytes; `None` if it panicked. Nothing it touched outlives
/// it (it only reads the bytes and builds a value), so no state is left half-changed.
pub(crate) fn decode_untrusted<T>(decode: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(decode)).ok()
}
