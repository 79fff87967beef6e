//! The signed and sealed things that reach a node or the hub as text or bytes: member
//! cards, check-in codes, inbox entries (and the node's fold of them), residents'
//! sealed submissions and the node's encryption-key statement, receipt codes, rosters
//! and key rotations.

use wishtree_protocol::card::MemberCard;
use wishtree_protocol::checkin::CheckInCode;
use wishtree_protocol::inbox::{InboxDoc, InboxEntry, InboxKeys};
use wishtree_protocol::model::Actor;
use wishtree_protocol::roster::SignedRotation;
use wishtree_protocol::submission::{
    ReceiptCode, ResidentDetails, SealedDetails, SignedEncryptionKey,
};
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};

use super::{fixed_key, hub_key, node_key, split_selector};

/// The community of the seeds.
pub(super) const COMMUNITY: &str = "130902001001";

/// The clock the target checks cards at: the seeds' cards are valid then.
pub(super) const NOW_MS: i64 = super::bundle::NOW_MS;

/// First byte selects the decoder; the rest is its input.
pub(super) fn signed(data: &[u8]) {
    let Some((selector, bytes)) = split_selector(data, 8) else {
        return;
    };
    let text = std::str::from_utf8(bytes).ok();
    match (selector, text) {
        (0, Some(text)) => card(text),
        (1, Some(text)) => check_in(text),
        (2, Some(text)) => encryption_key(text),
        (3, _) => sealed(bytes),
        (4, _) => super::frames::roster(bytes),
        (5, _) => rotation(bytes),
        (6, _) => inbox(bytes),
        (7, Some(text)) => {
            if let Ok(code) = text.parse::<ReceiptCode>() {
                let again = code.to_string().parse::<ReceiptCode>();
                assert_eq!(again.ok(), Some(code), "a receipt code does not round-trip");
            }
        }
        _ => {}
    }
}

fn community() -> CommunityCode {
    match COMMUNITY.parse() {
        Ok(code) => code,
        Err(error) => panic!("the seeds' community code is valid: {error}"),
    }
}

fn card(text: &str) {
    let Ok(card) = MemberCard::from_text(text) else {
        return;
    };
    assert_eq!(
        MemberCard::from_text(&card.to_text()).as_ref(),
        Ok(&card),
        "a card does not round-trip"
    );
    let now = Timestamp::from_millis(NOW_MS);
    if card.verify(&node_key().public(), now).is_ok() {
        let statement = &card.statement;
        let made = MemberCard::issue(
            &node_key(),
            statement.community,
            statement.member,
            statement.card,
            statement.issued,
            statement.expires,
            card.secret,
        );
        assert_eq!(made, card, "a card the node key did not sign verified");
    }
}

fn check_in(text: &str) {
    let Ok(code) = CheckInCode::from_text(text) else {
        return;
    };
    assert_eq!(
        CheckInCode::from_text(&code.to_text()).as_ref(),
        Ok(&code),
        "a check-in code does not round-trip"
    );
    if code.is_signed_by(&node_key().public()) {
        let made = CheckInCode::issue(
            &node_key(),
            code.community,
            code.activity,
            code.id,
            code.issued,
        );
        assert_eq!(
            made, code,
            "a check-in code the node key did not sign verified"
        );
    }
}

fn encryption_key(text: &str) {
    let Ok(statement) = SignedEncryptionKey::from_text(text) else {
        return;
    };
    let again = SignedEncryptionKey::from_text(&statement.to_text());
    assert_eq!(
        again.as_ref(),
        Ok(&statement),
        "a key statement does not round-trip"
    );
    if let Some(key) = fixed_key(&statement.signer)
        && statement.verify(&key.public()).is_ok()
    {
        let made =
            SignedEncryptionKey::sign(&key, statement.community, statement.key, statement.at);
        assert_eq!(
            made, statement,
            "a key statement the key did not sign verified"
        );
    }
}

/// Sealed bytes as the hub takes them, and a plaintext layout as the node reads it
/// after opening them.
fn sealed(bytes: &[u8]) {
    if let Ok(sealed) = SealedDetails::from_bytes(bytes) {
        assert_eq!(sealed.to_bytes(), bytes, "sealed bytes do not round-trip");
    }
    if let Ok(details) = ResidentDetails::decode(bytes) {
        let again = ResidentDetails::decode(&details.encode());
        assert!(
            again.is_ok_and(|again| again.encode() == details.encode()),
            "resident details do not round-trip"
        );
    }
}

fn rotation(bytes: &[u8]) {
    let Ok(rotation) = SignedRotation::from_bytes(bytes) else {
        return;
    };
    assert_eq!(rotation.to_bytes(), bytes, "a rotation does not round-trip");
    if let Ok(statement) = rotation.verify()
        && let Some(key) = fixed_key(&statement.old)
    {
        let made = (*statement).sign(&key);
        assert_eq!(
            made.to_bytes(),
            bytes,
            "a rotation the old key did not sign verified"
        );
    }
}

/// An inbox document from the hub: its entries are read, and the node's fold applies
/// only the ones the pinned hub key signed.
fn inbox(bytes: &[u8]) {
    let code = community();
    let Ok(inbox) = InboxDoc::load(bytes, code, [9; 16]) else {
        return;
    };
    let Ok(entries) = inbox.entries() else {
        return;
    };
    let hub = hub_key();
    for entry in &entries {
        if entry.is_signed_by(&hub.public()) {
            let made = InboxEntry::sign(
                &hub,
                entry.id,
                entry.community,
                entry.at,
                entry.request.clone(),
            );
            assert_eq!(
                &made, entry,
                "an inbox entry the hub key did not sign verified"
            );
        }
    }
    let Ok(mut doc) = CommunityDoc::load(&CommunityDoc::genesis(code), Some(code), [8; 16]) else {
        panic!("a genesis document loads");
    };
    let keys = InboxKeys {
        hub: hub.public(),
        node: node_key().public(),
    };
    let worker = Actor::Worker("fuzz".to_owned());
    if let Ok(applied) = doc.apply_inbox(&entries, &keys, &worker, Timestamp::from_millis(NOW_MS)) {
        for id in &applied.applied {
            let entry = entries.iter().find(|entry| &entry.id == id);
            assert!(
                entry.is_some_and(|entry| entry.is_signed_by(&hub.public())),
                "the fold applied an entry the hub did not sign"
            );
        }
    }
}
