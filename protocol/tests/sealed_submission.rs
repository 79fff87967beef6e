//! Property tests of the sealed-submission decoders (issue 12, item 5): any bytes given
//! to `SealedDetails::from_bytes`, `ResidentDetails::decode`, the node's `open`, the key
//! statement's and the receipt's readers give `Ok` or `Err`, never a panic; what the
//! hub seals, the node opens whole; a sealed blob with any byte flipped does not open.
//! And the examples: a seal opens only for its receipt and key, a key statement
//! verifies only against its signer, receipts read back as people type them, each
//! field is refused by its name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::Timestamp;
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::submission::{
    EncryptionKeyPair, MAX_SEALED_BYTES, ReceiptCode, ResidentDetails, SealError, SealedDetails,
    SignedEncryptionKey,
};

fn community() -> CommunityCode {
    "130903001001".parse().unwrap()
}

fn node() -> EncryptionKeyPair {
    EncryptionKeyPair::from_seed([42; 32])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        match SealedDetails::from_bytes(&bytes) {
            Ok(sealed) => {
                prop_assert!(bytes.len() <= MAX_SEALED_BYTES);
                prop_assert_eq!(sealed.to_bytes(), bytes.clone());
                // Random bytes are not a sealing to this key.
                let receipt = ReceiptCode::from_bytes([1, 2, 3, 4, 5]);
                prop_assert_eq!(
                    node().open(community(), receipt, &sealed),
                    Err(SealError::DoesNotOpen)
                );
            }
            Err(SealError::TooLarge(size)) => prop_assert!(size > MAX_SEALED_BYTES),
            Err(_) => {}
        }
        let _ = ResidentDetails::decode(&bytes);
        let _ = SignedEncryptionKey::from_text(&String::from_utf8_lossy(&bytes));
        let _ = String::from_utf8_lossy(&bytes).parse::<ReceiptCode>();
    }

    #[test]
    fn the_plaintext_layout_round_trips_or_refuses(
        name in "[\\PC]{0,40}",
        phone in "1[3-9][0-9]{9}|[0-9a-z-]{0,14}",
        address in "[\\PC]{0,80}",
    ) {
        if let Ok(details) = ResidentDetails::parse(&name, &phone, &address) {
            let encoded = details.encode();
            prop_assert_eq!(ResidentDetails::decode(&encoded), Ok(details.clone()));
            // Cut short anywhere, it is refused.
            for end in 0..encoded.len() {
                prop_assert!(ResidentDetails::decode(&encoded[..end]).is_err());
            }
        }
    }

    #[test]
    fn what_is_sealed_opens_whole_and_a_flipped_byte_does_not(
        seed in any::<[u8; 32]>(),
        receipt in any::<[u8; 5]>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let details = ResidentDetails::parse("王秀英", "13912345678", "幸福里3号楼").unwrap();
        let receipt = ReceiptCode::from_bytes(receipt);
        let sealed = node().public().seal(community(), receipt, &details, seed).unwrap();
        prop_assert_eq!(node().open(community(), receipt, &sealed), Ok(details));
        let mut bytes = sealed.to_bytes();
        let at = flip.index(bytes.len());
        bytes[at] ^= 0x01;
        let altered = SealedDetails::from_bytes(&bytes).unwrap();
        prop_assert_eq!(
            node().open(community(), receipt, &altered),
            Err(SealError::DoesNotOpen)
        );
    }
}

fn details() -> ResidentDetails {
    ResidentDetails::parse("王秀英", "13912345678", "幸福里3号楼2单元101").expect("valid")
}

#[test]
fn sealed_details_open_with_the_node_key_only_for_their_receipt() {
    let node = EncryptionKeyPair::from_seed([7; 32]);
    let receipt = ReceiptCode::from_bytes([1, 2, 3, 4, 5]);
    let sealed = node
        .public()
        .seal(community(), receipt, &details(), [9; 32])
        .expect("sealed");
    let bytes = sealed.to_bytes();
    assert!(
        !bytes
            .windows(6)
            .any(|w| w == "王秀英".as_bytes()[..6].as_ref())
    );
    let read = SealedDetails::from_bytes(&bytes).expect("read");
    assert_eq!(node.open(community(), receipt, &read), Ok(details()));
    let other = ReceiptCode::from_bytes([1, 2, 3, 4, 6]);
    assert_eq!(
        node.open(community(), other, &read),
        Err(SealError::DoesNotOpen)
    );
    let stranger = EncryptionKeyPair::from_seed([8; 32]);
    assert_eq!(
        stranger.open(community(), receipt, &read),
        Err(SealError::DoesNotOpen)
    );
}

#[test]
fn a_statement_verifies_only_against_its_signer() {
    let node = KeyPair::from_secret([3; 32]);
    let key = EncryptionKeyPair::from_seed([4; 32]).public();
    let signed = SignedEncryptionKey::sign(&node, community(), key, Timestamp::from_millis(5));
    let read = SignedEncryptionKey::from_text(&signed.to_text()).expect("read");
    assert_eq!(read.verify(&node.public()), Ok(key));
    let other = KeyPair::from_secret([5; 32]).public();
    assert_eq!(read.verify(&other), Err(SealError::NotSigned));
}

#[test]
fn receipt_codes_read_back_as_people_type_them() {
    let code = ReceiptCode::from_bytes([0xde, 0xad, 0xbe, 0xef, 0x01]);
    let text = code.to_string();
    assert_eq!(text.len(), 8);
    assert_eq!(text.to_lowercase().parse::<ReceiptCode>(), Ok(code));
    let spaced = format!("{}-{}", &text[..4], &text[4..]);
    assert_eq!(spaced.parse::<ReceiptCode>(), Ok(code));
    assert!("1234567".parse::<ReceiptCode>().is_err());
    assert!("1234567U".parse::<ReceiptCode>().is_err());
}

#[test]
fn each_field_is_refused_by_its_name_without_repeating_it() {
    for (name, phone, address, field) in [
        ("", "13912345678", "一号楼", "name"),
        ("王", "139-abc-0000", "一号楼", "phone"),
        ("王", "13912345678", "", "address"),
        ("王", "13912345678", &"长".repeat(201), "address"),
    ] {
        let error = ResidentDetails::parse(name, phone, address).expect_err("refused");
        assert_eq!(error.field, field);
        assert!(!error.message_zh.is_empty());
        assert!(phone.len() < 3 || !error.message_zh.contains(phone));
    }
}
