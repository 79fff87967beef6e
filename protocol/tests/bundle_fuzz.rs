//! Fuzzing the bundle decoder, verifier and applier with proptest: arbitrary bytes,
//! and mutations of a valid bundle (bit flips, cuts, appended bytes, overwritten
//! runs). Nothing may panic, and no mutated bundle may be accepted. A payload mutated
//! and then signed by an enrolled key (a hostile but enrolled issuer) goes through to
//! `apply_changes`, which must refuse it or apply it whole, never panic.
//!
//! `BUNDLE_FUZZ_CASES=100000 cargo test -p wishtree-protocol --test bundle_fuzz --release`
//! hunts longer. Crashes found are kept as fixtures under `tests/fixtures/bundle-crashers/` and
//! replayed by `crashers_stay_fixed`: `*.bundle` files are bundles as received,
//! `*.payload` files are changes payloads to be signed by the node and applied.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bundle_kit;
mod support;

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use wishtree_protocol::bundle::{Bundle, BundleError, Limits, NewBundle};

use bundle_kit::*;

/// A valid changes bundle and its payload, made once.
fn valid() -> &'static (Vec<u8>, Vec<u8>) {
    static VALID: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    VALID.get_or_init(|| {
        let mut doc = community_doc();
        let attestation = attest(&mut doc, 1);
        let bundle = NewBundle::changes(&mut doc, &[], Some(attestation), envelope(1));
        let payload = bundle.payload.clone();
        (bundle.sign(&node()), payload)
    })
}

/// Decodes, verifies and applies; returns whether it was accepted. Checks that a
/// refused bundle left the document as it was.
fn run(bytes: &[u8]) -> Result<(), BundleError> {
    let mut doc = empty_replica();
    let before = doc.save();
    let result = Bundle::decode(bytes, &Limits::default())
        .and_then(|bundle| bundle.verify(&city_receiver(), &city_state()))
        .and_then(|verified| verified.apply_changes(&mut doc).map(drop));
    if result.is_err() {
        assert_eq!(doc.save(), before, "a refused bundle changed the document");
    }
    result
}

/// Signs `payload` as a changes bundle by the node, naming the valid bundle's heads,
/// and runs it.
fn run_signed_payload(payload: Vec<u8>) -> Result<(), BundleError> {
    let mut doc = community_doc();
    let mut bundle = NewBundle::changes(&mut doc, &[], None, envelope(1));
    bundle.payload = payload;
    run(&bundle.sign(&node()))
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Cut { keep: usize },
    Extend { bytes: Vec<u8> },
    Overwrite { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|keep| Mutation::Cut { keep }),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Mutation::Extend { bytes }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ]
}

/// Applies a mutation; `None` if it would leave the bytes as they were.
fn mutate(original: &[u8], mutation: &Mutation) -> Option<Vec<u8>> {
    let mut bytes = original.to_vec();
    match mutation {
        Mutation::Flip { at, mask } => bytes[at % original.len()] ^= mask,
        Mutation::Cut { keep } => bytes.truncate(keep % original.len()),
        Mutation::Extend { bytes: tail } => bytes.extend_from_slice(tail),
        Mutation::Overwrite { at, bytes: run } => {
            let at = at % original.len();
            let end = (at + run.len()).min(bytes.len());
            bytes[at..end].copy_from_slice(&run[..end - at]);
        }
    }
    (bytes != original).then_some(bytes)
}

/// 512 cases each, or `BUNDLE_FUZZ_CASES` for a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("BUNDLE_FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        prop_assert!(run(&bytes).is_err());
    }

    /// Arbitrary bytes behind a valid magic and version reach the header decoder.
    #[test]
    fn arbitrary_headers_never_panic(tail in prop::collection::vec(any::<u8>(), 0..1024)) {
        let bytes = [b"WTBUNDLE\x00\x01".as_slice(), &tail].concat();
        prop_assert!(run(&bytes).is_err());
    }

    #[test]
    fn a_mutated_bundle_is_never_accepted(mutation in mutation()) {
        let (original, _) = valid();
        if let Some(bytes) = mutate(original, &mutation) {
            prop_assert!(run(&bytes).is_err(), "accepted after {:?}", mutation);
        }
    }

    #[test]
    fn a_signed_mutated_payload_is_applied_whole_or_not_at_all(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let (_, payload) = valid();
        let mut mutated = payload.clone();
        for mutation in &mutations {
            if let Some(next) = mutate(&mutated, mutation).filter(|b| !b.is_empty()) {
                mutated = next;
            }
        }
        let _ = run_signed_payload(mutated);
    }

    #[test]
    fn a_signed_arbitrary_payload_never_panics(
        payload in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        prop_assert!(run_signed_payload(payload).is_err());
    }
}

#[test]
fn the_valid_bundle_is_accepted() {
    let (bytes, payload) = valid();
    run(bytes).expect("the valid bundle");
    run_signed_payload(payload.clone()).expect("its payload, signed again");
}

#[test]
fn crashers_stay_fixed() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle-crashers");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&directory).expect("the crashers directory exists") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("bundle") => assert!(run(&bytes).is_err(), "{} accepted", path.display()),
            Some("payload") => {
                let _ = run_signed_payload(bytes);
            }
            _ => continue,
        }
        replayed += 1;
    }
    println!("replayed {replayed} crashers");
}

/// Found by `a_signed_mutated_payload_is_applied_whole_or_not_at_all`: these bytes in a
/// change's columns made automerge 0.12 panic (an integer conversion unwrapped in its
/// object-id decoder); the bundle is now refused with an error instead.
#[test]
fn a_change_that_panics_automerges_decoder_is_refused() {
    let (_, payload) = valid();
    let overwrite = Mutation::Overwrite {
        at: 622_330_827_170_213_836,
        bytes: vec![128, 128, 128, 128, 16],
    };
    let mutated = mutate(payload, &overwrite).expect("the bytes change");
    assert!(run_signed_payload(mutated).is_err());
}
