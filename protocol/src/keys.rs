//! Identities: ed25519 key pairs, public keys as text people can paste and check, and
//! signatures that always name what they sign.
//!
//! **Keys as text.** A public key prints as the base32 of its 32 bytes (52 characters)
//! cut into four groups of 13, each followed by a Luhn mod 32 check character, and
//! shown in eight blocks of seven: `MFZWI3D-BONSGYC-…` (Syncthing's device-ID form).
//! Luhn mod 32 changes its check character for every single-character substitution,
//! and a dropped or doubled character changes the length, so a key mistyped by one
//! character is refused instead of pinned.
//!
//! **Signatures with context.** Every signature covers `context ‖ 0x00 ‖ message`,
//! where the context names the kind of statement (`wishtree-attest-v1`,
//! `wishtree-bundle-v1`, …), so a signature made for one kind can never be replayed
//! as another.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// The alphabet of RFC 4648 base32.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of base32 per check group.
const GROUP: usize = 13;

/// What a signature is about. The text of each context is part of every signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningContext {
    /// Signed heads of a community document.
    Attest,
    /// A bundle (changes, figures or roster) carried between hubs or on a USB stick.
    Bundle,
    /// The city roster of enrolled keys.
    Roster,
    /// A key announcing its successor.
    KeyRotation,
    /// The heads a half-year's records end at.
    Seal,
    /// A member card: the statement binding a member to a card secret.
    Card,
    /// An entry of a community's inbox, signed by the hub.
    Inbox,
    /// A check-in code for an activity, signed by the node with its clock.
    CheckIn,
    /// A node's X25519 encryption key, signed by its ed25519 key (`submission.rs`).
    EncryptionKey,
}

impl SigningContext {
    /// The context string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Attest => "wishtree-attest-v1",
            Self::Bundle => "wishtree-bundle-v1",
            Self::Roster => "wishtree-roster-v1",
            Self::KeyRotation => "wishtree-rotate-v1",
            Self::Seal => "wishtree-seal-v1",
            Self::Card => "wishtree-card-v1",
            Self::Inbox => "wishtree-inbox-v1",
            Self::CheckIn => "wishtree-checkin-v1",
            Self::EncryptionKey => "wishtree-sealkey-v1",
        }
    }
}

/// An ed25519 key pair: a node's, a hub's or the city's identity.
pub struct KeyPair(SigningKey);

/// An ed25519 public key: who a node, hub or city is.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

/// Why a text or bytes are not a public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    /// A character outside base32.
    #[error(
        "key has `{found}` at position {position}, which no key contains; keys use A–Z and 2–7"
    )]
    Character {
        /// The character.
        found: char,
        /// Its position among the key's characters, from 1.
        position: usize,
    },
    /// Not 56 characters (ignoring dashes and spaces).
    #[error(
        "key has {count} characters; a key has 56 (8 blocks of 7) — a character was left out or doubled"
    )]
    Length {
        /// How many it had.
        count: usize,
    },
    /// A check character does not match.
    #[error("key fails its check in characters {from}–{to}: one of them was mistyped")]
    Check {
        /// First character of the failing group, from 1.
        from: usize,
        /// Last character of the failing group.
        to: usize,
    },
    /// The 32 bytes are not a point on the curve.
    #[error("key is not a valid ed25519 public key")]
    NotOnCurve,
}

/// A signature that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify for this key and {context}")]
pub struct BadSignature {
    /// The context it was checked under.
    pub context: &'static str,
}

impl KeyPair {
    /// The key pair of a 32-byte secret drawn by the caller.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&secret))
    }

    /// The secret, for the key file.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` under `context`.
    pub fn sign(&self, context: SigningContext, message: &[u8]) -> Signature {
        Signature(self.0.sign(&contextualise(context, message)).to_bytes())
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "KeyPair({})", self.public())
    }
}

impl PublicKey {
    /// The key of 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyParseError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyParseError::NotOnCurve)
    }

    /// The raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Checks that `signature` was made by this key over `message` under `context`.
    /// Strict verification: no malleable or small-order signatures.
    pub fn verify(
        &self,
        context: SigningContext,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), BadSignature> {
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(&contextualise(context, message), &signature)
            .map_err(|_| BadSignature {
                context: context.as_str(),
            })
    }

    /// A short form for logs and tables: the first block of the text form.
    pub fn short(&self) -> String {
        self.to_string().chars().take(7).collect()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = encode_base32(&self.to_bytes());
        let mut checked = String::with_capacity(56);
        for group in text.as_bytes().chunks(GROUP) {
            checked.extend(group.iter().map(|&b| char::from(b)));
            checked.push(char::from(BASE32[luhn32(group)]));
        }
        for (i, block) in checked.as_bytes().chunks(7).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            // Invariant: the text is base32, which is ASCII.
            f.write_str(std::str::from_utf8(block).expect("base32 is ASCII"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.short())
    }
}

impl FromStr for PublicKey {
    type Err = KeyParseError;

    /// Accepts the text form in any case, with or without dashes and spaces, and
    /// reads 0, 1 and 8 (which base32 lacks) as O, I and B.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut clean = Vec::with_capacity(56);
        for c in text
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
        {
            let c = match c.to_ascii_uppercase() {
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                other => other,
            };
            if !c.is_ascii() || base32_value(c as u8).is_none() {
                return Err(KeyParseError::Character {
                    found: c,
                    position: clean.len() + 1,
                });
            }
            clean.push(c as u8);
            if clean.len() > 56 {
                break;
            }
        }
        if clean.len() != 56 {
            let count = text
                .chars()
                .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
                .count();
            return Err(KeyParseError::Length { count });
        }
        let mut data = Vec::with_capacity(52);
        for (index, group) in clean.chunks(GROUP + 1).enumerate() {
            let (body, check) = group.split_at(GROUP);
            if BASE32[luhn32(body)] != check[0] {
                return Err(KeyParseError::Check {
                    from: index * (GROUP + 1) + 1,
                    to: (index + 1) * (GROUP + 1),
                });
            }
            data.extend_from_slice(body);
        }
        let bytes = decode_base32(&data).ok_or(KeyParseError::Check { from: 43, to: 56 })?;
        Self::from_bytes(&bytes)
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            // A fixed-size array, as the deserialiser reads it back.
            self.to_bytes().serialize(serializer)
        }
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            let bytes = <[u8; 32]>::deserialize(deserializer)?;
            Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
        }
    }
}

impl Signature {
    /// The signature of 64 raw bytes.
    pub const fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub const fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&hex::encode(self.0))
        } else {
            // A fixed-size array serialises without a length prefix.
            self.0.as_slice().serialize(serializer)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            hex::FromHex::from_hex(&*text)
                .map(Self)
                .map_err(|_| serde::de::Error::custom("a signature is 128 hex digits"))
        } else {
            let bytes = <Vec<u8>>::deserialize(deserializer)?;
            <[u8; 64]>::try_from(bytes.as_slice())
                .map(Self)
                .map_err(|_| serde::de::Error::custom("a signature has 64 bytes"))
        }
    }
}

fn contextualise(context: SigningContext, message: &[u8]) -> Vec<u8> {
    let context = context.as_str().as_bytes();
    let mut signed = Vec::with_capacity(context.len() + 1 + message.len());
    signed.extend_from_slice(context);
    signed.push(0);
    signed.extend_from_slice(message);
    signed
}

/// The Luhn mod 32 check character index of a group of base32 characters.
fn luhn32(group: &[u8]) -> usize {
    let mut factor = 1;
    let mut sum = 0;
    for &c in group {
        // Invariant: callers pass base32 characters only.
        let value = base32_value(c).unwrap_or(0) * factor;
        factor = 3 - factor;
        sum += value / 32 + value % 32;
    }
    (32 - sum % 32) % 32
}

fn base32_value(c: u8) -> Option<usize> {
    BASE32.iter().position(|&b| b == c)
}

fn encode_base32(bytes: &[u8; 32]) -> String {
    let mut text = String::with_capacity(52);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = buffer << 8 | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(BASE32[(buffer >> bits & 31) as usize]));
        }
    }
    if bits > 0 {
        text.push(char::from(BASE32[(buffer << (5 - bits) & 31) as usize]));
    }
    text
}

fn decode_base32(text: &[u8]) -> Option<[u8; 32]> {
    let mut bytes = Vec::with_capacity(33);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &c in text {
        buffer = buffer << 5 | base32_value(c)? as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits & 0xff) as u8);
        }
    }
    // 52 characters carry 260 bits: the 4 bits after the 256 must be zero, or two
    // texts would name one key.
    if buffer & ((1 << bits) - 1) != 0 {
        return None;
    }
    <[u8; 32]>::try_from(bytes.as_slice()).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(seed: u8) -> KeyPair {
        KeyPair::from_secret([seed; 32])
    }

    #[test]
    fn text_form_has_eight_blocks_of_seven() {
        let text = key(1).public().to_string();
        assert_eq!(text.len(), 63);
        assert_eq!(text.split('-').count(), 8);
        assert!(text.split('-').all(|block| block.len() == 7));
        assert_eq!(text.parse::<PublicKey>().unwrap(), key(1).public());
        assert_eq!(
            text.to_lowercase()
                .replace('-', " ")
                .parse::<PublicKey>()
                .unwrap(),
            key(1).public()
        );
    }

    #[test]
    fn signatures_are_bound_to_their_context() {
        let pair = key(7);
        let signature = pair.sign(SigningContext::Attest, b"heads");
        pair.public()
            .verify(SigningContext::Attest, b"heads", &signature)
            .unwrap();
        assert_eq!(
            pair.public()
                .verify(SigningContext::Bundle, b"heads", &signature)
                .unwrap_err()
                .to_string(),
            "the signature does not verify for this key and wishtree-bundle-v1"
        );
        assert!(
            key(8)
                .public()
                .verify(SigningContext::Attest, b"heads", &signature)
                .is_err()
        );
    }

    #[test]
    fn errors_say_what_to_look_for() {
        let text = key(2).public().to_string();
        let short: String = text.chars().skip(1).collect();
        assert_eq!(
            short.parse::<PublicKey>().unwrap_err().to_string(),
            "key has 55 characters; a key has 56 (8 blocks of 7) — a character was left out or doubled"
        );
        assert!(matches!(
            "天".parse::<PublicKey>(),
            Err(KeyParseError::Character {
                found: '天',
                position: 1
            })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every single-character substitution at every position is caught, for
        /// many keys.
        #[test]
        fn every_single_character_typo_is_caught(secret in any::<[u8; 32]>()) {
            let public = KeyPair::from_secret(secret).public();
            let text: Vec<u8> = public.to_string().replace('-', "").into_bytes();
            prop_assert_eq!(text.len(), 56);
            for position in 0..text.len() {
                for &replacement in BASE32 {
                    if replacement == text[position] {
                        continue;
                    }
                    let mut typo = text.clone();
                    typo[position] = replacement;
                    let typo = String::from_utf8(typo).unwrap();
                    prop_assert!(
                        typo.parse::<PublicKey>().is_err(),
                        "typo at {} accepted: {}", position, typo
                    );
                }
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,80}") {
            let _ = text.parse::<PublicKey>();
        }
    }
}
