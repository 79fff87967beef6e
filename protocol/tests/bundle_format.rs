//! The test vector of `docs/bundle-format.md`: a bundle made from fixed keys, a fixed
//! time and the genesis change of a fixed community must encode to exactly the bytes
//! of `tests/fixtures/bundle-v1.hex`, decode to the fields the specification lists,
//! and appear in the specification as it is.
//!
//! After a deliberate format change, `UPDATE_VECTORS=1 cargo test -p wishtree-protocol
//! --test bundle_format` rewrites the fixture and prints the annotated dump for the
//! document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

use automerge::{AutoCommit, ChangeHash};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::bundle::{
    Audience, Bundle, BundleKind, Envelope, InMemoryState, Limits, NewBundle, Receiver,
};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionPrefix, Timestamp};

const ISSUED_AT: i64 = 1_790_000_000_000;
const WEEK: i64 = 7 * 86_400_000;

fn community() -> CommunityCode {
    "110118001002".parse().unwrap()
}

/// The genesis change of the community: the same bytes on every replica.
fn genesis_change() -> (ChangeHash, Vec<u8>) {
    let mut doc = AutoCommit::load(&CommunityDoc::genesis(community())).unwrap();
    let changes = doc.get_changes(&[]);
    assert_eq!(changes.len(), 1);
    (changes[0].hash(), changes[0].raw_bytes().to_vec())
}

/// The vector: district hub 110118 (key of secret [3; 32]) relays the genesis change
/// of community 110118001002 with the community node's signed heads (key of secret
/// [2; 32]) to the city hub (key of secret [1; 32]).
fn vector() -> Vec<u8> {
    let (head, change) = genesis_change();
    let mut payload = Vec::new();
    payload.extend_from_slice(&1u32.to_be_bytes());
    payload.extend_from_slice(&(change.len() as u32).to_be_bytes());
    payload.extend_from_slice(&change);
    let issued_at = Timestamp::from_millis(ISSUED_AT);
    NewBundle {
        kind: BundleKind::Changes,
        scope: "110118".parse().unwrap(),
        community: Some(community()),
        base_heads: Vec::new(),
        heads: vec![head],
        attestation: Some(SignedHeads::sign(
            &KeyPair::from_secret([2; 32]),
            community(),
            &[head],
            1,
            issued_at,
        )),
        envelope: Envelope {
            audience: Audience::Key(KeyPair::from_secret([1; 32]).public()),
            seq: 7,
            previous: Some([0x11; 32]),
            issued_at,
            expires_at: issued_at.plus_millis(WEEK),
        },
        payload,
    }
    .sign(&KeyPair::from_secret([3; 32]))
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture's bytes: hex, whitespace ignored.
fn read_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    hex::decode(digits).unwrap()
}

/// 32 bytes a line.
fn hex_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(32)
        .map(|line| hex::encode(line) + "\n")
        .collect()
}

/// The bundle, field by field: offset, length, name, bytes.
fn annotate(bytes: &[u8]) -> String {
    let payload_len = bytes.len() - 64 - header_len(bytes);
    let fields: Vec<(&str, usize)> = vec![
        ("magic \"WTBUNDLE\"", 8),
        ("format version = 1", 2),
        ("issuer key", 32),
        ("kind = 1 (changes)", 1),
        ("scope length = 6", 1),
        ("scope \"110118\"", 6),
        ("audience = 1 (a key)", 1),
        ("audience key", 32),
        ("seq = 7", 8),
        ("issued_at (ms)", 8),
        ("expires_at (ms)", 8),
        ("previous bundle hash", 32),
        ("community = 1 (present)", 1),
        ("community \"110118001002\"", 12),
        ("base heads count = 0", 4),
        ("heads count = 1", 4),
        ("head", 32),
        ("attestation = 1 (present)", 1),
        ("attestation community", 12),
        ("attestation seq = 1", 8),
        ("attestation at (ms)", 8),
        ("attestation signer", 32),
        ("attestation signature", 64),
        ("attested heads count = 1", 4),
        ("attested head", 32),
        ("payload length", 8),
        ("payload sha256", 32),
        ("payload: change count = 1", 4),
        ("payload: change length", 4),
        ("payload: change bytes", payload_len - 8),
        ("signature", 64),
    ];
    let mut out = String::new();
    let mut offset = 0;
    for (name, length) in fields {
        let field = &bytes[offset..offset + length];
        let shown = if length > 32 {
            format!("{}…", hex::encode(&field[..16]))
        } else {
            hex::encode(field)
        };
        writeln!(out, "{offset:>5} {length:>4}  {name:<28} {shown}").unwrap();
        offset += length;
    }
    assert_eq!(offset, bytes.len(), "the annotation covers every byte");
    out
}

fn header_len(bytes: &[u8]) -> usize {
    let bundle = Bundle::decode(bytes, &Limits::default()).unwrap();
    bytes.len() - 64 - bundle.header().payload_len as usize
}

#[test]
fn the_vector_encodes_to_the_fixture_bytes() {
    let bytes = vector();
    let fixture = manifest().join("tests/fixtures/bundle-v1.hex");
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&fixture, hex_lines(&bytes)).unwrap();
        println!("{}", annotate(&bytes));
    }
    let expected = read_hex(&std::fs::read_to_string(&fixture).unwrap());
    assert_eq!(
        hex::encode(&bytes),
        hex::encode(&expected),
        "the bundle format changed"
    );
}

#[test]
fn the_vector_decodes_to_the_fields_the_specification_lists() {
    let bytes = read_hex(
        &std::fs::read_to_string(manifest().join("tests/fixtures/bundle-v1.hex")).unwrap(),
    );
    let bundle = Bundle::decode(&bytes, &Limits::default()).unwrap();
    let header = bundle.header();
    let (head, _) = genesis_change();
    let city = KeyPair::from_secret([1; 32]).public();
    let node = KeyPair::from_secret([2; 32]).public();
    let district = KeyPair::from_secret([3; 32]).public();
    assert_eq!(header.version, 1);
    assert_eq!(header.issuer, district);
    assert_eq!(header.kind, BundleKind::Changes);
    assert_eq!(header.scope, "110118".parse::<RegionPrefix>().unwrap());
    assert_eq!(header.audience, Audience::Key(city));
    assert_eq!(header.seq, 7);
    assert_eq!(header.issued_at, Timestamp::from_millis(ISSUED_AT));
    assert_eq!(header.expires_at, Timestamp::from_millis(ISSUED_AT + WEEK));
    assert_eq!(header.previous, Some([0x11; 32]));
    assert_eq!(header.community, Some(community()));
    assert!(header.base_heads.is_empty());
    assert_eq!(header.heads, vec![head]);
    let attestation = header.attestation.as_ref().unwrap();
    assert_eq!(attestation.signer, node);
    assert_eq!(attestation.heads, vec![head]);
    assert_eq!(attestation.seq, 1);

    // And it is a good bundle: the city hub accepts it and gets the genesis.
    let mut state = InMemoryState::new();
    state.enrol(district, "110118".parse().unwrap());
    let receiver = Receiver::new(city, Timestamp::from_millis(ISSUED_AT + 60_000));
    let verified = bundle.verify(&receiver, &state).unwrap();
    let mut doc = AutoCommit::new();
    let applied = verified.apply_changes_automerge(&mut doc).unwrap();
    assert_eq!(applied.heads, vec![head]);
    assert!(matches!(
        verified.attestation_covers(&applied.heads, Some(&node)),
        wishtree_protocol::bundle::Coverage::Attested { seq: 1, .. }
    ));
}

#[test]
fn the_specification_shows_the_vector_as_it_is() {
    let spec = std::fs::read_to_string(manifest().join("../docs/bundle-format.md")).unwrap();
    let fixture = std::fs::read_to_string(manifest().join("tests/fixtures/bundle-v1.hex")).unwrap();
    assert!(
        spec.contains(&fixture),
        "docs/bundle-format.md does not show tests/fixtures/bundle-v1.hex as it is"
    );
    assert!(
        spec.contains(&annotate(&read_hex(&fixture))),
        "docs/bundle-format.md does not show the annotated vector as it is"
    );
}
