//! Property tests of the sealed-submission decoders (issue 12, item 5): any bytes given
//! to `SealedDetails::from_bytes`, `ResidentDetails::decode`, the node's `open`, the key
//! statement's and the receipt's readers give `Ok` or `Err`, never a panic; what the
//! hub seals, the node opens whole; a sealed blob with any byte flipped does not open.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use wishtree_protocol::CommunityCode;
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
