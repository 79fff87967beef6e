//! The signed roster: only the city key's signature counts, only a newer version
//! replaces the one held, revoked keys stay on it so that data they signed earlier is
//! kept and flagged, and a key is rotated by a statement the old key signs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use wishtree_protocol::bundle::{
    Audience, Bundle, Envelope, KeyStanding, Limits, NewBundle, Receiver,
};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::roster::{
    KeyRotation, Revocation, Role, Roster, RosterEntry, RosterError, SignedRoster, SignedRotation,
};
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

fn city_key() -> KeyPair {
    KeyPair::from_secret([1; 32])
}

fn node_key() -> KeyPair {
    KeyPair::from_secret([2; 32])
}

fn district_key() -> KeyPair {
    KeyPair::from_secret([3; 32])
}

fn community() -> CommunityCode {
    "110118001002".parse().unwrap()
}

fn at(day: i64) -> Timestamp {
    Timestamp::from_millis(1_790_000_000_000 + day * 86_400_000)
}

fn prefix(text: &str) -> RegionPrefix {
    text.parse().unwrap()
}

fn roster(version: u64) -> Roster {
    Roster {
        city: prefix("1101"),
        version,
        issued_at: at(0),
        entries: vec![
            RosterEntry {
                key: node_key().public(),
                role: Role::Node {
                    community: community(),
                },
                enrolled_at: at(1),
            },
            RosterEntry {
                key: district_key().public(),
                role: Role::Hub {
                    scope: prefix("110118"),
                },
                enrolled_at: at(0),
            },
            RosterEntry {
                key: city_key().public(),
                role: Role::Hub {
                    scope: prefix("1101"),
                },
                enrolled_at: at(0),
            },
        ],
        revoked: Vec::new(),
    }
}

#[test]
fn a_roster_signed_by_the_city_verifies_after_a_round_trip() {
    let signed = roster(3).sign(&city_key());
    let bytes = signed.to_bytes();
    let read = SignedRoster::from_bytes(&bytes).unwrap();
    assert_eq!(read, signed);
    let verified = read.verify(&city_key().public()).unwrap();
    assert_eq!(verified.version, 3);
    assert_eq!(verified.entries.len(), 3);
    // One roster, one encoding, whatever the order its entries were listed in.
    let mut shuffled = roster(3);
    shuffled.entries.reverse();
    assert_eq!(shuffled.sign(&city_key()).to_bytes(), bytes);
}

#[test]
fn an_older_or_the_same_version_is_refused() {
    let city = city_key().public();
    let signed = roster(3).sign(&city_key());
    assert!(signed.accept(&city, None).is_ok());
    assert!(signed.accept(&city, Some(2)).is_ok());
    assert_eq!(
        signed.accept(&city, Some(3)).unwrap_err(),
        RosterError::SameVersion { version: 3 }
    );
    assert_eq!(
        signed.accept(&city, Some(4)).unwrap_err(),
        RosterError::OlderVersion {
            version: 3,
            held: 4
        }
    );
}

#[test]
fn a_roster_signed_by_another_key_or_altered_is_refused() {
    let by_district = roster(3).sign(&district_key());
    assert!(matches!(
        by_district.accept(&city_key().public(), None),
        Err(RosterError::NotSignedByCity { .. })
    ));

    let mut bytes = roster(3).sign(&city_key()).to_bytes();
    // The version's last byte: city 1 + 4 digits, version 8.
    bytes[1 + 4 + 7] ^= 0x04;
    let altered = SignedRoster::from_bytes(&bytes).unwrap();
    assert_eq!(altered.version(), 7);
    assert!(matches!(
        altered.verify(&city_key().public()),
        Err(RosterError::NotSignedByCity { .. })
    ));

    // A roster signature cannot stand for another kind of statement.
    let signed = roster(3).sign(&city_key());
    let body_len = signed.to_bytes().len() - 64;
    let signature_bytes: [u8; 64] = signed.to_bytes()[body_len..].try_into().unwrap();
    let signature = wishtree_protocol::keys::Signature::from_bytes(signature_bytes);
    assert!(
        city_key()
            .public()
            .verify(
                wishtree_protocol::keys::SigningContext::Bundle,
                &signed.to_bytes()[..body_len],
                &signature
            )
            .is_err()
    );
}

#[test]
fn revoked_keys_stand_revoked_and_earlier_data_stays_valid() {
    let mut roster = roster(4);
    roster.revoked.push(Revocation {
        key: node_key().public(),
        at: at(10),
        reason: "node lost".to_owned(),
    });
    let roster = roster
        .sign(&city_key())
        .accept(&city_key().public(), Some(3))
        .unwrap()
        .clone();

    assert_eq!(
        roster.standing(&node_key().public()),
        KeyStanding::Revoked { at: at(10) }
    );
    assert_eq!(
        roster.standing(&district_key().public()),
        KeyStanding::Active {
            scope: prefix("110118")
        }
    );
    assert_eq!(
        roster.standing(&KeyPair::from_secret([9; 32]).public()),
        KeyStanding::Unknown
    );
    // Before enrolment: not vouched for. While enrolled: valid. From revocation: not.
    assert!(!roster.was_valid_at(&node_key().public(), at(0)));
    assert!(roster.was_valid_at(&node_key().public(), at(5)));
    assert!(!roster.was_valid_at(&node_key().public(), at(10)));
    assert!(!roster.was_valid_at(&node_key().public(), at(20)));
    assert_eq!(roster.key_for(&community()), None);
}

#[test]
fn a_rotation_signed_by_the_old_key_moves_the_role_to_the_new_key() {
    let new_key = KeyPair::from_secret([22; 32]);
    let statement = KeyRotation {
        old: node_key().public(),
        new: new_key.public(),
        at: at(30),
    }
    .sign(&node_key());
    let read = SignedRotation::from_bytes(&statement.to_bytes()).unwrap();
    assert_eq!(read.verify().unwrap().new, new_key.public());

    let mut roster = roster(5);
    assert_eq!(roster.key_for(&community()), Some(node_key().public()));
    roster.rotate(&read).unwrap();
    assert_eq!(roster.key_for(&community()), Some(new_key.public()));
    assert!(roster.was_valid_at(&node_key().public(), at(29)));
    assert!(!roster.was_valid_at(&node_key().public(), at(30)));
    assert!(roster.was_valid_at(&new_key.public(), at(30)));
    assert_eq!(
        roster.standing(&new_key.public()),
        KeyStanding::Active {
            scope: community().as_region()
        }
    );
    // The old key is revoked now; it cannot rotate again.
    assert!(matches!(
        roster.rotate(&read),
        Err(RosterError::NotActive { .. })
    ));
}

#[test]
fn a_rotation_not_signed_by_the_old_key_is_refused() {
    let thief = KeyPair::from_secret([66; 32]);
    // The thief signs a statement; `sign` names the thief as the old key, so the
    // statement is altered to name the node's key.
    let statement = KeyRotation {
        old: thief.public(),
        new: thief.public(),
        at: at(30),
    }
    .sign(&thief);
    let mut bytes = statement.to_bytes();
    bytes[..32].copy_from_slice(&node_key().public().to_bytes());
    let forged = SignedRotation::from_bytes(&bytes).unwrap();
    assert!(matches!(
        forged.verify(),
        Err(RosterError::RotationNotSignedByOld { .. })
    ));
    let mut roster = roster(5);
    assert!(roster.rotate(&forged).is_err());
    assert_eq!(roster.key_for(&community()), Some(node_key().public()));
}

#[test]
fn a_roster_travels_in_a_bundle_for_any_roster_holder() {
    let signed = roster(6).sign(&city_key());
    let envelope = Envelope {
        audience: Audience::AnyRosterHolder,
        seq: 6,
        previous: None,
        issued_at: at(0),
        expires_at: at(30),
    };
    let bytes = NewBundle::roster(&signed, envelope).sign(&city_key());
    let held = roster(5);
    let state = wishtree_protocol::bundle::InMemoryState::from_roster(&held);
    let district: PublicKey = district_key().public();
    let verified = Bundle::decode(&bytes, &Limits::default())
        .unwrap()
        .verify(&Receiver::new(district, at(1)), &state)
        .unwrap();
    let carried = verified.roster().unwrap();
    assert_eq!(
        carried
            .accept(&city_key().public(), Some(5))
            .unwrap()
            .version,
        6
    );
}

#[test]
fn decoding_any_bytes_never_panics() {
    let bytes = roster(3).sign(&city_key()).to_bytes();
    for cut in 0..bytes.len() {
        let _ = SignedRoster::from_bytes(&bytes[..cut]);
        let mut flipped = bytes.clone();
        flipped[cut] ^= 0xff;
        if let Ok(read) = SignedRoster::from_bytes(&flipped) {
            assert!(read.verify(&city_key().public()).is_err());
        }
    }
    for cut in 0..136 {
        let _ = SignedRotation::from_bytes(&vec![0xAB; cut]);
    }
}
