//! Signed heads (`wishtree-attest-v1`): a node's signature over the heads of its
//! community's document.
//!
//! Automerge change hashes chain like git commits, so one signature over the heads
//! covers the whole history below them: whoever carried the document, a receiver who
//! holds the signer's key can check that every change up to those heads is the
//! community's own. The signed bytes are a fixed layout, not a serde encoding, so
//! that what is signed cannot drift with a library version:
//!
//! ```text
//! "wishtree-attest-v1" 0x00 | community (12 ASCII digits) | seq (u64 BE)
//! | at (i64 BE, ms) | head count (u32 BE) | heads (32 bytes each, sorted, distinct)
//! ```

use automerge::ChangeHash;

use crate::keys::{BadSignature, KeyPair, PublicKey, Signature, SigningContext};
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// The most heads an attestation may name; a document with more concurrent heads is
/// not one a single node writes.
pub const MAX_HEADS: usize = 256;

/// Signed heads as they travel: in sync frames, bundles and storage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedHeads {
    /// The community whose document the heads are of.
    pub community: CommunityCode,
    /// The heads, sorted and distinct.
    #[serde(with = "heads_serde")]
    pub heads: Vec<ChangeHash>,
    /// The signer's sequence number, growing with every attestation it makes.
    pub seq: u64,
    /// When it was signed, by the signer's clock.
    pub at: Timestamp,
    /// Who signed.
    pub signer: PublicKey,
    /// The signature over the layout in the module doc.
    pub signature: Signature,
}

/// Signed heads whose signature was checked. Only [`SignedHeads::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attested {
    heads: SignedHeads,
}

/// Why signed heads were not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// More heads than [`MAX_HEADS`].
    #[error("signed heads name {0} heads; at most 256 are accepted")]
    TooManyHeads(usize),
    /// Heads not sorted or repeated: not the canonical form that was signed.
    #[error("signed heads are not sorted and distinct")]
    NotCanonical,
    /// The signature is wrong.
    #[error(transparent)]
    Signature(#[from] BadSignature),
    /// Signed by another key than the one enrolled for the community.
    #[error(
        "signed heads of {community} are signed by {found}, not by its enrolled key {expected}"
    )]
    WrongSigner {
        /// The community.
        community: CommunityCode,
        /// The enrolled key, short form.
        expected: String,
        /// The signing key, short form.
        found: String,
    },
}

impl SignedHeads {
    /// Signs the heads of `community`'s document. The heads are sorted and deduplicated
    /// first.
    pub fn sign(
        key: &KeyPair,
        community: CommunityCode,
        heads: &[ChangeHash],
        seq: u64,
        at: Timestamp,
    ) -> Self {
        let mut heads = heads.to_vec();
        heads.sort();
        heads.dedup();
        let signature = key.sign(
            SigningContext::Attest,
            &signed_bytes(community, &heads, seq, at),
        );
        Self {
            community,
            heads,
            seq,
            at,
            signer: key.public(),
            signature,
        }
    }

    /// Checks the form and the signature, by whichever key signed.
    pub fn verify(&self) -> Result<Attested, AttestError> {
        check_heads(&self.heads)?;
        self.signer.verify(
            SigningContext::Attest,
            &signed_bytes(self.community, &self.heads, self.seq, self.at),
            &self.signature,
        )?;
        Ok(Attested {
            heads: self.clone(),
        })
    }

    /// Checks as [`SignedHeads::verify`], and that `enrolled` is the signer.
    pub fn verify_by(&self, enrolled: &PublicKey) -> Result<Attested, AttestError> {
        if &self.signer != enrolled {
            return Err(AttestError::WrongSigner {
                community: self.community,
                expected: enrolled.short(),
                found: self.signer.short(),
            });
        }
        self.verify()
    }
}

impl Attested {
    /// The checked statement.
    pub fn signed(&self) -> &SignedHeads {
        &self.heads
    }

    /// The community.
    pub fn community(&self) -> CommunityCode {
        self.heads.community
    }

    /// The attested heads.
    pub fn heads(&self) -> &[ChangeHash] {
        &self.heads.heads
    }

    /// The signer.
    pub fn signer(&self) -> PublicKey {
        self.heads.signer
    }

    /// The signer's sequence number.
    pub fn seq(&self) -> u64 {
        self.heads.seq
    }
}

fn signed_bytes(
    community: CommunityCode,
    heads: &[ChangeHash],
    seq: u64,
    at: Timestamp,
) -> Vec<u8> {
    statement_bytes(
        community,
        &[&seq.to_be_bytes(), &at.as_millis().to_be_bytes()],
        heads,
    )
}

/// The layout every statement over a community's heads shares (signed heads, seals):
/// the community's 12 ASCII digits, the statement's own fixed-size fields in order,
/// the head count (u32 BE) and the heads.
pub(crate) fn statement_bytes(
    community: CommunityCode,
    fields: &[&[u8]],
    heads: &[ChangeHash],
) -> Vec<u8> {
    let fields_len: usize = fields.iter().map(|field| field.len()).sum();
    let mut bytes = Vec::with_capacity(12 + fields_len + 4 + 32 * heads.len());
    bytes.extend_from_slice(community.as_str().as_bytes());
    for field in fields {
        bytes.extend_from_slice(field);
    }
    bytes.extend_from_slice(&(heads.len() as u32).to_be_bytes());
    for head in heads {
        bytes.extend_from_slice(&head.0);
    }
    bytes
}

/// Checks that heads are in the canonical form that is signed: at most
/// [`MAX_HEADS`], sorted and distinct.
pub(crate) fn check_heads(heads: &[ChangeHash]) -> Result<(), AttestError> {
    if heads.len() > MAX_HEADS {
        return Err(AttestError::TooManyHeads(heads.len()));
    }
    if heads.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(AttestError::NotCanonical);
    }
    Ok(())
}

/// Serde for a list of change hashes as raw 32-byte arrays (hex in JSON).
pub mod heads_serde {
    use automerge::ChangeHash;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises hashes.
    pub fn serialize<S: Serializer>(
        heads: &[ChangeHash],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            heads
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .serialize(serializer)
        } else {
            heads
                .iter()
                .map(|h| h.0)
                .collect::<Vec<_>>()
                .serialize(serializer)
        }
    }

    /// Deserialises hashes.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<ChangeHash>, D::Error> {
        if deserializer.is_human_readable() {
            let texts = Vec::<String>::deserialize(deserializer)?;
            texts
                .iter()
                .map(|text| text.parse().map_err(serde::de::Error::custom))
                .collect()
        } else {
            let raw = Vec::<[u8; 32]>::deserialize(deserializer)?;
            Ok(raw.into_iter().map(ChangeHash).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (KeyPair, SignedHeads) {
        let key = KeyPair::from_secret([3; 32]);
        let heads = [ChangeHash([9; 32]), ChangeHash([1; 32])];
        let community = "130903003001".parse().unwrap();
        let signed = SignedHeads::sign(
            &key,
            community,
            &heads,
            7,
            Timestamp::from_millis(1_700_000_000_000),
        );
        (key, signed)
    }

    #[test]
    fn signed_heads_verify_and_are_sorted() {
        let (key, signed) = sample();
        assert_eq!(signed.heads, vec![ChangeHash([1; 32]), ChangeHash([9; 32])]);
        let attested = signed.verify_by(&key.public()).unwrap();
        assert_eq!(attested.seq(), 7);
        assert_eq!(attested.heads().len(), 2);
    }

    #[test]
    fn tampering_with_any_field_fails() {
        let (_, signed) = sample();
        let tampered: Vec<(&str, SignedHeads)> = vec![
            (
                "community",
                SignedHeads {
                    community: "130903003002".parse().unwrap(),
                    ..signed.clone()
                },
            ),
            (
                "heads",
                SignedHeads {
                    heads: vec![ChangeHash([1; 32]), ChangeHash([8; 32])],
                    ..signed.clone()
                },
            ),
            (
                "dropped head",
                SignedHeads {
                    heads: vec![ChangeHash([1; 32])],
                    ..signed.clone()
                },
            ),
            (
                "seq",
                SignedHeads {
                    seq: 8,
                    ..signed.clone()
                },
            ),
            (
                "at",
                SignedHeads {
                    at: Timestamp::from_millis(1_700_000_000_001),
                    ..signed.clone()
                },
            ),
            (
                "signer",
                SignedHeads {
                    signer: KeyPair::from_secret([4; 32]).public(),
                    ..signed.clone()
                },
            ),
            ("signature", {
                let mut bytes = signed.signature.to_bytes();
                bytes[10] ^= 1;
                SignedHeads {
                    signature: Signature::from_bytes(bytes),
                    ..signed.clone()
                }
            }),
            (
                "order",
                SignedHeads {
                    heads: vec![ChangeHash([9; 32]), ChangeHash([1; 32])],
                    ..signed.clone()
                },
            ),
        ];
        for (field, tampered) in tampered {
            assert!(
                tampered.verify().is_err(),
                "tampering with {field} went unnoticed"
            );
        }
    }

    #[test]
    fn another_key_is_not_the_enrolled_one() {
        let (_, signed) = sample();
        let other = KeyPair::from_secret([5; 32]).public();
        assert!(matches!(
            signed.verify_by(&other),
            Err(AttestError::WrongSigner { .. })
        ));
    }

    #[test]
    fn an_attest_signature_is_not_a_bundle_signature() {
        let (key, signed) = sample();
        let bytes = signed_bytes(signed.community, &signed.heads, signed.seq, signed.at);
        assert!(
            key.public()
                .verify(SigningContext::Bundle, &bytes, &signed.signature)
                .is_err()
        );
        assert!(
            key.public()
                .verify(SigningContext::Attest, &bytes, &signed.signature)
                .is_ok()
        );
    }
}
