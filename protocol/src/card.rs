//! Member cards (党员服务卡, `wishtree-card-v1`): a statement signed by a community's
//! node key binding one of its members to a card secret, and the text form the member
//! carries in a link or a QR code.
//!
//! The statement names the community, the member, the card, when it was issued, when it
//! expires and the SHA-256 of the card's secret. The member holds the statement, the
//! secret itself, the signer's key and the signature, in one text:
//!
//! ```text
//! base64url, no padding, of:
//! version (1) | community (12 ASCII digits) | member (16) | card (16)
//! | issued (i64 BE, ms) | expires (i64 BE, ms) | secret (16) | signer key (32)
//! | signature (64)
//! ```
//!
//! 173 bytes, 231 characters: short enough for a URL fragment and a QR code a phone
//! reads off paper. The signed bytes are a fixed layout, not a serde encoding, so that
//! what is signed cannot drift with a library version:
//!
//! ```text
//! "wishtree-card-v1" 0x00 | community | member | card | issued | expires
//! | secret hash (32)
//! ```
//!
//! The secret's hash is what the community document records for each card
//! ([`crate::model::CardRecord`]); the secret itself is shown once, at issue, and kept
//! nowhere else. So a copy of the document opens no one's card, and a card whose
//! statement was copied without its secret is refused.
//!
//! Checking a card ([`MemberCard::verify`], then [`VerifiedCard::check_record`]) goes
//! in this order, stopping at the first failure: the text's shape, the signer is the
//! key enrolled for the community, the signature, the expiry, the record in the
//! document (present, same member, same secret hash), not revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::id::{CardId, MemberId};
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::model::CardRecord;
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// The version byte of the text form this build writes and reads.
pub const CARD_VERSION: u8 = 1;
/// The length of the card's bytes.
pub const CARD_BYTES: usize = 1 + 12 + 16 + 16 + 8 + 8 + 16 + 32 + 64;
/// The length of the card's text (base64url without padding of [`CARD_BYTES`]).
pub const CARD_TEXT_LEN: usize = (CARD_BYTES * 8).div_ceil(6);

const SECRET_CONTEXT: &[u8] = b"wishtree-card-secret-v1\0";

/// The secret of a card: 16 random bytes drawn by the driver, shown once.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CardSecret([u8; 16]);

/// The SHA-256 of a card secret under its own context: what the document keeps.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CardSecretHash([u8; 32]);

/// What the node signs: the card's facts, without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStatement {
    /// The community whose node issued the card.
    pub community: CommunityCode,
    /// The member it opens.
    pub member: MemberId,
    /// The card.
    pub card: CardId,
    /// When it was issued, by the node's clock.
    pub issued: Timestamp,
    /// When it stops opening anything.
    pub expires: Timestamp,
    /// The hash of the card's secret.
    pub secret_hash: CardSecretHash,
}

/// A card as the member holds it. Made by [`MemberCard::issue`] or read from its text
/// by [`MemberCard::from_text`]; nothing is checked until [`MemberCard::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCard {
    /// The statement (its hash recomputed from the secret when read from text).
    pub statement: CardStatement,
    /// The secret.
    pub secret: CardSecret,
    /// Who signed: the node key of the community, if the card is genuine.
    pub signer: PublicKey,
    /// The signature over the statement.
    pub signature: Signature,
}

/// A card whose signer, signature and expiry were checked. Only
/// [`MemberCard::verify`] makes one; [`VerifiedCard::check_record`] is the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCard {
    statement: CardStatement,
}

/// Why a card is refused. Each has its own words for the member (see
/// [`CardError::message_zh`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The text is not a card: wrong length, characters, version or fields.
    #[error("the card text is not a wishtree card ({0}); scan the card's QR code again")]
    Malformed(&'static str),
    /// The community is not one this hub holds, so no key checks the card.
    #[error("community {0} is not enrolled at this hub")]
    UnknownCommunity(CommunityCode),
    /// Signed by another key than the community's node key.
    #[error("the card is signed by {found}, not by the node key of community {community}")]
    WrongKey {
        /// The community the card names.
        community: CommunityCode,
        /// The signing key, short form.
        found: String,
    },
    /// The signature does not hold: the card was altered or forged.
    #[error("the card's signature does not verify: it was altered or forged")]
    BadSignature,
    /// Past its expiry.
    #[error("the card expired on {0}; ask the community for a new card")]
    Expired(String),
    /// The community document has no such card (not yet synced, or never issued).
    #[error(
        "the community has no record of this card; if it was issued just now, wait for the node's next sync"
    )]
    NotRecorded,
    /// The secret does not match the one recorded for the card.
    #[error("the card's secret does not match the community's record")]
    BadSecret,
    /// Revoked by the community.
    #[error("the card was revoked on {at}: {reason}")]
    Revoked {
        /// When, in Shanghai time.
        at: String,
        /// Why.
        reason: String,
    },
}

impl CardSecret {
    /// Wraps 16 random bytes drawn by the caller.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The hash the document records.
    pub fn hash(&self) -> CardSecretHash {
        let mut hasher = Sha256::new();
        hasher.update(SECRET_CONTEXT);
        hasher.update(self.0);
        CardSecretHash(hasher.finalize().into())
    }
}

impl std::fmt::Debug for CardSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret opens the member's pages; keep it out of logs.
        f.write_str("CardSecret(…)")
    }
}

impl std::fmt::Display for CardSecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for CardSecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardSecretHash({self})")
    }
}

impl std::str::FromStr for CardSecretHash {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        hex::FromHex::from_hex(text)
            .map(Self)
            .map_err(|_| "a card secret hash is 64 hex digits")
    }
}

crate::text_form::text_form!(CardSecretHash, "a card secret hash of 64 hex digits");

impl CardStatement {
    /// The statement of a card whose secret is `secret`, valid over `(issued, expires)`.
    fn of_secret(
        community: CommunityCode,
        member: MemberId,
        card: CardId,
        (issued, expires): (Timestamp, Timestamp),
        secret: &CardSecret,
    ) -> Self {
        Self {
            community,
            member,
            card,
            issued,
            expires,
            secret_hash: secret.hash(),
        }
    }

    /// The bytes the signature covers (see the module doc).
    fn signed_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(12 + 16 + 16 + 8 + 8 + 32);
        bytes.extend_from_slice(self.community.as_str().as_bytes());
        bytes.extend_from_slice(self.member.as_bytes());
        bytes.extend_from_slice(self.card.as_bytes());
        bytes.extend_from_slice(&self.issued.as_millis().to_be_bytes());
        bytes.extend_from_slice(&self.expires.as_millis().to_be_bytes());
        bytes.extend_from_slice(&self.secret_hash.0);
        bytes
    }
}

impl MemberCard {
    /// Issues a card: the statement of `secret`'s hash, signed by the node's `key`.
    pub fn issue(
        key: &KeyPair,
        community: CommunityCode,
        member: MemberId,
        card: CardId,
        issued: Timestamp,
        expires: Timestamp,
        secret: CardSecret,
    ) -> Self {
        let statement =
            CardStatement::of_secret(community, member, card, (issued, expires), &secret);
        let signature = key.sign(SigningContext::Card, &statement.signed_bytes());
        Self {
            statement,
            secret,
            signer: key.public(),
            signature,
        }
    }

    /// The text to put in a link or a QR code (see the module doc).
    pub fn to_text(&self) -> String {
        let mut bytes = Vec::with_capacity(CARD_BYTES);
        bytes.push(CARD_VERSION);
        bytes.extend_from_slice(self.statement.community.as_str().as_bytes());
        bytes.extend_from_slice(self.statement.member.as_bytes());
        bytes.extend_from_slice(self.statement.card.as_bytes());
        bytes.extend_from_slice(&self.statement.issued.as_millis().to_be_bytes());
        bytes.extend_from_slice(&self.statement.expires.as_millis().to_be_bytes());
        bytes.extend_from_slice(&self.secret.0);
        bytes.extend_from_slice(&self.signer.to_bytes());
        bytes.extend_from_slice(&self.signature.to_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a card's text. The length is checked before anything is decoded; any
    /// text answers a card or an error, never a panic. Leading and trailing spaces
    /// (and a leading `#`, as a fragment is copied) are ignored.
    pub fn from_text(text: &str) -> Result<Self, CardError> {
        let text = text.trim().trim_start_matches('#');
        if text.len() != CARD_TEXT_LEN {
            return Err(CardError::Malformed("wrong length"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| CardError::Malformed("not base64url"))?;
        let mut reader = Reader(&bytes);
        if reader.take::<1>()? != [CARD_VERSION] {
            return Err(CardError::Malformed("unknown version"));
        }
        let community = std::str::from_utf8(&reader.take::<12>()?)
            .ok()
            .and_then(|code| code.parse::<CommunityCode>().ok())
            .ok_or(CardError::Malformed("bad community code"))?;
        let member = MemberId::from_bytes(reader.take()?);
        let card = CardId::from_bytes(reader.take()?);
        let issued = Timestamp::from_millis(i64::from_be_bytes(reader.take()?));
        let expires = Timestamp::from_millis(i64::from_be_bytes(reader.take()?));
        let secret = CardSecret(reader.take()?);
        let signer = PublicKey::from_bytes(&reader.take()?)
            .map_err(|_| CardError::Malformed("bad signer key"))?;
        let signature = Signature::from_bytes(reader.take()?);
        Ok(Self {
            statement: CardStatement::of_secret(
                community,
                member,
                card,
                (issued, expires),
                &secret,
            ),
            secret,
            signer,
            signature,
        })
    }

    /// Checks the signer against `enrolled` (the node key the roster holds for the
    /// card's community), the signature, and the expiry at `now`.
    pub fn verify(&self, enrolled: &PublicKey, now: Timestamp) -> Result<VerifiedCard, CardError> {
        let community = self.statement.community;
        if &self.signer != enrolled {
            return Err(CardError::WrongKey {
                community,
                found: self.signer.short(),
            });
        }
        enrolled
            .verify(
                SigningContext::Card,
                &self.statement.signed_bytes(),
                &self.signature,
            )
            .map_err(|_| CardError::BadSignature)?;
        if self.statement.expires <= now {
            return Err(CardError::Expired(
                self.statement.expires.display_in_shanghai().to_string(),
            ));
        }
        Ok(VerifiedCard {
            statement: self.statement.clone(),
        })
    }
}

impl VerifiedCard {
    /// The checked statement.
    pub fn statement(&self) -> &CardStatement {
        &self.statement
    }

    /// Checks the card against its record in the community document (`None` if the
    /// document has none): same member, same secret, not revoked.
    pub fn check_record(&self, record: Option<&CardRecord>) -> Result<(), CardError> {
        let record = record.ok_or(CardError::NotRecorded)?;
        if record.member != self.statement.member {
            return Err(CardError::NotRecorded);
        }
        if record.secret_hash != self.statement.secret_hash {
            return Err(CardError::BadSecret);
        }
        if let Some(at) = record.revoked_at {
            return Err(CardError::Revoked {
                at: at.display_in_shanghai().to_string(),
                reason: record.revoked_reason.clone().unwrap_or_default(),
            });
        }
        Ok(())
    }
}

impl CardError {
    /// The refusal in Chinese, for the member's phone.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Malformed(_) => {
                "无法识别这张卡：链接不完整或已损坏，请重新扫描会员卡上的二维码".to_owned()
            }
            Self::UnknownCommunity(code) => {
                format!("社区 {code} 尚未在本平台登记，暂不能使用这张卡")
            }
            Self::WrongKey { .. } => {
                "这张卡不是由所属社区签发的，不能使用，请向社区索取正式会员卡".to_owned()
            }
            Self::BadSignature => "这张卡的签名无效，可能被篡改或伪造，不能使用".to_owned(),
            Self::Expired(at) => format!("这张卡已于 {at} 过期，请向社区申请新卡"),
            Self::NotRecorded => {
                "社区还没有这张卡的记录：如果刚刚发卡，请等社区电脑下次同步后再试".to_owned()
            }
            Self::BadSecret => "这张卡的密钥与社区记录不符，不能使用".to_owned(),
            Self::Revoked { at, reason } => {
                format!("这张卡已于 {at} 被社区吊销（{reason}），请向社区申请新卡")
            }
        }
    }
}

/// Reads fixed-size fields off the front of a slice, refusing a short one (cards and
/// check-in codes, `checkin.rs`).
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl Reader<'_> {
    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], CardError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(CardError::Malformed("too short"))?;
        self.0 = rest;
        Ok(*head)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn community() -> CommunityCode {
        "130903001001".parse().unwrap()
    }

    fn card(key: &KeyPair, expires: i64) -> MemberCard {
        MemberCard::issue(
            key,
            community(),
            MemberId::from_bytes([1; 16]),
            CardId::from_bytes([2; 16]),
            Timestamp::from_millis(1_000),
            Timestamp::from_millis(expires),
            CardSecret::from_bytes([3; 16]),
        )
    }

    fn record(card: &MemberCard) -> CardRecord {
        CardRecord {
            member: card.statement.member,
            issued: card.statement.issued,
            expires: card.statement.expires,
            secret_hash: card.statement.secret_hash,
            revoked_at: None,
            revoked_reason: None,
        }
    }

    #[test]
    fn a_card_reads_back_from_its_text_and_verifies_by_its_node_key() {
        let key = KeyPair::from_secret([7; 32]);
        let issued = card(&key, 10_000);
        let text = issued.to_text();
        assert_eq!(text.len(), CARD_TEXT_LEN);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let read = MemberCard::from_text(&format!(" #{text} ")).unwrap();
        assert_eq!(read, issued);
        let verified = read
            .verify(&key.public(), Timestamp::from_millis(5_000))
            .unwrap();
        assert_eq!(verified.check_record(Some(&record(&issued))), Ok(()));
    }

    /// Every refusal, each as its own error, in the order the module doc gives.
    #[test]
    fn each_bad_card_is_refused_for_its_own_reason() {
        let key = KeyPair::from_secret([7; 32]);
        let other = KeyPair::from_secret([8; 32]);
        let now = Timestamp::from_millis(5_000);
        let good = card(&key, 10_000);

        let by_other = card(&other, 10_000);
        assert!(matches!(
            by_other.verify(&key.public(), now),
            Err(CardError::WrongKey { .. })
        ));

        // The signer's key swapped in, the signature left: forged.
        let mut forged = card(&other, 10_000);
        forged.signer = key.public();
        assert_eq!(
            forged.verify(&key.public(), now),
            Err(CardError::BadSignature)
        );
        // A later expiry typed into the text: the signature no longer holds.
        let mut altered = good.clone();
        altered.statement.expires = Timestamp::from_millis(99_000);
        assert_eq!(
            altered.verify(&key.public(), now),
            Err(CardError::BadSignature)
        );

        assert!(matches!(
            good.verify(&key.public(), Timestamp::from_millis(10_000)),
            Err(CardError::Expired(_))
        ));

        let verified = good.verify(&key.public(), now).unwrap();
        assert_eq!(verified.check_record(None), Err(CardError::NotRecorded));
        let mut other_secret = record(&good);
        other_secret.secret_hash = CardSecret::from_bytes([4; 16]).hash();
        assert_eq!(
            verified.check_record(Some(&other_secret)),
            Err(CardError::BadSecret)
        );
        let mut revoked = record(&good);
        revoked.revoked_at = Some(Timestamp::from_millis(4_000));
        revoked.revoked_reason = Some("手机丢失".to_owned());
        assert!(matches!(
            verified.check_record(Some(&revoked)),
            Err(CardError::Revoked { reason, .. }) if reason == "手机丢失"
        ));

        let text = good.to_text();
        for bad in [
            String::new(),
            text[1..].to_owned(),
            format!("{text}A"),
            text.replacen(&text[..1], "!", 1),
            format!("C{}", &text[1..]),
        ] {
            assert!(
                matches!(MemberCard::from_text(&bad), Err(CardError::Malformed(_))),
                "{bad}"
            );
        }
        // Every refusal has Chinese words of its own.
        let messages: std::collections::HashSet<String> = [
            CardError::Malformed("x"),
            CardError::UnknownCommunity(community()),
            CardError::WrongKey {
                community: community(),
                found: String::new(),
            },
            CardError::BadSignature,
            CardError::Expired(String::new()),
            CardError::NotRecorded,
            CardError::BadSecret,
            CardError::Revoked {
                at: String::new(),
                reason: String::new(),
            },
        ]
        .iter()
        .map(CardError::message_zh)
        .collect();
        assert_eq!(messages.len(), 8);
    }

    proptest! {
        /// Whatever text arrives as a card, reading it answers a card or an error.
        #[test]
        fn any_text_reads_as_a_card_or_an_error(text in ".{0,300}", bytes in proptest::collection::vec(any::<u8>(), CARD_BYTES - 2..CARD_BYTES + 2)) {
            let _ = MemberCard::from_text(&text);
            let encoded = URL_SAFE_NO_PAD.encode(&bytes);
            if let Ok(card) = MemberCard::from_text(&encoded) {
                // Random bytes never verify as a card of a key.
                let key = KeyPair::from_secret([7; 32]);
                prop_assert!(card.verify(&key.public(), Timestamp::from_millis(0)).is_err());
            }
        }
    }
}
